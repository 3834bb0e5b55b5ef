import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    asList,
    bucketOf,
    isCloudglueRole,
    isCloudglueRolePolicy,
    isInsideCloudglueComponent,
    known,
    parseStatements,
    POLICY_ATTACHMENT_TYPE,
    ROLE_NAME,
    ROLE_POLICY_ATTACHMENT_TYPE,
    Statement,
    TRANSFER_BUCKET,
} from "../cloudglue";

const READ_ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"];
const KMS_KEY_ARN = /^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const FIX_BUCKETS =
    "List the buckets by name in cloudglue:buckets; the S3AccessRole component builds the policy from them.";

/**
 * Cloudglue needs to read named buckets, write to its transfer bucket, and decrypt with named
 * keys. Anything more is a grant to a third party that nobody asked for.
 */
export const leastPrivilege: ResourceValidationPolicy = {
    name: "cloudglue-least-privilege",
    description:
        "The Cloudglue role may only read named buckets, write to cloudglue-external-transfer and decrypt with named KMS keys; no managed policies.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (isCloudglueRolePolicy(args)) {
            statementProblems(parseStatements(args.props.policy)).forEach((p) => reportViolation(p));
            return;
        }
        if (isCloudglueRole(args)) {
            const managed = asList(known(() => args.props.managedPolicyArns) as string[] | undefined);
            if (managed.length > 0) {
                reportViolation(
                    `The Cloudglue access role has managed policies ${JSON.stringify(managed)}; it may only have its inline policy. Remove managedPolicyArns.`,
                );
            }
            for (const inline of asList(known(() => args.props.inlinePolicies) as { policy?: string }[] | undefined)) {
                if (inline.policy) {
                    statementProblems(parseStatements(inline.policy)).forEach((p) => reportViolation(p));
                }
            }
            return;
        }
        if (args.type === ROLE_POLICY_ATTACHMENT_TYPE || args.type === POLICY_ATTACHMENT_TYPE) {
            const roles = [
                known(() => args.props.role),
                ...asList(known(() => args.props.roles) as string[] | undefined),
            ];
            if (isInsideCloudglueComponent(args.urn) || roles.includes(ROLE_NAME)) {
                const arn = known(() => args.props.policyArn) ?? "(unknown at preview)";
                reportViolation(
                    `Managed policy ${arn} is attached to the Cloudglue access role; it may only have its inline policy. Remove the attachment.`,
                );
            }
        }
    },
};

function isNamedBucketResource(resource: string): boolean {
    const bucket = bucketOf(resource);
    return bucket !== undefined && !/[*?]/.test(bucket);
}

/** Every way a policy document grants more than Cloudglue's connector needs. */
export function statementProblems(statements: Statement[]): string[] {
    const problems: string[] = [];
    for (const statement of statements.filter((s) => s.Effect === "Allow")) {
        const label = statement.Sid ? `Statement "${statement.Sid}"` : "A statement";
        if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
            problems.push(`${label} uses NotAction or NotResource, which grants everything else.`);
            continue;
        }
        const actions = asList(statement.Action);
        const resources = asList(statement.Resource);
        const wildcards = actions.filter((a) => /[*?]/.test(a));
        const reads = actions.filter((a) => READ_ACTIONS.includes(a));
        const others = actions.filter(
            (a) => !wildcards.includes(a) && !reads.includes(a) && a !== "s3:PutObject" && a !== "kms:Decrypt",
        );
        for (const action of wildcards) {
            problems.push(`${label} grants the wildcard action "${action}"; name the actions. ${FIX_BUCKETS}`);
        }
        for (const action of others) {
            problems.push(
                `${label} grants "${action}", which Cloudglue's connector does not need; ` +
                    `allowed are ${[...READ_ACTIONS, "s3:PutObject", "kms:Decrypt"].join(", ")}.`,
            );
        }
        if (reads.length > 0) {
            for (const resource of resources.filter((r) => !isNamedBucketResource(r))) {
                problems.push(
                    `${label} grants ${reads.join(", ")} on "${resource}"; reads are allowed only on named buckets. ${FIX_BUCKETS}`,
                );
            }
        }
        if (actions.includes("s3:PutObject")) {
            for (const resource of resources.filter((r) => bucketOf(r) !== TRANSFER_BUCKET)) {
                problems.push(
                    `${label} grants s3:PutObject on "${resource}"; Cloudglue may write only to ${TRANSFER_BUCKET}.`,
                );
            }
        }
        if (actions.includes("kms:Decrypt")) {
            for (const resource of resources.filter((r) => !KMS_KEY_ARN.test(r))) {
                problems.push(
                    `${label} grants kms:Decrypt on "${resource}"; decryption is allowed only with named keys. ` +
                        "Set the key's ARN as kmsKeyArn of the bucket in cloudglue:buckets.",
                );
            }
        }
    }
    return problems;
}
