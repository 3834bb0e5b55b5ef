/**
 * The role a deployed stack leaves in AWS, made directly through IAM, and a bucket of the user's
 * encrypted with a KMS key: for the doctor's demo, its benchmark and tests that start from a
 * deployed (or template-made) role, against moto.
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { PutBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { INLINE_POLICY_NAME, ROLE_NAME } from "../../components/constants";
import { BucketGrant, buildAccessPolicy } from "../../components/iamDocuments";

export interface SeededRole {
    /** The trust policy: buildTrustPolicy(<the external ID>) as the stack builds it, or someone else's. */
    trust: object;
    /** What the inline policy grants, as the stack builds it. */
    buckets: BucketGrant[];
    description?: string;
}

export async function seedStackRole(iam: IAMClient, role: SeededRole): Promise<void> {
    await iam.send(
        new CreateRoleCommand({
            RoleName: ROLE_NAME,
            Description: role.description,
            AssumeRolePolicyDocument: JSON.stringify(role.trust),
        }),
    );
    await iam.send(
        new PutRolePolicyCommand({
            RoleName: ROLE_NAME,
            PolicyName: INLINE_POLICY_NAME,
            PolicyDocument: JSON.stringify(buildAccessPolicy(role.buckets)),
        }),
    );
}

/** Default encryption SSE-KMS with `keyId` (a key ARN, an alias, or whatever a test needs AWS to hold). */
export async function encryptWithKms(s3: S3Client, bucket: string, keyId: string): Promise<void> {
    await s3.send(
        new PutBucketEncryptionCommand({
            Bucket: bucket,
            ServerSideEncryptionConfiguration: {
                Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyId } }],
            },
        }),
    );
}
