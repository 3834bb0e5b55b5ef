/**
 * The pure half of the AWS stand-in (aws.ts): the tokens it serves, the endpoint it may talk to, the
 * rules its check applies, the diff of each resource's inputs against its state, and the translation
 * between IAM's answers and @pulumi/aws's property names. Nothing here talks to IAM.
 */
import type { AttachedPolicy, Role, Tag } from "@aws-sdk/client-iam";
import * as provider from "@pulumi/pulumi/provider";
import { specialResourceSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { isDeepStrictEqual } from "util";
import { containsUnknown, isSecret, Props, reveal, secret } from "./launch";

export const STAND_IN = "the AWS stand-in provider (engine/providers/aws.ts)";

export const ROLE = "aws:iam/role:Role";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const ROLE_POLICIES_EXCLUSIVE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
export const ROLE_POLICY_ATTACHMENTS_EXCLUSIVE =
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive";
export const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const POLICY = "aws:iam/policy:Policy";
export const GET_ROLE = "aws:iam/getRole:getRole";
export const GET_ROLE_POLICIES = "aws:iam/getRolePolicies:getRolePolicies";
export const GET_ROLE_POLICY_ATTACHMENTS = "aws:iam/getRolePolicyAttachments:getRolePolicyAttachments";

export const RESOURCE_TOKENS = [
    ROLE,
    ROLE_POLICY,
    ROLE_POLICIES_EXCLUSIVE,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    ROLE_POLICY_ATTACHMENT,
    POLICY,
] as const;
export const FUNCTION_TOKENS = [GET_ROLE, GET_ROLE_POLICIES, GET_ROLE_POLICY_ATTACHMENTS] as const;

/** The error for a token this stand-in does not serve: a clear stop, never a guess at what the real one does. */
export function notServed(token: string): Error {
    return new Error(
        `${STAND_IN} does not implement ${token}; it serves only: ${RESOURCE_TOKENS.join(", ")} (resources) and ` +
            `${FUNCTION_TOKENS.join(", ")} (functions). Run with the real pulumi-aws plugin for anything else.`,
    );
}

// ---------------------------------------------------------------------------------------------
// Where IAM is

export interface IamSettings {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Endpoints of AWS itself (commercial, China, the dual-stack api.aws): the one thing this stand-in must never reach. */
const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/i;

/**
 * The emulator to talk to and how: AWS_ENDPOINT_URL (the SDKs' own variable) or nothing at all, so that
 * a test run without an emulator stops instead of reaching the AWS account of whoever runs it. The
 * region is the provider config's aws:region, else AWS_REGION, else us-east-1; IAM is global, the
 * region only signs the requests. moto takes any credentials: dummy ones unless the environment has a
 * pair, passed explicitly so that the SDK never looks further (profiles, instance metadata).
 */
export function iamSettings(env: Readonly<Record<string, string | undefined>>, configuredRegion?: string): IamSettings {
    const endpoint = env.AWS_ENDPOINT_URL?.trim();
    if (!endpoint) {
        throw new Error(
            `${STAND_IN} talks only to an AWS emulator and needs AWS_ENDPOINT_URL, e.g. http://127.0.0.1:5000 for ` +
                "moto_server (moto_server -p 5000); it is not set, so nothing was sent anywhere.",
        );
    }
    let url: URL;
    try {
        url = new URL(endpoint);
    } catch {
        throw new Error(
            `${STAND_IN}: AWS_ENDPOINT_URL is not a URL; it must name the emulator, e.g. http://127.0.0.1:5000`,
        );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new Error(`${STAND_IN}: AWS_ENDPOINT_URL must be an http or https URL, e.g. http://127.0.0.1:5000`);
    }
    if (AWS_HOST.test(url.hostname)) {
        throw new Error(
            `${STAND_IN}: AWS_ENDPOINT_URL names ${url.hostname}, which is AWS itself; this stand-in talks only to an ` +
                "emulator such as moto_server.",
        );
    }
    const region = configuredRegion || env.AWS_REGION || "us-east-1";
    const credentials =
        env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
            ? {
                  accessKeyId: env.AWS_ACCESS_KEY_ID,
                  secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
                  ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
              }
            : { accessKeyId: "testing", secretAccessKey: "testing" };
    return { endpoint, region, credentials };
}

/**
 * The region in a Configure request: `args` holds the provider's inputs by name, `variables` the same
 * under the older `aws:config:region` (the engine sends both; old engines only the second).
 */
export function regionOfConfigure(
    variables: { get(key: string): string | undefined },
    args: Props | undefined,
): string | undefined {
    const region = plain(args?.region);
    if (typeof region === "string" && region) {
        return region;
    }
    return variables.get("aws:config:region") || variables.get("aws:region") || undefined;
}

// ---------------------------------------------------------------------------------------------
// Values as they come over the wire

/** Whether the engine handed over a resource (the server accepts references) where its ID would do. */
function isResourceReference(value: unknown): value is { id?: unknown } {
    return typeof value === "object" && value !== null && (value as Props)[specialSigKey] === specialResourceSig;
}

/** A value as IAM takes it: secrets unwrapped and a resource passed as an input (`role: someRole`) taken by its ID. */
export function plain(value: unknown): unknown {
    const revealed = reveal(value);
    const walk = (inner: unknown): unknown => {
        if (isResourceReference(inner)) {
            return inner.id;
        }
        if (Array.isArray(inner)) {
            return inner.map(walk);
        }
        if (typeof inner === "object" && inner !== null) {
            return Object.fromEntries(Object.entries(inner).map(([key, v]) => [key, walk(v)]));
        }
        return inner;
    };
    return walk(revealed);
}

export function plainProps(props: Props): Props {
    return plain(props) as Props;
}

/** Fresh values read from IAM, each kept secret where the state held it as a secret. */
export function keepSecretness(fresh: Props, previous: Props): Props {
    return Object.fromEntries(
        Object.entries(fresh).map(([key, value]) => [
            key,
            isSecret(previous[key]) && !isSecret(value) ? secret(value) : value,
        ]),
    );
}

// ---------------------------------------------------------------------------------------------
// Policy documents

function sortedKeys(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(sortedKeys);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((key) => [key, sortedKeys((value as Props)[key])]),
        );
    }
    return value;
}

function canonicalDocument(text: string): string | undefined {
    try {
        return JSON.stringify(sortedKeys(JSON.parse(text)));
    } catch {
        return undefined;
    }
}

/**
 * Whether two policy documents say the same: parsed, keys sorted, compared; text that is not JSON is
 * compared as text. The real provider normalises further (a one-element array as its element,
 * `"Principal": "*"` as `{"AWS": "*"}`, reordered statements, ...), so it may find no change where this
 * finds one; the documents this project writes are the same text each run, so that gap does not show.
 */
export function sameDocument(a: unknown, b: unknown): boolean {
    if (typeof a !== "string" || typeof b !== "string") {
        return isDeepStrictEqual(a, b);
    }
    const [left, right] = [canonicalDocument(a), canonicalDocument(b)];
    return left !== undefined && right !== undefined ? left === right : a === b;
}

/** IAM returns documents URL-encoded (RFC 3986); the program and the state hold them as JSON. */
export function decodeDocument(encoded: string | undefined): string {
    if (encoded === undefined) {
        return "";
    }
    try {
        return decodeURIComponent(encoded);
    } catch {
        return encoded;
    }
}

/** The document read from IAM, as the state's text where that says the same, so that a refresh changes nothing. */
export function documentAsHeld(read: string, previous: unknown): string {
    const held = plain(previous);
    return typeof held === "string" && sameDocument(held, read) ? held : read;
}

// ---------------------------------------------------------------------------------------------
// Check: the rules of each resource's inputs

/** The reason a known, plain value breaks the input's rule, or undefined. Never the value: it may be a secret. */
type Rule = (value: unknown) => string | undefined;

const IAM_NAME = /^[\w+=,.@-]+$/;

function iamName(what: string, maxLength: number): Rule {
    return (value) =>
        typeof value === "string" && value.length >= 1 && value.length <= maxLength && IAM_NAME.test(value)
            ? undefined
            : `${what} must be 1 to ${maxLength} letters, digits or any of +=,.@_- (IAM's rule for names)`;
}

function text(what: string, maxLength: number): Rule {
    return (value) =>
        typeof value === "string" && value.length <= maxLength
            ? undefined
            : `${what} must be a string of at most ${maxLength} characters`;
}

const iamPath: Rule = (value) =>
    typeof value === "string" && value.length <= 512 && /^\/([\x21-\x7e]+\/)?$/.test(value)
        ? undefined
        : "path must begin and end with / and hold only printable ASCII without spaces, at most 512 characters";

const arn: Rule = (value) =>
    value === "" || (typeof value === "string" && /^arn:[\w-]+:iam::(\d{12}|aws):policy\/\S+$/.test(value))
        ? undefined
        : "must be the ARN of an IAM policy (arn:aws:iam::ACCOUNT:policy/NAME) or empty";

/** A JSON policy document as a string: this stand-in does not take @pulumi/aws's PolicyDocument objects. */
function jsonDocument(what: string): Rule {
    return (value) => {
        if (typeof value !== "string") {
            return `${what} must be a JSON policy document as a string (JSON.stringify it); this stand-in takes no PolicyDocument objects`;
        }
        try {
            const parsed: unknown = JSON.parse(value);
            return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
                ? undefined
                : `${what} must be a JSON object`;
        } catch {
            return `${what} is not valid JSON`;
        }
    };
}

const sessionDuration: Rule = (value) =>
    typeof value === "number" && Number.isInteger(value) && value >= 3600 && value <= 43200
        ? undefined
        : "maxSessionDuration must be a whole number of seconds from 3600 to 43200";

const tags: Rule = (value) =>
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([key, v]) => typeof v === "string" && key.length >= 1 && key.length <= 128)
        ? undefined
        : "tags must be a map of tag keys (1 to 128 characters) to string values";

function stringList(what: string): Rule {
    return (value) =>
        Array.isArray(value) && value.every((item) => typeof item === "string" && item.length > 0)
            ? undefined
            : `${what} must be a list of non-empty strings`;
}

/** Where the engine's own diff would differ from IAM's view: an absent input means IAM's default. */
export interface Field {
    /** The input's name, as @pulumi/aws spells it. */
    name: string;
    /** IAM cannot change it in place: a change replaces the resource. */
    replaces?: boolean;
    /** What IAM holds when the input is not given, so that leaving it out equals that value. */
    absent?: unknown;
    same?: (a: unknown, b: unknown) => boolean;
}

export interface ResourceSchema {
    token: string;
    /** Every input this stand-in implements, with its rule; any other input is a check failure. */
    inputs: Record<string, Rule>;
    required: readonly string[];
    fields: readonly Field[];
    /** Named after the resource when `name` is left out, as pulumi-aws autonames (namePrefix taken too). */
    autonamed?: boolean;
}

const sameSet = (a: unknown, b: unknown) =>
    Array.isArray(a) && Array.isArray(b) ? isDeepStrictEqual([...new Set(a)].sort(), [...new Set(b)].sort()) : false;

export const ROLE_SCHEMA: ResourceSchema = {
    token: ROLE,
    inputs: {
        name: iamName("name", 64),
        namePrefix: iamName("namePrefix", 38),
        path: iamPath,
        description: text("description", 1000),
        assumeRolePolicy: jsonDocument("assumeRolePolicy"),
        maxSessionDuration: sessionDuration,
        permissionsBoundary: arn,
        tags,
    },
    required: ["assumeRolePolicy"],
    fields: [
        { name: "name", replaces: true },
        { name: "namePrefix", replaces: true },
        { name: "path", replaces: true, absent: "/" },
        { name: "description", absent: "" },
        { name: "assumeRolePolicy", same: sameDocument },
        { name: "maxSessionDuration", absent: 3600 },
        { name: "permissionsBoundary", absent: "" },
        { name: "tags", absent: {} },
    ],
    autonamed: true,
};

export const ROLE_POLICY_SCHEMA: ResourceSchema = {
    token: ROLE_POLICY,
    inputs: {
        name: iamName("name", 128),
        namePrefix: iamName("namePrefix", 100),
        role: iamName("role", 64),
        policy: jsonDocument("policy"),
    },
    required: ["role", "policy"],
    fields: [
        { name: "name", replaces: true },
        { name: "namePrefix", replaces: true },
        { name: "role", replaces: true },
        { name: "policy", same: sameDocument },
    ],
    autonamed: true,
};

export const ROLE_POLICIES_EXCLUSIVE_SCHEMA: ResourceSchema = {
    token: ROLE_POLICIES_EXCLUSIVE,
    inputs: { roleName: iamName("roleName", 64), policyNames: stringList("policyNames") },
    required: ["roleName", "policyNames"],
    // A set in the real provider: the order of the names is no change.
    fields: [
        { name: "roleName", replaces: true },
        { name: "policyNames", absent: [], same: sameSet },
    ],
};

export const ROLE_POLICY_ATTACHMENTS_EXCLUSIVE_SCHEMA: ResourceSchema = {
    token: ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    inputs: { roleName: iamName("roleName", 64), policyArns: stringList("policyArns") },
    required: ["roleName", "policyArns"],
    fields: [
        { name: "roleName", replaces: true },
        { name: "policyArns", absent: [], same: sameSet },
    ],
};

export const ROLE_POLICY_ATTACHMENT_SCHEMA: ResourceSchema = {
    token: ROLE_POLICY_ATTACHMENT,
    inputs: { role: iamName("role", 64), policyArn: arn },
    required: ["role", "policyArn"],
    fields: [
        { name: "role", replaces: true },
        { name: "policyArn", replaces: true },
    ],
};

export const POLICY_SCHEMA: ResourceSchema = {
    token: POLICY,
    inputs: {
        name: iamName("name", 128),
        namePrefix: iamName("namePrefix", 96),
        path: iamPath,
        description: text("description", 1000),
        policy: jsonDocument("policy"),
        tags,
    },
    required: ["policy"],
    fields: [
        { name: "name", replaces: true },
        { name: "namePrefix", replaces: true },
        { name: "path", replaces: true, absent: "/" },
        { name: "description", replaces: true, absent: "" },
        { name: "policy", same: sameDocument },
        { name: "tags", absent: {} },
    ],
    autonamed: true,
};

const given = (value: unknown) => value !== undefined && value !== null;

/**
 * The name pulumi-aws would give a resource without one: `<resource name>-<7 hex>`, or namePrefix and
 * 26 characters. Kept from the old inputs while it still fits, so that each preview does not rename
 * (and so replace) the resource.
 */
export function autoname(news: Props, olds: Props, resourceName: string, suffix: (length: number) => string): Props {
    if (given(news.name)) {
        return news;
    }
    if (containsUnknown(news.namePrefix)) {
        return { ...news, name: unknownValue };
    }
    const prefix = plain(news.namePrefix);
    const [stem, length] = typeof prefix === "string" && prefix ? [prefix, 26] : [`${resourceName}-`, 7];
    const old = plain(olds.name);
    return { ...news, name: typeof old === "string" && old.startsWith(stem) ? old : stem + suffix(length) };
}

/** The check failures of a resource's inputs: unknown keys, missing inputs, broken rules (on known values only). */
export function checkFailures(schema: ResourceSchema, news: Props): provider.CheckFailure[] {
    const failures: provider.CheckFailure[] = [];
    const implemented = Object.keys(schema.inputs);
    for (const key of Object.keys(news)) {
        if (!Object.prototype.hasOwnProperty.call(schema.inputs, key) && given(news[key])) {
            failures.push({
                property: key,
                reason: `${key} is an input of ${schema.token} that ${STAND_IN} does not implement; it takes only ${implemented.join(", ")}`,
            });
        }
    }
    for (const key of schema.required) {
        if (!given(news[key])) {
            failures.push({ property: key, reason: `${key} is required` });
        }
    }
    for (const [key, rule] of Object.entries(schema.inputs)) {
        if (given(news[key]) && !containsUnknown(news[key])) {
            const reason = rule(plain(news[key]));
            if (reason) {
                failures.push({ property: key, reason });
            }
        }
    }
    return failures;
}

/**
 * Check's answer: the inputs as they came (secrets still wrapped), with a name made where none is
 * given, and the failures of the rules; a made name is held to IAM's rules like a given one.
 */
export function checkInputs(
    schema: ResourceSchema,
    olds: Props,
    news: Props,
    resourceName: string,
    suffix: (length: number) => string,
): provider.CheckResult {
    if (schema.autonamed && given(news.name) && given(news.namePrefix)) {
        return {
            inputs: news,
            failures: [{ property: "namePrefix", reason: "name and namePrefix cannot both be given" }],
        };
    }
    const inputs = schema.autonamed ? autoname(news, olds, resourceName, suffix) : news;
    return { inputs, failures: checkFailures(schema, inputs) };
}

// ---------------------------------------------------------------------------------------------
// Diff

function valueOf(props: Props, field: Field): unknown {
    const value = plain(props[field.name]);
    return given(value) ? value : field.absent;
}

/**
 * The inputs that differ between the state (olds: the outputs, which repeat the inputs) and the new
 * inputs: secrets unwrapped, an absent input as IAM's default, documents compared semantically, and a
 * value not known yet (preview) counted as a change.
 */
export function changedFields(
    schema: ResourceSchema,
    olds: Props,
    news: Props,
): { changed: string[]; replaces: string[] } {
    const changed = schema.fields
        .filter(
            (field) =>
                containsUnknown(news[field.name]) ||
                !(field.same ?? isDeepStrictEqual)(valueOf(olds, field), valueOf(news, field)),
        )
        .map((field) => field.name);
    const replacing = new Set(schema.fields.filter((field) => field.replaces).map((field) => field.name));
    return { changed, replaces: changed.filter((name) => replacing.has(name)) };
}

/** The answer to the engine's Diff; deleteBeforeReplace is the program's to ask (the role asks it). */
export function diffResult(schema: ResourceSchema, olds: Props, news: Props): provider.DiffResult {
    const { changed, replaces } = changedFields(schema, olds, news);
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
}

// ---------------------------------------------------------------------------------------------
// IAM's answers as @pulumi/aws's properties

/** Terraform's RFC 3339 without fractions, as the real provider reports createDate. */
export function rfc3339(date: Date | undefined): string {
    return date ? date.toISOString().replace(/\.\d{3}Z$/, "Z") : "";
}

export function tagMap(list: readonly Tag[] | undefined): Record<string, string> {
    return Object.fromEntries((list ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
}

export function tagList(map: unknown): Tag[] {
    return Object.entries((map ?? {}) as Record<string, string>).map(([Key, Value]) => ({ Key, Value }));
}

/** What TagX/UntagX must do to make the old tags the new ones. */
export function tagChanges(olds: unknown, news: unknown): { set: Tag[]; remove: string[] } {
    const [before, after] = [(olds ?? {}) as Record<string, string>, (news ?? {}) as Record<string, string>];
    return {
        set: tagList(Object.fromEntries(Object.entries(after).filter(([key, value]) => before[key] !== value))),
        remove: Object.keys(before).filter((key) => !(key in after)),
    };
}

/** The names in `actual` that `wanted` does not hold: what an exclusive resource removes. */
export function extraneous(actual: readonly string[], wanted: readonly string[]): string[] {
    return actual.filter((name) => !wanted.includes(name));
}

/** A role's outputs after create or update: the inputs as they came (secrets stay wrapped) and what IAM made. */
export function roleOutputs(inputs: Props, role: Role): Props {
    // Defaults (path, maxSessionDuration) only where the inputs gave them, unlike the real provider: Read
    // receives the state's outputs and not its inputs, and takes the shape of the inputs from those.
    return {
        ...inputs,
        name: role.RoleName,
        id: role.RoleName,
        arn: role.Arn,
        uniqueId: role.RoleId,
        createDate: rfc3339(role.CreateDate),
        tagsAll: inputs.tags ?? {},
    };
}

/**
 * The optional inputs read back: each where IAM holds something other than its default, or where the
 * state had the input (its outputs repeat exactly the inputs given), so that a refresh neither adds
 * `path: "/"` nor drops `tags: {}`: the engine shows a refresh's change of inputs. An import, without a
 * state, gets what a program would have to write.
 */
export function optionalInputs(
    previous: Props,
    entries: readonly [key: string, value: unknown, isDefault: boolean][],
): Props {
    return Object.fromEntries(
        entries.filter(([key, , isDefault]) => !isDefault || given(previous[key])).map(([key, value]) => [key, value]),
    );
}

/**
 * A role as Read returns it: `inputs` as a program would write them, `props` as the state holds them.
 * The trust policy is returned secret even on import, where the engine has no state to take the
 * secretness from, because it carries the external ID and the engine prints a mismatching import's inputs.
 */
export function roleRead(role: Role, previous: Props): { id: string; props: Props; inputs: Props } {
    const tagsOfRole = tagMap(role.Tags);
    const boundary = role.PermissionsBoundary?.PermissionsBoundaryArn ?? "";
    const duration = role.MaxSessionDuration ?? 3600;
    const inputs: Props = {
        name: role.RoleName,
        assumeRolePolicy: documentAsHeld(decodeDocument(role.AssumeRolePolicyDocument), previous.assumeRolePolicy),
        ...optionalInputs(previous, [
            // An import writes the duration IAM always holds, as the real provider's import does.
            ["maxSessionDuration", duration, duration === 3600 && Object.keys(previous).length > 0],
            ["path", role.Path ?? "/", (role.Path ?? "/") === "/"],
            ["description", role.Description ?? "", !role.Description],
            ["permissionsBoundary", boundary, !boundary],
            ["tags", tagsOfRole, Object.keys(tagsOfRole).length === 0],
        ]),
        // IAM does not know the prefix a name was made from; the state does.
        ...(given(previous.namePrefix) ? { namePrefix: previous.namePrefix } : {}),
    };
    const kept = keepSecretness(inputs, previous);
    const held = {
        ...kept,
        assumeRolePolicy: isSecret(kept.assumeRolePolicy) ? kept.assumeRolePolicy : secret(kept.assumeRolePolicy),
    };
    return { id: role.RoleName ?? "", inputs: held, props: roleOutputs(held, role) };
}

/** @pulumi/aws's GetRoleResult. */
export function getRoleResult(role: Role): Props {
    return {
        arn: role.Arn,
        assumeRolePolicy: decodeDocument(role.AssumeRolePolicyDocument),
        createDate: rfc3339(role.CreateDate),
        description: role.Description ?? "",
        id: role.RoleName,
        maxSessionDuration: role.MaxSessionDuration ?? 3600,
        name: role.RoleName,
        path: role.Path ?? "/",
        permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn ?? "",
        // AWS always answers a RoleLastUsed, empty for a role never used; the real provider lists it as one entry.
        roleLastUseds: role.RoleLastUsed
            ? [{ lastUsedDate: rfc3339(role.RoleLastUsed.LastUsedDate), region: role.RoleLastUsed.Region ?? "" }]
            : [],
        tags: tagMap(role.Tags),
        uniqueId: role.RoleId,
    };
}

export function attachedPolicies(list: readonly AttachedPolicy[]): { policyArn: string; policyName: string }[] {
    return list.map((policy) => ({ policyArn: policy.PolicyArn ?? "", policyName: policy.PolicyName ?? "" }));
}

// ---------------------------------------------------------------------------------------------
// IDs

/** The real provider's ID (and import ID) of an inline policy: `role:policy`. Neither name may hold a colon. */
export function rolePolicyId(role: string, name: string): string {
    return `${role}:${name}`;
}

export function parseRolePolicyId(id: string): { role: string; name: string } {
    const parts = id.split(":");
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
        throw new Error(
            `the ID of an ${ROLE_POLICY} is ROLE_NAME:POLICY_NAME (one colon, as the real provider imports it); ${JSON.stringify(id)} is not`,
        );
    }
    return { role: parts[0], name: parts[1] };
}

/** The import ID the real provider takes for an attachment, `role/policy-arn`, as this stand-in's ID. */
export function rolePolicyAttachmentId(role: string, policyArn: string): string {
    return `${role}/${policyArn}`;
}

export function parseRolePolicyAttachmentId(id: string): { role: string; policyArn: string } {
    const slash = id.indexOf("/");
    if (slash < 1 || !id.slice(slash + 1).startsWith("arn:")) {
        throw new Error(
            `the ID of an ${ROLE_POLICY_ATTACHMENT} is ROLE_NAME/POLICY_ARN (as the real provider imports it); ${JSON.stringify(id)} is not`,
        );
    }
    return { role: id.slice(0, slash), policyArn: id.slice(slash + 1) };
}
