/**
 * Starts the policy pack the way the Pulumi CLI does and talks to it over the Analyzer gRPC
 * protocol: `node <@pulumi/pulumi/cmd/run-policy-pack> <engine address> <pack folder>`, run in the
 * pack's folder (the CLI's plugin host, sdk/go/common/resource/plugin/analyzer_plugin.go), which
 * compiles the TypeScript pack with ts-node, type checks included, and prints the port.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { PROJECT_ROOT } from "./programRun";

/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export const POLICY_PACK_DIR = path.join(PROJECT_ROOT, "policy-pack");

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;
export type Level = (typeof LEVELS)[number];

export interface Diagnostic {
    policyName: string;
    level: Level;
    message: string;
    description: string;
    urn: string;
}

export interface AnalyzedResource {
    type: string;
    urn: string;
    name: string;
    props: Record<string, unknown>;
    parentUrn?: string;
}

/** A `--policy-pack-config` file: policy name → level, or {enforcementLevel, ...properties}. */
export type PolicyPackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

export class PolicyPackServer {
    private constructor(
        private readonly process: ChildProcess,
        private readonly client: Message,
        readonly stderr: () => string,
    ) {}

    static async start(): Promise<PolicyPackServer> {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_PACK_DIR] });
        // The engine address is only passed through; nothing in the pack dials it.
        const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
            cwd: POLICY_PACK_DIR,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr?.on("data", (chunk) => (stderr += chunk));
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            child.stdout?.on("data", (chunk) => {
                stdout += chunk;
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) {
                    resolve(Number(match[1]));
                }
            });
            child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}:\n${stderr}`)));
        });
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PolicyPackServer(child, client, () => stderr);
    }

    stop(): void {
        this.client.close();
        this.process.kill();
    }

    private call<T>(method: string, request: Message): Promise<T> {
        return new Promise((resolve, reject) =>
            this.client[method](request, ((error, response) =>
                error ? reject(error) : resolve(response as T)) as Callback<T>),
        );
    }

    async info(): Promise<{
        name: string;
        version: string;
        policies: { name: string; level: Level; description: string }[];
    }> {
        const info = await this.call<Message>("getAnalyzerInfo", new Empty());
        return {
            name: info.getName(),
            version: info.getVersion(),
            policies: info.getPoliciesList().map((p: Message) => ({
                name: p.getName(),
                level: LEVELS[p.getEnforcementlevel()],
                description: p.getDescription(),
            })),
        };
    }

    /** What `--policy-pack-config <file>` makes the CLI send. */
    async configure(config: PolicyPackConfig): Promise<void> {
        const request = new analyzerPb.ConfigureAnalyzerRequest();
        for (const [policy, value] of Object.entries(config)) {
            const { enforcementLevel, ...properties } = typeof value === "string" ? { enforcementLevel: value } : value;
            const policyConfig = new analyzerPb.PolicyConfig();
            policyConfig.setEnforcementlevel(LEVELS.indexOf(enforcementLevel ?? "advisory"));
            policyConfig.setProperties(Struct.fromJavaScript(properties));
            request.getPolicyconfigMap().set(policy, policyConfig);
        }
        await this.call("configure", request);
    }

    async analyze(resource: AnalyzedResource): Promise<Diagnostic[]> {
        const response = await this.call<Message>("analyze", analyzeRequest(resource));
        return response.getDiagnosticsList().map(diagnostic);
    }

    async remediate(resource: AnalyzedResource): Promise<{ policyName: string; props?: Record<string, unknown> }[]> {
        const response = await this.call<Message>("remediate", analyzeRequest(resource));
        return response.getRemediationsList().map((r: Message) => ({
            policyName: r.getPolicyname(),
            props: r.getProperties()?.toJavaScript(),
        }));
    }

    async analyzeStack(resources: AnalyzedResource[]): Promise<Diagnostic[]> {
        const request = new analyzerPb.AnalyzeStackRequest();
        request.setResourcesList(
            resources.map((r) => {
                const resource = new analyzerPb.AnalyzerResource();
                resource.setType(r.type);
                resource.setUrn(r.urn);
                resource.setName(r.name);
                resource.setProperties(struct(r.props));
                resource.setOptions(new analyzerPb.AnalyzerResourceOptions());
                resource.setParent(r.parentUrn ?? "");
                return resource;
            }),
        );
        const response = await this.call<Message>("analyzeStack", request);
        return response.getDiagnosticsList().map(diagnostic);
    }
}

/** A Struct from plain props; JSON drops the undefined values protobuf cannot carry. */
function struct(props: Record<string, unknown>): Message {
    return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

function analyzeRequest(resource: AnalyzedResource): Message {
    const request = new analyzerPb.AnalyzeRequest();
    request.setType(resource.type);
    request.setUrn(resource.urn);
    request.setName(resource.name);
    request.setProperties(struct(resource.props));
    // The server reads the options unconditionally.
    request.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return request;
}

function diagnostic(d: Message): Diagnostic {
    return {
        policyName: d.getPolicyname(),
        level: LEVELS[d.getEnforcementlevel()],
        message: d.getMessage(),
        description: d.getDescription(),
        urn: d.getUrn(),
    };
}

/**
 * A violation laid out the way `pulumi preview` prints it under "Policies:". The SDK already
 * starts the message with the policy's description.
 */
export function formatLikeCli(packName: string, version: string, d: Diagnostic, resource: AnalyzedResource): string {
    return [
        `    ❌ ${packName}@v${version} (local: policy-pack)`,
        `        - [${d.level}]  ${d.policyName}  (${resource.type}: ${resource.name})`,
        ...d.message.split("\n").map((line) => `          ${line}`),
    ].join("\n");
}
