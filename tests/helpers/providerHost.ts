/**
 * The SDK's own dynamic-provider host, `@pulumi/pulumi/cmd/dynamic-provider`, started as the
 * engine starts it and driven over the ResourceProvider gRPC protocol, the way the engine drives
 * it: Configure once, then Check, Diff, Create, Read, Update, Delete with plain values (the host
 * answers Configure with acceptSecrets = false).
 */
import * as assert from "assert";
import { Message, PluginProcess, toStruct as struct } from "../../scripts/lib/pluginProcess";
import { onlyOfType, PROJECT, PROJECT_ROOT, runProgram, stackConfig } from "../../scripts/lib/programRun";

/* eslint-disable @typescript-eslint/no-require-imports */
const providerPb = require("@pulumi/pulumi/proto/provider_pb");
const { ResourceProviderClient } = require("@pulumi/pulumi/proto/provider_grpc_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export const CONNECTOR_URN = `urn:pulumi:dev::${PROJECT}::pulumi-nodejs:dynamic/cloudglue:S3Connector::cloudglue-connector`;

export type Props = Record<string, unknown>;

/** The connector's inputs as the program declares them for the dev stack in api mode, against `apiUrl`. */
export async function apiModeConnectorInputs(apiUrl: string, apiKey: string): Promise<Props> {
    const run = await runProgram({
        config: {
            ...stackConfig("dev"),
            "cloudglue:apiKey": apiKey,
            "cloudglue:apiUrl": apiUrl,
            "cloudglue:registration": "api",
        },
        secretKeys: ["cloudglue:apiKey"],
    });
    return onlyOfType(run, "pulumi-nodejs:dynamic/cloudglue:S3Connector").inputs;
}

export interface DiffResult {
    changes: "none" | "some" | "unknown";
    replaces: string[];
}

export class ProviderHost {
    private constructor(private readonly plugin: PluginProcess) {}

    /** Starts a host with no CLOUDGLUE_* variables in its environment unless given. */
    static async start(env: Record<string, string> = {}): Promise<ProviderHost> {
        const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLOUDGLUE_")));
        const plugin = await PluginProcess.start(
            [require.resolve("@pulumi/pulumi/cmd/dynamic-provider"), "127.0.0.1:0"],
            { cwd: PROJECT_ROOT, env: { ...cleanEnv, PULUMI_PROJECT: PROJECT, ...env } },
            ResourceProviderClient,
        );
        return new ProviderHost(plugin);
    }

    /** Everything the host printed: a place secrets must never show up. */
    get printed(): string {
        return this.plugin.printed;
    }

    stop(): void {
        this.plugin.stop();
    }

    private call(method: string, request: Message): Promise<Message> {
        return this.plugin.call(method, request);
    }

    async configure(config: Record<string, string>): Promise<void> {
        const request = new providerPb.ConfigureRequest();
        request.setArgs(struct(config));
        await this.call("configure", request);
    }

    async check(
        olds: Props,
        news: Props,
    ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
        const request = new providerPb.CheckRequest();
        request.setUrn(CONNECTOR_URN);
        request.setOlds(struct(olds));
        request.setNews(struct(news));
        const response = await this.call("check", request);
        return {
            inputs: response.getInputs().toJavaScript(),
            failures: response
                .getFailuresList()
                .map((f: Message) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(id: string, olds: Props, news: Props): Promise<DiffResult> {
        const request = new providerPb.DiffRequest();
        request.setId(id);
        request.setUrn(CONNECTOR_URN);
        request.setOlds(struct(olds));
        request.setNews(struct(news));
        const response = await this.call("diff", request);
        const changes = { 0: "unknown", 1: "none", 2: "some" }[
            response.getChanges() as 0 | 1 | 2
        ] as DiffResult["changes"];
        return { changes, replaces: response.getReplacesList() };
    }

    async create(properties: Props): Promise<{ id: string; outputs: Props }> {
        const request = new providerPb.CreateRequest();
        request.setUrn(CONNECTOR_URN);
        request.setProperties(struct(properties));
        const response = await this.call("create", request);
        return { id: response.getId(), outputs: response.getProperties().toJavaScript() };
    }

    /** Check, as the engine always does first, then create with what check returned. */
    async checkedCreate(properties: Props): Promise<{ id: string; outputs: Props }> {
        const checked = await this.check({}, properties);
        assert.deepStrictEqual(checked.failures, []);
        return this.create(checked.inputs);
    }

    async read(id: string, state: Props): Promise<{ id: string; outputs: Props }> {
        const request = new providerPb.ReadRequest();
        request.setId(id);
        request.setUrn(CONNECTOR_URN);
        request.setProperties(struct(state));
        const response = await this.call("read", request);
        return { id: response.getId(), outputs: response.getProperties()?.toJavaScript() ?? {} };
    }

    async update(id: string, olds: Props, news: Props): Promise<Props> {
        const request = new providerPb.UpdateRequest();
        request.setId(id);
        request.setUrn(CONNECTOR_URN);
        request.setOlds(struct(olds));
        request.setNews(struct(news));
        const response = await this.call("update", request);
        return response.getProperties().toJavaScript();
    }

    async delete(id: string, state: Props): Promise<void> {
        const request = new providerPb.DeleteRequest();
        request.setId(id);
        request.setUrn(CONNECTOR_URN);
        request.setProperties(struct(state));
        await this.call("delete", request);
    }
}
