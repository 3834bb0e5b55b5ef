/**
 * What the policies know about Cloudglue's connector, and the one place that finds the resources
 * touching its role. The pack installs and publishes on its own, so it keeps its own copy of
 * Cloudglue's fixed facts; a test keeps them equal to the program's (components/constants.ts).
 */
import { UnknownValueError } from "@pulumi/policy";
import { Document, isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";

export const CLOUDGLUE_ACCOUNT_ID = "992382634011";
export const CLOUDGLUE_PRINCIPAL_ARN = `arn:aws:iam::${CLOUDGLUE_ACCOUNT_ID}:root`;
export const ROLE_NAME = "cloudglue-external-s3-access-role";
export const TRANSFER_BUCKET = "cloudglue-external-transfer";
export const COMPONENT_TYPE = "cloudglue:aws:S3AccessRole";
export const CONNECTOR_TYPE = "pulumi-nodejs:dynamic/cloudglue:S3Connector";
/** The program's record of an external-ID rotation (components/externalIdRotation.ts): it calls no API. */
export const ROTATION_TYPE = "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation";
/** This project's own dynamic resources, known by their type (as the connector always was). */
const OWN_DYNAMIC_TYPES = [CONNECTOR_TYPE, ROTATION_TYPE];

export const ROLE_TYPE = "aws:iam/role:Role";
export const NATIVE_ROLE_TYPE = "aws-native:iam:Role";
export const ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy";
export const CLOUDFORMATION_STACK_TYPE = "aws:cloudformation/stack:Stack";
/** Every Pulumi type that deploys a CloudFormation template. */
export const CLOUDFORMATION_STACK_TYPES = [
    CLOUDFORMATION_STACK_TYPE,
    "aws:cloudformation/stackSet:StackSet",
    "aws-native:cloudformation:Stack",
    "aws-native:cloudformation:StackSet",
];
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

/** A child (at any depth) of the S3AccessRole component: the URN's type chain lists its parents' types. */
export function isInsideCloudglueComponent(urn: string): boolean {
    return typeChain(urn).slice(0, -1).includes(COMPONENT_TYPE);
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

// --- Reading what a policy document reaches ------------------------------------------------------

/**
 * IAM knows only "Allow" and "Deny"; anything else is refused by the policies. When deciding what a
 * statement reaches, only an exact "Deny" is taken as not granting.
 */
export const mayGrant = (statement: Statement): boolean => statement.Effect !== "Deny";

export function effectProblem(statement: Statement, label: string): string | undefined {
    return statement.Effect === "Allow" || statement.Effect === "Deny"
        ? undefined
        : `${label} has the Effect ${JSON.stringify(statement.Effect ?? null)}; IAM knows only "Allow" and "Deny" ` +
              '(exactly so spelt), and the pack refuses a statement it cannot read. Write "Allow" or "Deny".';
}

/** Past this, JSON inside JSON is a way to hide from the search, not a policy: it is refused. */
const MAX_JSON_DEPTH = 8;

/**
 * A value with every string that holds JSON text replaced by what it decodes to, at any depth: a
 * policy is JSON text inside a property, and its escapes (\u0063 for "c") hide names from a search
 * of the raw text.
 */
export function decoded(value: unknown, jsonDepth = 0): unknown {
    if (typeof value === "string") {
        const text = value.trim();
        if (/^[[{"]/.test(text)) {
            let parsed: unknown;
            try {
                parsed = JSON.parse(text);
            } catch {
                return value;
            }
            if (jsonDepth >= MAX_JSON_DEPTH) {
                throw new Error(`JSON text nested in JSON text more than ${MAX_JSON_DEPTH} deep`);
            }
            return decoded(parsed, jsonDepth + 1);
        }
        return value;
    }
    if (Array.isArray(value)) {
        return value.map((v) => decoded(v, jsonDepth));
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decoded(v, jsonDepth)]));
    }
    return value;
}

/**
 * Every statement of every policy document in a (decoded) value, at any depth: in an array's items,
 * and in the statements' own fields too (a document kept inside a statement is searched as well).
 */
function statementsIn(value: unknown): Statement[] {
    if (!value || typeof value !== "object") {
        return [];
    }
    const own = "Statement" in value ? asList((value as { Statement?: Statement | Statement[] }).Statement) : [];
    const nested = Object.values(value).flatMap((v) => statementsIn(v));
    return [...own.filter((s) => s && typeof s === "object"), ...nested];
}

const globRegExp = (glob: string) =>
    new RegExp(
        `^${glob
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
        "i",
    );
const isPattern = (value: string) => /[*?]/.test(value);

/** Principals of Cloudglue's account, as a pattern would have to match them. */
const CLOUDGLUE_PRINCIPALS = [
    CLOUDGLUE_ACCOUNT_ID,
    CLOUDGLUE_PRINCIPAL_ARN,
    `arn:aws:iam::${CLOUDGLUE_ACCOUNT_ID}:role/any`,
    `arn:aws:iam::${CLOUDGLUE_ACCOUNT_ID}:user/any`,
    `arn:aws:sts::${CLOUDGLUE_ACCOUNT_ID}:assumed-role/any/session`,
];

/** Whether a pattern could match a principal of Cloudglue's account. */
function patternReachesCloudglue(value: string): boolean {
    return isPattern(value) && CLOUDGLUE_PRINCIPALS.some((p) => globRegExp(value).test(p));
}

/**
 * Whether a pattern could match the Cloudglue role, in whatever account and partition the stack
 * deploys to (the pack does not know which): the account and partition of the pattern are let be.
 */
function patternReachesTheRole(value: string): boolean {
    if (!isPattern(value)) {
        return false;
    }
    const parts = value.split(":");
    if (parts.length >= 5) {
        parts[1] = "*";
        parts[4] = "*";
    }
    const pattern = globRegExp(parts.join(":"));
    return [
        `arn:aws:iam::111122223333:role/${ROLE_NAME}`,
        `arn:aws:sts::111122223333:assumed-role/${ROLE_NAME}/s`,
    ].some((arn) => pattern.test(arn));
}

const ACCOUNT_KEYS = ["aws:principalaccount", "aws:sourceaccount", "aws:sourceowner"];
const ARN_KEYS = ["aws:principalarn", "aws:sourcearn", "aws:sourceidentity"];
/** An operator that holds a key to the values listed, and fails when the key is absent. */
const PINNING_OPERATORS = ["StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "StringLike", "ArnLike"];
const PINNED_KEYS = ["aws:principalaccount", "aws:principalarn", "aws:principalorgid"];

function principalValues(principal: unknown): string[] {
    if (typeof principal === "string") {
        return [principal];
    }
    if (principal && typeof principal === "object") {
        return Object.values(principal).flatMap((v) =>
            asList(v as string | string[]).filter((x) => typeof x === "string"),
        );
    }
    return [];
}

const conditionEntries = (statement: Statement) =>
    Object.entries(statement.Condition ?? {}).flatMap(([operator, keys]) =>
        Object.entries(keys ?? {}).map(([key, values]) => ({
            operator,
            name: key,
            key: key.toLowerCase(),
            values: asList(values as string | string[]).map(String),
        })),
    );

/**
 * - cloudglue: a pattern (principal or condition) that could match Cloudglue's account;
 * - anyone: a `*` principal, not held to other accounts: Cloudglue's account among everyone;
 * - role: a pattern that could match the Cloudglue role.
 */
export type Reach = { cloudglue?: string; anyone?: string; role?: string };

/**
 * How a statement could reach Cloudglue's account or the Cloudglue role through a wildcard: a `*`
 * or patterned principal not pinned to named accounts, or a pattern (or a negated operator) on a
 * principal or source condition key that could match them.
 */
export function wildcardReach(statement: Statement): Reach {
    if (!mayGrant(statement)) {
        return {};
    }
    const principals = [...principalValues(statement.Principal), ...principalValues(statement.NotPrincipal)];
    const conditions = conditionEntries(statement);
    const reach: Reach = {};
    for (const { operator, name, key, values } of conditions) {
        // A negated operator lets in everything it does not list.
        const negated = /not/i.test(operator);
        const says = `a ${operator} condition on ${name}`;
        if (ACCOUNT_KEYS.includes(key) && (negated || values.some((v) => globRegExp(v).test(CLOUDGLUE_ACCOUNT_ID)))) {
            reach.cloudglue ??= `${says} that could match Cloudglue's account`;
        }
        if (!ARN_KEYS.includes(key)) {
            continue;
        }
        if (negated || values.some((v) => v.includes(CLOUDGLUE_ACCOUNT_ID) || patternReachesCloudglue(v))) {
            reach.cloudglue ??= `${says} that could match Cloudglue's account`;
        }
        if (negated || values.some((v) => namesTheRole(v) || patternReachesTheRole(v))) {
            reach.role ??= `${says} that could match the role ${ROLE_NAME}`;
        }
    }
    // A condition that holds the principal to accounts, ARNs or an organisation none of which can be Cloudglue's.
    const pinned = conditions.some(
        ({ operator, key, values }) =>
            PINNING_OPERATORS.includes(operator) &&
            PINNED_KEYS.includes(key) &&
            values.length > 0 &&
            values.every((v) =>
                key === "aws:principalorgid"
                    ? !isPattern(v)
                    : !v.includes(CLOUDGLUE_ACCOUNT_ID) &&
                      !(key === "aws:principalaccount"
                          ? globRegExp(v).test(CLOUDGLUE_ACCOUNT_ID)
                          : patternReachesCloudglue(v)),
            ),
    );
    const wildcards = principals.filter((p) => p === "*" || isPattern(p));
    if (wildcards.length > 0 && !pinned) {
        const says = `the principal ${JSON.stringify(wildcards[0])}, which Cloudglue's account matches`;
        if (wildcards.some((p) => p !== "*" && patternReachesCloudglue(p))) {
            reach.cloudglue ??= says;
        }
        reach.anyone ??= says;
    }
    if (wildcards.some((p) => p !== "*" && patternReachesTheRole(p))) {
        reach.role ??= `the principal ${JSON.stringify(wildcards.find(patternReachesTheRole))}, which could match the role`;
    }
    return reach;
}

/** Whether a statement's actions could include sts:AssumeRole: it is a trust. */
const mayAssumeRole = (statement: Statement) =>
    asList(statement.Action).some((a) => typeof a === "string" && globRegExp(a).test("sts:AssumeRole"));

/**
 * What a trust policy lets in:
 * - cloudglue: Cloudglue's account, which it names anywhere (escapes decoded), or which a wildcard
 *   principal or patterned condition could let in. Such a role is judged as the Cloudglue role, and
 *   fails its trust rules unless it is exactly that;
 * - role: how it could let the Cloudglue role in (see trustReachesTheRole);
 * - unknown: part of it is unknown at preview, so whom it lets in is known only at the update;
 * - unreadable: why it cannot be read, which the pack refuses rather than take as trusting nobody.
 */
export interface TrustReading {
    cloudglue: boolean;
    role?: string;
    unknown?: boolean;
    unreadable?: string;
}

export function readTrust(props: Props, key: string): TrustReading {
    let document: unknown;
    try {
        // Through the SDK's proxy: an unknown anywhere in it throws.
        document = decoded(props[key]);
    } catch (error) {
        // What it names outright still counts, read or not.
        let cloudglue = false;
        try {
            cloudglue = JSON.stringify(rawProps(props)[key] ?? null).includes(CLOUDGLUE_ACCOUNT_ID);
        } catch {
            // Too deep even to search; refused as unreadable all the same.
        }
        return error instanceof UnknownValueError
            ? { cloudglue, unknown: true }
            : { cloudglue, unreadable: (error as Error).message };
    }
    const cloudglue =
        JSON.stringify(document ?? null).includes(CLOUDGLUE_ACCOUNT_ID) ||
        statementsIn(document).some((s) => {
            const reach = wildcardReach(s);
            return reach.cloudglue !== undefined || reach.anyone !== undefined;
        });
    return { cloudglue, role: trustReachesTheRole(document) };
}

/** A role's aws:userid is its unique id (AROA...) and the session name. */
const ROLE_USER_ID = "AROAEXAMPLEUNIQUEID01:session";
const ROLE_UNIQUE_ID = /^AROA[A-Z0-9]{8,}$/i;

/** Whether a value of a principal ARN or user id condition could be the Cloudglue role's. */
function couldBeTheRole(key: string, value: string): boolean {
    if (key === "aws:userid") {
        return isPattern(value) ? globRegExp(value).test(ROLE_USER_ID) : /^AROA/i.test(value);
    }
    return value.toLowerCase().includes(ROLE_NAME) || patternReachesTheRole(value);
}

/**
 * How a trust policy could let the Cloudglue role in, or undefined. Within one account a trust that
 * names a principal grants by itself (only an account root defers to identity policies), so the
 * Cloudglue role could assume such a role and hold whatever it holds: by its name or ARN, by a
 * pattern that matches it, by a unique id (the pack cannot know the role's), or by a `*` principal
 * that no condition on aws:PrincipalArn or aws:userid holds to principals other than it. An
 * account or organisation condition does not: the role is in the stack's own account.
 */
export function trustReachesTheRole(document: unknown): string | undefined {
    if (
        JSON.stringify(document ?? null)
            .toLowerCase()
            .includes(ROLE_NAME)
    ) {
        return `names the role ${ROLE_NAME}`;
    }
    for (const statement of statementsIn(document).filter(mayGrant)) {
        const reach = wildcardReach(statement);
        if (reach.role) {
            return `lets it in through ${reach.role}`;
        }
        const principals = [...principalValues(statement.Principal), ...principalValues(statement.NotPrincipal)];
        const uniqueId = principals.find((p) => ROLE_UNIQUE_ID.test(p));
        if (uniqueId) {
            return `trusts the unique id ${JSON.stringify(uniqueId)}, which may be the role's`;
        }
        const wildcard =
            statement.NotPrincipal !== undefined ? "NotPrincipal" : principals.find((p) => p === "*" || isPattern(p));
        if (wildcard === undefined) {
            continue;
        }
        const conditions = conditionEntries(statement);
        const heldAway = conditions.some(
            ({ operator, key, values }) =>
                PINNING_OPERATORS.includes(operator) &&
                (key === "aws:principalarn" || key === "aws:userid") &&
                values.length > 0 &&
                values.every((v) => !couldBeTheRole(key, v)),
        );
        if (heldAway) {
            continue;
        }
        const onUserId = conditions.find(({ key }) => key === "aws:userid");
        return onUserId
            ? `lets it in through the principal ${JSON.stringify(wildcard)} under a ${onUserId.operator} condition on ` +
                  `${onUserId.name} that could match the role's unique id`
            : `lets it in through the principal ${JSON.stringify(wildcard)}, held by no condition on aws:PrincipalArn ` +
                  "or aws:userid to principals other than the role (an account or organisation condition lets in the role's own account)";
    }
    return undefined;
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
    /** Seconds a session of the role lasts; unset is IAM's default of one hour. */
    maxSessionDuration?: unknown;
    /** Whether a remediation may rewrite it (a Pulumi aws:iam Role). */
    remediable: boolean;
}

/**
 * One way a resource touches the Cloudglue role:
 * - role: it is the role (or another role trusting Cloudglue's account);
 * - trustsRole: another role whose trust lets the Cloudglue role in, a grant of all it holds;
 * - trustUnknown: another role whose trust is unknown at preview; `read` throws the SDK's error;
 * - grantUnknown: a grant to a role unknown at preview, which may be the Cloudglue role; `read` throws likewise;
 * - policy: it grants the role a policy document;
 * - managed: it attaches managed policies by ARN, whose contents the pack cannot see;
 * - inlineSet: it holds the role's inline policies to exactly these names;
 * - unrecognised: it names the role or Cloudglue's account, and the pack does not know what it does;
 * - unreadable: part of it (a CloudFormation template, a script, a trust policy) cannot be read, so what it
 *   does is unknown. One with `allowedBy` may be allowed by name under that setting of
 *   cloudglue-recognised-resources once reviewed; the others must be rewritten.
 */
export type Touch =
    | { kind: "role"; role: CloudglueRole }
    | { kind: "trustsRole"; label: string; why: string; logicalId?: string }
    | { kind: "trustUnknown"; label: string; read: () => unknown; logicalId?: string }
    | { kind: "grantUnknown"; label: string; read: () => unknown }
    | { kind: "policy"; label: string; document: unknown; name?: unknown }
    | { kind: "managed"; label: string; arns: string[] }
    | { kind: "inlineSet"; label: string; names: string[] }
    | { kind: "unrecognised"; type: string; why: string }
    | {
          kind: "unreadable";
          type: string;
          why: string;
          allowedBy?: "allowedUnreadableStacks" | "allowedUnreadableCode";
      };

type Props = Record<string, unknown>;
type Handler = (props: Props, insideComponent: boolean, type: string) => Touch[];

const read = (props: Props, key: string): unknown => known(() => props[key]);
/**
 * The strings of a list, read element by element: at remediation the inputs sit under two of the
 * SDK's proxies, and Array methods that build a new array (filter, map) trip the outer proxy's
 * invariant checks on the array's constructor (a TypeError, seen through the real engine).
 */
const strings = (value: unknown): string[] => {
    const found: string[] = [];
    for (const item of asList(value as string | string[])) {
        if (typeof item === "string") {
            found.push(item);
        }
    }
    return found;
};

function awsRole(props: Props, insideComponent: boolean, type: string): Touch[] {
    const native = type === NATIVE_ROLE_TYPE;
    const name = read(props, native ? "roleName" : "name");
    const namePrefix = native ? undefined : read(props, "namePrefix");
    const trustKey = native ? "assumeRolePolicyDocument" : "assumeRolePolicy";
    const trust = readTrust(props, trustKey);
    const touches: Touch[] = [];
    if (trust.unreadable) {
        touches.push({
            kind: "unreadable",
            type,
            why:
                `has a trust policy the pack cannot read (it holds ${trust.unreadable}), so it cannot tell whom the ` +
                "role trusts, and refuses it. Write the trust policy as plain JSON",
        });
    }
    // By what it is, never by a name that looks like it: the component's child, the exact name,
    // or a trust that lets Cloudglue's account in.
    const isCloudglue = insideComponent || namesTheRole(name) || trust.cloudglue;
    if (!isCloudglue) {
        if (trust.unknown) {
            touches.push({ kind: "trustUnknown", label: type, read: () => decoded(props[trustKey]) });
        } else if (trust.role) {
            touches.push({ kind: "trustsRole", label: type, why: trust.role });
        }
        return touches;
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
        maxSessionDuration: read(props, "maxSessionDuration"),
        inlinePolicies: inline.filter((p) => p.document !== undefined && p.document !== ""),
        // A role outside the component is someone else's to fix.
        remediable: !native && insideComponent,
    };
    return [{ kind: "role", role }, ...touches];
}

/**
 * A resource that names its role(s) in the given properties and grants what `grant` says. A role
 * unknown at preview may be the Cloudglue role: that is reported, as an unknown in a list of roles is.
 */
function forRoles(roleKeys: string[], grant: (props: Props, type: string) => Touch[]): Handler {
    return (props, insideComponent, type) => {
        const named = roleKeys.some((key) => asList(read(props, key) as unknown[]).some(namesTheRole));
        if (insideComponent || named) {
            return grant(props, type);
        }
        const unknown = roleKeys.find((key) => isUnknownSafe(rawProps(props), props, key));
        return unknown ? [{ kind: "grantUnknown", label: type, read: () => props[unknown] }] : [];
    };
}

const documentGrant =
    (documentKey: string, nameKey?: string): ((props: Props, type: string) => Touch[]) =>
    (props, type) => [
        {
            kind: "policy",
            label: type,
            document: read(props, documentKey),
            ...(nameKey ? { name: read(props, nameKey) } : {}),
        },
    ];
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
    [ROLE_POLICY_TYPE]: forRoles(["role"], documentGrant("policy", "name")),
    "aws-native:iam:RolePolicy": forRoles(["roleName"], documentGrant("policyDocument", "policyName")),
    "aws-native:iam:ManagedPolicy": forRoles(["roles"], documentGrant("policyDocument")),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": forRoles(["role"], managedGrant("policyArn")),
    "aws:iam/policyAttachment:PolicyAttachment": forRoles(["roles"], managedGrant("policyArn")),
    [ROLE_POLICY_ATTACHMENTS_EXCLUSIVE_TYPE]: forRoles(["roleName"], managedGrant("policyArns")),
    [ROLE_POLICIES_EXCLUSIVE_TYPE]: forRoles(["roleName"], (props, type) => [
        { kind: "inlineSet", label: type, names: strings(read(props, "policyNames")) },
    ]),
    ...Object.fromEntries(
        CLOUDFORMATION_STACK_TYPES.map((type): [string, Handler] => [
            type,
            (props) => cloudFormationTouches(props, type),
        ]),
    ),
    // The component holds the role; the connector only registers its ARN (cloudglue-one-role-one-connector checks it).
    [COMPONENT_TYPE]: () => [],
    [CONNECTOR_TYPE]: () => [],
    // The rotation's memory only records the external IDs the trust policy is built from (by the component).
    [ROTATION_TYPE]: () => [],
};

/**
 * Inputs that carry no authority, skipped when looking for mentions of the role: a Command's
 * triggers only decide when it runs again (the program's access check lists the role's ARN there).
 */
const INERT_INPUTS: Record<string, string[]> = { "command:local:Command": ["triggers"] };

const LOCAL_COMMAND_TYPE = "command:local:Command";
/** The program's own access check (index.ts): it only reads Cloudglue's API, with what its environment gives it. */
export const ACCESS_CHECK_COMMAND = "node --require ts-node/register/transpile-only scripts/verify-access.ts";
const ACCESS_CHECK_INPUTS = ["create", "environment", "triggers", "logging"];
const ACCESS_CHECK_ENVIRONMENT = [
    "CLOUDGLUE_CONNECTOR_ID",
    "CLOUDGLUE_BUCKETS",
    "CLOUDGLUE_BUCKET_PREFIXES",
    "CLOUDGLUE_API_URL",
    "CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS",
    "CLOUDGLUE_API_KEY",
];
/** A local Command's inputs that run something. */
const COMMAND_SCRIPTS = ["create", "update", "delete", "stdin"];

/**
 * Code the pack cannot read, or undefined: a script may call IAM with the role's name built in the
 * shell or decoded from base64, so a search of its text proves nothing. The access check is known
 * by its exact command and environment (an environment can load code too: NODE_OPTIONS).
 */
function codeIn(type: string, raw: Props): string | undefined {
    if (type === LOCAL_COMMAND_TYPE) {
        const scripts = COMMAND_SCRIPTS.filter((key) => raw[key] !== undefined && raw[key] !== null && raw[key] !== "");
        if (scripts.length === 0) {
            return undefined;
        }
        const environment = raw.environment;
        const isAccessCheck =
            raw.create === ACCESS_CHECK_COMMAND &&
            Object.keys(raw).every((key) => ACCESS_CHECK_INPUTS.includes(key)) &&
            (environment === undefined ||
                (typeof environment === "object" &&
                    environment !== null &&
                    Object.keys(environment).every((key) => ACCESS_CHECK_ENVIRONMENT.includes(key))));
        return isAccessCheck ? undefined : `runs a script (${scripts.join(", ")}) that the pack cannot read`;
    }
    if (type === "command:remote:Command") {
        return "runs a script on another machine that the pack cannot read";
    }
    if (/^pulumi-[a-z]+:dynamic[:/]/.test(type) && !OWN_DYNAMIC_TYPES.includes(type)) {
        return "is a dynamic resource, whose provider's code the pack cannot read";
    }
    return undefined;
}

/** Every way a resource touches the Cloudglue role; empty for a resource that does not. */
export function touchesOf(resource: ResourceView): Touch[] {
    const insideComponent = isInsideCloudglueComponent(resource.urn);
    const handler = HANDLERS[resource.type];
    if (handler) {
        return handler(resource.props, insideComponent, resource.type);
    }
    const code = codeIn(resource.type, rawProps(resource.props));
    if (code) {
        return [{ kind: "unreadable", type: resource.type, why: code, allowedBy: "allowedUnreadableCode" }];
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

/**
 * The inputs under both of the SDK's proxies. At remediation its secrets proxy unwraps a secret on
 * read, so a copy made through it would hand the engine the secret as plain text to store; under
 * it, secrets are still wrapped, and a copy of these keeps them secret.
 */
export function secretKeepingProps(props: Props): Props {
    let target = props;
    for (let under = rawProps(target); under !== target; under = rawProps(target)) {
        target = under;
    }
    return target;
}

/**
 * What in a value names the role or Cloudglue's account, or undefined. JSON text in it is decoded
 * first, and a policy that reaches either through a wildcard counts as naming it.
 */
export function mentionOf(value: unknown): string | undefined {
    let plain: unknown;
    try {
        plain = decoded(value ?? null);
    } catch (error) {
        return `holds ${(error as Error).message}, which the pack does not read`;
    }
    const text = JSON.stringify(plain);
    if (text.toLowerCase().includes(ROLE_NAME)) {
        return `names the role ${ROLE_NAME}`;
    }
    if (text.includes(CLOUDGLUE_ACCOUNT_ID)) {
        return `mentions Cloudglue's account ${CLOUDGLUE_ACCOUNT_ID}`;
    }
    for (const statement of statementsIn(plain)) {
        const reach = wildcardReach(statement);
        if (reach.role) {
            return `grants the role ${ROLE_NAME} through ${reach.role} (a grant to a pattern is a grant to the role)`;
        }
        // Anyone may read a public bucket; only a trust open to anyone lets Cloudglue assume a role.
        const cloudglue = reach.cloudglue ?? (mayAssumeRole(statement) ? reach.anyone : undefined);
        if (cloudglue) {
            return `lets Cloudglue's account in through ${cloudglue}`;
        }
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
export type Template = { Transform?: unknown; Parameters?: Props; Resources?: Record<string, CfnResource> };

/** YAML's short intrinsics, as the long form CloudFormation reads. */
const SHORT_INTRINSICS: Record<string, string> = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    ...Object.fromEntries(
        [
            "Base64",
            "Cidr",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "ImportValue",
            "Join",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "And",
            "Equals",
            "If",
            "Not",
            "Or",
            "Length",
            "ToJsonString",
        ].map((name) => [`!${name}`, `Fn::${name}`]),
    ),
};

/** A YAML node as CloudFormation reads it: short intrinsics in their long form; an unknown tag refused. */
function fromYaml(node: unknown, doc: Document, aliases = { left: 1000 }): unknown {
    if (isAlias(node)) {
        // Each alias copies its anchor; a few nested ones would otherwise expand without end.
        if (--aliases.left < 0) {
            throw new Error("the template expands YAML aliases more than 1000 times");
        }
        return fromYaml(node.resolve(doc), doc, aliases);
    }
    let value: unknown;
    if (isMap(node)) {
        value = Object.fromEntries(
            node.items.map((pair) => [String(fromYaml(pair.key, doc, aliases)), fromYaml(pair.value, doc, aliases)]),
        );
    } else if (isSeq(node)) {
        value = node.items.map((item) => fromYaml(item, doc, aliases));
    } else if (isScalar(node)) {
        value = node.value;
    } else {
        return node ?? null;
    }
    const tag = (node as { tag?: string }).tag;
    if (!tag || tag.startsWith("tag:yaml.org,2002:")) {
        return value;
    }
    const intrinsic = SHORT_INTRINSICS[tag];
    if (!intrinsic) {
        throw new Error(`the YAML tag ${tag} is not a CloudFormation intrinsic the pack knows`);
    }
    // !GetAtt Role.Arn is the short form of [Role, Arn].
    if (intrinsic === "Fn::GetAtt" && typeof value === "string") {
        const dot = value.indexOf(".");
        value = [value.slice(0, dot), value.slice(dot + 1)];
    }
    return { [intrinsic]: value };
}

/** A template body as JSON or YAML, intrinsics in their long form. Throws on what it cannot read. */
export function parseTemplate(body: unknown): Template {
    if (typeof body !== "string") {
        return body as Template;
    }
    try {
        return JSON.parse(body);
    } catch {
        const doc = parseDocument(body, { logLevel: "silent" });
        if (doc.errors.length > 0) {
            throw new Error(doc.errors[0].message.split("\n")[0]);
        }
        return fromYaml(doc.contents, doc) as Template;
    }
}

/** The parameters a stack resource gives its template: a map, or aws-native StackSet's list of pairs. */
function givenParameters(value: unknown): Props {
    const raw = rawProps((value ?? {}) as Props);
    if (Array.isArray(raw)) {
        return Object.fromEntries(
            raw.map((p: Props) => [String(p.parameterKey ?? p.ParameterKey), p.parameterValue ?? p.ParameterValue]),
        );
    }
    return raw;
}

/** Resources that deploy a template of their own, which the pack does not have. */
const NESTED_STACK_TYPES = [
    "AWS::CloudFormation::Stack",
    "AWS::CloudFormation::StackSet",
    "AWS::Serverless::Application",
];

function cloudFormationTouches(props: Props, stackType: string): Touch[] {
    const raw = rawProps(props);
    if (["templateBody", "templateUrl", "parameters"].some((key) => isUnknownSafe(raw, props, key))) {
        // Known at the update, and judged then.
        return [];
    }
    const body = read(props, "templateBody");
    const given = givenParameters(read(props, "parameters"));
    const unreadable = (why: string): Touch => ({
        kind: "unreadable",
        type: stackType,
        why,
        allowedBy: "allowedUnreadableStacks",
    });
    if (body === undefined || body === null || body === "") {
        const url = read(props, "templateUrl");
        return [
            unreadable(
                url
                    ? `takes its template from templateUrl ${JSON.stringify(url)}, which the pack cannot read`
                    : "has no templateBody the pack can read",
            ),
        ];
    }
    let template: Template;
    try {
        template = parseTemplate(body);
        if (!template || typeof template !== "object") {
            throw new Error("it is not a template");
        }
    } catch (error) {
        return [unreadable(`has a template the pack cannot read (${(error as Error).message.split("\n")[0]})`)];
    }
    const touches: Touch[] = [];
    if (template.Transform !== undefined) {
        touches.push(
            unreadable(
                `has a template with Transform ${JSON.stringify(template.Transform)}, whose output the pack cannot see`,
            ),
        );
    }
    if (JSON.stringify(template).includes('"Fn::Transform"')) {
        touches.push(
            unreadable("has a template that uses Fn::Transform (AWS::Include), whose output the pack cannot see"),
        );
    }
    const declared = (template.Parameters ?? {}) as Props;
    const resources = Object.entries(template.Resources ?? {}).map(([id, r]) => ({
        id,
        type: String(r?.Type),
        props: resolveIntrinsics(r?.Properties ?? {}, declared, given) as Props,
    }));
    const inTemplate = (id: string, type: string) => `${type} ${id} in the template of ${stackType}`;
    for (const r of resources.filter((r) => NESTED_STACK_TYPES.includes(r.type))) {
        touches.push(unreadable(`nests ${inTemplate(r.id, r.type)}, whose template the pack cannot read`));
    }

    // A template's own roles are known by their logical ID: a Ref or GetAtt to one is resolved.
    const templateRoles = new Set(resources.filter((r) => r.type === "AWS::IAM::Role").map((r) => r.id));
    const spelt = new Set<string>();
    for (const r of resources) {
        const unresolved = identityPositions(r.type, r.props)
            .map(([where, value]) => ({ where, intrinsics: unresolvedIn(value, templateRoles) }))
            .filter(({ intrinsics }) => intrinsics.length > 0);
        // The innermost place says most: a principal rather than the whole trust policy holding it.
        const places = unresolved.filter(
            ({ where }) => !unresolved.some((other) => other.where.startsWith(`${where}.`)),
        );
        if (places.length > 0) {
            spelt.add(r.id);
            touches.push({
                kind: "unreadable",
                type: r.type,
                why:
                    `spells ${places.map(({ where, intrinsics }) => `${where} with ${intrinsics.join(", ")}`).join("; ")}, ` +
                    `which the pack cannot resolve (${inTemplate(r.id, r.type)}). ` +
                    "Write it as a literal, or as a Ref to a parameter with a literal value",
            });
        }
    }

    const roleIds = new Set<string>();
    const otherRoles: typeof resources = [];
    for (const r of resources.filter((r) => r.type === "AWS::IAM::Role")) {
        const p = r.props;
        const found = awsRole(
            {
                roleName: p.RoleName,
                assumeRolePolicyDocument: p.AssumeRolePolicyDocument,
                path: p.Path,
                managedPolicyArns: p.ManagedPolicyArns,
                maxSessionDuration: p.MaxSessionDuration,
                policies: asList(p.Policies as Props[]).map((x) => ({
                    policyName: x?.PolicyName,
                    policyDocument: x?.PolicyDocument,
                })),
            },
            false,
            NATIVE_ROLE_TYPE,
        );
        const label = inTemplate(r.id, r.type);
        for (const touch of found) {
            if (touch.kind === "role") {
                roleIds.add(r.id);
                touches.push({ kind: "role", role: { ...touch.role, label } });
            } else if (touch.kind === "trustsRole" || touch.kind === "trustUnknown") {
                touches.push({ ...touch, label, logicalId: r.id });
            } else {
                touches.push(
                    touch.kind === "unreadable" ? { ...touch, type: r.type, why: `${touch.why} (${label})` } : touch,
                );
            }
        }
        if (!found.some((t) => t.kind === "role" || t.kind === "trustsRole")) {
            otherRoles.push(r);
        }
    }
    const refersTo = (value: unknown, ids: Set<string>) =>
        [...JSON.stringify(value ?? null).matchAll(/"(?:Ref|Fn::GetAtt)":(?:\["|")([^".]+)/g)].some((m) =>
            ids.has(m[1]),
        );
    // Another role of the template that trusts its Cloudglue role by a Ref or GetAtt.
    for (const r of otherRoles.filter((r) => refersTo(r.props.AssumeRolePolicyDocument, roleIds))) {
        touches.push({
            kind: "trustsRole",
            label: inTemplate(r.id, r.type),
            logicalId: r.id,
            why: "refers to the Cloudglue role of the template",
        });
    }
    const grantIds = new Set(roleIds);
    const namesRole = (value: unknown) =>
        asList(value as unknown[]).some((v) => namesTheRole(v) || refersTo(v, roleIds));
    for (const r of resources.filter((r) => r.type !== "AWS::IAM::Role")) {
        const p = r.props;
        const label = inTemplate(r.id, r.type);
        if (["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"].includes(r.type)) {
            if (namesRole(p.Roles) || namesRole(p.RoleName)) {
                grantIds.add(r.id);
                touches.push({ kind: "policy", label, document: p.PolicyDocument, name: p.PolicyName });
            }
            continue;
        }
        const why = refersTo(p, roleIds) ? "refers to the Cloudglue role" : mentionOf(p);
        if (why) {
            touches.push({ kind: "unrecognised", type: r.type, why: `${why} (${label})` });
        }
    }
    // What the Cloudglue role is granted must be read whole: a Fn::If around a policy document, or
    // a managed policy ARN from Fn::ImportValue, would otherwise be judged as nothing.
    for (const r of resources.filter((r) => grantIds.has(r.id) && !spelt.has(r.id))) {
        const intrinsics = unresolvedIn(r.props, templateRoles);
        if (intrinsics.length > 0) {
            touches.push({
                kind: "unreadable",
                type: r.type,
                why:
                    `grants the Cloudglue role through ${intrinsics.join(", ")}, which the pack cannot resolve ` +
                    `(${inTemplate(r.id, r.type)}). Write what it grants as literals, or as Refs to parameters with literal values`,
            });
        }
    }
    // Nothing in the template explains why the stack is given the role's name or Cloudglue's account.
    const why = touches.length === 0 ? mentionOf(given) : undefined;
    if (why) {
        const unexplained = "in its parameters, and no resource of its template is recognised as using it";
        touches.push({ kind: "unrecognised", type: stackType, why: `${why} ${unexplained}` });
    }
    return touches;
}

function isUnknownSafe(raw: Props, props: Props, key: string): boolean {
    return raw[key] !== undefined && known(() => props[key]) === undefined;
}

/**
 * Where a template resource says who it is about: the role it names, and the principals and
 * principal conditions of its policies. These must be readable to know whether it is Cloudglue's.
 */
function identityPositions(type: string, props: Props): [string, unknown][] {
    const found: [string, unknown][] = [];
    if (type.startsWith("AWS::IAM::")) {
        for (const key of ["RoleName", "Roles", "Role", "AssumeRolePolicyDocument"]) {
            if (props[key] !== undefined) {
                found.push([key, props[key]]);
            }
        }
    }
    const walk = (value: unknown, path: string) => {
        if (!value || typeof value !== "object") {
            return;
        }
        for (const [key, v] of Object.entries(value)) {
            const here = path ? `${path}.${key}` : key;
            if (key === "Principal" || key === "NotPrincipal") {
                found.push([here, v]);
            } else if (key === "Condition" && v && typeof v === "object" && !Array.isArray(v)) {
                // An intrinsic (a Fn::If) around the whole condition, or around one operator's keys, hides
                // which keys it holds: the place is reported as it is.
                if (intrinsicOf(v)) {
                    found.push([here, v]);
                    continue;
                }
                for (const [operator, keys] of Object.entries(v)) {
                    if (intrinsicOf(keys)) {
                        found.push([`${here}.${operator}`, keys]);
                        continue;
                    }
                    for (const [conditionKey, values] of Object.entries((keys ?? {}) as Props)) {
                        if (/^aws:(principal|sourceaccount$|sourceowner$)/i.test(conditionKey)) {
                            found.push([`${here}.${operator}.${conditionKey}`, values]);
                        }
                    }
                }
            } else {
                walk(v, here);
            }
        }
    };
    walk(props, "");
    return found;
}

/** The intrinsic a value is (an object of the one key Ref or Fn::...), or undefined. */
function intrinsicOf(value: unknown): string | undefined {
    if (!value || typeof value !== "object") {
        return undefined;
    }
    const keys = Object.keys(value);
    return keys.length === 1 && (keys[0] === "Ref" || keys[0].startsWith("Fn::")) ? keys[0] : undefined;
}

/** The intrinsics left in a resolved value, but a Ref or GetAtt to one of the template's own roles. */
function unresolvedIn(value: unknown, templateRoles: Set<string>): string[] {
    if (Array.isArray(value)) {
        return [...new Set(value.flatMap((v) => unresolvedIn(v, templateRoles)))];
    }
    if (!value || typeof value !== "object") {
        return [];
    }
    const intrinsic = intrinsicOf(value);
    if (intrinsic) {
        const argument = (value as Props)[intrinsic];
        const target =
            intrinsic === "Ref" ? argument : intrinsic === "Fn::GetAtt" ? asList(argument as unknown[])[0] : undefined;
        if (typeof target === "string" && templateRoles.has(target)) {
            return [];
        }
        return [intrinsic === "Ref" ? `Ref ${JSON.stringify(argument)}` : intrinsic];
    }
    return [...new Set(Object.values(value).flatMap((v) => unresolvedIn(v, templateRoles)))];
}

/**
 * Pseudo parameters a principal may use: each names the deploying account or its partition, so it
 * can never be Cloudglue's account. They stay as text.
 */
const PSEUDO_PARAMETERS = ["AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::URLSuffix", "AWS::StackName"];

/**
 * Resolves what can be known from the template alone: a Ref to a parameter with a literal value
 * (given by the stack, or its default), and Fn::Sub over such parameters and pseudo parameters.
 * Anything else stays as the intrinsic it is, so a check that needs it can refuse it.
 */
function resolveIntrinsics(value: unknown, declared: Props, given: Props): unknown {
    const valueOf = (name: string): string | undefined => {
        if (PSEUDO_PARAMETERS.includes(name)) {
            return `\${${name}}`;
        }
        if (!(name in declared)) {
            return undefined;
        }
        const v = given[name] ?? (declared[name] as { Default?: unknown } | undefined)?.Default;
        return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
    };
    const recurse = (v: unknown) => resolveIntrinsics(v, declared, given);
    if (Array.isArray(value)) {
        return value.map(recurse);
    }
    if (!value || typeof value !== "object") {
        return value;
    }
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    const argument = only ? (value as Props)[only] : undefined;
    if (only === "Ref" && typeof argument === "string") {
        return valueOf(argument) ?? value;
    }
    if (only === "Fn::Sub") {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        const locals = recurse(variables ?? {}) as Props;
        if (typeof text === "string") {
            let unresolved = false;
            const result = text.replace(/\$\{([^}!][^}]*)\}/g, (whole, name: string) => {
                const local = locals?.[name];
                const v = typeof local === "string" ? local : local === undefined ? valueOf(name) : undefined;
                if (v === undefined) {
                    unresolved = true;
                    return whole;
                }
                return v;
            });
            return unresolved ? value : result;
        }
        return value;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, recurse(v)]));
}
