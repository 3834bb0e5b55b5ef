/**
 * The SDK's own dynamic-provider host, `@pulumi/pulumi/cmd/dynamic-provider`, started as the
 * engine starts it and driven over the ResourceProvider gRPC protocol, the way the engine drives
 * it: Configure once, then Check, Diff, Create, Read, Update, Delete with plain values (the host
 * answers Configure with acceptSecrets = false).
 */
import * as assert from "assert";
import type * as pulumiDynamic from "@pulumi/pulumi/dynamic";
import { Config as DynamicConfig } from "@pulumi/pulumi/cmd/dynamic-provider/config";
import { format } from "util";
import { connectorProvider } from "../../components/connectorProvider";
import { Message, PluginProcess, toStruct as struct } from "../../scripts/lib/pluginProcess";
import { onlyOfType, PROJECT, PROJECT_ROOT, runProgram, stackConfig } from "../../scripts/lib/programRun";

/* eslint-disable @typescript-eslint/no-require-imports */
const providerPb = require("@pulumi/pulumi/proto/provider_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
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
    deleteBeforeReplace: boolean;
}

/** What a test drives: the engine's calls to the connector's dynamic provider. */
export interface ProviderHost {
    /** Everything the host printed: a place secrets must never show up. */
    readonly printed: string;
    stop(): void;
    configure(config: Record<string, string>): Promise<void>;
    check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
    diff(id: string, olds: Props, news: Props): Promise<DiffResult>;
    create(properties: Props): Promise<{ id: string; outputs: Props }>;
    /** Check, as the engine always does first, then create with what check returned. */
    checkedCreate(properties: Props): Promise<{ id: string; outputs: Props }>;
    read(id: string, state: Props): Promise<{ id: string; outputs: Props }>;
    update(id: string, olds: Props, news: Props): Promise<Props>;
    delete(id: string, state: Props): Promise<void>;
}

export const ProviderHost = {
    /**
     * Starts a host with no CLOUDGLUE_* variables in its environment unless given: the SDK's own, or,
     * when PROVIDER_IN_PROCESS=1 (set only by `npm run mutation`), its logic mirrored in this process.
     */
    start(env: Record<string, string> = {}): Promise<ProviderHost> {
        return process.env.PROVIDER_IN_PROCESS === "1"
            ? Promise.resolve(new InProcessProviderHost(env))
            : SdkProviderHost.start(env);
    },
    /** A host started, then configured as the engine configures it from the stack's config. */
    async configured(config: Record<string, string>, env: Record<string, string> = {}): Promise<ProviderHost> {
        const host = await ProviderHost.start(env);
        await host.configure(config);
        return host;
    },
    /** The SDK's host, whatever PROVIDER_IN_PROCESS says. */
    startSdk(env: Record<string, string> = {}): Promise<ProviderHost> {
        return SdkProviderHost.start(env);
    },
    /** The SDK host's logic mirrored in this process, whatever PROVIDER_IN_PROCESS says. */
    startInProcess(env: Record<string, string> = {}): Promise<ProviderHost> {
        return Promise.resolve(new InProcessProviderHost(env));
    },
};

class SdkProviderHost implements ProviderHost {
    private constructor(private readonly plugin: PluginProcess) {}

    static async start(env: Record<string, string>): Promise<ProviderHost> {
        const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLOUDGLUE_")));
        const plugin = await PluginProcess.start(
            [require.resolve("@pulumi/pulumi/cmd/dynamic-provider"), "127.0.0.1:0"],
            { cwd: PROJECT_ROOT, env: { ...cleanEnv, PULUMI_PROJECT: PROJECT, ...env } },
            ResourceProviderClient,
        );
        return new SdkProviderHost(plugin);
    }

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
        return {
            changes,
            replaces: response.getReplacesList(),
            deleteBeforeReplace: response.getDeletebeforereplace(),
        };
    }

    async create(properties: Props): Promise<{ id: string; outputs: Props }> {
        const request = new providerPb.CreateRequest();
        request.setUrn(CONNECTOR_URN);
        request.setProperties(struct(properties));
        const response = await this.call("create", request);
        return { id: response.getId(), outputs: response.getProperties().toJavaScript() };
    }

    checkedCreate(properties: Props): Promise<{ id: string; outputs: Props }> {
        return checkedCreate(this, properties);
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

async function checkedCreate(host: ProviderHost, properties: Props): Promise<{ id: string; outputs: Props }> {
    const checked = await host.check({}, properties);
    assert.deepStrictEqual(checked.failures, []);
    return host.create(checked.inputs);
}

const PROVIDER_KEY = "__provider";

/** A request as the engine sends it: a Struct (the engine never sends undefined). */
const wire = (value: Props): Props => struct(value).toJavaScript();
/** An answer as the SDK host sends it: `Struct.fromJavaScript` as is, which throws on an undefined value. */
const answer = (value: Props): Props => Struct.fromJavaScript(value).toJavaScript();

/** While any in-process call runs, console output goes to the calling hosts instead of the terminal. */
const listening = new Set<(text: string) => void>();
const CONSOLE_METHODS = ["log", "info", "warn", "error"] as const;
let consoleBefore: Partial<Record<(typeof CONSOLE_METHODS)[number], (...args: unknown[]) => void>> = {};

function captureConsole(listener: (text: string) => void): () => void {
    if (listening.size === 0) {
        consoleBefore = {};
        for (const method of CONSOLE_METHODS) {
            consoleBefore[method] = console[method];
            console[method] = (...args: unknown[]) => listening.forEach((l) => l(`${format(...args)}\n`));
        }
    }
    listening.add(listener);
    return () => {
        listening.delete(listener);
        if (listening.size === 0) {
            Object.assign(console, consoleBefore);
        }
    };
}

/**
 * The SDK host's request handling (`cmd/dynamic-provider/index.js`) mirrored in this process, for
 * `npm run mutation` only: Stryker switches mutants on and counts coverage in its own process, and
 * the instrumented provider cannot run from its serialized text in the SDK's host. Like that host,
 * it configures the provider on first use with the SDK's own `Config`, sends every value through
 * a Struct, answers with `__provider` added, keeps only an error's message (the gRPC details), and
 * prints check, diff, read and delete errors with their stack. The provider is a fresh copy of the
 * module's object per host, so hosts with different settings do not share them.
 */
class InProcessProviderHost implements ProviderHost {
    private printedText = "";
    private rawConfig: Record<string, string> = {};
    private provider?: pulumiDynamic.ResourceProvider;
    private configured?: Promise<void>;

    constructor(private readonly env: Record<string, string>) {}

    get printed(): string {
        return this.printedText;
    }

    stop(): void {}

    async configure(config: Record<string, string>): Promise<void> {
        this.rawConfig = Object.fromEntries(Object.entries(config).filter(([key]) => key !== PROVIDER_KEY));
    }

    checkedCreate(properties: Props): Promise<{ id: string; outputs: Props }> {
        return checkedCreate(this, properties);
    }

    /** The provider, configured once as the SDK's getProvider does, in the host's environment. */
    private async ready(): Promise<pulumiDynamic.ResourceProvider> {
        if (!this.provider) {
            const provider = { ...connectorProvider } as pulumiDynamic.ResourceProvider;
            this.provider = provider;
            this.configured = this.inHostEnvironment(() =>
                provider.configure?.({ config: new DynamicConfig(this.rawConfig, PROJECT) }),
            );
        }
        await this.configured;
        return this.provider;
    }

    /** The provider reads the environment while it configures (synchronously), as the host's own. */
    private inHostEnvironment(configure: () => Promise<void> | undefined): Promise<void> {
        const saved = { ...process.env };
        for (const key of Object.keys(process.env).filter((k) => k.startsWith("CLOUDGLUE_"))) {
            delete process.env[key];
        }
        Object.assign(process.env, { PULUMI_PROJECT: PROJECT, ...this.env });
        try {
            return Promise.resolve(configure());
        } finally {
            for (const key of Object.keys(process.env).filter((k) => !(k in saved))) {
                delete process.env[key];
            }
            Object.assign(process.env, saved);
        }
    }

    private async run<T>(printsErrors: boolean, call: (provider: pulumiDynamic.ResourceProvider) => Promise<T>) {
        const release = captureConsole((text) => (this.printedText += text));
        try {
            return await call(await this.ready());
        } catch (e) {
            const error = e as Error;
            if (printsErrors) {
                this.printedText += `${error}: ${error.stack}\n`;
            }
            // eslint-disable-next-line preserve-caught-error -- the gRPC answer carries the message only
            throw new Error(error.message);
        } finally {
            release();
        }
    }

    check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
        return this.run(true, async (provider) => {
            const result = provider.check ? await provider.check(wire(olds), wire(news)) : {};
            const inputs = { ...(result.inputs ?? news), [PROVIDER_KEY]: news[PROVIDER_KEY] };
            return { inputs: answer(inputs), failures: result.failures ?? [] };
        });
    }

    diff(id: string, olds: Props, news: Props): Promise<DiffResult> {
        return this.run(true, async (provider) => {
            const result = provider.diff ? await provider.diff(id, wire(olds), wire(news)) : {};
            const changes = result.changes === true ? "some" : result.changes === false ? "none" : "unknown";
            return {
                changes,
                replaces: result.replaces ?? [],
                deleteBeforeReplace: result.deleteBeforeReplace === true,
            };
        });
    }

    create(properties: Props): Promise<{ id: string; outputs: Props }> {
        return this.run(false, async (provider) => {
            const props = wire(properties);
            const result = await provider.create(props);
            return { id: result.id, outputs: answer({ ...result.outs, [PROVIDER_KEY]: props[PROVIDER_KEY] }) };
        });
    }

    read(id: string, state: Props): Promise<{ id: string; outputs: Props }> {
        return this.run(true, async (provider) => {
            const props = wire(state);
            const result = provider.read ? await provider.read(id, props) : { id, props };
            return { id: result.id ?? "", outputs: answer({ ...result.props, [PROVIDER_KEY]: props[PROVIDER_KEY] }) };
        });
    }

    update(id: string, olds: Props, news: Props): Promise<Props> {
        return this.run(false, async (provider) => {
            const newProps = wire(news);
            const result = provider.update ? ((await provider.update(id, wire(olds), newProps)) ?? {}) : {};
            return answer({ ...result.outs, [PROVIDER_KEY]: newProps[PROVIDER_KEY] });
        });
    }

    delete(id: string, state: Props): Promise<void> {
        return this.run(true, async (provider) => {
            await provider.delete?.(id, wire(state));
        });
    }
}
