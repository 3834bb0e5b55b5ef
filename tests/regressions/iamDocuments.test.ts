/**
 * The exact documents the role is given, written out here (issue 15): a mutation run showed that
 * statement ids, the per-bucket list statements and the absence of an empty read statement could
 * change with no test failing. A reviewer reads these Sids in `pulumi preview` and in the IAM console.
 */
import * as assert from "assert";
import { buildAccessPolicy, buildTrustPolicy } from "../../components/iamDocuments";

const WRITE = {
    Sid: "AllowCrossAccountRoleWriteAccess",
    Effect: "Allow",
    Action: ["s3:PutObject"],
    Resource: ["arn:aws:s3:::cloudglue-external-transfer", "arn:aws:s3:::cloudglue-external-transfer/*"],
};

describe("IAM document regressions", () => {
    it("only prefixed buckets: no whole-bucket read statement, one list statement per bucket, numbered from 1", () => {
        assert.deepStrictEqual(
            buildAccessPolicy([
                { name: "acme-published", prefixes: ["videos/", "thumbs/"] },
                { name: "acme-archive", prefixes: ["2024/"] },
            ]),
            {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AllowCrossAccountRoleBucketLocation",
                        Effect: "Allow",
                        Action: ["s3:GetBucketLocation"],
                        Resource: ["arn:aws:s3:::acme-published", "arn:aws:s3:::acme-archive"],
                    },
                    {
                        Sid: "AllowCrossAccountRolePrefixedRead",
                        Effect: "Allow",
                        Action: ["s3:GetObject"],
                        Resource: [
                            "arn:aws:s3:::acme-published/videos/*",
                            "arn:aws:s3:::acme-published/thumbs/*",
                            "arn:aws:s3:::acme-archive/2024/*",
                        ],
                    },
                    {
                        Sid: "AllowCrossAccountRolePrefixedList1",
                        Effect: "Allow",
                        Action: ["s3:ListBucket"],
                        Resource: "arn:aws:s3:::acme-published",
                        Condition: { StringLike: { "s3:prefix": ["videos/*", "thumbs/*"] } },
                    },
                    {
                        Sid: "AllowCrossAccountRolePrefixedList2",
                        Effect: "Allow",
                        Action: ["s3:ListBucket"],
                        Resource: "arn:aws:s3:::acme-archive",
                        Condition: { StringLike: { "s3:prefix": ["2024/*"] } },
                    },
                    WRITE,
                ],
            },
        );
    });

    it("KMS keys: one decrypt statement, each key once, only via S3 in the key's region", () => {
        const west = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const east = "arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef";
        assert.deepStrictEqual(
            buildAccessPolicy([
                { name: "acme-a", kmsKeyArn: west },
                { name: "acme-b", kmsKeyArn: west },
                { name: "acme-c", kmsKeyArn: east },
            ]),
            {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "AllowCrossAccountRoleReadAccess",
                        Effect: "Allow",
                        Action: ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                        Resource: [
                            "arn:aws:s3:::acme-a",
                            "arn:aws:s3:::acme-a/*",
                            "arn:aws:s3:::acme-b",
                            "arn:aws:s3:::acme-b/*",
                            "arn:aws:s3:::acme-c",
                            "arn:aws:s3:::acme-c/*",
                        ],
                    },
                    {
                        Sid: "AllowCrossAccountRoleKmsDecrypt",
                        Effect: "Allow",
                        Action: ["kms:Decrypt"],
                        Resource: [west, east],
                        Condition: {
                            StringEquals: {
                                "kms:ViaService": ["s3.eu-west-1.amazonaws.com", "s3.us-east-1.amazonaws.com"],
                            },
                        },
                    },
                    WRITE,
                ],
            },
        );
    });

    it("the trust policy: Cloudglue's account, sts:AssumeRole, StringEquals on the external ID", () => {
        assert.deepStrictEqual(buildTrustPolicy("an-external-id-of-20c"), {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::992382634011:root" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "sts:ExternalId": "an-external-id-of-20c" } },
                },
            ],
        });
    });
});
