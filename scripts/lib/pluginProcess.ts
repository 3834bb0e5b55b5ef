/**
 * A Pulumi plugin process started the way the engine starts one: `node <entry> <engine address>
 * ...`, which prints its gRPC port on stdout; then unary calls to it with a generated client.
 */
import { ChildProcess, spawn } from "child_process";
import * as grpc from "@grpc/grpc-js";
import { withActiveMutant } from "./childEnv";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
/** A generated protobuf message or client; the SDK ships them untyped. */
export type Message = any;
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */

/** A Struct from plain props; JSON drops the undefined values protobuf cannot carry. */
export function toStruct(props: Record<string, unknown>): Message {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

export class PluginProcess {
    private output = "";

    private constructor(
        private readonly child: ChildProcess,
        private readonly client: Message,
    ) {
        child.stdout?.on("data", (chunk) => (this.output += chunk));
        child.stderr?.on("data", (chunk) => (this.output += chunk));
    }

    /**
     * @param args the entry script and its arguments (the engine address is only passed through)
     * @param newClient the generated client class for the plugin's service
     */
    static async start(
        args: string[],
        options: { cwd: string; env?: NodeJS.ProcessEnv },
        newClient: new (address: string, credentials: grpc.ChannelCredentials) => Message,
    ): Promise<PluginProcess> {
        const child = spawn(process.execPath, args, {
            ...options,
            env: withActiveMutant(options.env ?? process.env),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let printed = "";
        const port = await new Promise<number>((resolve, reject) => {
            const onData = (chunk: Buffer) => {
                printed += chunk;
                const match = /^(\d+)\s*$/m.exec(printed);
                if (match) {
                    child.stdout?.off("data", onData);
                    resolve(Number(match[1]));
                }
            };
            child.stdout?.on("data", onData);
            child.stderr?.on("data", (chunk) => (printed += chunk));
            child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}:\n${printed}`)));
        });
        const plugin = new PluginProcess(child, new newClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
        plugin.output = printed;
        return plugin;
    }

    /** Everything the process printed: a place secrets must never show up. */
    get printed(): string {
        return this.output;
    }

    call(method: string, request: Message): Promise<Message> {
        return new Promise((resolve, reject) =>
            this.client[method](request, (error: grpc.ServiceError | null, response: Message) =>
                error ? reject(new Error(error.details || error.message)) : resolve(response),
            ),
        );
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }
}
