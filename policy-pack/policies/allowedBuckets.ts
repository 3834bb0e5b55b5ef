import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    asList,
    bucketOf,
    isBucketName,
    mayGrant,
    parseStatements,
    ResourceView,
    touchesOf,
    TRANSFER_BUCKET,
} from "../cloudglue";
import { strictConfig } from "./strictConfig";

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

/**
 * The named buckets a resource grants the Cloudglue role. Only grants count: the connector's
 * bucket list gives Cloudglue nothing the role does not, and counting it too would report each
 * bucket twice. A bucket ARN with a wildcard or variable is cloudglue-least-privilege's to report.
 */
export function bucketsGranted(resource: ResourceView): string[] {
    const documents = touchesOf(resource).flatMap((t) =>
        t.kind === "policy" ? [t.document] : t.kind === "role" ? t.role.inlinePolicies.map((p) => p.document) : [],
    );
    const buckets = documents
        .flatMap((document) => {
            try {
                return parseStatements(document);
            } catch {
                return [];
            }
        })
        .filter(mayGrant)
        .flatMap((s) => asList(s.Resource))
        .map(bucketOf);
    return [...new Set(buckets)].filter((b): b is string => !!b && isBucketName(b) && b !== TRANSFER_BUCKET);
}

/** An organisation's allow-list of buckets that Cloudglue may be granted. */
export const allowedBuckets: ResourceValidationPolicy = strictConfig({
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
        for (const bucket of bucketsGranted(args)) {
            if (!allowed.some((pattern) => pattern.test(bucket))) {
                reportViolation(
                    `Bucket "${bucket}" is not in the organisation's allowed buckets ${JSON.stringify(patterns)}. ` +
                        "Remove it from cloudglue:buckets, or ask for the allow-list (policy config allowedBucketPatterns) to include it.",
                );
            }
        }
    },
});
