import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    asList,
    bucketOf,
    effectProblem,
    isBucketName,
    mayGrant,
    parseStatements,
    Statement,
    touchesOf,
    TRANSFER_BUCKET,
} from "../cloudglue";
import { strictConfig } from "./strictConfig";

/** The vendor's template leaves IAM's default session of one hour. */
const MAX_SESSION_SECONDS = 3600;
const READ_ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"];
const KMS_KEY_ARN = /^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const S3_SERVICE = /^s3\.[a-z0-9-]+\.amazonaws\.com$/;
const FIX_BUCKETS =
    "List the buckets by name in cloudglue:buckets; the S3AccessRole component builds the policy from them.";
const ONLY_INLINE = "it may only have its inline policy, whose contents this pack can check";

/**
 * Cloudglue needs to read named buckets, write to its transfer bucket, and decrypt with named
 * keys. Anything more is a grant to a third party that nobody asked for. Every resource that
 * grants the role a policy is judged, whatever its type (cloudglue.ts finds them).
 */
export const leastPrivilege: ResourceValidationPolicy = strictConfig({
    name: "cloudglue-least-privilege",
    description:
        "The Cloudglue role may only read named buckets, write to cloudglue-external-transfer and decrypt with named KMS keys; " +
        "no managed policies, one inline policy.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        for (const touch of touchesOf(args)) {
            switch (touch.kind) {
                case "role":
                    if (touch.role.managedPolicyArns.length > 0) {
                        reportViolation(
                            `The Cloudglue access role (${touch.role.label}) has managed policies ` +
                                `${JSON.stringify(touch.role.managedPolicyArns)}; ${ONLY_INLINE}. Remove managedPolicyArns.`,
                        );
                    }
                    // A longer session keeps Cloudglue's credentials working longer after the trust or a policy is withdrawn.
                    if (
                        touch.role.maxSessionDuration !== undefined &&
                        touch.role.maxSessionDuration !== null &&
                        Number(touch.role.maxSessionDuration) !== MAX_SESSION_SECONDS
                    ) {
                        reportViolation(
                            `The Cloudglue access role (${touch.role.label}) has maxSessionDuration ` +
                                `${JSON.stringify(touch.role.maxSessionDuration)}; Cloudglue's template keeps IAM's default ` +
                                `of ${MAX_SESSION_SECONDS} seconds (one hour). Remove it or set ${MAX_SESSION_SECONDS}.`,
                        );
                    }
                    for (const inline of touch.role.inlinePolicies) {
                        documentProblems(inline.document).forEach((p) => reportViolation(p));
                    }
                    break;
                case "policy":
                    documentProblems(touch.document).forEach((p) => reportViolation(p));
                    break;
                case "managed":
                    for (const arn of touch.arns) {
                        reportViolation(
                            `${touch.label} attaches the managed policy ${arn} to the Cloudglue access role; ` +
                                `${ONLY_INLINE}. Remove it from the resource.`,
                        );
                    }
                    break;
                case "grantUnknown":
                    // Throws the SDK's UnknownValueError: it reports that this waits for the update.
                    touch.read();
                    break;
                case "inlineSet":
                    if (touch.names.length !== 1) {
                        reportViolation(
                            `${touch.label} holds the Cloudglue access role to the inline policies ${JSON.stringify(touch.names)}; ` +
                                "it must list exactly the stack's one inline policy. A policy listed here but not declared in " +
                                "the stack is kept on the role without this pack seeing it.",
                        );
                    }
                    break;
            }
        }
    },
});

function documentProblems(document: unknown): string[] {
    try {
        return statementProblems(parseStatements(document));
    } catch (error) {
        return [`A policy document of the Cloudglue role is not valid JSON (${(error as Error).message}).`];
    }
}

/** A bucket or object ARN in one bucket named outright: no wildcard or policy variable in the name. */
function isNamedBucketResource(resource: string): boolean {
    const bucket = bucketOf(resource);
    return bucket !== undefined && isBucketName(bucket);
}

/** Every way a policy document grants more than Cloudglue's connector needs. */
export function statementProblems(statements: Statement[]): string[] {
    const problems: string[] = [];
    for (const statement of statements) {
        const label = statement.Sid ? `Statement "${statement.Sid}"` : "A statement";
        const effect = effectProblem(statement, label);
        if (effect) {
            problems.push(effect);
        }
        // A statement that is not exactly a Deny is judged as the Allow it may be.
        if (!mayGrant(statement)) {
            continue;
        }
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
                const variable = resource.includes("${") ? " (a policy variable is not a bucket name)" : "";
                problems.push(
                    `${label} grants ${reads.join(", ")} on "${resource}"${variable}; reads are allowed only on named buckets. ` +
                        FIX_BUCKETS,
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
            const viaService = asList(statement.Condition?.StringEquals?.["kms:ViaService"] as string | string[]);
            if (viaService.length === 0 || !viaService.every((v) => typeof v === "string" && S3_SERVICE.test(v))) {
                problems.push(
                    `${label} grants kms:Decrypt without the condition StringEquals kms:ViaService ` +
                        '"s3.<region>.amazonaws.com", so Cloudglue could decrypt with the key directly, not only ' +
                        "through S3 reads of your buckets. Set the key's ARN as kmsKeyArn of the bucket in cloudglue:buckets; " +
                        "the S3AccessRole component adds the condition.",
                );
            }
        }
    }
    return problems;
}
