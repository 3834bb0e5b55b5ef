import { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, CLOUDGLUE_PRINCIPAL_ARN, isCloudglueRole, parseStatements } from "../cloudglue";

const FIX =
    "The S3AccessRole component builds this trust policy from cloudglue:externalId or the generated external ID.";

/**
 * A third-party trust without an external ID is the confused-deputy hole: anyone who gets
 * Cloudglue to use this role ARN could read the buckets. Only Cloudglue's account, only
 * sts:AssumeRole, and only under StringEquals on sts:ExternalId.
 */
export const trustRequiresExternalId: ResourceValidationPolicy = {
    name: "cloudglue-trust-requires-external-id",
    description:
        "The Cloudglue role trusts only arn:aws:iam::992382634011:root, only for sts:AssumeRole, and only with StringEquals on sts:ExternalId.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isCloudglueRole(args)) {
            return;
        }
        // Unknown at preview until the external ID exists; the SDK then reports that it checks at update.
        for (const problem of trustProblems(parseStatements(args.props.assumeRolePolicy))) {
            reportViolation(`${problem} ${FIX}`);
        }
    },
};

export function trustProblems(statements: ReturnType<typeof parseStatements>): string[] {
    const problems: string[] = [];
    const allows = statements.filter((s) => s.Effect === "Allow");
    if (allows.length === 0) {
        problems.push("The trust policy allows nobody to assume the role, so Cloudglue cannot use it.");
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
        const extra = principals.filter((p) => p !== `AWS:${CLOUDGLUE_PRINCIPAL_ARN}`);
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
        if (typeof externalId !== "string" || externalId.length < 2) {
            problems.push(
                `${label} has no StringEquals condition on sts:ExternalId (${describeCondition(statement.Condition)}); ` +
                    "without it any AWS customer of Cloudglue could make Cloudglue read your buckets.",
            );
        }
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
