/**
 * Fixed facts of Cloudglue's S3 connector, from the vendor's setup page
 * (docs.cloudglue.dev, "AWS S3"). Cloudglue looks the role up by this exact name.
 */
export const CLOUDGLUE_ACCOUNT_ID = "992382634011";
export const CLOUDGLUE_PRINCIPAL_ARN = `arn:aws:iam::${CLOUDGLUE_ACCOUNT_ID}:root`;
export const ROLE_NAME = "cloudglue-external-s3-access-role";
export const INLINE_POLICY_NAME = "CloudglueExternalS3AccessPolicy";
export const TRANSFER_BUCKET = "cloudglue-external-transfer";

/** The statement ids of the vendor's policy; the policy pack and the review read them too. */
export const READ_STATEMENT_SID = "AllowCrossAccountRoleReadAccess";
export const WRITE_STATEMENT_SID = "AllowCrossAccountRoleWriteAccess";

/** The characters and lengths AWS accepts for `sts:ExternalId` (and the CloudFormation template's AllowedPattern). */
export const EXTERNAL_ID_PATTERN = /^[a-zA-Z0-9+=,.@:/-]+$/;
export const EXTERNAL_ID_SPECIAL_CHARACTERS = "+=,.@:/-";
export const EXTERNAL_ID_MIN_LENGTH = 2;
export const EXTERNAL_ID_MAX_LENGTH = 1224;

/**
 * IAM's quota on the total size of all inline policies of one role, whitespace not counted.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const INLINE_POLICY_SIZE_LIMIT = 10240;

/** A Cloudglue session needs no more than the shortest duration IAM allows. */
export const MAX_SESSION_DURATION_SECONDS = 3600;
