import { StackValidationPolicy } from "@pulumi/policy";
import { CONNECTOR_TYPE, isCloudglueRole, known, ROLE_NAME } from "../cloudglue";

/**
 * One stack, one Cloudglue role: a second one in the same account collides on the fixed name,
 * and the connector must point at the role this stack manages.
 */
export const oneRoleOneConnector: StackValidationPolicy = {
    name: "cloudglue-one-role-one-connector",
    description:
        "The stack has exactly one Cloudglue access role, and the Cloudglue connector registers that role's ARN.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const roles = args.resources.filter(isCloudglueRole);
        if (roles.length !== 1) {
            reportViolation(
                `The stack has ${roles.length} Cloudglue access roles (${roles.map((r) => r.urn).join(", ") || "none"}); ` +
                    `it must have exactly one, named "${ROLE_NAME}". Use one S3AccessRole component per stack, and one stack per AWS account.`,
            );
            return;
        }
        const roleArn = known(() => roles[0].props.arn);
        for (const connector of args.resources.filter((r) => r.type === CONNECTOR_TYPE)) {
            const registered = known(() => connector.props.roleArn);
            // Both ARNs are unknown at preview until the role exists.
            if (roleArn !== undefined && registered !== undefined && registered !== roleArn) {
                reportViolation(
                    `The Cloudglue connector registers role "${registered}", but the stack's role is "${roleArn}". ` +
                        "Pass the S3AccessRole component's roleArn to the connector.",
                    connector.urn,
                );
            }
        }
    },
};
