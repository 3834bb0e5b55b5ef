import { ResourceValidationPolicy } from "@pulumi/policy";
import { ROLE_NAME, touchesOf } from "../cloudglue";
import { strictConfig } from "./strictConfig";

export const NO_ROLE_CHAINING = "cloudglue-no-role-chaining";

export interface NoRoleChainingConfig {
    allowedRoles?: string[];
}

/**
 * A second role that the Cloudglue role may assume is a grant to Cloudglue of all that role holds:
 * within one account its trust alone lets the Cloudglue role in, and no policy of the Cloudglue
 * role is asked. The pack cannot judge what the second role holds (managed policies, boundaries,
 * later attachments), so it refuses the trust until someone has reviewed the role.
 */
export const noRoleChaining: ResourceValidationPolicy = strictConfig({
    name: NO_ROLE_CHAINING,
    description:
        `No other role trusts the Cloudglue role ${ROLE_NAME} (by its ARN, a pattern, its unique id or a * principal), ` +
        "or one the organisation has reviewed and listed in allowedRoles.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRoles: {
                type: "array",
                items: { type: "string" },
                description:
                    "Roles reviewed to hold nothing Cloudglue may not have, though the Cloudglue role can assume them: " +
                    'a role resource by its name (as in the URN), a role in a CloudFormation template as "<stack name>/<LogicalId>".',
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const allowed = args.getConfig<NoRoleChainingConfig>().allowedRoles ?? [];
        for (const touch of touchesOf(args)) {
            if (touch.kind !== "trustsRole" && touch.kind !== "trustUnknown") {
                continue;
            }
            const id = touch.logicalId ? `${args.name}/${touch.logicalId}` : args.name;
            if (allowed.includes(id)) {
                continue;
            }
            if (touch.kind === "trustUnknown") {
                // Throws the SDK's UnknownValueError: it reports that this waits for the update.
                touch.read();
                continue;
            }
            reportViolation(
                `${touch.label} ${args.name} has a trust policy that ${touch.why}, so the Cloudglue role can assume it and ` +
                    "Cloudglue, as that role, holds whatever it holds. Trust another principal; or, once the role has been " +
                    "reviewed to hold nothing Cloudglue may not, allow it in the policy pack config: " +
                    JSON.stringify({ [NO_ROLE_CHAINING]: { allowedRoles: [id] } }),
            );
        }
    },
});
