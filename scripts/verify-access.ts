/**
 * Proves that Cloudglue can read every configured bucket through the connector: asks Cloudglue
 * to list each bucket (GET /v1/data-connectors/{id}/files?bucket=B&limit=1), waiting through IAM
 * propagation, prints a table and exits 1 if any bucket fails.
 *
 * Run by the stack after each change (a command.local.Command), or by hand:
 *   npm run verify -- --stack dev
 *   npm run verify -- --connector-id dc_123 --bucket my-videos --bucket more-videos [--api-url URL]
 * The key comes from CLOUDGLUE_API_KEY (with --stack, from the stack's cloudglue:apiKey if unset).
 */
import { execFileSync } from "child_process";
import { parseArgs } from "util";
import { CloudglueClient, DEFAULT_API_URL, isApiError, isFailure } from "../components/cloudglueApi";

export interface BucketCheck {
    bucket: string;
    ok: boolean;
    reason: string;
}

export interface VerifyOptions {
    apiUrl: string;
    apiKey: string;
    connectorId: string;
    buckets: string[];
    propagationTimeoutMs: number;
    pollIntervalMs?: number;
}

/** Lists each bucket through Cloudglue, retrying 502 (role not yet assumable) until the deadline. */
export async function verifyAccess(options: VerifyOptions): Promise<BucketCheck[]> {
    const client = new CloudglueClient({ apiUrl: options.apiUrl, apiKey: options.apiKey });
    const deadline = Date.now() + options.propagationTimeoutMs;
    const results: BucketCheck[] = [];
    for (const bucket of options.buckets) {
        results.push(await checkBucket(client, options, bucket, deadline));
    }
    return results;
}

async function checkBucket(
    client: CloudglueClient,
    options: VerifyOptions,
    bucket: string,
    deadline: number,
): Promise<BucketCheck> {
    for (;;) {
        let result;
        try {
            result = await client.listFiles(options.connectorId, bucket, [400, 404, 502]);
        } catch (error) {
            return { bucket, ok: false, reason: isApiError(error) ? error.message : String(error) };
        }
        if (!isFailure(result)) {
            return { bucket, ok: true, reason: result.data.length ? "listed" : "listed (empty)" };
        }
        if (result.status === 502 && Date.now() < deadline) {
            await new Promise((done) => setTimeout(done, options.pollIntervalMs ?? 2_000));
            continue;
        }
        const why: Record<number, string> = {
            400: "Cloudglue refused the request",
            404: `Cloudglue has no connector ${options.connectorId}`,
            502: "Cloudglue cannot assume the role or list the bucket: is the bucket in cloudglue:buckets, and is the external ID the one Cloudglue holds?",
        };
        return {
            bucket,
            ok: false,
            reason: `${result.status}: ${why[result.status]} (Cloudglue said: "${result.error}")`,
        };
    }
}

export function formatTable(results: BucketCheck[]): string {
    const width = Math.max(6, ...results.map((r) => r.bucket.length));
    const lines = [`${"BUCKET".padEnd(width)}  RESULT  REASON`];
    for (const r of results) {
        lines.push(`${r.bucket.padEnd(width)}  ${(r.ok ? "ok" : "FAILED").padEnd(6)}  ${r.reason}`);
    }
    return lines.join("\n");
}

function fromStack(stack: string): { connectorId?: string; buckets?: string[]; apiKey?: string; apiUrl?: string } {
    const pulumi = (...args: string[]) => execFileSync("pulumi", [...args, "--stack", stack], { encoding: "utf8" });
    const outputs = JSON.parse(pulumi("stack", "output", "--json"));
    const config = JSON.parse(pulumi("config", "--json", "--show-secrets"));
    return {
        connectorId: outputs.connectorId,
        buckets: outputs.buckets,
        apiKey: config["cloudglue:apiKey"]?.value,
        apiUrl: config["cloudglue:apiUrl"]?.value,
    };
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            "connector-id": { type: "string" },
            bucket: { type: "string", multiple: true },
            "api-url": { type: "string" },
            "timeout-seconds": { type: "string" },
        },
    });
    const env = process.env;
    const stack = values.stack ? fromStack(values.stack) : {};
    const options: VerifyOptions = {
        apiKey: env.CLOUDGLUE_API_KEY || stack.apiKey || "",
        apiUrl: values["api-url"] ?? env.CLOUDGLUE_API_URL ?? stack.apiUrl ?? DEFAULT_API_URL,
        connectorId: values["connector-id"] ?? env.CLOUDGLUE_CONNECTOR_ID ?? stack.connectorId ?? "",
        buckets: values.bucket ?? env.CLOUDGLUE_BUCKETS?.split(",").filter(Boolean) ?? stack.buckets ?? [],
        propagationTimeoutMs:
            Number(values["timeout-seconds"] ?? env.CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS ?? 120) * 1000,
    };
    const missing = [
        !options.apiKey && "an API key (CLOUDGLUE_API_KEY, or cloudglue:apiKey with --stack)",
        !options.connectorId && "a connector id (--connector-id, CLOUDGLUE_CONNECTOR_ID, or --stack)",
        options.buckets.length === 0 && "buckets (--bucket, CLOUDGLUE_BUCKETS, or --stack)",
    ].filter(Boolean);
    if (missing.length > 0) {
        console.error(`verify-access needs ${missing.join(", ")}.`);
        return 2;
    }
    const results = await verifyAccess(options);
    console.log(formatTable(results));
    const failed = results.filter((r) => !r.ok).length;
    console.log(
        failed === 0
            ? `Cloudglue can read all ${results.length} bucket(s) through connector ${options.connectorId}.`
            : `Cloudglue cannot read ${failed} of ${results.length} bucket(s) through connector ${options.connectorId}.`,
    );
    return failed === 0 ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error) => {
            console.error(error instanceof Error ? error.message : String(error));
            process.exit(1);
        },
    );
}
