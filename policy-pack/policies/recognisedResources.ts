import { ResourceValidationPolicy } from "@pulumi/policy";
import { touchesOf } from "../cloudglue";
import { strictConfig } from "./strictConfig";

export const RECOGNISED_RESOURCES = "cloudglue-recognised-resources";

export interface RecognisedResourcesConfig {
    allowedResourceTypes?: string[];
}

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
        },
    },
    validateResource: (args, reportViolation) => {
        const allowed = args.getConfig<RecognisedResourcesConfig>().allowedResourceTypes ?? [];
        for (const touch of touchesOf(args)) {
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
