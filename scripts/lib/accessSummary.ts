/**
 * What the two IAM documents let Cloudglue do, read back from the documents themselves (not from
 * the config that produced them), so that a reviewer sees the grant as AWS will evaluate it.
 */
import { INLINE_POLICY_SIZE_LIMIT } from "../../components/constants";
import { asList, BucketGrant, PolicyDocument, PolicyStatement, policySize } from "../../components/iamDocuments";

export interface BucketAccess {
    bucket: string;
    /** Key prefixes Cloudglue may read; ["*"] for the whole bucket. */
    read: string[];
    /** Prefixes Cloudglue may list; ["*"] for the whole bucket, [] for none. */
    list: string[];
    location: boolean;
    /** The KMS keys Cloudglue may decrypt this bucket's objects with (the config's kmsKeyArn), when given its order. */
    kmsKeys?: string[];
}

export interface AccessSummary {
    /**
     * One entry per Allow statement of the trust. `previousExternalIdUntil`: the statement is a
     * rotation's grace statement, which accepts the previous external ID until then (ISO 8601 UTC).
     */
    assumeRole: { principals: string[]; actions: string[]; conditions: string[]; previousExternalIdUntil?: string }[];
    buckets: BucketAccess[];
    kmsDecrypt: { keys: string[]; via: string[] }[];
    write: string[];
    /** Anything granted beyond the above; empty for a document this project builds. */
    other: string[];
    policySize: { characters: number; limit: number };
}

/**
 * @param config the buckets as the config lists them: when given, the buckets are listed in its
 *   order (not the policy's, which groups them by statement), each with the KMS key the config names
 *   for it and the policy grants.
 */
export function summarizeAccess(
    trust: PolicyDocument,
    inline: PolicyDocument,
    redact: (s: string) => string,
    config?: readonly BucketGrant[],
): AccessSummary {
    const summary: AccessSummary = {
        assumeRole: trust.Statement.filter((s) => s.Effect === "Allow").map((s) => ({
            principals: Object.entries(s.Principal ?? {}).flatMap(([kind, v]) =>
                asList(v as string).map((p) => `${kind} ${p}`),
            ),
            actions: asList(s.Action),
            conditions: Object.entries(s.Condition ?? {}).flatMap(([operator, keys]) =>
                Object.entries(keys).map(([k, v]) => `${k} ${operator} ${redact(JSON.stringify(v))}`),
            ),
            ...graceOf(s),
        })),
        buckets: [],
        kmsDecrypt: [],
        write: [],
        other: [],
        policySize: { characters: policySize(inline), limit: INLINE_POLICY_SIZE_LIMIT },
    };
    const bucket = (name: string): BucketAccess => {
        let found = summary.buckets.find((b) => b.bucket === name);
        if (!found) {
            found = { bucket: name, read: [], list: [], location: false };
            summary.buckets.push(found);
        }
        return found;
    };
    for (const statement of inline.Statement.filter((s) => s.Effect === "Allow")) {
        for (const action of asList(statement.Action)) {
            classify(statement, action, bucket, summary);
        }
    }
    if (config) {
        const place = (name: string) => {
            const index = config.findIndex((b) => b.name === name);
            return index < 0 ? config.length : index;
        };
        summary.buckets.sort((a, b) => place(a.bucket) - place(b.bucket));
        const granted = summary.kmsDecrypt.flatMap((k) => k.keys);
        for (const b of summary.buckets) {
            const key = config.find((c) => c.name === b.bucket)?.kmsKeyArn;
            b.kmsKeys = key && granted.includes(key) ? [key] : [];
        }
    }
    return summary;
}

/** A rotation's grace statement: the external ID condition and a deadline on aws:CurrentTime, nothing else. */
function graceOf(statement: PolicyStatement): { previousExternalIdUntil?: string } {
    const condition = statement.Condition ?? {};
    const until = condition.DateLessThan?.["aws:CurrentTime"];
    const only =
        Object.keys(condition).sort().join() === "DateLessThan,StringEquals" &&
        Object.keys(condition.DateLessThan).join() === "aws:CurrentTime" &&
        Object.keys(condition.StringEquals).join() === "sts:ExternalId";
    return only && typeof until === "string" ? { previousExternalIdUntil: until } : {};
}

function classify(
    statement: PolicyStatement,
    action: string,
    bucket: (name: string) => BucketAccess,
    summary: AccessSummary,
): void {
    const resources = asList(statement.Resource);
    const s3 = resources.map((r) => /^arn:aws:s3:::([^/]+)(?:\/(.*))?$/.exec(r));
    switch (action) {
        case "s3:GetObject":
            s3.forEach((m) => m?.[2] !== undefined && bucket(m[1]).read.push(m[2] === "*" ? "*" : m[2]));
            return;
        case "s3:ListBucket": {
            const prefixes = asList(statement.Condition?.StringLike?.["s3:prefix"] as string | string[] | undefined);
            s3.forEach(
                (m) => m && m[2] === undefined && bucket(m[1]).list.push(...(prefixes.length ? prefixes : ["*"])),
            );
            return;
        }
        case "s3:GetBucketLocation":
            s3.forEach((m) => m && m[2] === undefined && (bucket(m[1]).location = true));
            return;
        case "s3:PutObject":
            summary.write.push(...resources);
            return;
        case "kms:Decrypt":
            summary.kmsDecrypt.push({
                keys: resources,
                via: asList(statement.Condition?.StringEquals?.["kms:ViaService"] as string | string[] | undefined),
            });
            return;
        default:
            summary.other.push(`${action} on ${resources.join(", ")}`);
    }
}

/** Human lines for the summary. */
export function describeAccess(summary: AccessSummary): string[] {
    const lines: string[] = [];
    for (const trust of summary.assumeRole) {
        if (trust.previousExternalIdUntil !== undefined && summary.assumeRole.length === 2) {
            const id = trust.conditions.find((c) => c.startsWith("sts:ExternalId "))?.split(" StringEquals ")[1];
            lines.push(
                `  also accepts the previous external ID until ${trust.previousExternalIdUntil} (sts:ExternalId ` +
                    `StringEquals ${id}): a rotation's grace window, which IAM itself closes then`,
            );
            continue;
        }
        lines.push(
            `Who may assume the role: ${trust.principals.join(", ")}, for ${trust.actions.join(", ")}, ` +
                (trust.conditions.length ? `only if ${trust.conditions.join(" and ")}` : "WITHOUT ANY CONDITION"),
        );
    }
    lines.push("What Cloudglue may read:");
    const width = Math.max(...summary.buckets.map((b) => b.bucket.length), 6);
    const via = (key: string) => summary.kmsDecrypt.find((k) => k.keys.includes(key))?.via ?? [];
    const through = (vias: string[]) => (vias.length ? `, only through ${vias.join(", ")}` : "");
    for (const b of summary.buckets) {
        const read = b.read.includes("*") ? "every object" : `objects under ${b.read.join(", ")}`;
        const listing = b.list.includes("*")
            ? "may list the whole bucket"
            : b.list.length
              ? `may list ${b.list.join(", ")}`
              : "may not list";
        lines.push(`  ${b.bucket.padEnd(width)}  ${read}; ${listing}${b.location ? "" : "; no GetBucketLocation"}`);
        // The key beside its bucket, where the config says which bucket it encrypts.
        for (const key of b.kmsKeys ?? []) {
            lines.push(`  ${"".padEnd(width)}  kms:Decrypt with ${key}${through(via(key))}`);
        }
    }
    const placed = summary.buckets.flatMap((b) => b.kmsKeys ?? []);
    for (const kms of summary.kmsDecrypt) {
        const keys = kms.keys.filter((k) => !placed.includes(k));
        if (keys.length > 0) {
            lines.push(`  kms:Decrypt with ${keys.join(", ")}${through(kms.via)}`);
        }
    }
    lines.push(`Where Cloudglue may write: s3:PutObject on ${summary.write.join(", ")}`);
    lines.push(
        summary.other.length
            ? `ALSO GRANTED: ${summary.other.join("; ")}`
            : "Nothing else: no other action, bucket or key is granted.",
    );
    lines.push(
        `Inline policy size: ${summary.policySize.characters} of ${summary.policySize.limit} characters (whitespace not counted).`,
    );
    return lines;
}
