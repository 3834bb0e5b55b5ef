/**
 * What the stand-in providers (command.ts, random.ts) share: the wire forms of secrets and
 * unknowns, the diff of inputs, the refusal of tokens they do not serve, the engine log, and the
 * start of the plugin. The engine runs a stand-in as the plugin pulumi-resource-<name> (the
 * launchers scripts/build-engine.sh writes); the SDK's provider server speaks gRPC for it.
 */
import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { isDeepStrictEqual } from "util";

export type Props = Record<string, unknown>;

/** A secret as the engine sends it and stores it: the server hands the raw struct over, unwrapped by no one. */
export interface WireSecret {
    [specialSigKey]: typeof specialSecretSig;
    value: unknown;
}

export function isSecret(value: unknown): value is WireSecret {
    return typeof value === "object" && value !== null && (value as Props)[specialSigKey] === specialSecretSig;
}

/** The value wrapped so that the engine keeps it encrypted in state and masked in its output. */
export function secret(value: unknown): WireSecret {
    return { [specialSigKey]: specialSecretSig, value };
}

/** The value with every secret in it unwrapped, at any depth: what a command or a generator uses. */
export function reveal(value: unknown): unknown {
    if (isSecret(value)) {
        return reveal(value.value);
    }
    if (Array.isArray(value)) {
        return value.map(reveal);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reveal(inner)]));
    }
    return value;
}

export function revealProps(props: Props | undefined): Props {
    return (reveal(props ?? {}) as Props) ?? {};
}

/** Whether a value not yet known (a preview's output of another resource) is in it, at any depth. */
export function containsUnknown(value: unknown): boolean {
    if (value === unknownValue) {
        return true;
    }
    if (typeof value === "object" && value !== null) {
        return Object.values(value).some(containsUnknown);
    }
    return false;
}

/**
 * The diff of a resource's inputs, as the real providers make it: every input compared with its
 * value in the old state (whose outputs repeat the inputs), secrets unwrapped, an unknown new value
 * counted as a change. Identical inputs are no change, so that `pulumi preview --expect-no-changes`
 * passes on a stack just deployed.
 */
export function diffInputs(
    olds: Props,
    news: Props,
    options: { outputsOnly: readonly string[]; replaces: (key: string) => boolean },
): provider.DiffResult {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    const changed = [...keys]
        // Underscore keys and `version` are the engine's, never a resource's inputs (as pulumi-go-provider skips them).
        .filter((key) => !key.startsWith("__") && key !== "version" && !options.outputsOnly.includes(key))
        .filter((key) => containsUnknown(news[key]) || !isDeepStrictEqual(reveal(olds[key]), reveal(news[key])))
        .sort();
    return { changes: changed.length > 0, replaces: changed.filter(options.replaces), deleteBeforeReplace: false };
}

/** `urn:pulumi:stack::project::parent$type::name` → the resource's type token. */
export function typeOfUrn(urn: string): string {
    const qualifiedType = urn.split("::")[2] ?? "";
    return qualifiedType.split("$").pop() ?? "";
}

export function nameOfUrn(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

/** How a stand-in serves one resource type; check and diff are its own, the rest have plain defaults. */
export interface ResourceType {
    check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult>;
    diff(id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult>;
    create(urn: string, inputs: Props): Promise<provider.CreateResult>;
    update?(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult>;
    delete?(id: string, urn: string, props: Props): Promise<void>;
}

export interface StandIn {
    /** The package the stand-in replaces, e.g. "pulumi-command". */
    replaces: string;
    /** Where it is, for the person who meets its limits: "engine/providers/command.ts". */
    file: string;
    version: string;
    types: Record<string, ResourceType>;
}

/** The error for a token the stand-in does not serve: better a clear stop than a half-imitation. */
export function refusal(standIn: Pick<StandIn, "replaces" | "file" | "types">, token: string): Error {
    return new Error(
        `${token} is not served here: this is a stand-in for ${standIn.replaces} (${standIn.file}) that serves ` +
            `only ${Object.keys(standIn.types).join(" and ")}. Run with the real provider plugin for anything else.`,
    );
}

/** The provider the SDK's server drives: each call goes to its resource type, any other token is refused. */
export function standInProvider(standIn: StandIn): provider.Provider {
    const typeOf = (urn: string): ResourceType => {
        const token = typeOfUrn(urn);
        const type = Object.prototype.hasOwnProperty.call(standIn.types, token) ? standIn.types[token] : undefined;
        if (!type) {
            throw refusal(standIn, token);
        }
        return type;
    };
    return {
        version: standIn.version,
        check: async (urn, olds, news) => typeOf(urn).check(urn, olds ?? {}, news ?? {}),
        diff: async (id, urn, olds, news) => typeOf(urn).diff(id, urn, olds ?? {}, news ?? {}),
        create: async (urn, inputs) => typeOf(urn).create(urn, inputs ?? {}),
        // The state as it is: neither a command nor a random value has anything to read back.
        read: async (id, urn, props) => (typeOf(urn), { id, props }),
        update: async (id, urn, olds, news) => {
            const type = typeOf(urn);
            return type.update ? type.update(id, urn, olds ?? {}, news ?? {}) : { outs: { ...olds, ...news } };
        },
        delete: async (id, urn, props) => {
            const type = typeOf(urn);
            await type.delete?.(id, urn, props ?? {});
        },
        invoke: async (token) => {
            throw refusal(standIn, token);
        },
        call: async (token) => {
            throw refusal(standIn, token);
        },
        construct: async (_name, type) => {
            throw refusal(standIn, type);
        },
    };
}

/** A sink for the lines a resource's operation logs, attributed to the resource. */
export interface ResourceLog {
    write(urn: string, line: string): void;
    /** Resolves once every line written so far has reached the engine: before the step ends. */
    flush(): Promise<void>;
}

/** The engine's address among a plugin's arguments, as the SDK's provider.main finds it. */
export function engineAddress(args: readonly string[]): string | undefined {
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--tracing") {
            i += 1;
        } else if (args[i] !== "--logtostderr" && !args[i].startsWith("-v=")) {
            rest.push(args[i]);
        }
    }
    return rest[0];
}

/**
 * Lines to the engine's Log RPC with the resource's URN, ephemeral, as pulumi-command logs its
 * commands' output (InfoStatus): the CLI shows them on the resource's line while it runs. They go
 * one after another so that they keep their order. Printing is no way out: the engine hides a
 * resource plugin's stdout and stderr (its debug log only, `pulumi --debug`), so stderr is just the
 * last resort, without an engine address or when the engine refuses a line.
 */
export function engineLog(address: string | undefined): ResourceLog {
    const client = address ? new EngineClient(address, grpc.credentials.createInsecure()) : undefined;
    let sent = Promise.resolve();
    const toStderr = (line: string) => process.stderr.write(`${line}\n`);
    return {
        write(urn, line) {
            if (!client) {
                toStderr(line);
                return;
            }
            const request = new LogRequest();
            request.setSeverity(LogSeverity.INFO);
            request.setMessage(line);
            request.setUrn(urn);
            request.setEphemeral(true);
            sent = sent.then(
                () =>
                    new Promise<void>((resolve) =>
                        client.log(request, (error) => {
                            if (error) {
                                toStderr(line);
                            }
                            resolve();
                        }),
                    ),
            );
        },
        flush: () => sent,
    };
}

/** Starts the plugin: the gRPC server the engine connects to, its port on stdout. */
export function serve(make: (log: ResourceLog) => provider.Provider, args: string[]): void {
    const address = engineAddress(args);
    provider.main(make(engineLog(address)), args).catch((error: unknown) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
    });
}
