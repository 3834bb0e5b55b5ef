/**
 * Runs the Pulumi program under the SDK's mocks and records every RegisterResource request the
 * engine would receive: type, name, parent, inputs (with which of them are secret on the wire)
 * and the resource options that the mocks' newResource callback does not see.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ROLE_NAME } from "../../components/constants";
import { buildTrustPolicy } from "../../components/iamDocuments";
import { SETTING_DEFAULTS } from "../../components/settings";
import { PROJECT, PROJECT_ROOT, readStackFile } from "./stackFile";

export {
    PROJECT,
    PROJECT_ROOT,
    readStackFile,
    SecretPath,
    shapedStandIn,
    StackFileConfig,
    StackFileError,
} from "./stackFile";
export const MOCK_ACCOUNT_ID = "111122223333";

export interface RegisteredResource {
    /** Position in the program's declaration order (construction order), from 0. */
    declared: number;
    urn: string;
    type: string;
    name: string;
    parentUrn: string;
    custom: boolean;
    /** Inputs as plain values, as the provider would receive them. */
    inputs: Record<string, unknown>;
    /** Outputs as the mocks answered them (inputs plus what AWS would fill in); set once registered. */
    outputs: Record<string, unknown>;
    /** Input paths that travel as secrets, e.g. `externalId` or `environment.CLOUDGLUE_API_KEY`. */
    secretInputs: string[];
    deleteBeforeReplace: boolean;
    additionalSecretOutputs: string[];
    importId: string;
    /** URNs the resource depends on (dependsOn and the resources its inputs come from). */
    dependencies: string[];
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    /** Stack output names whose value is a secret. */
    secretOutputs: string[];
    /** What the program logged (pulumi.log), which the engine would show the person running it. */
    logs: string[];
}

export interface RunOptions {
    /** Raw config as the CLI passes it: every value a string, lists and objects as JSON. */
    config: Record<string, string>;
    secretKeys?: string[];
    preview?: boolean;
    stack?: string;
    /**
     * The rotation state the stack's ExternalIdRotation would hold: the previous ID (a secret) and
     * its deadline, as inside a grace window. Without it, no rotation is under way.
     */
    rotation?: { previous: string; previousUntil: string };
    /**
     * Answers to provider functions (invokes) by token; without one, the take-over's reads get the
     * role it expects (see takeOverAnswers) and any other invoke echoes its inputs.
     */
    invokes?: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
}

type Program = () => Promise<Record<string, pulumi.Input<unknown>>>;

interface ProtoRegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getDeletebeforereplace(): boolean;
    getAdditionalsecretoutputsList(): string[];
    getImportid(): string;
    getDependenciesList(): string[];
}

/** Cloud-side outputs the mocks fill in, the way AWS would. */
function mockState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    options: RunOptions,
): { id: string; state: Record<string, unknown> } {
    switch (type) {
        case "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation":
            return {
                id: "external-id-rotation",
                state: { stateVersion: 1, current: inputs.externalId, ...(options.rotation ?? {}) },
            };
        case "aws:iam/role:Role":
            return {
                id: String(inputs.name),
                state: { ...inputs, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${inputs.name}`, uniqueId: "AROAMOCK" },
            };
        case "random:index/randomPassword:RandomPassword":
            return { id: "none", state: { ...inputs, result: "M0ck+External.Id=For/Tests:only@x,y-z" } };
        case "pulumi-nodejs:dynamic/cloudglue:S3Connector":
            return {
                id: String(inputs.connectorId ?? "dc_mock"),
                state: {
                    ...inputs,
                    connectorId: inputs.connectorId ?? "dc_mock",
                    type: "s3",
                    createdAt: 1,
                    updatedAt: 1,
                },
            };
        default:
            return { id: `${name}-id`, state: inputs };
    }
}

type InvokeAnswer = (inputs: Record<string, unknown>) => Record<string, unknown>;

/**
 * The role a take-over (cloudglue:adoptExistingRole) expects, as the vendor's template makes it:
 * named ROLE_NAME, trusting Cloudglue's account with the configured external ID, holding only the
 * stack's inline policy. The mocks cannot read the real one; the program checks it at preview and up.
 */
export function takeOverAnswers(config: Record<string, string>): Record<string, InvokeAnswer> {
    const externalId = config[`${PROJECT}:externalId`] ?? "";
    const policyName = config[`${PROJECT}:existingPolicyName`] || SETTING_DEFAULTS.existingPolicyName;
    return {
        "aws:iam/getRole:getRole": () => ({
            id: ROLE_NAME,
            name: ROLE_NAME,
            arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${ROLE_NAME}`,
            path: "/",
            assumeRolePolicy: JSON.stringify(buildTrustPolicy(externalId)),
            description: "IAM role for Cloudglue external S3 access with cross-account permissions",
            maxSessionDuration: 3600,
        }),
        "aws:iam/getRolePolicies:getRolePolicies": () => ({ roleName: ROLE_NAME, policyNames: [policyName] }),
        "aws:iam/getRolePolicyAttachments:getRolePolicyAttachments": () => ({
            roleName: ROLE_NAME,
            attachedPolicies: [],
        }),
    };
}

/**
 * Declaration order. Registrations reach the monitor in the order their inputs resolve, not the
 * order the program declares them; the constructor of every resource assigns `this.__name`
 * synchronously (resource.ts), so a setter on the prototype sees construction order.
 */
let constructed: { type: string; name: string }[] = [];
Object.defineProperty(pulumi.Resource.prototype, "__name", {
    configurable: true,
    set(this: { __pulumiType?: string }, name: string) {
        constructed.push({ type: this.__pulumiType ?? "", name });
        Object.defineProperty(this, "__name", { value: name, writable: true, enumerable: true, configurable: true });
    },
});

function declarationIndex(type: string, name: string): number {
    const index = constructed.findIndex((c) => c.type === type && c.name === name);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
    const attempt = await attemptProgram(options);
    if (attempt.error !== undefined) {
        throw attempt.error;
    }
    return attempt.run as ProgramRun;
}

/** Runs the program and reports what it registered even when it throws. */
export async function attemptProgram(
    options: RunOptions,
): Promise<{ resources: RegisteredResource[]; run?: ProgramRun; error?: unknown }> {
    const stack = options.stack ?? "dev";
    const resources: RegisteredResource[] = [];
    const answers = { ...takeOverAnswers(options.config), ...options.invokes };
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => mockState(args.type, args.name, args.inputs, options),
            call: (args) => answers[args.token]?.(args.inputs) ?? args.inputs,
        },
        PROJECT,
        stack,
        options.preview ?? false,
        "organization", // what the CLI reports for a stack in a self-managed backend
    );
    recordRegistrations(resources);
    constructed = [];
    pulumi.runtime.setAllConfig(options.config, options.secretKeys ?? []);
    // Without an engine, pulumi.log prints to stdout (info) or stderr (warning, error) with a
    // "<severity>: [runtime] " prefix; keep it for assertions instead (and out of the review's JSON).
    const logs: string[] = [];
    const consoleBefore = { log: console.log, warn: console.warn, error: console.error };
    for (const method of ["log", "warn", "error"] as const) {
        console[method] = (...args: unknown[]) => {
            const line = args.map(String).join(" ");
            const logged = /^(info|warning|error): \[runtime\] ([\s\S]*)$/.exec(line);
            return logged ? void logs.push(logged[2]) : consoleBefore[method](...args);
        };
    }

    try {
        const exported = await loadProgram()();
        await waitForRegistrations();
        const outputs: Record<string, unknown> = {};
        const secretOutputs: string[] = [];
        for (const [name, value] of Object.entries(exported)) {
            const output = pulumi.output(value);
            if (await pulumi.isSecret(output)) {
                secretOutputs.push(name);
            }
            outputs[name] = await resolve(output);
        }
        for (const resource of resources) {
            resource.declared = declarationIndex(resource.type, resource.name);
        }
        resources.sort((a, b) => a.declared - b.declared);
        return { resources, run: { resources, outputs, secretOutputs, logs } };
    } catch (error) {
        await waitForRegistrations();
        return { resources, error };
    } finally {
        Object.assign(console, consoleBefore);
    }
}

/**
 * Registrations wait on their dependencies; the runtime's own end-of-program wait (run.ts calls
 * it too) returns once every RegisterResource sent so far has been answered.
 */
function waitForRegistrations(): Promise<void> {
    return (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

function loadProgram(): Program {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(PROJECT_ROOT, "index")) as Program;
}

/** The value of an output; under preview an unknown stays undefined. */
export function resolve<T>(output: pulumi.Output<T>): Promise<T | undefined> {
    return new Promise((done) => {
        let settled = false;
        output.apply((value) => {
            settled = true;
            done(value);
            return value;
        });
        // An apply on an unknown never runs; give registration a turn, then report undefined.
        setTimeout(() => settled || done(undefined), 50);
    });
}

function recordRegistrations(into: RegisteredResource[]): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        registerResource(req: ProtoRegisterRequest, callback: (...args: any[]) => void): void;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const wire = req.getObject()?.toJavaScript() ?? {};
        const type = req.getType();
        const parentUrn = req.getParent();
        const registered: RegisteredResource = {
            declared: -1,
            urn: mockUrn(parentUrn, type, req.getName()),
            type,
            name: req.getName(),
            parentUrn,
            custom: req.getCustom(),
            inputs: unwrapSecrets(wire) as Record<string, unknown>,
            outputs: {},
            secretInputs: secretPaths(wire),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            importId: req.getImportid(),
            dependencies: req.getDependenciesList(),
        };
        into.push(registered);
        original(req, (error: unknown, response?: { getObject(): { toJavaScript(): unknown } | undefined }) => {
            registered.outputs = unwrapSecrets(response?.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
            callback(error, response);
        });
    };
}

/** The URN the mock monitor gives a resource, with the parent's type chain. */
function mockUrn(parentUrn: string, type: string, name: string): string {
    const qualified = parentUrn ? `${parentUrn.split("::")[2].split("$").pop()}$${type}` : type;
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

function secretPaths(value: unknown, at = ""): string[] {
    if (pulumi.runtime.isRpcSecret(value)) {
        return [at];
    }
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => secretPaths(v, at ? `${at}.${k}` : k));
    }
    return [];
}

function unwrapSecrets(value: unknown): unknown {
    if (pulumi.runtime.isRpcSecret(value)) {
        return unwrapSecrets((value as { value: unknown }).value);
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** The config of the project's own `Pulumi.<stack>.yaml`, which must hold no encrypted value. */
export function stackConfig(stack: string): Record<string, string> {
    const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    return readStackFile(file, (key) => {
        throw new Error(`${file}: ${key} is a secret, which tests cannot decrypt`);
    }).config;
}

export function byType(run: ProgramRun, type: string): RegisteredResource[] {
    return run.resources.filter((r) => r.type === type);
}

export function onlyOfType(run: ProgramRun, type: string): RegisteredResource {
    const found = byType(run, type);
    if (found.length !== 1) {
        throw new Error(`expected one ${type}, found ${found.length}`);
    }
    return found[0];
}
