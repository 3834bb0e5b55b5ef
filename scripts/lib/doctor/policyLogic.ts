/**
 * Just enough of IAM's policy logic for the doctor: which statements of a bucket policy, a key
 * policy or a permissions boundary apply to the Cloudglue role's read requests. What it cannot
 * decide from what it knows about those requests comes back as "unknown", never as "no".
 */
import { asList } from "../../../components/iamDocuments";

export interface AnyStatement {
    Sid?: string;
    Effect?: string;
    Principal?: "*" | Record<string, string | string[]>;
    NotPrincipal?: "*" | Record<string, string | string[]>;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

export interface AnyPolicy {
    Version?: string;
    Statement?: AnyStatement | AnyStatement[];
}

/** Yes, no, or cannot tell from what the doctor knows. */
export type Verdict = "yes" | "no" | "unknown";

/** IAM returns documents URL-encoded; the SDK hands them over as IAM sent them. */
export function parsePolicy(document: string): AnyStatement[] {
    const text = document.trim().startsWith("%7B") ? decodeURIComponent(document) : document;
    return asList((JSON.parse(text) as AnyPolicy).Statement);
}

/** IAM's wildcards: `*` any run of characters, `?` one character; case-insensitive for actions. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
    const source = pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

function actionMatches(statement: AnyStatement, action: string): boolean {
    if (statement.NotAction !== undefined) {
        return !asList(statement.NotAction).some((p) => wildcardMatch(p, action, true));
    }
    return asList(statement.Action).some((p) => wildcardMatch(p, action, true));
}

function resourceMatches(statement: AnyStatement, resource: string): boolean {
    if (statement.NotResource !== undefined) {
        return !asList(statement.NotResource).some((p) => wildcardMatch(p, resource));
    }
    return asList(statement.Resource).some((p) => wildcardMatch(p, resource));
}

/** The principal of a request: the role's ARN and its account. */
export interface RequestPrincipal {
    roleArn: string;
    accountId: string;
}

function principalNamed(principal: AnyStatement["Principal"], who: RequestPrincipal): boolean {
    if (principal === "*") {
        return true;
    }
    return asList(principal?.AWS).some(
        (p) => p === "*" || p === who.roleArn || p === who.accountId || p === `arn:aws:iam::${who.accountId}:root`,
    );
}

/** The ARN every session of the role has, up to the session's name: Cloudglue picks that name. */
function sessionStem(who: RequestPrincipal): string {
    return `arn:aws:sts::${who.accountId}:assumed-role/${who.roleArn.split("/").pop()}/`;
}

/**
 * Whether a Principal names the role's session: yes for the role, its account, or a pattern that
 * matches every session name; unknown for one session name or a pattern that may match Cloudglue's.
 */
export function principalCatches(principal: AnyStatement["Principal"], who: RequestPrincipal): Verdict {
    if (principalNamed(principal, who)) {
        return "yes";
    }
    const stem = sessionStem(who);
    const patterns = asList(principal === "*" ? [] : principal?.AWS);
    // A pattern ending in `*` whose rest matches a start of the stem matches whatever name follows it.
    const everySession = (p: string) =>
        p.endsWith("*") &&
        Array.from({ length: stem.length + 1 }, (_, i) => stem.slice(0, i)).some((start) =>
            wildcardMatch(p.slice(0, -1), start),
        );
    if (patterns.some(everySession)) {
        return "yes";
    }
    const maySession = (p: string) => patternsOverlap(p, `${stem}*`);
    const mayRole = (p: string) => /[*?]/.test(p) && patternsOverlap(p, who.roleArn);
    return patterns.some((p) => maySession(p) || mayRole(p)) ? "unknown" : "no";
}

function mentionsSession(principal: AnyStatement["NotPrincipal"], who: RequestPrincipal): boolean {
    return asList(principal === "*" ? [] : principal?.AWS).some((p) => p.startsWith(sessionStem(who)));
}

/**
 * What the doctor knows of a request Cloudglue makes with the role: it comes over HTTPS from
 * Cloudglue's network (no VPC endpoint of yours, an address you do not know), as the role.
 * A key that is not here is unknown; a key mapped to undefined is known to be absent. A kms:Decrypt
 * through S3 (kms:viaservice set) is a forward access session: S3 asks KMS with the role's
 * identity, and IAM sets aws:ViaAWSService to true for it (IAM User Guide, "Forward access
 * sessions"). aws:CalledVia is left unknown: which services fill it in is not certain here.
 */
export function cloudglueRequestContext(
    who: RequestPrincipal,
    extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
    return {
        ...extra,
        "aws:principalarn": who.roleArn,
        "aws:principalaccount": who.accountId,
        "aws:principaltype": "AssumedRole",
        "aws:securetransport": "true",
        "aws:sourcevpce": undefined,
        "aws:sourcevpc": undefined,
        "aws:vpcsourceip": undefined,
        "aws:sourceaccount": undefined,
        "aws:sourcearn": undefined,
        "aws:viaawsservice": extra["kms:viaservice"] === undefined ? "false" : "true",
    };
}

const NEGATED =
    /^(StringNotEquals|StringNotEqualsIgnoreCase|StringNotLike|ArnNotEquals|ArnNotLike|NotIpAddress|NumericNotEquals)$/;

/** One condition operator on one key, for a single-valued key, as IAM evaluates it. */
function evaluateOperator(
    operator: string,
    key: string,
    expected: unknown,
    context: Record<string, string | undefined>,
): Verdict {
    if (operator.startsWith("ForAnyValue:") || operator.startsWith("ForAllValues:")) {
        return "unknown";
    }
    const ifExists = operator.endsWith("IfExists");
    const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
    const lowerKey = key.toLowerCase();
    if (!(lowerKey in context)) {
        return "unknown";
    }
    const actual = context[lowerKey];
    const values = asList(expected as string | string[]).map(String);
    if (base === "Null") {
        const wantsAbsent = values.includes("true");
        return (actual === undefined) === wantsAbsent ? "yes" : "no";
    }
    if (actual === undefined) {
        // An absent key satisfies IfExists and the negated operators, and nothing else.
        return ifExists || NEGATED.test(base) ? "yes" : "no";
    }
    const positive = base.replace(/Not(?=[A-Z])/, "");
    let matched: boolean;
    switch (positive) {
        case "StringEquals":
        case "ArnEquals":
            matched = values.includes(actual);
            break;
        case "StringEqualsIgnoreCase":
            matched = values.some((v) => v.toLowerCase() === actual.toLowerCase());
            break;
        case "StringLike":
        case "ArnLike":
            matched = values.some((v) => wildcardMatch(v, actual));
            break;
        case "Bool":
            matched = values.some((v) => v.toLowerCase() === actual.toLowerCase());
            break;
        default:
            return "unknown";
    }
    return matched !== (positive !== base) ? "yes" : "no";
}

/** Whether every condition of a statement holds for the request (all operators and keys must). */
export function conditionsHold(
    condition: AnyStatement["Condition"],
    context: Record<string, string | undefined>,
): { verdict: Verdict; unknownKeys: string[] } {
    let verdict: Verdict = "yes";
    const unknownKeys: string[] = [];
    for (const [operator, keys] of Object.entries(condition ?? {})) {
        for (const [key, expected] of Object.entries(keys ?? {})) {
            const one = evaluateOperator(operator, key, expected, context);
            if (one === "no") {
                return { verdict: "no", unknownKeys: [] };
            }
            if (one === "unknown") {
                verdict = "unknown";
                unknownKeys.push(`${operator} ${key}`);
            }
        }
    }
    return { verdict, unknownKeys };
}

/** What a Deny's unknown keys say when its Principal names some session of the role, maybe Cloudglue's. */
export const SESSION_PRINCIPAL = "Principal (a session of the role; Cloudglue picks the session name)";

/** A request the role makes: an action on a resource. */
export interface RoleRequest {
    action: string;
    resource: string;
    /** Request-specific condition keys, lowercase (e.g. `s3:prefix` for a listing). */
    context?: Record<string, string | undefined>;
}

/** Whether a resource-policy statement with this effect applies to one of the role's requests. */
export function statementApplies(
    statement: AnyStatement,
    request: RoleRequest,
    who: RequestPrincipal,
    options: { resourcePolicy: boolean },
): { verdict: Verdict; unknownKeys: string[] } {
    if (!actionMatches(statement, request.action) || !resourceMatches(statement, request.resource)) {
        return { verdict: "no", unknownKeys: [] };
    }
    if (options.resourcePolicy) {
        if (statement.NotPrincipal !== undefined) {
            // Cloudglue calls as a session of the role (arn:aws:sts::<account>:assumed-role/<role>/<session>);
            // whether a NotPrincipal list exempts that session depends on the session's name, unknown here.
            if (principalNamed(statement.NotPrincipal, who) || mentionsSession(statement.NotPrincipal, who)) {
                const held = conditionsHold(statement.Condition, cloudglueRequestContext(who, request.context));
                return held.verdict === "no"
                    ? held
                    : {
                          verdict: "unknown",
                          unknownKeys: ["NotPrincipal (the role's session name)", ...held.unknownKeys],
                      };
            }
        } else {
            const named = principalCatches(statement.Principal, who);
            if (named === "no") {
                return { verdict: "no", unknownKeys: [] };
            }
            if (named === "unknown") {
                const held = conditionsHold(statement.Condition, cloudglueRequestContext(who, request.context));
                return held.verdict === "no"
                    ? held
                    : { verdict: "unknown", unknownKeys: [SESSION_PRINCIPAL, ...held.unknownKeys] };
            }
        }
    }
    return conditionsHold(statement.Condition, cloudglueRequestContext(who, request.context));
}

/**
 * Whether an identity policy (a permissions boundary) allows a request: some Allow applies and no
 * Deny does. A condition the doctor cannot evaluate makes the answer unknown.
 */
export function identityPolicyAllows(statements: AnyStatement[], request: RoleRequest, who: RequestPrincipal): Verdict {
    const verdicts = (effect: string) =>
        statements
            .filter((s) => s.Effect === effect)
            .map((s) => statementApplies(s, request, who, { resourcePolicy: false }).verdict);
    const denies = verdicts("Deny");
    if (denies.includes("yes")) {
        return "no";
    }
    const allows = verdicts("Allow");
    const allowed: Verdict = allows.includes("yes") ? "yes" : allows.includes("unknown") ? "unknown" : "no";
    return allowed === "yes" && denies.includes("unknown") ? "unknown" : allowed;
}

/**
 * Whether a key policy lets the role decrypt through S3: it names the role, or delegates to the
 * account's IAM policies (the account's root as principal). Conditions are judged as for a
 * decryption S3 asks for on the role's behalf.
 */
export function keyPolicyLetsRoleDecrypt(
    statements: AnyStatement[],
    who: RequestPrincipal,
    keyRegion: string,
): "role" | "account" | undefined {
    const context = cloudglueRequestContext(who, {
        "kms:viaservice": `s3.${keyRegion}.amazonaws.com`,
        "kms:calleraccount": who.accountId,
    });
    const allows = statements.filter(
        (s) =>
            s.Effect === "Allow" &&
            s.NotPrincipal === undefined &&
            actionMatches(s, "kms:Decrypt") &&
            resourceMatches(s, "*") &&
            conditionsHold(s.Condition, context).verdict === "yes",
    );
    const principals = allows.flatMap((s) => (s.Principal === "*" ? [] : asList(s.Principal?.AWS)));
    if (principals.some((p) => p === `arn:aws:iam::${who.accountId}:root` || p === who.accountId)) {
        return "account";
    }
    if (principals.includes(who.roleArn)) {
        return "role";
    }
    return undefined;
}

/**
 * Whether two IAM wildcard patterns match some string in common: a Deny's resource against what the
 * role may read. `*` and `?` in either one.
 */
export function patternsOverlap(a: string, b: string): boolean {
    const seen = new Map<string, boolean>();
    const from = (i: number, j: number): boolean => {
        const key = `${i},${j}`;
        const known = seen.get(key);
        if (known !== undefined) {
            return known;
        }
        let result: boolean;
        if (i === a.length && j === b.length) {
            result = true;
        } else if (a[i] === "*") {
            result = from(i + 1, j) || (j < b.length && from(i, j + 1));
        } else if (b[j] === "*") {
            result = from(i, j + 1) || (i < a.length && from(i + 1, j));
        } else {
            result =
                i < a.length && j < b.length && (a[i] === "?" || b[j] === "?" || a[i] === b[j]) && from(i + 1, j + 1);
        }
        seen.set(key, result);
        return result;
    };
    return from(0, 0);
}

/** What the role may ask for on a bucket as the stack grants it: one action, the resources it may name. */
export interface RoleArea {
    action: string;
    resources: string[];
}

/** Whether `pattern` matches every resource `granted` does (a prefix pattern ending in `*`, or the same text). */
function covers(pattern: string, granted: string): boolean {
    if (pattern === granted) {
        return true;
    }
    const stem = pattern.slice(0, -1);
    return pattern.endsWith("*") && !/[*?]/.test(stem) && granted.startsWith(stem);
}

/**
 * The parts of the role's grant a resource-policy Deny may apply to, beyond the requests the doctor
 * samples: its action covers one the role needs, its resource overlaps what the role may read, its
 * principal could be the role, and its condition does not surely fail for Cloudglue's requests.
 * Request-specific keys (a listing's prefix) are unknown here, so a condition on them may hold.
 */
export function denyMayOverlap(statement: AnyStatement, areas: RoleArea[], who: RequestPrincipal): RoleArea[] {
    if (statement.Effect !== "Deny") {
        return [];
    }
    // A NotPrincipal Deny applies to all but its list, and whether the list exempts the role's session is unknown.
    const principalMay = statement.NotPrincipal !== undefined || principalCatches(statement.Principal, who) !== "no";
    if (!principalMay || conditionsHold(statement.Condition, cloudglueRequestContext(who)).verdict === "no") {
        return [];
    }
    return areas.filter((area) => {
        if (!actionMatches(statement, area.action)) {
            return false;
        }
        if (statement.NotResource !== undefined) {
            const exempt = asList(statement.NotResource);
            return !area.resources.every((r) => exempt.some((p) => covers(p, r)));
        }
        return asList(statement.Resource).some((p) => area.resources.some((r) => patternsOverlap(p, r)));
    });
}

/**
 * The key policy's Denies that catch (yes) or may catch (unknown) the role's kms:Decrypt through S3;
 * keyPolicyLetsRoleDecrypt judges only its Allows.
 */
export function keyPolicyDenies(
    statements: AnyStatement[],
    who: RequestPrincipal,
    keyArn: string,
    keyRegion: string,
): { index: number; verdict: Verdict; unknownKeys: string[] }[] {
    const request: RoleRequest = {
        action: "kms:Decrypt",
        resource: keyArn,
        context: { "kms:viaservice": `s3.${keyRegion}.amazonaws.com`, "kms:calleraccount": who.accountId },
    };
    return statements
        .map((statement, index) => ({
            index,
            ...(statement.Effect === "Deny"
                ? statementApplies(statement, request, who, { resourcePolicy: true })
                : { verdict: "no" as Verdict, unknownKeys: [] }),
        }))
        .filter((d) => d.verdict !== "no");
}
