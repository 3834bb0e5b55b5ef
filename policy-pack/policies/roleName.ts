import { ResourceValidationPolicy } from "@pulumi/policy";
import { isCloudglueRole, known, ROLE_NAME } from "../cloudglue";

/** Cloudglue looks the role up by its exact name; any other name breaks the connector silently. */
export const roleName: ResourceValidationPolicy = {
    name: "cloudglue-role-name",
    description: `The Cloudglue access role must be named exactly "${ROLE_NAME}".`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (!isCloudglueRole(args)) {
            return;
        }
        const name = known(() => args.props.name);
        const namePrefix = known(() => args.props.namePrefix);
        if (namePrefix !== undefined) {
            reportViolation(
                `The Cloudglue access role sets namePrefix "${namePrefix}", so AWS would add a random suffix; ` +
                    `Cloudglue only finds a role named exactly "${ROLE_NAME}". Remove namePrefix and set name "${ROLE_NAME}" ` +
                    "(the S3AccessRole component does; a transformation or an edit has changed it).",
            );
        } else if (name !== ROLE_NAME) {
            const found = name === undefined ? "no name (Pulumi would auto-name it)" : `the name "${name}"`;
            reportViolation(
                `The Cloudglue access role has ${found}; Cloudglue only finds a role named exactly "${ROLE_NAME}". ` +
                    `Set name "${ROLE_NAME}" (the S3AccessRole component does; a transformation or an edit has changed it).`,
            );
        }
    },
    remediateResource: (args) => {
        if (
            !isCloudglueRole(args) ||
            (known(() => args.props.name) === ROLE_NAME && !known(() => args.props.namePrefix))
        ) {
            return undefined;
        }
        // Copy the raw properties: spreading the SDK's unknown-checking proxy would throw at preview on
        // the still-unknown trust policy. The target key is the SDK's own escape hatch (proxy.ts).
        const raw = (args.props as Record<string, unknown>)["__getSpecialProxyTarget"] ?? args.props;
        const props: Record<string, unknown> = { ...(raw as Record<string, unknown>), name: ROLE_NAME };
        delete props.namePrefix;
        return props;
    },
};
