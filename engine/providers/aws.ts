/**
 * A stand-in for the pulumi-aws provider plugin (pulumi-resource-aws), which cannot be built here. It
 * serves the IAM resources and functions this program uses, with @pulumi/aws's names and shapes of
 * inputs and outputs, against an AWS emulator (moto_server) at AWS_ENDPOINT_URL, and refuses every
 * operation without one: it never talks to AWS. Any token it does not serve is refused by name.
 *
 * What it leaves out of the real provider: the full normalisation of policy documents (see
 * sameDocument), the retries over IAM's eventual consistency (real IAM may not know a role for
 * seconds after making it; moto knows it at once), default tags and any other provider config but
 * aws:region. The pure parts are in awsResources.ts; this file is what calls IAM.
 */
import {
    AttachedPolicy,
    AttachRolePolicyCommand,
    CreatePolicyCommand,
    CreatePolicyVersionCommand,
    CreateRoleCommand,
    DeletePolicyCommand,
    DeletePolicyVersionCommand,
    DeleteRoleCommand,
    DeleteRolePermissionsBoundaryCommand,
    DeleteRolePolicyCommand,
    DetachRolePolicyCommand,
    GetPolicyCommand,
    GetPolicyVersionCommand,
    GetRoleCommand,
    GetRolePolicyCommand,
    IAMClient,
    ListPolicyVersionsCommand,
    paginateListAttachedRolePolicies,
    paginateListRolePolicies,
    PolicyVersion,
    PutRolePermissionsBoundaryCommand,
    PutRolePolicyCommand,
    Role,
    TagPolicyCommand,
    TagRoleCommand,
    UntagPolicyCommand,
    UntagRoleCommand,
    UpdateAssumeRolePolicyCommand,
    UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";
import type { ConfigureRequest } from "@pulumi/pulumi/proto/provider_pb";
import { randomBytes } from "crypto";
import * as fs from "fs";
import {
    attachedPolicies,
    changedFields,
    checkInputs,
    decodeDocument,
    diffResult,
    documentAsHeld,
    extraneous,
    GET_ROLE,
    GET_ROLE_POLICIES,
    GET_ROLE_POLICY_ATTACHMENTS,
    getRoleResult,
    iamSettings,
    IamSettings,
    keepSecretness,
    notServed,
    optionalInputs,
    parseRolePolicyAttachmentId,
    parseRolePolicyId,
    plain,
    plainProps,
    POLICY,
    POLICY_SCHEMA,
    regionOfConfigure,
    ResourceSchema,
    ROLE,
    ROLE_POLICIES_EXCLUSIVE,
    ROLE_POLICIES_EXCLUSIVE_SCHEMA,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    ROLE_POLICY_ATTACHMENT_SCHEMA,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE_SCHEMA,
    ROLE_POLICY_SCHEMA,
    ROLE_SCHEMA,
    roleOutputs,
    roleRead,
    rolePolicyAttachmentId,
    rolePolicyId,
    tagChanges,
    tagList,
    tagMap,
} from "./awsResources";
import { nameOfUrn, Props, serve, typeOfUrn } from "./launch";

/** The @pulumi/aws this project installs: the engine asks the plugin for exactly that version. */
export const AWS_VERSION: string = JSON.parse(
    fs.readFileSync(require.resolve("@pulumi/aws/package.json"), "utf8"),
).version;

// ---------------------------------------------------------------------------------------------
// Calls to IAM

/** IAM's refusal of one call, with its error code kept so that a read can tell "gone" from "failed". */
class IamError extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** IAM's error code (NoSuchEntity), else Node's for a failed connection (ECONNREFUSED), else the error's name. */
function errorCode(error: unknown): string {
    const { Code, code, name } = (error ?? {}) as { Code?: unknown; code?: unknown; name?: unknown };
    for (const candidate of [Code, code]) {
        if (typeof candidate === "string" && candidate) {
            return candidate;
        }
    }
    return typeof name === "string" ? name.replace(/Exception$/, "") : "Error";
}

/** What one operation needs: the client, and the call that names the failure for the person reading it. */
interface Iam {
    client: IAMClient;
    settings: IamSettings;
    call<T>(what: string, run: (client: IAMClient) => Promise<T>): Promise<T>;
}

/**
 * Each call's failure says what was asked and where. IAM's messages name entities (roles, policies,
 * ARNs), never the documents sent, so the trust policy's external ID cannot show up in them.
 */
function makeIam(client: IAMClient, settings: IamSettings): Iam {
    return {
        client,
        settings,
        async call(what, run) {
            try {
                return await run(client);
            } catch (error) {
                const code = errorCode(error);
                const message = error instanceof Error ? error.message : String(error);
                const hint = code === "ECONNREFUSED" ? " (nothing listens there: is moto_server running?)" : "";
                throw new IamError(
                    code,
                    `${what} failed at the emulator ${settings.endpoint}${hint}: ${code}: ${message}`,
                );
            }
        },
    };
}

/** The call, or undefined where IAM answers NoSuchEntity: a read or delete of something already gone. */
async function unlessMissing<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
        return await run();
    } catch (error) {
        if (error instanceof IamError && error.code === "NoSuchEntity") {
            return undefined;
        }
        throw error;
    }
}

async function getRole(iam: Iam, name: string, purpose: string): Promise<Role> {
    const answer = await iam.call(`reading the IAM role ${name} (${purpose})`, (c) =>
        c.send(new GetRoleCommand({ RoleName: name })),
    );
    return answer.Role as Role;
}

async function inlinePolicyNames(iam: Iam, role: string, purpose: string): Promise<string[]> {
    return iam.call(`listing the inline policies of the IAM role ${role} (${purpose})`, async (client) => {
        const names: string[] = [];
        for await (const page of paginateListRolePolicies({ client }, { RoleName: role })) {
            names.push(...(page.PolicyNames ?? []));
        }
        return names;
    });
}

async function attachedPoliciesOf(
    iam: Iam,
    role: string,
    purpose: string,
    pathPrefix?: string,
): Promise<AttachedPolicy[]> {
    return iam.call(`listing the managed policies attached to the IAM role ${role} (${purpose})`, async (client) => {
        const policies: AttachedPolicy[] = [];
        const request = { RoleName: role, ...(pathPrefix ? { PathPrefix: pathPrefix } : {}) };
        for await (const page of paginateListAttachedRolePolicies({ client }, request)) {
            policies.push(...(page.AttachedPolicies ?? []));
        }
        return policies;
    });
}

// ---------------------------------------------------------------------------------------------
// The resources

/** How one resource type meets IAM; check and diff come from its schema alone. */
interface ResourceType {
    schema: ResourceSchema;
    create(iam: Iam, inputs: Props): Promise<provider.CreateResult>;
    /** An empty id where the resource is gone, so that refresh drops it. */
    read(iam: Iam, id: string, props: Props): Promise<provider.ReadResult>;
    update(iam: Iam, id: string, olds: Props, news: Props, changed: string[]): Promise<provider.UpdateResult>;
    delete(iam: Iam, id: string, props: Props): Promise<void>;
}

const GONE: provider.ReadResult = { id: "", props: {} };

/** The update of a resource whose every input replaces it: the diff never asks for one. */
async function noUpdate(token: string, changed: string[]): Promise<never> {
    throw new Error(`${token} cannot change ${changed.join(", ")} in place; the diff replaces it instead`);
}

const role: ResourceType = {
    schema: ROLE_SCHEMA,
    async create(iam, inputs) {
        const v = plainProps(inputs);
        const name = v.name as string;
        const answer = await iam.call(`creating the IAM role ${name}`, (c) =>
            c.send(
                new CreateRoleCommand({
                    RoleName: name,
                    Path: (v.path as string | undefined) ?? "/",
                    AssumeRolePolicyDocument: v.assumeRolePolicy as string,
                    Description: (v.description as string | undefined) || undefined,
                    MaxSessionDuration: (v.maxSessionDuration as number | undefined) ?? 3600,
                    PermissionsBoundary: (v.permissionsBoundary as string | undefined) || undefined,
                    Tags: v.tags ? tagList(v.tags) : undefined,
                }),
            ),
        );
        return { id: name, outs: roleOutputs(inputs, answer.Role as Role) };
    },
    async read(iam, id, props) {
        const found = await unlessMissing(() => getRole(iam, id, "refresh or import"));
        return found ? roleRead(found, props) : GONE;
    },
    async update(iam, id, olds, news, changed) {
        const v = plainProps(news);
        const has = (key: string) => changed.includes(key);
        if (has("assumeRolePolicy")) {
            await iam.call(`updating the trust policy of the IAM role ${id}`, (c) =>
                c.send(
                    new UpdateAssumeRolePolicyCommand({ RoleName: id, PolicyDocument: v.assumeRolePolicy as string }),
                ),
            );
        }
        if (has("description") || has("maxSessionDuration")) {
            // UpdateRole leaves out what it is not given: both go, so that neither is left behind.
            await iam.call(`updating the description and session duration of the IAM role ${id}`, (c) =>
                c.send(
                    new UpdateRoleCommand({
                        RoleName: id,
                        Description: (v.description as string | undefined) ?? "",
                        MaxSessionDuration: (v.maxSessionDuration as number | undefined) ?? 3600,
                    }),
                ),
            );
        }
        if (has("permissionsBoundary")) {
            const boundary = v.permissionsBoundary as string | undefined;
            await iam.call(
                `${boundary ? "setting" : "removing"} the permissions boundary of the IAM role ${id}`,
                (c) =>
                    boundary
                        ? c.send(new PutRolePermissionsBoundaryCommand({ RoleName: id, PermissionsBoundary: boundary }))
                        : c.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: id })),
            );
        }
        if (has("tags")) {
            const { set, remove } = tagChanges(plain(olds.tags), v.tags);
            if (remove.length > 0) {
                await iam.call(`untagging the IAM role ${id}`, (c) =>
                    c.send(new UntagRoleCommand({ RoleName: id, TagKeys: remove })),
                );
            }
            if (set.length > 0) {
                await iam.call(`tagging the IAM role ${id}`, (c) =>
                    c.send(new TagRoleCommand({ RoleName: id, Tags: set })),
                );
            }
        }
        return { outs: roleOutputs(news, await getRole(iam, id, "after its update")) };
    },
    async delete(iam, id) {
        // As the real provider without forceDetachPolicies: IAM refuses (DeleteConflict) while policies remain.
        await unlessMissing(() =>
            iam.call(`deleting the IAM role ${id}`, (c) => c.send(new DeleteRoleCommand({ RoleName: id }))),
        );
    },
};

async function putRolePolicy(iam: Iam, inputs: Props): Promise<Props> {
    const v = plainProps(inputs);
    const [roleName, name] = [v.role as string, v.name as string];
    await iam.call(`putting the inline policy ${name} on the IAM role ${roleName}`, (c) =>
        c.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: name, PolicyDocument: v.policy as string })),
    );
    return { ...inputs, id: rolePolicyId(roleName, name), name, role: roleName };
}

const rolePolicy: ResourceType = {
    schema: ROLE_POLICY_SCHEMA,
    async create(iam, inputs) {
        const outs = await putRolePolicy(iam, inputs);
        return { id: outs.id as string, outs };
    },
    async read(iam, id, props) {
        const { role: roleName, name } = parseRolePolicyId(id);
        const answer = await unlessMissing(() =>
            iam.call(`reading the inline policy ${name} of the IAM role ${roleName}`, (c) =>
                c.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
            ),
        );
        if (!answer) {
            return GONE;
        }
        const inputs = keepSecretness(
            { name, role: roleName, policy: documentAsHeld(decodeDocument(answer.PolicyDocument), props.policy) },
            props,
        );
        return { id, inputs, props: { ...inputs, id } };
    },
    async update(iam, _id, _olds, news) {
        return { outs: await putRolePolicy(iam, news) };
    },
    async delete(iam, id) {
        const { role: roleName, name } = parseRolePolicyId(id);
        await unlessMissing(() =>
            iam.call(`deleting the inline policy ${name} of the IAM role ${roleName}`, (c) =>
                c.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
            ),
        );
    },
};

/**
 * A resource that owns a whole set on a role (its inline policies or its attached managed policies):
 * create and update remove every member the inputs do not list, read reports the members IAM holds, so
 * that one added outside the stack shows as a diff after refresh. Deleting it leaves the set alone, as
 * the real provider only forgets it.
 */
function exclusiveSet(options: {
    schema: ResourceSchema;
    key: "policyNames" | "policyArns";
    members(iam: Iam, roleName: string, purpose: string): Promise<string[]>;
    remove(iam: Iam, roleName: string, member: string): Promise<unknown>;
}): ResourceType {
    const sync = async (iam: Iam, inputs: Props): Promise<Props> => {
        const v = plainProps(inputs);
        const roleName = v.roleName as string;
        const actual = await options.members(iam, roleName, `for ${options.schema.token}`);
        for (const member of extraneous(actual, v[options.key] as string[])) {
            await options.remove(iam, roleName, member);
        }
        return { ...inputs, id: roleName };
    };
    return {
        schema: options.schema,
        async create(iam, inputs) {
            const outs = await sync(iam, inputs);
            return { id: outs.id as string, outs };
        },
        async read(iam, id) {
            const actual = await unlessMissing(() => options.members(iam, id, `refresh of ${options.schema.token}`));
            if (!actual) {
                return GONE;
            }
            const inputs = { roleName: id, [options.key]: actual };
            return { id, inputs, props: { ...inputs, id } };
        },
        async update(iam, _id, _olds, news) {
            return { outs: await sync(iam, news) };
        },
        async delete() {
            // Nothing in IAM: the policies stay as they are, as with the real provider.
        },
    };
}

const rolePoliciesExclusive = exclusiveSet({
    schema: ROLE_POLICIES_EXCLUSIVE_SCHEMA,
    key: "policyNames",
    members: inlinePolicyNames,
    remove: (iam, roleName, name) =>
        iam.call(
            `deleting the inline policy ${name} of the IAM role ${roleName}, which policyNames does not list`,
            (c) => c.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
        ),
});

const rolePolicyAttachmentsExclusive = exclusiveSet({
    schema: ROLE_POLICY_ATTACHMENTS_EXCLUSIVE_SCHEMA,
    key: "policyArns",
    members: async (iam, roleName, purpose) =>
        (await attachedPoliciesOf(iam, roleName, purpose)).map((policy) => policy.PolicyArn ?? ""),
    remove: (iam, roleName, policyArn) =>
        iam.call(`detaching ${policyArn} from the IAM role ${roleName}, which policyArns does not list`, (c) =>
            c.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
        ),
});

const rolePolicyAttachment: ResourceType = {
    schema: ROLE_POLICY_ATTACHMENT_SCHEMA,
    async create(iam, inputs) {
        const v = plainProps(inputs);
        const [roleName, policyArn] = [v.role as string, v.policyArn as string];
        await iam.call(`attaching ${policyArn} to the IAM role ${roleName}`, (c) =>
            c.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
        );
        const id = rolePolicyAttachmentId(roleName, policyArn);
        return { id, outs: { ...inputs, id, role: roleName, policyArn } };
    },
    async read(iam, id, props) {
        const { role: roleName, policyArn } = parseRolePolicyAttachmentId(id);
        const attached = await unlessMissing(() => attachedPoliciesOf(iam, roleName, "refresh or import"));
        if (!attached?.some((policy) => policy.PolicyArn === policyArn)) {
            return GONE;
        }
        const inputs = keepSecretness({ role: roleName, policyArn }, props);
        return { id, inputs, props: { ...inputs, id } };
    },
    update: (_iam, _id, _olds, _news, changed) => noUpdate(ROLE_POLICY_ATTACHMENT, changed),
    async delete(iam, id) {
        const { role: roleName, policyArn } = parseRolePolicyAttachmentId(id);
        await unlessMissing(() =>
            iam.call(`detaching ${policyArn} from the IAM role ${roleName}`, (c) =>
                c.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
            ),
        );
    },
};

function policyOutputs(
    inputs: Props,
    policy: { Arn?: string; PolicyId?: string; PolicyName?: string; Path?: string; AttachmentCount?: number },
): Props {
    return {
        ...inputs,
        id: policy.Arn,
        arn: policy.Arn,
        name: policy.PolicyName,
        policyId: policy.PolicyId,
        attachmentCount: policy.AttachmentCount ?? 0,
        tagsAll: inputs.tags ?? {},
    };
}

/** IAM keeps at most five versions of a managed policy: the oldest non-default one goes to make room. */
async function makeRoomForVersion(iam: Iam, arn: string): Promise<void> {
    const versions: PolicyVersion[] =
        (
            await iam.call(`listing the versions of ${arn}`, (c) =>
                c.send(new ListPolicyVersionsCommand({ PolicyArn: arn })),
            )
        ).Versions ?? [];
    if (versions.length < 5) {
        return;
    }
    const oldest = versions
        .filter((version) => !version.IsDefaultVersion)
        .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
    if (oldest?.VersionId) {
        await iam.call(`deleting the oldest version of ${arn}`, (c) =>
            c.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId })),
        );
    }
}

const policy: ResourceType = {
    schema: POLICY_SCHEMA,
    async create(iam, inputs) {
        const v = plainProps(inputs);
        const answer = await iam.call(`creating the IAM policy ${String(v.name)}`, (c) =>
            c.send(
                new CreatePolicyCommand({
                    PolicyName: v.name as string,
                    Path: (v.path as string | undefined) ?? "/",
                    Description: (v.description as string | undefined) || undefined,
                    PolicyDocument: v.policy as string,
                    Tags: v.tags ? tagList(v.tags) : undefined,
                }),
            ),
        );
        const outs = policyOutputs(inputs, answer.Policy ?? {});
        return { id: outs.arn as string, outs };
    },
    async read(iam, id, props) {
        const found = await unlessMissing(() =>
            iam.call(`reading the IAM policy ${id}`, (c) => c.send(new GetPolicyCommand({ PolicyArn: id }))),
        );
        if (!found?.Policy) {
            return GONE;
        }
        const version = await iam.call(`reading the default version of ${id}`, (c) =>
            c.send(new GetPolicyVersionCommand({ PolicyArn: id, VersionId: found.Policy?.DefaultVersionId })),
        );
        const tagsOfPolicy = tagMap(found.Policy.Tags);
        const inputs = keepSecretness(
            {
                name: found.Policy.PolicyName,
                policy: documentAsHeld(decodeDocument(version.PolicyVersion?.Document), props.policy),
                ...optionalInputs(props, [
                    ["path", found.Policy.Path ?? "/", (found.Policy.Path ?? "/") === "/"],
                    ["description", found.Policy.Description ?? "", !found.Policy.Description],
                    ["tags", tagsOfPolicy, Object.keys(tagsOfPolicy).length === 0],
                ]),
                ...(props.namePrefix !== undefined ? { namePrefix: props.namePrefix } : {}),
            },
            props,
        );
        return { id, inputs, props: policyOutputs(inputs, found.Policy) };
    },
    async update(iam, id, olds, news, changed) {
        const v = plainProps(news);
        if (changed.includes("policy")) {
            await makeRoomForVersion(iam, id);
            await iam.call(`writing a new default version of ${id}`, (c) =>
                c.send(
                    new CreatePolicyVersionCommand({
                        PolicyArn: id,
                        PolicyDocument: v.policy as string,
                        SetAsDefault: true,
                    }),
                ),
            );
        }
        if (changed.includes("tags")) {
            const { set, remove } = tagChanges(plain(olds.tags), v.tags);
            if (remove.length > 0) {
                await iam.call(`untagging ${id}`, (c) =>
                    c.send(new UntagPolicyCommand({ PolicyArn: id, TagKeys: remove })),
                );
            }
            if (set.length > 0) {
                await iam.call(`tagging ${id}`, (c) => c.send(new TagPolicyCommand({ PolicyArn: id, Tags: set })));
            }
        }
        const answer = await iam.call(`reading the IAM policy ${id}`, (c) =>
            c.send(new GetPolicyCommand({ PolicyArn: id })),
        );
        return { outs: policyOutputs(news, answer.Policy ?? {}) };
    },
    async delete(iam, id) {
        // IAM deletes a policy only without its non-default versions.
        const versions = await unlessMissing(() =>
            iam.call(`listing the versions of ${id}`, (c) => c.send(new ListPolicyVersionsCommand({ PolicyArn: id }))),
        );
        if (!versions) {
            return;
        }
        for (const version of versions.Versions ?? []) {
            if (!version.IsDefaultVersion) {
                await iam.call(`deleting version ${version.VersionId} of ${id}`, (c) =>
                    c.send(new DeletePolicyVersionCommand({ PolicyArn: id, VersionId: version.VersionId })),
                );
            }
        }
        await unlessMissing(() =>
            iam.call(`deleting the IAM policy ${id}`, (c) => c.send(new DeletePolicyCommand({ PolicyArn: id }))),
        );
    },
};

const RESOURCES: Readonly<Record<string, ResourceType>> = {
    [ROLE]: role,
    [ROLE_POLICY]: rolePolicy,
    [ROLE_POLICIES_EXCLUSIVE]: rolePoliciesExclusive,
    [ROLE_POLICY_ATTACHMENTS_EXCLUSIVE]: rolePolicyAttachmentsExclusive,
    [ROLE_POLICY_ATTACHMENT]: rolePolicyAttachment,
    [POLICY]: policy,
};

// ---------------------------------------------------------------------------------------------
// The functions

/** A required string argument of a function, or the failure that names it. */
function argument(args: Props, key: string, token: string): string | provider.CheckFailure {
    const value = plain(args[key]);
    return typeof value === "string" && value
        ? value
        : { property: key, reason: `${token} needs ${key}, a non-empty string` };
}

const FUNCTIONS: Readonly<Record<string, (iam: Iam, args: Props) => Promise<provider.InvokeResult>>> = {
    async [GET_ROLE](iam, args) {
        const name = argument(args, "name", GET_ROLE);
        if (typeof name !== "string") {
            return { failures: [name] };
        }
        return { outputs: getRoleResult(await getRole(iam, name, GET_ROLE)) };
    },
    async [GET_ROLE_POLICIES](iam, args) {
        const roleName = argument(args, "roleName", GET_ROLE_POLICIES);
        if (typeof roleName !== "string") {
            return { failures: [roleName] };
        }
        const policyNames = await inlinePolicyNames(iam, roleName, GET_ROLE_POLICIES);
        return { outputs: { id: roleName, roleName, policyNames } };
    },
    async [GET_ROLE_POLICY_ATTACHMENTS](iam, args) {
        const roleName = argument(args, "roleName", GET_ROLE_POLICY_ATTACHMENTS);
        if (typeof roleName !== "string") {
            return { failures: [roleName] };
        }
        const pathPrefix = plain(args.pathPrefix);
        const prefix = typeof pathPrefix === "string" && pathPrefix ? pathPrefix : undefined;
        const attached = await attachedPoliciesOf(iam, roleName, GET_ROLE_POLICY_ATTACHMENTS, prefix);
        return {
            outputs: {
                id: roleName,
                roleName,
                attachedPolicies: attachedPolicies(attached),
                ...(prefix ? { pathPrefix: prefix } : {}),
            },
        };
    },
};

// ---------------------------------------------------------------------------------------------
// The provider

function resourceOf(urn: string): ResourceType {
    const token = typeOfUrn(urn);
    const type = Object.prototype.hasOwnProperty.call(RESOURCES, token) ? RESOURCES[token] : undefined;
    if (!type) {
        throw notServed(token);
    }
    return type;
}

const hexSuffix = (length: number) =>
    randomBytes(Math.ceil(length / 2))
        .toString("hex")
        .slice(0, length);

/**
 * The provider the SDK's server drives. Every operation first makes sure there is an emulator to talk
 * to (so that even a preview stops without one) and that it serves the token; check and diff work on
 * the inputs alone and never ask IAM, so that a preview's unknowns never reach it.
 */
export class AwsStandIn implements provider.Provider {
    readonly version = AWS_VERSION;
    private configuredRegion: string | undefined;
    private client: { key: string; iam: Iam } | undefined;

    constructor(
        private readonly env: Readonly<Record<string, string | undefined>> = process.env,
        private readonly suffix: (length: number) => string = hexSuffix,
    ) {}

    /** The provider config's aws:region, from the engine's Configure (see listenForRegion). */
    configureRegion(region: string | undefined): void {
        this.configuredRegion = region;
    }

    /** The IAM client for the current settings; refuses, before anything is sent, where there is no emulator. */
    private iam(): Iam {
        const settings = iamSettings(this.env, this.configuredRegion);
        const key = JSON.stringify(settings);
        if (this.client?.key !== key) {
            this.client?.iam.client.destroy();
            const { endpoint, region, credentials } = settings;
            this.client = { key, iam: makeIam(new IAMClient({ endpoint, region, credentials }), settings) };
        }
        return this.client.iam;
    }

    async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
        iamSettings(this.env, this.configuredRegion);
        return checkInputs(resourceOf(urn).schema, olds ?? {}, news ?? {}, nameOfUrn(urn), this.suffix);
    }

    async diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
        iamSettings(this.env, this.configuredRegion);
        return diffResult(resourceOf(urn).schema, olds ?? {}, news ?? {});
    }

    async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
        const type = resourceOf(urn);
        return type.create(this.iam(), inputs ?? {});
    }

    async read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
        const type = resourceOf(urn);
        return type.read(this.iam(), id, props ?? {});
    }

    async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
        const type = resourceOf(urn);
        const { changed, replaces } = changedFields(type.schema, olds ?? {}, news ?? {});
        if (replaces.length > 0) {
            // The engine replaces where diff says so; an update that gets here would leave IAM half-changed.
            throw new Error(
                `${type.schema.token} ${id} cannot change ${replaces.join(", ")} in place; it must be replaced`,
            );
        }
        return type.update(this.iam(), id, olds ?? {}, news ?? {}, changed);
    }

    async delete(id: string, urn: string, props: Props): Promise<void> {
        const type = resourceOf(urn);
        await type.delete(this.iam(), id, props ?? {});
    }

    async invoke(token: string, args: Props): Promise<provider.InvokeResult> {
        const run = Object.prototype.hasOwnProperty.call(FUNCTIONS, token) ? FUNCTIONS[token] : undefined;
        if (!run) {
            throw notServed(token);
        }
        return run(this.iam(), args ?? {});
    }

    async call(token: string): Promise<provider.InvokeResult> {
        throw notServed(token);
    }

    async construct(_name: string, type: string): Promise<provider.ConstructResult> {
        throw notServed(type);
    }
}

/**
 * The SDK's provider server answers Configure itself and drops the request, so the provider config
 * (aws:region) would never reach the provider object. This wraps that one handler of the server that
 * provider.main registers next, once, to read the region before the SDK answers; the rest is the SDK's.
 */
export function listenForRegion(listener: (region: string | undefined) => void): void {
    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (service, implementation) {
        grpc.Server.prototype.addService = addService;
        const configure = implementation.configure;
        if (typeof configure === "function") {
            implementation.configure = function (
                this: unknown,
                call: { request: ConfigureRequest },
                callback: unknown,
            ) {
                const args = call.request.getArgs()?.toJavaScript() as Props | undefined;
                listener(regionOfConfigure(call.request.getVariablesMap(), args));
                return (configure as (...a: unknown[]) => unknown).call(this, call, callback);
            } as typeof configure;
        }
        return addService.call(this, service, implementation);
    };
}

if (require.main === module) {
    const standIn = new AwsStandIn();
    listenForRegion((region) => standIn.configureRegion(region));
    serve(() => standIn, process.argv.slice(2));
}
