/**
 * Stack config for the connector: parsed from the raw strings Pulumi hands the program, and
 * validated as a whole before any resource is registered. Every problem is reported at once,
 * each naming the key, the value and the rule, so one `pulumi preview` shows them all.
 */
import {
    EXTERNAL_ID_MAX_LENGTH,
    EXTERNAL_ID_MIN_LENGTH,
    EXTERNAL_ID_PATTERN,
    INLINE_POLICY_SIZE_LIMIT,
    TRANSFER_BUCKET,
} from "./constants";
import { apiUrlProblem } from "./cloudglueApi";
import { shellQuote } from "./shellText";
import { BucketGrant, buildAccessPolicy, bucketsThatFit, policySize } from "./iamDocuments";

export const CONFIG_NAMESPACE = "cloudglue";

/** Defaults for keys that have one; Pulumi.yaml declares the same (a test keeps them equal). */
export const SETTING_DEFAULTS = {
    externalIdLength: 48,
    externalIdRotation: "",
    externalIdGraceHours: 72,
    apiUrl: "https://api.cloudglue.dev",
    propagationTimeoutSeconds: 120,
    verifyAccess: true,
    adoptExistingRole: false,
    existingPolicyName: "CloudglueExternalS3AccessPolicy",
    registration: "web",
    exclusivePolicies: true,
} as const;

/**
 * How the connector comes to exist: `web`, made by a person in Cloudglue's web app (the public API
 * cannot register one) and adopted through `connectorId`; `api`, registered by the stack through
 * the registration endpoints of this project's contract.
 */
export const REGISTRATION_MODES = ["web", "api"] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

/** Every `cloudglue:` key the program reads; any other is a typo that would otherwise be ignored. */
export const SETTING_KEYS = [
    "buckets",
    "externalId",
    "externalIdLength",
    "externalIdRotation",
    "externalIdGraceHours",
    "tags",
    "permissionsBoundaryArn",
    "apiKey",
    "apiUrl",
    "propagationTimeoutSeconds",
    "verifyAccess",
    "connectorId",
    "adoptExistingRole",
    "existingPolicyName",
    "registration",
    "exclusivePolicies",
] as const;

export interface ConnectorSettings {
    buckets: BucketGrant[];
    /** A user-supplied external ID; when absent the stack generates one. */
    externalId?: string;
    externalIdLength: number;
    externalIdRotation: string;
    /**
     * After a rotation the trust policy also accepts the previous external ID for this many hours
     * (IAM itself stops at the deadline); 0 drops the previous ID at once.
     */
    externalIdGraceHours: number;
    tags: Record<string, string>;
    permissionsBoundaryArn?: string;
    apiUrl: string;
    propagationTimeoutSeconds: number;
    verifyAccess: boolean;
    /** A connector made in Cloudglue's web app, adopted instead of registering one. */
    connectorId?: string;
    /** Import the role and its inline policy that already exist in the account. */
    adoptExistingRole: boolean;
    /** The role's inline policy name: the template's, or the one an existing role already has. */
    existingPolicyName: string;
    registration: RegistrationMode;
    /** The stack owns the role's policy sets: policies added outside it are removed on `up`. */
    exclusivePolicies: boolean;
}

/** Reads one raw config value by its key without namespace, as `pulumi.Config#get` does. */
export type RawConfigReader = (key: string) => string | undefined;

export class ConfigValidationError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `The stack config has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigValidationError";
    }
}

const BUCKET_FIELDS = ["name", "prefixes", "kmsKeyArn"];
const KMS_KEY_ARN =
    /^arn:aws:kms:([a-z]{2}(-[a-z]+)+-\d):\d{12}:key\/([0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
/**
 * The regions of the `aws` partition (the one `arn:aws:` names; China and GovCloud have their
 * own), as the pinned @pulumi/aws lists them; a test keeps the two equal.
 */
export const AWS_PARTITION_REGIONS = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
] as const;
/**
 * The shortest external ID the stack accepts. Cloudglue lets any customer register any role ARN
 * with any external ID, and the role ARN is predictable (account id and a fixed name): the
 * external ID's length is all that stops another Cloudglue customer from guessing it.
 */
export const EXTERNAL_ID_MIN_STRENGTH = 16;
const PERMISSIONS_BOUNDARY_ARN = /^arn:aws:iam::(\d{12}|aws):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/;
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_PREFIX_LENGTH = 1024;
const MAX_TAGS = 50;

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

/** The longest a quoted value gets in a message; a longer one is cut, and its length said. */
export const MAX_QUOTED_LENGTH = 80;
/** How deep lists and objects may nest in a setting's value; the deepest the program reads, a bucket list, has 3. */
export const MAX_CONFIG_DEPTH = 10;

/** How a message shows one value: as it is, or described when it must not be echoed. */
type Quote = (value: unknown) => string;

/**
 * A value as a message quotes it: JSON, cut when long, and never a crash (a value too deep to print is described).
 * A value that holds what looks like a credential is described, not shown (see credentialLike): these messages
 * reach `pulumi preview` and CI logs, whatever setting the credential was pasted into.
 */
export function quote(value: unknown): string {
    const hidden = hiddenValue(value);
    if (hidden !== undefined) {
        return hidden;
    }
    if (typeof value === "string" && value.length > MAX_QUOTED_LENGTH) {
        return `${JSON.stringify(`${cut(value)}…`)} (cut; ${value.length} characters)`;
    }
    const text = jsonOf(value);
    if (text === undefined) {
        return value === undefined ? "undefined" : "a value too deeply nested to show";
    }
    return text.length > MAX_QUOTED_LENGTH ? `${cut(text)}… (cut; ${text.length} characters of JSON)` : text;
}

/** Keys look like `cg-...` (the API contract); one in a path or a list starts after a separator. */
const API_KEY_LIKE = /(^|[\s"'/:=,])cg-[A-Za-z0-9._~+/=-]{6,}/i;
/** The shortest word taken for a random token, as short as the shortest external ID the stack accepts. */
const RANDOM_TOKEN_MIN_LENGTH = 16;

/**
 * What a value holds that must not be echoed: an API key, or a random token (an external ID
 * pasted into the wrong setting), in any of its strings, names included. Random means mixed
 * case and digits that change from one to another at two characters in five or more within a
 * word: names, words and ARNs do not, so bucket names, ARNs and ordinary tags stay shown.
 */
export function credentialLike(value: unknown): "an API key" | "a random token" | undefined {
    const words = stringsIn(value).flatMap((text) => text.split(/[\s"]+/));
    if (words.some((word) => API_KEY_LIKE.test(word))) {
        return "an API key";
    }
    return words.some(randomLooking) ? "a random token" : undefined;
}

function randomLooking(word: string): boolean {
    // Two of each kind at least: an uppercase id with one lowercase slip stays shown.
    const mixed = [/[a-z]/g, /[A-Z]/g, /\d/g].every((kind) => (word.match(kind) ?? []).length >= 2);
    if (word.length < RANDOM_TOKEN_MIN_LENGTH || /^arn:/.test(word) || !mixed) {
        return false;
    }
    // Changes between lowercase, uppercase and digits inside each run of them: a separator starts a new word.
    const kind = (c: string) => (/[a-z]/.test(c) ? "a" : /[A-Z]/.test(c) ? "A" : "0");
    const runs = word.match(/[A-Za-z0-9]+/g) ?? [];
    const characters = runs.join("").length;
    let changes = 0;
    for (const run of runs) {
        for (let i = 1; i < run.length; i++) {
            changes += kind(run[i]) === kind(run[i - 1]) ? 0 : 1;
        }
    }
    return characters >= RANDOM_TOKEN_MIN_LENGTH * 0.75 && changes * 5 >= characters * 2;
}

/** Every string in a value, names of fields included; a loop, so that any depth is safe. */
function stringsIn(value: unknown): string[] {
    const found: string[] = [];
    const pending: unknown[] = [value];
    while (pending.length > 0) {
        const next = pending.pop();
        if (typeof next === "string") {
            found.push(next);
        } else if (next !== null && typeof next === "object") {
            found.push(...Object.keys(next));
            pending.push(...Object.values(next));
        }
    }
    return found;
}

/** How a message describes a value holding a credential, or undefined when it may be shown. */
function hiddenValue(value: unknown): string | undefined {
    const like = credentialLike(value);
    if (like === undefined) {
        return undefined;
    }
    const length =
        typeof value === "string"
            ? `${value.length} characters`
            : `${jsonOf(value)?.length ?? "many"} characters of JSON`;
    const holds = typeof value === "string" ? "looks like" : "holds what looks like";
    return like === "an API key"
        ? `(${holds} an API key, ${length}: not shown; it belongs in ${key("apiKey")}, stored with --secret)`
        : `(${holds} a random token, ${length}: not shown; if it is the external ID, it belongs in ` +
              `${key("externalId")}, stored with --secret)`;
}

/** The value of a key stored as a secret: what it is like, never what it is. */
export function quoteSecret(value: unknown): string {
    const length = typeof value === "string" ? value.length : jsonOf(value)?.length;
    return length === undefined ? "(secret)" : `(secret, ${length} characters)`;
}

function jsonOf(value: unknown): string | undefined {
    try {
        return JSON.stringify(value);
    } catch {
        return undefined;
    }
}

/** The first characters of a long text, without splitting a surrogate pair. */
function cut(text: string): string {
    const head = text.slice(0, MAX_QUOTED_LENGTH - 20);
    return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

/** Whether lists and objects nest deeper than `limit`; a loop, not recursion, so that any depth is safe. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
    const pending: [unknown, number][] = [[value, 0]];
    while (pending.length > 0) {
        const [next, depth] = pending.pop() as [unknown, number];
        if (next !== null && typeof next === "object") {
            if (depth >= limit) {
                return true;
            }
            for (const child of Object.values(next)) {
                pending.push([child, depth + 1]);
            }
        }
    }
    return false;
}

function tooDeepProblem(name: string, needs: string): string {
    return (
        `${key(name)}: the value is nested too deeply: more than ${MAX_CONFIG_DEPTH} levels of lists and objects ` +
        `inside each other, and the limit is ${MAX_CONFIG_DEPTH} (${needs})`
    );
}

/**
 * A URL as a message may show it: scheme, host and path, never the user info, query or fragment,
 * which may hold a credential (what is left out is said). A value without scheme://host is not
 * shown at all: it may be a key pasted into the wrong setting.
 */
export function quoteUrl(raw: string): string {
    const url = urlOf(raw);
    if (!url) {
        const hint = /^cg-/i.test(raw.trim())
            ? "; it looks like a Cloudglue API key, which belongs in cloudglue:apiKey, set with --secret"
            : "";
        return `the value (${raw.length} characters; not shown, as it is not a URL and may be a credential${hint})`;
    }
    const hidden = [
        url.username || url.password ? "user info" : "",
        url.search || raw.includes("?") ? "query" : "",
        url.hash || raw.includes("#") ? "fragment" : "",
    ].filter(Boolean);
    if (hidden.length === 0) {
        return quote(raw);
    }
    return `the URL ${quote(`${url.protocol}//${url.host}${url.pathname}`)} (${hidden.join(", ")} not shown)`;
}

/** The value as a URL with an authority (scheme://host), or undefined. */
function urlOf(raw: string): URL | undefined {
    try {
        const url = new URL(raw);
        return /^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) ? url : undefined;
    } catch {
        return undefined;
    }
}

/** A field or tag name as part of a message's path: as it is when short, else described. */
function member(at: string, name: string, q: Quote, secret: boolean): string {
    return secret || name.length > MAX_QUOTED_LENGTH || credentialLike(name)
        ? `${at}, name ${q(name)}`
        : `${at}.${name}`;
}

/** Keys whose values must be stored encrypted (`pulumi config set --secret`). */
export const SECRET_SETTING_KEYS = ["externalId", "apiKey"] as const;

/**
 * @param read reads a raw value by its key without namespace
 * @param presentKeys the keys set in the stack's config, namespaced, to catch misspelt ones
 * @param isSecret whether a namespaced key was set with --secret. Its value is never quoted in a
 *   problem; without this, only the keys that must be secrets are taken as such, and whether they
 *   are stored encrypted is not checked.
 */
export function parseSettings(
    read: RawConfigReader,
    presentKeys: readonly string[] = [],
    isSecret?: (namespacedKey: string) => boolean,
): ConnectorSettings {
    const problems: string[] = [];
    const secret = (name: string) =>
        (SECRET_SETTING_KEYS as readonly string[]).includes(name) || (isSecret?.(key(name)) ?? false);
    const q = (name: string): Quote => (secret(name) ? quoteSecret : quote);
    for (const name of SECRET_SETTING_KEYS) {
        if (isSecret && read(name) !== undefined && !isSecret(key(name))) {
            problems.push(
                `${key(name)} is stored in plain text in the stack's config; set it again as a secret: ` +
                    `pulumi config set --secret ${key(name)} <value>`,
            );
        }
    }
    for (const present of presentKeys) {
        const [namespace, name] = present.split(":", 2);
        if (namespace === CONFIG_NAMESPACE && !(SETTING_KEYS as readonly string[]).includes(name)) {
            const near = nearestSettingKey(name);
            const meant = near && key(near);
            const move = meant
                ? `did you mean ${meant}? Move it: pulumi config rm ${pasteArgument(present, "<key>")}, then pulumi config set ` +
                  `${(SECRET_SETTING_KEYS as readonly string[]).includes(near) ? "--secret " : ""}${meant} <value>; `
                : "";
            problems.push(`${present}: unknown setting; ${move}the settings are ${SETTING_KEYS.map(key).join(", ")}`);
        } else if (namespace !== CONFIG_NAMESPACE && name !== undefined && looksLikeOurNamespace(namespace)) {
            const meant = key(name);
            problems.push(
                `${present}: the namespace ${quote(namespace)} is not ${quote(CONFIG_NAMESPACE)}, so the program would ` +
                    `ignore this setting; did you mean ${meant}? Move it: pulumi config rm ${pasteArgument(present, "<key>")}, then ` +
                    `pulumi config set ${SECRET_SETTING_KEYS.some((k) => key(k) === meant) ? "--secret " : ""}${meant} <value>`,
            );
        }
    }
    const buckets = parseBuckets(read("buckets"), problems, q("buckets"), secret("buckets"));
    const externalId = parseExternalId(read("externalId"), problems);
    const externalIdLength = parseExternalIdLength(read("externalIdLength"), problems, q("externalIdLength"));
    const externalIdGraceHours = parseGraceHours(read("externalIdGraceHours"), problems, q("externalIdGraceHours"));
    const tags = parseTags(read("tags"), problems, q("tags"), secret("tags"));
    const permissionsBoundaryArn = parsePermissionsBoundary(
        read("permissionsBoundaryArn"),
        problems,
        q("permissionsBoundaryArn"),
    );
    const apiUrl = parseApiUrl(read("apiUrl"), problems, secret("apiUrl"));
    const propagationTimeoutSeconds = parsePropagationTimeout(
        read("propagationTimeoutSeconds"),
        problems,
        q("propagationTimeoutSeconds"),
    );
    const verifyAccess = parseBoolean(
        "verifyAccess",
        read("verifyAccess"),
        SETTING_DEFAULTS.verifyAccess,
        problems,
        q("verifyAccess"),
    );
    const connectorId = parseConnectorId(read("connectorId"), problems, q("connectorId"));
    const adoptExistingRole = parseBoolean(
        "adoptExistingRole",
        read("adoptExistingRole"),
        SETTING_DEFAULTS.adoptExistingRole,
        problems,
        q("adoptExistingRole"),
    );
    const existingPolicyName = parsePolicyName(read("existingPolicyName"), problems, q("existingPolicyName"));
    const registration = parseRegistration(read("registration"), problems, q("registration"));
    const exclusivePolicies = parseBoolean(
        "exclusivePolicies",
        read("exclusivePolicies"),
        SETTING_DEFAULTS.exclusivePolicies,
        problems,
        q("exclusivePolicies"),
    );
    if (adoptExistingRole && externalId === undefined && !problems.some((p) => p.startsWith(key("externalId")))) {
        problems.push(
            `${key("adoptExistingRole")} is true but ${key("externalId")} is not set: an existing role's trust policy names ` +
                "the external ID Cloudglue already holds, and the stack must use the same one. Set it with: " +
                `pulumi config set --secret ${key("externalId")} <id> (the CloudFormation stack's ExternalId parameter, ` +
                "or the ID entered in Cloudglue's web app)",
        );
    }

    if (problems.length === 0) {
        checkPolicySize(buckets, problems);
    }
    if (problems.length > 0) {
        throw new ConfigValidationError(problems);
    }
    return {
        buckets,
        externalId,
        externalIdLength,
        externalIdRotation: read("externalIdRotation") ?? SETTING_DEFAULTS.externalIdRotation,
        externalIdGraceHours,
        tags,
        permissionsBoundaryArn,
        apiUrl,
        propagationTimeoutSeconds,
        verifyAccess,
        connectorId,
        adoptExistingRole,
        existingPolicyName,
        registration,
        exclusivePolicies,
    };
}

function parseBuckets(raw: string | undefined, problems: string[], q: Quote, secret: boolean): BucketGrant[] {
    const example = `pulumi config set --path '${key("buckets")}[0]' my-video-bucket`;
    if (raw === undefined || raw.trim() === "") {
        problems.push(`${key("buckets")} is not set; name at least one bucket: ${example}`);
        return [];
    }
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch {
        list = undefined;
    }
    if (nestedDeeperThan(list, MAX_CONFIG_DEPTH)) {
        problems.push(tooDeepProblem("buckets", "a list of bucket entries needs 3"));
        return [];
    }
    if (!Array.isArray(list) && /^[a-z0-9][a-z0-9.-]*$/.test(raw.trim())) {
        // One bucket name, as `pulumi new` writes the template's prompt (a prompt cannot write a list).
        list = [raw.trim()];
    }
    if (!Array.isArray(list)) {
        problems.push(`${key("buckets")}: ${q(raw)} is not a list; set it with --path so that it is one: ${example}`);
        return [];
    }
    if (list.length === 0) {
        problems.push(`${key("buckets")}: the list is empty; name at least one bucket: ${example}`);
        return [];
    }

    const grants: BucketGrant[] = [];
    const firstIndexByName = new Map<string, number>();
    list.forEach((item: unknown, index) => {
        const at = `${key("buckets")}[${index}]`;
        const grant = parseBucketItem(item, at, problems, q, secret);
        if (!grant) {
            return;
        }
        const earlier = firstIndexByName.get(grant.name);
        if (earlier !== undefined) {
            problems.push(
                `${at}: bucket ${q(grant.name)} is listed twice (also at ${key("buckets")}[${earlier}]); ` +
                    "list each bucket once, with all of its prefixes in one entry",
            );
            return;
        }
        firstIndexByName.set(grant.name, index);
        grants.push(grant);
    });
    return grants;
}

function parseBucketItem(
    item: unknown,
    at: string,
    problems: string[],
    q: Quote,
    secret: boolean,
): BucketGrant | undefined {
    if (item === null) {
        // What the CLI leaves of a one-name value after `config set --path '...buckets[1]' ...`.
        problems.push(
            `${at} is empty: setting a later entry with --path on a ${key("buckets")} of one plain name (as ` +
                `pulumi new writes it) makes the CLI drop that name; set it again: pulumi config set --path '${at}' <bucket>`,
        );
        return undefined;
    }
    if (typeof item === "string") {
        return checkBucketName(item, at, problems, q, secret) ? { name: item } : undefined;
    }
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
        problems.push(`${at}: ${q(item)} is neither a bucket name nor an object {name, prefixes, kmsKeyArn}`);
        return undefined;
    }
    const fields = item as Record<string, unknown>;
    let ok = true;
    for (const field of Object.keys(fields)) {
        if (!BUCKET_FIELDS.includes(field)) {
            problems.push(
                `${member(at, field, q, secret)}: unknown field; a bucket entry has only ${BUCKET_FIELDS.join(", ")}`,
            );
            ok = false;
        }
    }
    const { name, prefixes, kmsKeyArn } = fields;
    if (typeof name !== "string") {
        problems.push(`${at}.name: ${q(name)} is not a bucket name; every bucket entry needs a name`);
        return undefined;
    }
    ok = checkBucketName(name, `${at}.name`, problems, q, secret) && ok;

    const grant: BucketGrant = { name };
    if (prefixes !== undefined) {
        const parsed = parsePrefixes(prefixes, `${at}.prefixes`, problems, q);
        ok = parsed !== undefined && ok;
        grant.prefixes = parsed;
    }
    if (kmsKeyArn !== undefined) {
        ok = checkKmsKeyArn(kmsKeyArn, `${at}.kmsKeyArn`, problems, q) && ok;
        grant.kmsKeyArn = kmsKeyArn as string;
    }
    return ok ? grant : undefined;
}

/** The bucket naming rules of S3 general purpose buckets, as the S3 User Guide lists them. */
export function bucketNameProblem(name: string): string | undefined {
    if (/[*?]/.test(name)) {
        return "wildcards are not allowed; name each bucket Cloudglue may read";
    }
    if (/^(s3:\/\/|arn:)/.test(name)) {
        return "give the bare bucket name, not an S3 URI or ARN";
    }
    if (name === TRANSFER_BUCKET) {
        return "that is Cloudglue's own transfer bucket, which the policy already lets Cloudglue write to; list your buckets";
    }
    if (name.length < 3 || name.length > 63) {
        return `a bucket name has 3 to 63 characters (this one has ${name.length})`;
    }
    if (!/^[a-z0-9.-]+$/.test(name)) {
        return "a bucket name has only lowercase letters, digits, dots and hyphens";
    }
    if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
        return "a bucket name starts and ends with a letter or digit";
    }
    if (name.includes("..")) {
        return "a bucket name has no two adjacent dots";
    }
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
        return "a bucket name is not formatted as an IP address";
    }
    const prefix = ["xn--", "sthree-", "amzn-s3-demo-"].find((p) => name.startsWith(p));
    if (prefix) {
        return `a bucket name does not start with ${quote(prefix)}, which S3 reserves`;
    }
    const suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].find((s) => name.endsWith(s));
    if (suffix) {
        return `a bucket name does not end with ${quote(suffix)}, which S3 reserves`;
    }
    return undefined;
}

/**
 * A bucket and a prefix written as one path (`acme-media-raw/videos/`): the entry to write instead,
 * or undefined when the name has no slash (or is an S3 URI or ARN, which have their own rule).
 * `secret`: the value was stored as a secret, so the entry and commands name neither part.
 */
export function bucketWithPrefixProblem(name: string, at: string, secret = false): string | undefined {
    const slash = name.indexOf("/");
    if (slash < 0 || /^(s3:\/\/|arn:)/.test(name)) {
        return undefined;
    }
    const rest = name.slice(slash + 1);
    // A part of a credential is not shown either: neither part is, when the whole looks like one.
    const hidden = secret || credentialLike(name) !== undefined;
    const bucket = hidden ? undefined : name.slice(0, slash);
    const prefix = hidden || !rest ? undefined : rest.endsWith("/") ? rest : `${rest}/`;
    // The entry and the commands carry each part as it is, or a placeholder where it cannot be shown whole.
    const json = (value: string | undefined, placeholder: string) =>
        value !== undefined && pasteArgument(value, "") !== "" ? JSON.stringify(value) : JSON.stringify(placeholder);
    const arg = (value: string | undefined, placeholder: string) =>
        value === undefined ? placeholder : pasteArgument(value, placeholder);
    const entry = rest
        ? `{"name": ${json(bucket, "<bucket>")}, "prefixes": [${json(prefix, "<prefix>/")}]}`
        : json(bucket, "<bucket>");
    const index = /\[(\d+)\](\.name)?$/.exec(at)?.[1] ?? "0";
    const set = `pulumi config set ${secret ? "--secret " : ""}--path`;
    const commands = rest
        ? `${set} '${key("buckets")}[${index}].name' ${arg(bucket, "<bucket>")} and ` +
          `${set} '${key("buckets")}[${index}].prefixes[0]' ${arg(prefix, "<prefix>/")}`
        : `${set} '${key("buckets")}[${index}]' ${arg(bucket, "<bucket>")}`;
    return (
        `${at}: ${secret ? quoteSecret(name) : quote(name)} is a bucket and a key prefix in one; a bucket name has no "/". ` +
        `To grant only that prefix, write the entry as ${entry} ({name, prefixes}): ${commands}`
    );
}

/**
 * A config-derived value as an argument of a command to paste: one shell word that is the value
 * (see shellQuote), or `placeholder` where a paste could not carry it as it is: a leading "-" (the
 * CLI would take it for a flag), a control character (a line break ends the command), more than a
 * message shows, or what looks like a credential.
 */
export function pasteArgument(value: string, placeholder: string): string {
    const carried =
        !value.startsWith("-") &&
        // eslint-disable-next-line no-control-regex
        !/[\u0000-\u001f\u007f]/.test(value) &&
        value.length <= MAX_QUOTED_LENGTH &&
        credentialLike(value) === undefined;
    return carried ? shellQuote(value) : placeholder;
}

function checkBucketName(name: string, at: string, problems: string[], q: Quote, secret: boolean): boolean {
    const withPrefix = bucketWithPrefixProblem(name, at, secret);
    if (withPrefix) {
        problems.push(withPrefix);
        return false;
    }
    const problem = bucketNameProblem(name);
    if (problem) {
        problems.push(`${at}: ${q(name)} is not a valid bucket name: ${problem}`);
    }
    return problem === undefined;
}

function parsePrefixes(value: unknown, at: string, problems: string[], q: Quote): string[] | undefined {
    if (!Array.isArray(value) || value.length === 0) {
        problems.push(
            `${at}: ${q(value)} is not a non-empty list of key prefixes; leave prefixes out to grant the whole bucket`,
        );
        return undefined;
    }
    let ok = true;
    const seen = new Set<string>();
    value.forEach((prefix: unknown, index) => {
        const problem = prefixProblem(prefix, seen);
        if (problem) {
            problems.push(`${at}[${index}]: ${q(prefix)} is not a valid prefix: ${problem}`);
            ok = false;
        }
        seen.add(prefix as string);
    });
    return ok ? (value as string[]) : undefined;
}

/** What is wrong with a key prefix as `prefixes` takes it, or undefined. */
export function prefixProblem(prefix: unknown, seen: Set<string> = new Set()): string | undefined {
    if (typeof prefix !== "string" || prefix === "") {
        return 'a prefix is a non-empty string such as "videos/"';
    }
    if (/[*?]/.test(prefix)) {
        return "wildcards are not allowed; a prefix already covers every key that starts with it";
    }
    if (prefix.includes("${")) {
        return '"${" would be read by IAM as a policy variable';
    }
    if (prefix.startsWith("/")) {
        return 'S3 keys do not start with "/"; write "videos/", not "/videos/"';
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(prefix)) {
        return "control characters are not allowed";
    }
    if (Buffer.byteLength(prefix, "utf8") > MAX_PREFIX_LENGTH) {
        return `an S3 key, and so a prefix, has at most ${MAX_PREFIX_LENGTH} bytes`;
    }
    if (seen.has(prefix)) {
        return "listed twice for this bucket";
    }
    return undefined;
}

function checkKmsKeyArn(value: unknown, at: string, problems: string[], q: Quote): boolean {
    const region = typeof value === "string" ? KMS_KEY_ARN.exec(value)?.[1] : undefined;
    if (region !== undefined && (AWS_PARTITION_REGIONS as readonly string[]).includes(region)) {
        return true;
    }
    if (region !== undefined) {
        problems.push(
            `${at}: ${q(value)} names the region ${q(region)}, which is not a region of the aws partition ` +
                `(${AWS_PARTITION_REGIONS.join(", ")}); copy the key's ARN from the KMS console`,
        );
        return false;
    }
    let rule = "expected arn:aws:kms:<region>:<12-digit account>:key/<key id>";
    if (typeof value === "string" && value.includes(":alias/")) {
        rule = `an alias cannot grant kms:Decrypt in IAM; use the key's ARN (${rule})`;
    } else if (typeof value === "string" && /[*?]/.test(value)) {
        rule = `wildcards are not allowed; name the bucket's key (${rule})`;
    }
    problems.push(`${at}: ${q(value)} is not a KMS key ARN: ${rule}`);
    return false;
}

function parseExternalId(raw: string | undefined, problems: string[]): string | undefined {
    if (raw === undefined) {
        return undefined;
    }
    // The value is a secret: describe it, never echo it.
    const rules = [];
    if (raw.length < EXTERNAL_ID_MIN_STRENGTH) {
        rules.push(
            `it has ${raw.length} characters, and the stack needs at least ${EXTERNAL_ID_MIN_STRENGTH}: the role ARN is ` +
                "predictable, so the external ID's length is what keeps another Cloudglue customer from guessing it",
        );
    } else if (raw.length > EXTERNAL_ID_MAX_LENGTH) {
        rules.push(
            `it has ${raw.length} characters, and AWS accepts ${EXTERNAL_ID_MIN_LENGTH} to ${EXTERNAL_ID_MAX_LENGTH}`,
        );
    }
    if (raw.length > 0 && !EXTERNAL_ID_PATTERN.test(raw)) {
        rules.push("it has characters outside letters, digits and + = , . @ : / -");
    }
    if (rules.length > 0) {
        problems.push(
            `${key("externalId")}: the secret value is not a valid external ID: ${rules.join("; ")}. ` +
                `Rotate it: pulumi config set --secret ${key("externalId")} <id of ${EXTERNAL_ID_MIN_STRENGTH} to ` +
                `${EXTERNAL_ID_MAX_LENGTH} characters>, or pulumi config rm ${key("externalId")} to let the stack generate ` +
                `one of ${key("externalIdLength")} characters (${SETTING_DEFAULTS.externalIdLength} unless set); ` +
                "the next pulumi up puts the new ID in the role's trust policy and gives it to Cloudglue " +
                "(for a connector made in Cloudglue's web app, enter it there too; for a role you adopt, put the new ID " +
                "in its trust policy and in Cloudglue's web app first)",
        );
        return undefined;
    }
    return raw;
}

function parseExternalIdLength(raw: string | undefined, problems: string[], q: Quote): number {
    if (raw === undefined) {
        return SETTING_DEFAULTS.externalIdLength;
    }
    const length = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(length >= EXTERNAL_ID_MIN_STRENGTH && length <= EXTERNAL_ID_MAX_LENGTH)) {
        problems.push(
            `${key("externalIdLength")}: ${q(raw)} is not a whole number from ${EXTERNAL_ID_MIN_STRENGTH} to ` +
                `${EXTERNAL_ID_MAX_LENGTH}: AWS accepts at most ${EXTERNAL_ID_MAX_LENGTH} characters, and a shorter ID ` +
                `than ${EXTERNAL_ID_MIN_STRENGTH} could be guessed by another Cloudglue customer. Set it with: ` +
                `pulumi config set ${key("externalIdLength")} ${SETTING_DEFAULTS.externalIdLength} ` +
                "(a new length generates a new ID, which the next pulumi up rotates in)",
        );
        return SETTING_DEFAULTS.externalIdLength;
    }
    return length;
}

/** The longest grace window; the policy pack refuses a deadline further away than this. */
export const MAX_EXTERNAL_ID_GRACE_HOURS = 720;

function parseGraceHours(raw: string | undefined, problems: string[], q: Quote): number {
    if (raw === undefined) {
        return SETTING_DEFAULTS.externalIdGraceHours;
    }
    const hours = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(hours >= 0 && hours <= MAX_EXTERNAL_ID_GRACE_HOURS)) {
        problems.push(
            `${key("externalIdGraceHours")}: ${q(raw)} is not a whole number of hours from 0 to ` +
                `${MAX_EXTERNAL_ID_GRACE_HOURS}: after a rotation the previous external ID keeps working that long ` +
                `(0: not at all), and a window longer than ${MAX_EXTERNAL_ID_GRACE_HOURS} hours (30 days) keeps an old ID ` +
                `alive too long. Set it with: pulumi config set ${key("externalIdGraceHours")} ` +
                `${SETTING_DEFAULTS.externalIdGraceHours}`,
        );
        return SETTING_DEFAULTS.externalIdGraceHours;
    }
    return hours;
}

function parseTags(raw: string | undefined, problems: string[], q: Quote, secret: boolean): Record<string, string> {
    if (raw === undefined) {
        return {};
    }
    let tags: unknown;
    try {
        tags = JSON.parse(raw);
    } catch {
        tags = undefined;
    }
    if (nestedDeeperThan(tags, MAX_CONFIG_DEPTH)) {
        problems.push(tooDeepProblem("tags", "a map of tag names to values needs 1"));
        return {};
    }
    if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
        problems.push(
            `${key("tags")}: ${q(raw)} is not a map of tag names to values; ` +
                `set each tag with: pulumi config set --path '${key("tags")}.team' media`,
        );
        return {};
    }
    const entries = Object.entries(tags as Record<string, unknown>);
    if (entries.length > MAX_TAGS) {
        problems.push(`${key("tags")}: ${entries.length} tags, and an IAM role takes at most ${MAX_TAGS}`);
    }
    for (const [name, value] of entries) {
        const at = member(key("tags"), name, q, secret);
        if (name.length < 1 || name.length > 128 || !TAG_CHARACTERS.test(name)) {
            problems.push(
                `${at === `${key("tags")}.${name}` ? at : key("tags")}: ${q(name)} is not a valid tag name: 1 to 128 letters, digits, spaces and _ . : / = + - @`,
            );
        } else if (name.toLowerCase().startsWith("aws:")) {
            problems.push(`${at}: tag names that start with "aws:" are reserved by AWS`);
        }
        if (typeof value !== "string" || value.length > 256 || !TAG_CHARACTERS.test(value)) {
            problems.push(
                `${at}: ${q(value)} is not a valid tag value: a string of at most 256 letters, digits, spaces and _ . : / = + - @`,
            );
        }
    }
    return tags as Record<string, string>;
}

function parsePermissionsBoundary(raw: string | undefined, problems: string[], q: Quote): string | undefined {
    if (raw === undefined || raw === "") {
        return undefined;
    }
    if (!PERMISSIONS_BOUNDARY_ARN.test(raw)) {
        problems.push(
            `${key("permissionsBoundaryArn")}: ${q(raw)} is not an IAM managed policy ARN: ` +
                "expected arn:aws:iam::<12-digit account>:policy/<name> or arn:aws:iam::aws:policy/<name>",
        );
        return undefined;
    }
    return raw;
}

/**
 * What is wrong with an API base URL, in a message that begins with `name` (where it came from:
 * cloudglue:apiUrl, --api-url, CLOUDGLUE_API_URL); undefined when it is one. The URL is shown
 * without its credential parts (see quoteUrl); one stored as a secret (`secret`) not at all.
 */
export function apiUrlSettingProblem(raw: string, name: string, secret = false): string | undefined {
    // The client's own rule, so that the program, the provider and the access check agree.
    let problem = apiUrlProblem(raw);
    const url = urlOf(raw);
    const shown = secret ? quoteSecret(raw) : quoteUrl(raw);
    if (problem) {
        const scheme = /^([^:/?#]*:)/.exec(raw.trim())?.[1];
        if ((secret || !url) && scheme) {
            // The rule names the scheme; of a value not shown, that may be the start of a key.
            problem = problem.split(scheme).join("its scheme");
        }
        return `${name}: ${shown} is not an API base URL (https://host[:port], without /v1): ${problem}`;
    }
    if (/\/v1\/?$/.test(new URL(raw).pathname)) {
        return `${name}: ${shown} ends in /v1; give the base URL, such as ${SETTING_DEFAULTS.apiUrl}`;
    }
    return undefined;
}

function parseApiUrl(raw: string | undefined, problems: string[], secret: boolean): string {
    if (raw === undefined || raw === "") {
        return SETTING_DEFAULTS.apiUrl;
    }
    const problem = apiUrlSettingProblem(raw, key("apiUrl"), secret);
    if (problem) {
        problems.push(problem);
        return apiUrlProblem(raw) ? SETTING_DEFAULTS.apiUrl : raw.replace(/\/+$/, "");
    }
    return raw.replace(/\/+$/, "");
}

function parsePropagationTimeout(raw: string | undefined, problems: string[], q: Quote): number {
    if (raw === undefined) {
        return SETTING_DEFAULTS.propagationTimeoutSeconds;
    }
    const seconds = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!(seconds >= 0 && seconds <= 3600)) {
        problems.push(`${key("propagationTimeoutSeconds")}: ${q(raw)} is not a whole number of seconds from 0 to 3600`);
        return SETTING_DEFAULTS.propagationTimeoutSeconds;
    }
    return seconds;
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean, problems: string[], q: Quote): boolean {
    if (raw === undefined) {
        return fallback;
    }
    if (raw !== "true" && raw !== "false") {
        problems.push(`${key(name)}: ${q(raw)} is not true or false`);
        return fallback;
    }
    return raw === "true";
}

/** The published spec types connector ids as UUIDs (`format: uuid`). */
export const CONNECTOR_ID_PATTERN = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
export const CONNECTOR_ID_EXAMPLE = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";

export function isConnectorId(value: string): boolean {
    return CONNECTOR_ID_PATTERN.test(value);
}

function parseConnectorId(raw: string | undefined, problems: string[], q: Quote): string | undefined {
    if (raw === undefined || raw === "") {
        return undefined;
    }
    if (!isConnectorId(raw)) {
        problems.push(
            `${key("connectorId")}: ${q(raw)} is not a Cloudglue connector id (a UUID such as ` +
                "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f, as shown in Cloudglue's web app)",
        );
        return undefined;
    }
    return raw.toLowerCase();
}

function parseRegistration(raw: string | undefined, problems: string[], q: Quote): RegistrationMode {
    if (raw === undefined || raw === "") {
        return SETTING_DEFAULTS.registration;
    }
    if (!(REGISTRATION_MODES as readonly string[]).includes(raw)) {
        problems.push(
            `${key("registration")}: ${q(raw)} is not a registration mode: web (the connector is made in ` +
                "Cloudglue's web app, then adopted with cloudglue:connectorId; the default) or api (the stack registers " +
                "it, for an API with registration endpoints)",
        );
        return SETTING_DEFAULTS.registration;
    }
    return raw as RegistrationMode;
}

function parsePolicyName(raw: string | undefined, problems: string[], q: Quote): string {
    if (raw === undefined || raw === "") {
        return SETTING_DEFAULTS.existingPolicyName;
    }
    if (!/^[\w+=,.@-]{1,128}$/.test(raw)) {
        problems.push(
            `${key("existingPolicyName")}: ${q(raw)} is not an IAM policy name (1 to 128 letters, digits and _ + = , . @ -)`,
        );
    }
    return raw;
}

function checkPolicySize(buckets: BucketGrant[], problems: string[]): void {
    const size = policySize(buildAccessPolicy(buckets));
    if (size > INLINE_POLICY_SIZE_LIMIT) {
        const fit = bucketsThatFit(buckets);
        problems.push(
            `${key("buckets")}: the inline policy for these ${buckets.length} buckets would have ${size} characters, ` +
                `over IAM's limit of ${INLINE_POLICY_SIZE_LIMIT} for a role's inline policies (whitespace not counted); ` +
                `the first ${fit} buckets of the list fit. Remove buckets or prefixes until the list fits`,
        );
    }
}

/** The setting a misspelt key most likely meant: a letter or two off (case aside), or undefined. */
export function nearestSettingKey(name: string): (typeof SETTING_KEYS)[number] | undefined {
    const folded = name.toLowerCase();
    let best: { key: (typeof SETTING_KEYS)[number]; distance: number } | undefined;
    for (const candidate of SETTING_KEYS) {
        const distance = editDistance(folded, candidate.toLowerCase());
        if (distance <= Math.min(3, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) {
            best = { key: candidate, distance };
        }
    }
    return best?.key;
}

/** Whether a config namespace is a slip of the keyboard from ours: a letter or two off, or a look-alike. */
function looksLikeOurNamespace(namespace: string): boolean {
    const folded = namespace.toLowerCase().replace(/[1i|]/g, "l").replace(/0/g, "o");
    return folded === CONFIG_NAMESPACE || editDistance(folded, CONFIG_NAMESPACE) <= 2;
}

/** Edits (insert, delete, substitute, swap two neighbours) from one word to another. */
function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.length][b.length];
}
