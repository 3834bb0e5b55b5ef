/**
 * Pure builders for the two IAM documents of the Cloudglue access role. The component, the
 * review command and the tests all take their documents from here, so what is reviewed and
 * tested is byte for byte what is sent to AWS.
 */
import {
    CLOUDGLUE_PRINCIPAL_ARN,
    INLINE_POLICY_SIZE_LIMIT,
    READ_STATEMENT_SID,
    TRANSFER_BUCKET,
    WRITE_STATEMENT_SID,
} from "./constants";

/** One bucket Cloudglue may read, as validated from `cloudglue:buckets`. */
export interface BucketGrant {
    /** The S3 bucket name. */
    name: string;
    /** When set, Cloudglue may read and list only keys that start with one of these. */
    prefixes?: string[];
    /** The KMS key that encrypts the bucket (SSE-KMS); Cloudglue may decrypt with it through S3. */
    kmsKeyArn?: string;
}

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow";
    Principal?: { AWS: string };
    Action: string | string[];
    Resource?: string | string[];
    Condition?: ConditionBlock;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export const OBJECT_READ_ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"];

/** IAM lets most fields be one value or a list of them. */
export function asList<T>(value: T | T[] | undefined): T[] {
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function bucketArn(bucket: string): string {
    return `arn:aws:s3:::${bucket}`;
}

/** The previous external ID during a rotation, and when IAM stops accepting it. */
export interface GracePeriod {
    /** The ID Cloudglue held before the rotation. A secret. */
    externalId: string;
    /** ISO 8601 UTC, whole seconds (`2026-12-05T14:00:00Z`), as `aws:CurrentTime` compares it. */
    until: string;
}

/** The statement that trusts Cloudglue's account with one external ID. */
function trustStatement(externalId: string): PolicyStatement {
    return {
        Effect: "Allow",
        Principal: { AWS: CLOUDGLUE_PRINCIPAL_ARN },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": externalId } },
    };
}

/**
 * The trust relationship: only Cloudglue's account, and only with this external ID. During a
 * rotation's grace window a second statement accepts the previous ID too, but only while
 * `aws:CurrentTime` is before the deadline: IAM itself closes the window, whether or not anyone
 * runs `pulumi up` again.
 */
export function buildTrustPolicy(externalId: string, grace?: GracePeriod): PolicyDocument {
    const statements = [trustStatement(externalId)];
    if (grace && grace.externalId !== externalId) {
        const previous = trustStatement(grace.externalId);
        previous.Condition = { ...previous.Condition, DateLessThan: { "aws:CurrentTime": grace.until } };
        statements.push(previous);
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * The inline policy. Whole buckets share the vendor's read statement, so a one-bucket config
 * yields exactly the vendor's JSON. A bucket with prefixes cannot share it: its objects are
 * granted per prefix and its listing is bound to those prefixes by an `s3:prefix` condition,
 * one statement per bucket because each bucket has its own condition.
 */
export function buildAccessPolicy(buckets: readonly BucketGrant[]): PolicyDocument {
    const wholeBuckets = buckets.filter((b) => !b.prefixes);
    const prefixedBuckets = buckets.filter((b) => b.prefixes);
    const statements: PolicyStatement[] = [];

    if (wholeBuckets.length > 0) {
        statements.push({
            Sid: READ_STATEMENT_SID,
            Effect: "Allow",
            Action: OBJECT_READ_ACTIONS,
            Resource: wholeBuckets.flatMap((b) => [bucketArn(b.name), `${bucketArn(b.name)}/*`]),
        });
    }

    if (prefixedBuckets.length > 0) {
        statements.push({
            Sid: "AllowCrossAccountRoleBucketLocation",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation"],
            Resource: prefixedBuckets.map((b) => bucketArn(b.name)),
        });
        statements.push({
            Sid: "AllowCrossAccountRolePrefixedRead",
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: prefixedBuckets.flatMap((b) => (b.prefixes ?? []).map((p) => `${bucketArn(b.name)}/${p}*`)),
        });
        prefixedBuckets.forEach((b, i) => {
            statements.push({
                Sid: `AllowCrossAccountRolePrefixedList${i + 1}`,
                Effect: "Allow",
                Action: ["s3:ListBucket"],
                Resource: bucketArn(b.name),
                Condition: { StringLike: { "s3:prefix": (b.prefixes ?? []).map((p) => `${p}*`) } },
            });
        });
    }

    const kmsKeyArns = unique(buckets.flatMap((b) => (b.kmsKeyArn ? [b.kmsKeyArn] : [])));
    if (kmsKeyArns.length > 0) {
        statements.push({
            Sid: "AllowCrossAccountRoleKmsDecrypt",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: kmsKeyArns,
            // Decrypt only on behalf of S3 reads, never as a direct call on the key.
            Condition: { StringEquals: { "kms:ViaService": unique(kmsKeyArns.map(s3ServiceForKey)) } },
        });
    }

    statements.push({
        Sid: WRITE_STATEMENT_SID,
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: [bucketArn(TRANSFER_BUCKET), `${bucketArn(TRANSFER_BUCKET)}/*`],
    });

    return { Version: "2012-10-17", Statement: statements };
}

/** The region of a KMS key ARN (`arn:aws:kms:<region>:...`) names the S3 endpoint that may use it. */
function s3ServiceForKey(kmsKeyArn: string): string {
    const region = kmsKeyArn.split(":")[3];
    return `s3.${region}.amazonaws.com`;
}

function unique(values: string[]): string[] {
    return [...new Set(values)];
}

/**
 * The size IAM counts against INLINE_POLICY_SIZE_LIMIT. JSON.stringify emits no whitespace
 * between tokens; whitespace inside strings is counted, which can only over-estimate.
 */
export function policySize(document: PolicyDocument): number {
    return JSON.stringify(document).length;
}

/** The largest n for which the first n buckets of the list fit in one role's inline-policy quota. */
export function bucketsThatFit(buckets: readonly BucketGrant[]): number {
    let low = 0;
    let high = buckets.length;
    while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (policySize(buildAccessPolicy(buckets.slice(0, mid))) <= INLINE_POLICY_SIZE_LIMIT) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    return low;
}
