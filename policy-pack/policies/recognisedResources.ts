import { ResourceValidationPolicy } from "@pulumi/policy";
import { touchesOf } from "../cloudglue";
import { strictConfig } from "./strictConfig";

export const RECOGNISED_RESOURCES = "cloudglue-recognised-resources";

export interface RecognisedResourcesConfig {
    allowedResourceTypes?: string[];
    allowedUnreadableStacks?: string[];
    allowedUnreadableCode?: string[];
}

/** How to make what the pack cannot read readable, by the setting that allows it once reviewed. */
const MAKE_READABLE = {
    allowedUnreadableStacks:
        "Give the template inline as templateBody (no Transform, no nested stack) so the pack checks it",
    allowedUnreadableCode:
        "Declare what it does to IAM as resources the pack reads (aws:iam RolePolicy, Role and the like)",
};

/**
 * Fail closed: a resource the pack does not understand, that names the Cloudglue role or
 * Cloudglue's account, may grant or trust anything (an attachment type the pack has not heard
 * of, a script that calls IAM). It is refused until someone reviews the type and allows it.
 */
export const recognisedResources: ResourceValidationPolicy = strictConfig({
    name: RECOGNISED_RESOURCES,
    description:
        "A resource that names the Cloudglue role or Cloudglue's account is of a type the pack understands, " +
        "or one the organisation has reviewed and listed in allowedResourceTypes.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedResourceTypes: {
                type: "array",
                items: { type: "string" },
                description:
                    'Resource types reviewed to grant the Cloudglue role nothing, e.g. ["aws:sns/topic:Topic"]; ' +
                    "a CloudFormation template's types as AWS::Service::Type.",
            },
            allowedUnreadableStacks: {
                type: "array",
                items: { type: "string" },
                description:
                    "Names (as in the URN) of CloudFormation stack resources whose template the pack cannot read " +
                    "(templateUrl, Transform, nested stacks) and that were reviewed to grant the Cloudglue role nothing.",
            },
            allowedUnreadableCode: {
                type: "array",
                items: { type: "string" },
                description:
                    "Names (as in the URN) of resources that run code the pack cannot read (command:local:Command with a " +
                    "script, command:remote:Command, dynamic resources) and that were reviewed to grant the Cloudglue role nothing.",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const config = args.getConfig<RecognisedResourcesConfig>();
        const allowed = config.allowedResourceTypes ?? [];
        for (const touch of touchesOf(args)) {
            if (touch.kind === "unreadable") {
                if (!touch.allowedBy) {
                    reportViolation(`${touch.type} ${touch.why}.`);
                } else if (!(config[touch.allowedBy] ?? []).includes(args.name)) {
                    const what = touch.allowedBy === "allowedUnreadableStacks" ? "the template" : "the code";
                    const which = touch.allowedBy === "allowedUnreadableStacks" ? "this stack" : "this resource";
                    reportViolation(
                        `${touch.type} ${args.name} ${touch.why}, so the pack cannot tell whether it grants the Cloudglue role ` +
                            `more or trusts Cloudglue's account, and refuses it. ${MAKE_READABLE[touch.allowedBy]}; or, once ` +
                            `${what} has been reviewed to grant the Cloudglue role nothing, allow ${which} in the policy pack config: ` +
                            JSON.stringify({ [RECOGNISED_RESOURCES]: { [touch.allowedBy]: [args.name] } }),
                    );
                }
                continue;
            }
            if (touch.kind !== "unrecognised" || allowed.includes(touch.type)) {
                continue;
            }
            reportViolation(
                `${touch.type} ${touch.why}, and the policy pack does not know what this type grants or trusts, ` +
                    "so it refuses it. If it grants the Cloudglue role nothing, allow the type in the policy pack config: " +
                    JSON.stringify({ [RECOGNISED_RESOURCES]: { allowedResourceTypes: [touch.type] } }),
            );
        }
    },
});
