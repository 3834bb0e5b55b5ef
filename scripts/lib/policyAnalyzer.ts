/**
 * Starts the policy pack the way the Pulumi CLI does and talks to it over the Analyzer gRPC
 * protocol: `node <@pulumi/pulumi/cmd/run-policy-pack> <engine address> <pack folder>`, run in the
 * pack's folder (the CLI's plugin host, sdk/go/common/resource/plugin/analyzer_plugin.go), which
 * compiles the TypeScript pack with ts-node, type checks included, and prints the port.
 */
import * as path from "path";
import { Message, PluginProcess, toStruct } from "./pluginProcess";
import { PROJECT_ROOT } from "./programRun";

/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
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

export interface PolicyInfo {
    name: string;
    level: Level;
    description: string;
    /** The settings its configSchema declares, besides enforcementLevel. */
    settings: string[];
}

/**
 * What is wrong with a `--policy-pack-config` file for this pack. The CLI drops a policy name it
 * does not know without a word (pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig), so
 * `"cloudglue-role-nam": "disabled"` would look applied; the review refuses it instead.
 */
export function policyPackConfigProblems(config: unknown, policies: PolicyInfo[]): string[] {
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        return ["the policy pack config must be a JSON object of policy names"];
    }
    const names = policies.map((p) => p.name);
    const problems: string[] = [];
    for (const [name, value] of Object.entries(config)) {
        const policy = policies.find((p) => p.name === name);
        if (!policy && name !== "all") {
            problems.push(`"${name}" is not a policy of this pack; its policies are ${names.join(", ")} (or "all")`);
            continue;
        }
        const { enforcementLevel, ...settings } =
            typeof value === "string" ? { enforcementLevel: value } : ((value ?? {}) as Record<string, unknown>);
        if (enforcementLevel !== undefined && !(LEVELS as readonly unknown[]).includes(enforcementLevel)) {
            problems.push(
                `${name}: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${LEVELS.join(", ")})`,
            );
        }
        const known = policy?.settings ?? [];
        for (const setting of Object.keys(settings).filter((k) => !known.includes(k))) {
            problems.push(
                `${name}: "${setting}" is not a setting of this policy; ` +
                    (known.length ? `its settings are ${known.join(", ")}` : "it has none but enforcementLevel"),
            );
        }
    }
    return problems;
}

/** A `--policy-pack-config` file: policy name → level, or {enforcementLevel, ...properties}. */
export type PolicyPackConfig = Record<string, Level | ({ enforcementLevel?: Level } & Record<string, unknown>)>;

export class PolicyPackServer {
    private constructor(private readonly plugin: PluginProcess) {}

    static async start(): Promise<PolicyPackServer> {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_PACK_DIR] });
        return new PolicyPackServer(
            await PluginProcess.start([runner, "127.0.0.1:0", "."], { cwd: POLICY_PACK_DIR }, AnalyzerClient),
        );
    }

    stop(): void {
        this.plugin.stop();
    }

    async info(): Promise<{
        name: string;
        version: string;
        policies: PolicyInfo[];
    }> {
        const info = await this.plugin.call("getAnalyzerInfo", new Empty());
        return {
            name: info.getName(),
            version: info.getVersion(),
            policies: info.getPoliciesList().map((p: Message) => ({
                name: p.getName(),
                level: LEVELS[p.getEnforcementlevel()],
                description: p.getDescription(),
                settings: Object.keys(p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}),
            })),
        };
    }

    /**
     * What `--policy-pack-config <file>` makes the CLI send. As its ReconcilePolicyPackConfig does
     * (pkg/resource/analyzer/config.go): every policy of the pack, at its own default level with its
     * schema's defaults; then "all"'s level; then each given policy's level, where it names one, and
     * settings. A policy the file leaves without a level keeps its default, never "advisory".
     */
    async configure(config: PolicyPackConfig): Promise<void> {
        const info = await this.plugin.call("getAnalyzerInfo", new Empty());
        const split = (value: PolicyPackConfig[string] | undefined) =>
            typeof value === "string" ? { enforcementLevel: value } : (value ?? {});
        const allLevel = split(config.all).enforcementLevel;
        const request = new analyzerPb.ConfigureAnalyzerRequest();
        for (const policy of info.getPoliciesList() as Message[]) {
            const name = policy.getName() as string;
            const schema = (policy.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<
                string,
                { default?: unknown }
            >;
            const defaults = Object.fromEntries(
                Object.entries(schema)
                    .filter(([, property]) => property && "default" in property)
                    .map(([key, property]) => [key, property.default]),
            );
            const { enforcementLevel, ...properties } = split(config[name]);
            const level = enforcementLevel ?? allLevel ?? LEVELS[policy.getEnforcementlevel()];
            const policyConfig = new analyzerPb.PolicyConfig();
            policyConfig.setEnforcementlevel(LEVELS.indexOf(level));
            policyConfig.setProperties(toStruct({ ...defaults, ...properties }));
            request.getPolicyconfigMap().set(name, policyConfig);
        }
        await this.plugin.call("configure", request);
    }

    async analyze(resource: AnalyzedResource): Promise<Diagnostic[]> {
        const response = await this.plugin.call("analyze", analyzeRequest(withoutInternalKeys(resource)));
        return response.getDiagnosticsList().map(diagnostic);
    }

    async remediate(resource: AnalyzedResource): Promise<{ policyName: string; props?: Record<string, unknown> }[]> {
        const response = await this.plugin.call("remediate", analyzeRequest(resource));
        return response.getRemediationsList().map((r: Message) => ({
            policyName: r.getPolicyname(),
            props: r.getProperties()?.toJavaScript(),
        }));
    }

    async analyzeStack(resources: AnalyzedResource[]): Promise<Diagnostic[]> {
        const request = new analyzerPb.AnalyzeStackRequest();
        request.setResourcesList(
            resources.map((r) =>
                describe(new analyzerPb.AnalyzerResource(), withoutInternalKeys(r)).setParent(r.parentUrn ?? ""),
            ),
        );
        const response = await this.plugin.call("analyzeStack", request);
        return response.getDiagnosticsList().map(diagnostic);
    }
}

/**
 * The engine leaves out of Analyze and AnalyzeStack every top-level input whose key starts with
 * "__" (a dynamic resource's `__provider` among them), and sends them to Remediate:
 * `SkipInternalKeys` in sdk/go/common/resource/plugin/analyzer_plugin.go.
 */
export function withoutInternalKeys(resource: AnalyzedResource): AnalyzedResource {
    return {
        ...resource,
        props: Object.fromEntries(Object.entries(resource.props).filter(([key]) => !key.startsWith("__"))),
    };
}

function analyzeRequest(resource: AnalyzedResource): Message {
    return describe(new analyzerPb.AnalyzeRequest(), resource);
}

/** Fills what an AnalyzeRequest and a stack's AnalyzerResource have in common. */
function describe(message: Message, resource: AnalyzedResource): Message {
    message.setType(resource.type);
    message.setUrn(resource.urn);
    message.setName(resource.name);
    message.setProperties(toStruct(resource.props));
    // The server reads the options unconditionally.
    message.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return message;
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
