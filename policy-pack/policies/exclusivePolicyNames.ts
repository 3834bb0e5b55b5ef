import { StackValidationPolicy } from "@pulumi/policy";
import { known, touchesOf } from "../cloudglue";
import { strictConfig } from "./strictConfig";

/**
 * RolePoliciesExclusive keeps on the role exactly the inline policies it lists, and deletes the
 * others. A name it lists that the stack does not declare is a policy kept on the role that this
 * pack never sees (one added in the console, say "LegacyAdmin"); a declared policy it does not
 * list is deleted at the next update, and Cloudglue loses access. So the two sets must be equal.
 * The exclusive resources themselves are optional (cloudglue:exclusivePolicies false turns them off).
 */
export const exclusivePolicyNames: StackValidationPolicy = strictConfig({
    name: "cloudglue-exclusive-policy-names",
    description:
        "A RolePoliciesExclusive for the Cloudglue role lists exactly the names of the inline policies the stack declares for it.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateStack: (args, reportViolation) => {
        const touches = args.resources.flatMap((resource) => touchesOf(resource).map((touch) => ({ resource, touch })));
        const declared: unknown[] = touches.flatMap(({ touch }) =>
            touch.kind === "policy" && touch.name !== undefined
                ? [touch.name]
                : touch.kind === "role"
                  ? touch.role.inlinePolicies.map((p) => p.name)
                  : [],
        );
        if (declared.some((name) => typeof name !== "string")) {
            // A name unknown at preview is known, and judged, at the update.
            return;
        }
        for (const { resource, touch } of touches) {
            if (touch.kind !== "inlineSet" || known(() => resource.props.policyNames) === undefined) {
                continue;
            }
            const undeclared = touch.names.filter((name) => !declared.includes(name));
            const unlisted = (declared as string[]).filter((name) => !touch.names.includes(name));
            if (undeclared.length > 0) {
                reportViolation(
                    `${touch.label} keeps the inline policies ${JSON.stringify(undeclared)} on the Cloudglue access role, ` +
                        "but the stack declares no such policy, so whatever it grants is kept without this pack seeing it. " +
                        `List only the stack's own inline policies ${JSON.stringify(declared)} in policyNames.`,
                    resource.urn,
                );
            }
            if (unlisted.length > 0) {
                reportViolation(
                    `${touch.label} does not list the stack's inline policies ${JSON.stringify(unlisted)}, so it would ` +
                        "delete them from the Cloudglue access role and Cloudglue would lose access. " +
                        `List exactly ${JSON.stringify(declared)} in policyNames.`,
                    resource.urn,
                );
            }
        }
    },
});
