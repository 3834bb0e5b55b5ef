import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    asList,
    CLOUDGLUE_ACCOUNT_ID,
    CLOUDGLUE_PRINCIPAL_ARN,
    effectProblem,
    mayGrant,
    parseStatements,
    rolesIn,
} from "../cloudglue";
import { strictConfig } from "./strictConfig";

const FIX =
    "The S3AccessRole component builds this trust policy from cloudglue:externalId or the generated external ID.";
/** Long enough not to be guessed; the component generates 48 characters. */
export const MIN_EXTERNAL_ID_LENGTH = 16;
/** cloudglue:externalIdGraceHours at most: how far after the run a grace statement's deadline may be. */
export const MAX_GRACE_HOURS = 720;
/** The deadline as the component writes it: ISO 8601 in UTC, to the second. */
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/**
 * A third-party trust without an external ID is the confused-deputy hole: anyone who gets
 * Cloudglue to use this role ARN could read the buckets. Exactly one statement trusts Cloudglue,
 * only for sts:AssumeRole, and only under StringEquals on one long sts:ExternalId; a second
 * statement would keep an old or leaked ID working. The one exception is a rotation's grace
 * statement: the same statement for the previous ID, plus DateLessThan on aws:CurrentTime with a
 * literal date at most MAX_GRACE_HOURS after the run, so that IAM itself stops accepting it.
 */
export const trustRequiresExternalId: ResourceValidationPolicy = strictConfig({
    name: "cloudglue-trust-requires-external-id",
    description:
        "The Cloudglue role trusts only arn:aws:iam::992382634011:root, in one statement, only for sts:AssumeRole, " +
        `and only with StringEquals on an sts:ExternalId of at least ${MIN_EXTERNAL_ID_LENGTH} characters.`,
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        for (const role of rolesIn(args)) {
            // Unknown at preview until the external ID exists; the SDK then reports that it checks at update.
            // A role inside a CloudFormation template says where it is; the resource's own role needs no label.
            const where = role.label === args.type ? "" : `${role.label}: `;
            for (const problem of trustProblems(parseStatements(role.trust()))) {
                reportViolation(`${where}${problem} ${FIX}`);
            }
        }
    },
});

const isCloudglue = (principal: string) =>
    principal === `AWS:${CLOUDGLUE_PRINCIPAL_ARN}` || principal === `AWS:${CLOUDGLUE_ACCOUNT_ID}`;

export function trustProblems(statements: ReturnType<typeof parseStatements>, now = Date.now()): string[] {
    const problems: string[] = [];
    for (const [i, statement] of statements.entries()) {
        const problem = effectProblem(
            statement,
            statement.Sid ? `Statement "${statement.Sid}"` : `Trust statement ${i + 1}`,
        );
        if (problem) {
            problems.push(problem);
        }
    }
    // A statement that is not exactly a Deny is judged as the Allow it may be.
    const allows = statements.filter(mayGrant);
    if (allows.length === 0) {
        problems.push("The trust policy allows nobody to assume the role, so Cloudglue cannot use it.");
    }
    // A statement with more than its StringEquals is judged as a rotation's grace statement.
    const graces = allows.filter((s) => Object.keys(s.Condition ?? {}).some((operator) => operator !== "StringEquals"));
    const graceAllowed = allows.length === 2 && graces.length === 1;
    if (allows.length > 1 && !graceAllowed) {
        problems.push(
            `The trust policy has ${allows.length} Allow statements; it must have exactly one, for Cloudglue's account ` +
                "with one external ID, and during a rotation at most one more for the previous ID that ends with " +
                "DateLessThan aws:CurrentTime. Another statement keeps another (old or leaked) external ID, or another " +
                "principal, working.",
        );
    }
    if (graceAllowed) {
        problems.push(...graceProblems(graces[0], now));
    }
    for (const statement of allows) {
        const label = statement.Sid ? `Statement "${statement.Sid}"` : "A trust statement";
        if (statement.NotPrincipal !== undefined || statement.NotAction !== undefined) {
            problems.push(`${label} uses NotPrincipal or NotAction, which trusts everyone else.`);
            continue;
        }
        const principal = statement.Principal;
        const principals =
            principal === "*"
                ? ["*"]
                : typeof principal === "object" && principal !== null
                  ? Object.entries(principal).flatMap(([kind, v]) =>
                        asList(v as string | string[]).map((p) => `${kind}:${p}`),
                    )
                  : [];
        const extra = principals.filter((p) => !isCloudglue(p));
        if (principals.length === 0 || extra.length > 0) {
            problems.push(
                `${label} trusts ${extra.length ? extra.map((p) => JSON.stringify(p)).join(", ") : "no principal"}; ` +
                    `only ${CLOUDGLUE_PRINCIPAL_ARN} may be trusted.`,
            );
        }
        const actions = asList(statement.Action);
        if (actions.length !== 1 || actions[0] !== "sts:AssumeRole") {
            problems.push(`${label} allows ${JSON.stringify(actions)}; only "sts:AssumeRole" is allowed.`);
        }
        const externalId = statement.Condition?.StringEquals?.["sts:ExternalId"];
        if (typeof externalId !== "string") {
            problems.push(
                `${label} has no StringEquals condition on sts:ExternalId with one value ` +
                    `(${describeCondition(statement.Condition)}); ` +
                    "without it any AWS customer of Cloudglue could make Cloudglue read your buckets.",
            );
        } else if (externalId.length < MIN_EXTERNAL_ID_LENGTH) {
            // The length only: the value is a secret.
            problems.push(
                `${label} has an external ID of ${externalId.length} characters; it must have at least ` +
                    `${MIN_EXTERNAL_ID_LENGTH} so that it cannot be guessed. Let the stack generate one (unset cloudglue:externalId).`,
            );
        }
    }
    return problems;
}

/**
 * What keeps a second statement from being exactly a rotation's grace statement: its Condition
 * holds StringEquals on sts:ExternalId (judged with the other statements) and DateLessThan on
 * aws:CurrentTime with one literal date, no later than MAX_GRACE_HOURS after the run; nothing else.
 */
function graceProblems(statement: ReturnType<typeof parseStatements>[number], now: number): string[] {
    const label = statement.Sid ? `Statement "${statement.Sid}"` : "The second trust statement";
    const condition = statement.Condition ?? {};
    const extra = Object.entries(condition).flatMap(([operator, keys]) =>
        Object.keys(keys ?? {})
            .filter(
                (key) =>
                    !(operator === "StringEquals" && key === "sts:ExternalId") &&
                    !(operator === "DateLessThan" && key === "aws:CurrentTime"),
            )
            .map((key) => `${operator} on ${key}`),
    );
    const rule =
        "a rotation's grace statement has exactly StringEquals on sts:ExternalId and DateLessThan on aws:CurrentTime";
    const problems: string[] = [];
    if (extra.length > 0) {
        problems.push(`${label} has ${extra.join(", ")}; ${rule}.`);
    }
    const until = condition.DateLessThan?.["aws:CurrentTime"];
    if (until === undefined) {
        if (extra.length === 0) {
            problems.push(`${label} has no DateLessThan on aws:CurrentTime; ${rule}.`);
        }
    } else if (typeof until !== "string" || !ISO_UTC.test(until) || Number.isNaN(Date.parse(until))) {
        problems.push(
            `${label} ends at ${JSON.stringify(until)}, which is not one literal date in ISO 8601 UTC ` +
                "(such as 2026-12-05T14:00:00Z); IAM could not be relied on to close the grace window.",
        );
    } else if (Date.parse(until) - now > MAX_GRACE_HOURS * 3_600_000) {
        problems.push(
            `${label} accepts the previous external ID until ${until}, more than ${MAX_GRACE_HOURS} hours from now; ` +
                "cloudglue:externalIdGraceHours is at most 720.",
        );
    }
    return problems;
}

/** Operators and keys only: a condition's values may be the external ID, a secret. */
function describeCondition(condition: Record<string, Record<string, unknown>> | undefined): string {
    const parts = Object.entries(condition ?? {}).map(
        ([operator, keys]) => `${operator} on ${Object.keys(keys).join(", ")}`,
    );
    return parts.length ? `its Condition has ${parts.join("; ")}` : "it has no Condition";
}
