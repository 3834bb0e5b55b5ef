import { ResourceValidationPolicy } from "@pulumi/policy";
import { CloudglueRole, ROLE_NAME, ROLE_TYPE, rolesIn, secretKeepingProps } from "../cloudglue";
import { strictConfig } from "./strictConfig";

const FIX = "(the S3AccessRole component does; a transformation or an edit has changed it)";

/**
 * Cloudglue assumes arn:aws:iam::<account>:role/cloudglue-external-s3-access-role: any other
 * name, or a path that puts the role at another ARN, breaks the connector silently.
 */
export const roleName: ResourceValidationPolicy = strictConfig({
    name: "cloudglue-role-name",
    description: `The Cloudglue access role must be named exactly "${ROLE_NAME}", under the path "/".`,
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: (args, reportViolation) => {
        for (const role of rolesIn(args)) {
            nameProblems(role).forEach((problem) => reportViolation(problem));
        }
    },
    remediateResource: (args) => {
        // Only a role resource can be renamed; the others are not read at all here (see strings()).
        if (args.type !== ROLE_TYPE) {
            return undefined;
        }
        const [role] = rolesIn(args);
        if (!role?.remediable || nameProblems(role).length === 0) {
            return undefined;
        }
        // Copy the raw properties: spreading the SDK's proxies would throw at preview on the still-unknown
        // trust policy, and would unwrap the secret inputs.
        const props: Record<string, unknown> = { ...secretKeepingProps(args.props), name: ROLE_NAME };
        delete props.namePrefix;
        delete props.path;
        return props;
    },
});

function nameProblems(role: CloudglueRole): string[] {
    const problems: string[] = [];
    const subject = `The Cloudglue access role (${role.label})`;
    if (role.namePrefix !== undefined && role.namePrefix !== null) {
        problems.push(
            `${subject} sets namePrefix "${role.namePrefix}", so AWS would add a random suffix; ` +
                `Cloudglue only finds a role named exactly "${ROLE_NAME}". Remove namePrefix and set name "${ROLE_NAME}" ${FIX}.`,
        );
    } else if (role.name === undefined || role.name === null) {
        problems.push(
            `${subject} has no name (Pulumi would auto-name it); Cloudglue only finds a role named exactly "${ROLE_NAME}". ` +
                `Set name "${ROLE_NAME}" ${FIX}.`,
        );
    } else if (role.name !== ROLE_NAME) {
        problems.push(
            `${subject} has the name "${role.name}"; Cloudglue only finds a role named exactly "${ROLE_NAME}". ` +
                `Set name "${ROLE_NAME}" ${FIX}.`,
        );
    }
    if (role.path !== undefined && role.path !== null && role.path !== "/") {
        problems.push(
            `${subject} has the path ${JSON.stringify(role.path)}, so its ARN is role${role.path}${ROLE_NAME}, ` +
                `not the role/${ROLE_NAME} Cloudglue assumes. Remove path (it defaults to "/").`,
        );
    }
    return problems;
}
