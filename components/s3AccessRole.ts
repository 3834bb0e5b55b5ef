import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { INLINE_POLICY_NAME, MAX_SESSION_DURATION_SECONDS, ROLE_NAME } from "./constants";
import { BucketGrant, buildAccessPolicy, buildTrustPolicy, GracePeriod } from "./iamDocuments";

export const S3_ACCESS_ROLE_TYPE = "cloudglue:aws:S3AccessRole";

export interface S3AccessRoleArgs {
    /** The external ID Cloudglue presents when it assumes the role. A secret. */
    externalId: pulumi.Input<string>;
    /**
     * During a rotation's grace window: the previous external ID (a secret) and when IAM stops
     * accepting it. Outside one, both resolve to undefined.
     */
    previousExternalId?: pulumi.Input<string | undefined>;
    previousUntil?: pulumi.Input<string | undefined>;
    /** The buckets Cloudglue may read; validated before they get here. */
    buckets: readonly BucketGrant[];
    tags?: Record<string, string>;
    permissionsBoundaryArn?: string;
    /** Defaults to the template's CloudglueExternalS3AccessPolicy. */
    inlinePolicyName?: string;
    /** Import the role and the inline policy that already exist under these names. */
    importExisting?: boolean;
    /**
     * Hold the role's inline policies to exactly its one policy, and its managed policies to none,
     * so that a policy added outside the stack is removed on the next `up`. Defaults to true.
     */
    exclusivePolicies?: boolean;
}

/**
 * The cross-account role Cloudglue assumes to read a customer's S3 buckets: the role with its
 * trust relationship, its inline policy, and (unless turned off) the two resources that own the
 * role's whole policy sets, so that nothing granted outside the stack survives an `up`.
 */
export class S3AccessRole extends pulumi.ComponentResource {
    readonly role: aws.iam.Role;
    readonly policy: aws.iam.RolePolicy;
    readonly roleArn: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;
    readonly inlinePolicies?: aws.iam.RolePoliciesExclusive;
    readonly managedPolicies?: aws.iam.RolePolicyAttachmentsExclusive;

    constructor(name: string, args: S3AccessRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super(S3_ACCESS_ROLE_TYPE, name, {}, opts);

        this.role = new aws.iam.Role(
            `${name}-role`,
            {
                name: ROLE_NAME,
                // The template's description, so that a role taken over from it imports without a diff.
                description: "IAM role for Cloudglue external S3 access with cross-account permissions",
                // Secret whatever the caller passed: the trust policy carries the external ID.
                assumeRolePolicy: pulumi
                    .secret(pulumi.all([args.externalId, args.previousExternalId, args.previousUntil]))
                    .apply(([id, previous, until]) => {
                        const grace: GracePeriod | undefined =
                            previous && until ? { externalId: previous, until } : undefined;
                        return JSON.stringify(buildTrustPolicy(id, grace));
                    }),
                maxSessionDuration: MAX_SESSION_DURATION_SECONDS,
                permissionsBoundary: args.permissionsBoundaryArn,
                tags: args.tags,
            },
            {
                parent: this,
                // The name is fixed, so a replacement must free it before taking it again.
                deleteBeforeReplace: true,
                additionalSecretOutputs: ["assumeRolePolicy"],
                import: args.importExisting ? ROLE_NAME : undefined,
            },
        );

        const policyName = args.inlinePolicyName ?? INLINE_POLICY_NAME;
        this.policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                name: policyName,
                role: this.role.name,
                policy: JSON.stringify(buildAccessPolicy(args.buckets)),
            },
            {
                parent: this,
                deleteBeforeReplace: true,
                // The provider's import ID for an inline policy is role:policy.
                import: args.importExisting ? `${ROLE_NAME}:${policyName}` : undefined,
            },
        );

        if (args.exclusivePolicies ?? true) {
            // An inline policy or attachment added in the console is its own IAM object, invisible
            // to the role resource and to refresh; these two own the whole sets and remove it.
            this.inlinePolicies = new aws.iam.RolePoliciesExclusive(
                `${name}-inline-policies`,
                { roleName: this.role.name, policyNames: [policyName] },
                { parent: this, dependsOn: [this.role, this.policy] },
            );
            this.managedPolicies = new aws.iam.RolePolicyAttachmentsExclusive(
                `${name}-managed-policies`,
                { roleName: this.role.name, policyArns: [] },
                { parent: this, dependsOn: [this.role] },
            );
        }

        this.roleArn = this.role.arn;
        this.roleName = this.role.name;
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
    }
}
