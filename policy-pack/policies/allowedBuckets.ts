import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    asList,
    bucketOf,
    CONNECTOR_TYPE,
    isCloudglueRolePolicy,
    known,
    parseStatements,
    TRANSFER_BUCKET,
} from "../cloudglue";

export interface AllowedBucketsConfig {
    allowedBucketPatterns?: string[];
}

function globToRegExp(glob: string): RegExp {
    const escaped = glob
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${escaped}$`);
}

/** The buckets a resource lets Cloudglue read: from the inline policy, or the connector's list. */
export function bucketsRead(resource: { type: string; urn: string; props: Record<string, unknown> }): string[] {
    if (isCloudglueRolePolicy(resource)) {
        const resources = parseStatements(resource.props.policy).flatMap((s) => asList(s.Resource));
        return [...new Set(resources.map(bucketOf).filter((b): b is string => !!b && b !== TRANSFER_BUCKET))];
    }
    if (resource.type === CONNECTOR_TYPE) {
        return asList(known(() => resource.props.buckets) as string[] | undefined);
    }
    return [];
}

/** An organisation's allow-list of buckets that Cloudglue may be granted. */
export const allowedBuckets: ResourceValidationPolicy = {
    name: "cloudglue-allowed-buckets",
    description: "Cloudglue may only be granted buckets that match the organisation's allowedBucketPatterns.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            allowedBucketPatterns: {
                type: "array",
                items: { type: "string" },
                description:
                    'Glob patterns of bucket names Cloudglue may read, e.g. ["acme-media-*"]; unset allows all.',
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const patterns = args.getConfig<AllowedBucketsConfig>().allowedBucketPatterns;
        if (!patterns || patterns.length === 0) {
            return;
        }
        const allowed = patterns.map(globToRegExp);
        for (const bucket of bucketsRead(args)) {
            if (!allowed.some((pattern) => pattern.test(bucket))) {
                reportViolation(
                    `Bucket "${bucket}" is not in the organisation's allowed buckets ${JSON.stringify(patterns)}. ` +
                        "Remove it from cloudglue:buckets, or ask for the allow-list (policy config allowedBucketPatterns) to include it.",
                );
            }
        }
    },
};
