/**
 * Small helpers to run one policy against hand-made resources, in the spirit of
 * pulumi-policy-aws's test utilities. Props go through the SDK's unknown-checking proxy, as the
 * analyzer server does, so an UNKNOWN value behaves as it does at preview.
 */
import {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";

/** What the engine sends for a value not known until the update (the SDK's sentinel). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface ResourceSpec {
    type: string;
    props: Record<string, unknown>;
    /** The type chain and name in the URN, e.g. `cloudglue:aws:S3AccessRole$aws:iam/role:Role`. */
    typeChain?: string;
    name?: string;
    config?: object;
}

export function urnOf(typeChain: string, name: string): string {
    return `urn:pulumi:dev::cloudglue::${typeChain}::${name}`;
}

export function resourceArgs(spec: ResourceSpec): ResourceValidationArgs {
    const name = spec.name ?? "resource";
    return {
        type: spec.type,
        props: unknownCheckingProxy(spec.props),
        urn: urnOf(spec.typeChain ?? spec.type, name),
        name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            additionalSecretOutputs: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        },
        stackTags: new Map(),
        getConfig: <T extends object>() => (spec.config ?? {}) as T,
        isType: () => false,
        asType: () => undefined,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
}

/** The violation messages a resource policy reports for a resource. */
export async function violations(policy: ResourceValidationPolicy, spec: ResourceSpec): Promise<string[]> {
    const found: string[] = [];
    for (const validate of [policy.validateResource ?? []].flat()) {
        await validate(resourceArgs(spec), (message) => found.push(message));
    }
    return found;
}

export async function remediated(
    policy: ResourceValidationPolicy,
    spec: ResourceSpec,
): Promise<Record<string, unknown> | undefined> {
    return (await policy.remediateResource?.(resourceArgs(spec))) ?? undefined;
}

export async function stackViolations(
    policy: StackValidationPolicy,
    specs: ResourceSpec[],
    config: object = {},
): Promise<{ message: string; urn?: string }[]> {
    const resources: PolicyResource[] = specs.map(
        (spec) =>
            ({
                type: spec.type,
                props: unknownCheckingProxy(spec.props),
                urn: urnOf(spec.typeChain ?? spec.type, spec.name ?? "resource"),
                name: spec.name ?? "resource",
                opts: resourceArgs(spec).opts,
                dependencies: [],
                propertyDependencies: {},
            }) as unknown as PolicyResource,
    );
    const found: { message: string; urn?: string }[] = [];
    await policy.validateStack(
        {
            resources,
            stackTags: new Map(),
            getConfig: <T extends object>() => config as T,
            notApplicable: () => {
                throw new Error("n/a");
            },
        },
        (message, urn) => found.push({ message, urn }),
    );
    return found;
}

/** Policy documents the pack's tests grant and trust with. */
export const doc = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });
export const admin = doc({ Effect: "Allow", Action: "*", Resource: "*" });
export const reads = doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-raw/*" });
export const cloudglueTrust = doc({
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::992382634011:root" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "sts:ExternalId": "a-long-external-id-0001" } },
});
export const lambdaTrust = doc({
    Effect: "Allow",
    Principal: { Service: "lambda.amazonaws.com" },
    Action: "sts:AssumeRole",
});
