/**
 * What the policies know about Cloudglue's connector, and the one place that finds the resources
 * touching its role. The pack installs and publishes on its own, so it keeps its own copy of
 * Cloudglue's fixed facts; a test keeps them equal to the program's (components/constants.ts).
 */
import { UnknownValueError } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";

export const CLOUDGLUE_ACCOUNT_ID = "992382634011";
export const CLOUDGLUE_PRINCIPAL_ARN = `arn:aws:iam::${CLOUDGLUE_ACCOUNT_ID}:root`;
export const ROLE_NAME = "cloudglue-external-s3-access-role";
export const TRANSFER_BUCKET = "cloudglue-external-transfer";
export const COMPONENT_TYPE = "cloudglue:aws:S3AccessRole";
export const CONNECTOR_TYPE = "pulumi-nodejs:dynamic/cloudglue:S3Connector";

export const ROLE_TYPE = "aws:iam/role:Role";
export const NATIVE_ROLE_TYPE = "aws-native:iam:Role";
export const ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy";
export const CLOUDFORMATION_STACK_TYPE = "aws:cloudformation/stack:Stack";
export const ROLE_POLICIES_EXCLUSIVE_TYPE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
export const ROLE_POLICY_ATTACHMENTS_EXCLUSIVE_TYPE =
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive";

export interface ResourceView {
    type: string;
    urn: string;
    props: Record<string, unknown>;
}

export interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Reads a property that may be unknown at preview. The policy SDK throws on an unknown, which
 * turns the whole policy into an advisory "can't run during preview"; where a policy can still
 * decide without the value, it reads it through here.
 */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (error) {
        if (error instanceof UnknownValueError) {
            return undefined;
        }
        throw error;
    }
}

export function asList<T>(value: T | T[] | undefined): T[] {
    return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}

/** A policy document given as JSON text (as Pulumi sends it) or as an object. */
export function parseStatements(document: unknown): Statement[] {
    const parsed = typeof document === "string" ? JSON.parse(document) : document;
    return asList((parsed as { Statement?: Statement | Statement[] } | undefined)?.Statement);
}

/** The type chain in a URN, e.g. `cloudglue:aws:S3AccessRole$aws:iam/role:Role`. */
function typeChain(urn: string): string[] {
    return (urn.split("::")[2] ?? "").split("$");
}

export function isInsideCloudglueComponent(urn: string): boolean {
    return typeChain(urn).slice(0, -1).includes(COMPONENT_TYPE);
}

/**
 * A name meant to be the access role's: "cloudglue" with "s3" or "access" in it, whatever the case
 * and separators. Another role of a team that uses Cloudglue ("cloudglue-uploader") is left alone.
 */
function looksLikeCloudglueName(name: unknown): boolean {
    const letters = typeof name === "string" ? name.toLowerCase().replace(/[^a-z0-9]/g, "") : "";
    return letters.includes("cloudglue") && (letters.includes("s3") || letters.includes("access"));
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::[^:]*:role\/(?:.*\/)?([^/]+)$/i;

/**
 * Whether a value names the Cloudglue role: its name, or an ARN ending in role/<name>. IAM does
 * not tell names apart by case, so neither does this.
 */
export function namesTheRole(value: unknown): boolean {
    if (typeof value !== "string") {
        return false;
    }
    const name = ROLE_ARN.exec(value)?.[1] ?? value;
    return name.toLowerCase() === ROLE_NAME;
}

function trustNamesCloudglue(assumeRolePolicy: unknown): boolean {
    try {
        return JSON.stringify(parseStatements(assumeRolePolicy)).includes(CLOUDGLUE_ACCOUNT_ID);
    } catch {
        return false;
    }
}

/** A role that is, or claims to be, the one Cloudglue assumes. */
export interface CloudglueRole {
    /** Where the role is declared, for messages: a Pulumi type, or a template's resource. */
    label: string;
    name: unknown;
    namePrefix?: unknown;
    path: unknown;
    /** The trust policy; reading it may throw the SDK's UnknownValueError at preview. */
    trust: () => unknown;
    managedPolicyArns: string[];
    inlinePolicies: { name: string; document: unknown }[];
    /** Whether a remediation may rewrite it (a Pulumi aws:iam Role). */
    remediable: boolean;
}

/**
 * One way a resource touches the Cloudglue role:
 * - role: it is the role (or another role trusting Cloudglue's account);
 * - policy: it grants the role a policy document;
 * - managed: it attaches managed policies by ARN, whose contents the pack cannot see;
 * - inlineSet: it holds the role's inline policies to exactly these names;
 * - unrecognised: it names the role or Cloudglue's account, and the pack does not know what it does.
 */
export type Touch =
    | { kind: "role"; role: CloudglueRole }
    | { kind: "policy"; label: string; document: unknown }
    | { kind: "managed"; label: string; arns: string[] }
    | { kind: "inlineSet"; label: string; names: string[] }
    | { kind: "unrecognised"; type: string; why: string };

type Props = Record<string, unknown>;
type Handler = (props: Props, insideComponent: boolean, type: string) => Touch[];

const read = (props: Props, key: string): unknown => known(() => props[key]);
const strings = (value: unknown): string[] => asList(value as string | string[]).filter((v) => typeof v === "string");

function awsRole(props: Props, insideComponent: boolean, type: string): Touch[] {
    const native = type === NATIVE_ROLE_TYPE;
    const name = read(props, native ? "roleName" : "name");
    const namePrefix = native ? undefined : read(props, "namePrefix");
    const trustKey = native ? "assumeRolePolicyDocument" : "assumeRolePolicy";
    const isCloudglue =
        insideComponent ||
        looksLikeCloudglueName(name) ||
        looksLikeCloudglueName(namePrefix) ||
        trustNamesCloudglue(read(props, trustKey));
    if (!isCloudglue) {
        return [];
    }
    const inline = asList(read(props, native ? "policies" : "inlinePolicies") as Props[] | undefined).map((p) => ({
        name: String(known(() => p[native ? "policyName" : "name"]) ?? ""),
        document: known(() => p[native ? "policyDocument" : "policy"]),
    }));
    const role: CloudglueRole = {
        label: type,
        name,
        namePrefix,
        path: read(props, "path"),
        trust: () => props[trustKey],
        managedPolicyArns: strings(read(props, "managedPolicyArns")),
        inlinePolicies: inline.filter((p) => p.document !== undefined && p.document !== ""),
        remediable: !native,
    };
    return [{ kind: "role", role }];
}

/** A resource that names its role(s) in the given properties and grants what `grant` says. */
function forRoles(roleKeys: string[], grant: (props: Props, type: string) => Touch[]): Handler {
    return (props, insideComponent, type) => {
        const named = roleKeys.some((key) => asList(read(props, key) as unknown[]).some(namesTheRole));
        return insideComponent || named ? grant(props, type) : [];
    };
}

const documentGrant =
    (documentKey: string): ((props: Props, type: string) => Touch[]) =>
    (props, type) => [{ kind: "policy", label: type, document: read(props, documentKey) }];
const managedGrant =
    (arnKey: string): ((props: Props, type: string) => Touch[]) =>
    (props, type) => {
        const arns = read(props, arnKey);
        return [{ kind: "managed", label: type, arns: arns === undefined ? ["(unknown at preview)"] : strings(arns) }];
    };

/**
 * The types the pack understands, aws and aws-native alike. Any other type that names the role
 * or Cloudglue's account is refused as unrecognised.
 */
const HANDLERS: Record<string, Handler> = {
    [ROLE_TYPE]: awsRole,
    [NATIVE_ROLE_TYPE]: awsRole,
    [ROLE_POLICY_TYPE]: forRoles(["role"], documentGrant("policy")),
    "aws-native:iam:RolePolicy": forRoles(["roleName"], documentGrant("policyDocument")),
    "aws-native:iam:ManagedPolicy": forRoles(["roles"], documentGrant("policyDocument")),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": forRoles(["role"], managedGrant("policyArn")),
    "aws:iam/policyAttachment:PolicyAttachment": forRoles(["roles"], managedGrant("policyArn")),
    [ROLE_POLICY_ATTACHMENTS_EXCLUSIVE_TYPE]: forRoles(["roleName"], managedGrant("policyArns")),
    [ROLE_POLICIES_EXCLUSIVE_TYPE]: forRoles(["roleName"], (props, type) => [
        { kind: "inlineSet", label: type, names: strings(read(props, "policyNames")) },
    ]),
    [CLOUDFORMATION_STACK_TYPE]: (props) => cloudFormationTouches(props),
    // The component holds the role; the connector only registers its ARN (cloudglue-one-role-one-connector checks it).
    [COMPONENT_TYPE]: () => [],
    [CONNECTOR_TYPE]: () => [],
};

/**
 * Inputs that carry no authority, skipped when looking for mentions of the role: a Command's
 * triggers only decide when it runs again (the program's access check lists the role's ARN there).
 */
const INERT_INPUTS: Record<string, string[]> = { "command:local:Command": ["triggers"] };

/** Every way a resource touches the Cloudglue role; empty for a resource that does not. */
export function touchesOf(resource: ResourceView): Touch[] {
    const insideComponent = isInsideCloudglueComponent(resource.urn);
    const handler = HANDLERS[resource.type];
    if (handler) {
        return handler(resource.props, insideComponent, resource.type);
    }
    const raw = rawProps(resource.props);
    const inert = INERT_INPUTS[resource.type] ?? [];
    const scanned = Object.fromEntries(Object.entries(raw).filter(([key]) => !inert.includes(key)));
    const why = insideComponent ? "is declared inside the Cloudglue component" : mentionOf(scanned);
    return why ? [{ kind: "unrecognised", type: resource.type, why }] : [];
}

export function rolesIn(resource: ResourceView): CloudglueRole[] {
    return touchesOf(resource).flatMap((t) => (t.kind === "role" ? [t.role] : []));
}

/**
 * The SDK's unknown-checking proxy throws on any unknown it meets; a scan for mentions skips
 * unknowns instead (they are checked again at update), so it reads the raw values.
 */
export function rawProps(props: Props): Props {
    return ((props as Record<string, unknown>)["__getSpecialProxyTarget"] as Props | undefined) ?? props;
}

/** What in a value names the role or Cloudglue's account, or undefined. */
function mentionOf(value: unknown): string | undefined {
    const text = JSON.stringify(value ?? null);
    if (text.toLowerCase().includes(ROLE_NAME)) {
        return `names the role ${ROLE_NAME}`;
    }
    if (text.includes(CLOUDGLUE_ACCOUNT_ID)) {
        return `mentions Cloudglue's account ${CLOUDGLUE_ACCOUNT_ID}`;
    }
    return undefined;
}

/** The bucket a resource ARN of S3 names, or undefined for anything else. */
export function bucketOf(arn: string): string | undefined {
    const match = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(arn);
    return match?.[1];
}

/** A bucket name as S3 allows it: no wildcard, no policy variable, nothing to expand. */
export function isBucketName(name: string): boolean {
    return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name);
}

// --- CloudFormation templates inside Pulumi -----------------------------------------------------

type CfnResource = { Type?: string; Properties?: Props };

/**
 * A template body as JSON or YAML. YAML's short intrinsics (!Sub, !GetAtt, ...) read as their
 * plain value; !Ref keeps its meaning, so a parameter can be resolved.
 */
export function parseTemplate(body: string): { Parameters?: Props; Resources?: Record<string, CfnResource> } {
    try {
        return JSON.parse(body);
    } catch {
        return parseYaml(body, {
            logLevel: "silent",
            customTags: [{ tag: "!Ref", resolve: (value: string) => ({ Ref: value }) }],
        });
    }
}

function cloudFormationTouches(props: Props): Touch[] {
    const body = read(props, "templateBody");
    const given = rawProps((read(props, "parameters") as Props | undefined) ?? {});
    if (typeof body !== "string" || body.trim() === "") {
        // A template given by URL cannot be read here; refuse it if what it is given points at Cloudglue.
        const why = mentionOf([given, read(props, "templateUrl")]);
        const unread = "in the parameters of a template given by templateUrl, which the pack cannot read";
        return why ? [{ kind: "unrecognised", type: CLOUDFORMATION_STACK_TYPE, why: `${why} ${unread}` }] : [];
    }
    let template: ReturnType<typeof parseTemplate>;
    try {
        template = parseTemplate(body);
    } catch (error) {
        const why = mentionOf(body);
        return why
            ? [
                  {
                      kind: "unrecognised",
                      type: CLOUDFORMATION_STACK_TYPE,
                      why: `${why} in a template the pack cannot parse (${(error as Error).message.split("\n")[0]})`,
                  },
              ]
            : [];
    }
    const resolve = (value: unknown): unknown => resolveRefs(value, template.Parameters ?? {}, given);
    const resources = Object.entries(template.Resources ?? {}).map(([id, r]) => ({
        id,
        type: String(r?.Type),
        props: resolve(r?.Properties ?? {}) as Props,
    }));
    const inTemplate = (id: string, type: string) => `${type} ${id} in the template of ${CLOUDFORMATION_STACK_TYPE}`;

    const touches: Touch[] = [];
    const roleIds = new Set<string>();
    for (const r of resources.filter((r) => r.type === "AWS::IAM::Role")) {
        const p = r.props;
        const [touch] = awsRole(
            {
                roleName: p.RoleName,
                assumeRolePolicyDocument: p.AssumeRolePolicyDocument,
                path: p.Path,
                managedPolicyArns: p.ManagedPolicyArns,
                policies: asList(p.Policies as Props[]).map((x) => ({
                    policyName: x.PolicyName,
                    policyDocument: x.PolicyDocument,
                })),
            },
            false,
            NATIVE_ROLE_TYPE,
        );
        if (touch?.kind === "role") {
            roleIds.add(r.id);
            touches.push({ kind: "role", role: { ...touch.role, label: inTemplate(r.id, r.type) } });
        }
    }
    const namesRole = (value: unknown) =>
        asList(value as unknown[]).some(
            (v) => namesTheRole(v) || roleIds.has(String((v as { Ref?: unknown } | null)?.Ref)),
        );
    for (const r of resources.filter((r) => r.type !== "AWS::IAM::Role")) {
        const p = r.props;
        const label = inTemplate(r.id, r.type);
        if (["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"].includes(r.type)) {
            if (namesRole(p.Roles) || namesRole(p.RoleName)) {
                touches.push({ kind: "policy", label, document: p.PolicyDocument });
            }
            continue;
        }
        const refersToRole = JSON.stringify(p)
            .match(/"Ref":"([^"]+)"/g)
            ?.some((m) => roleIds.has(m.slice(7, -1)));
        const why = refersToRole ? "refers to the Cloudglue role" : mentionOf(p);
        if (why) {
            touches.push({ kind: "unrecognised", type: r.type, why: `${why} (${label})` });
        }
    }
    // Nothing in the template explains why the stack is given the role's name or Cloudglue's account.
    const why = touches.length === 0 ? mentionOf(given) : undefined;
    if (why) {
        const unexplained = "in its parameters, and no resource of its template is recognised as using it";
        touches.push({ kind: "unrecognised", type: CLOUDFORMATION_STACK_TYPE, why: `${why} ${unexplained}` });
    }
    return touches;
}

/**
 * Replaces {Ref: parameter}, and ${parameter} in text (as Fn::Sub would), by the stack's parameter
 * value or the parameter's default, so that a principal or name built from parameters is seen.
 */
function resolveRefs(value: unknown, declared: Props, given: Props): unknown {
    const valueOf = (name: string): unknown =>
        given[name] ?? (declared[name] as { Default?: unknown } | undefined)?.Default;
    if (typeof value === "string") {
        return value.replace(/\$\{([A-Za-z0-9]+)\}/g, (text, name: string) =>
            name in declared && valueOf(name) !== undefined ? String(valueOf(name)) : text,
        );
    }
    if (Array.isArray(value)) {
        return value.map((v) => resolveRefs(v, declared, given));
    }
    if (value && typeof value === "object") {
        const ref = (value as { Ref?: unknown }).Ref;
        if (typeof ref === "string" && Object.keys(value).length === 1 && ref in declared) {
            return valueOf(ref) ?? value;
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, declared, given)]));
    }
    return value;
}
