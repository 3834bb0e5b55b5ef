import { StackValidationPolicy } from "@pulumi/policy";
import { CONNECTOR_TYPE, known, ROLE_NAME, rolesIn } from "../cloudglue";
import { strictConfig } from "./strictConfig";

/**
 * One stack, one Cloudglue role: a second one in the same account collides on the fixed name,
 * and the connector must point at the role this stack manages.
 */
export const oneRoleOneConnector: StackValidationPolicy = strictConfig({
    name: "cloudglue-one-role-one-connector",
    description:
        "The stack has exactly one Cloudglue access role, and the Cloudglue connector registers that role's ARN.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateStack: (args, reportViolation) => {
        // A CloudFormation stack's template may hold roles of its own: count roles, not resources.
        const roles = args.resources.flatMap((resource) => rolesIn(resource).map((role) => ({ resource, role })));
        if (roles.length !== 1) {
            const where = roles.map(({ resource, role }) =>
                role.label === resource.type ? resource.urn : `${role.label} (${resource.urn})`,
            );
            reportViolation(
                `The stack has ${roles.length} Cloudglue access roles (${where.join(", ") || "none"}); ` +
                    `it must have exactly one, named "${ROLE_NAME}". Use one S3AccessRole component per stack, and one stack per AWS account.`,
            );
            return;
        }
        const roleArn =
            roles[0].role.label === roles[0].resource.type ? known(() => roles[0].resource.props.arn) : undefined;
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
});
