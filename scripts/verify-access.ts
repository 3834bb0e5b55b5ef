/**
 * Proves that Cloudglue can read every configured bucket through the connector: asks Cloudglue
 * to list each whole bucket, and each granted prefix of a prefix-scoped bucket
 * (GET /v1/data-connectors/{id}/files?bucket=B[&prefix=P]&limit=1), waiting through IAM
 * propagation. Rows are checked a few at a time, each printed as it finishes, all within one
 * deadline; then a table, and exit 1 if any row failed.
 *
 * Run by the stack after each change (a command.local.Command), or by hand:
 *   npm run verify -- --stack dev
 *   npm run verify -- --connector-id <uuid> --bucket my-videos --bucket my-media/videos/ [--api-url URL]
 * (`--bucket NAME/PREFIX` checks one prefix of a bucket granted only under prefixes.)
 * The key and the URL come by the rule of components/apiSource.ts, as for `pulumi up`.
 */
import { spawnSync } from "child_process";
import { parseArgs } from "util";
import { ApiSource, resolveApiSource, sourceRule } from "../components/apiSource";
import {
    CloudglueClient,
    displayUrl,
    isApiError,
    isFailure,
    stripControl,
    withheldText,
} from "../components/cloudglueApi";
import {
    apiUrlSettingProblem,
    bucketNameProblem,
    CONNECTOR_ID_EXAMPLE,
    isConnectorId,
    prefixProblem,
} from "../components/settings";

export const USAGE = `usage: npm run verify -- (--stack <name> | --connector-id <id> --bucket <name>[/<prefix>] ...) [options]

Asks Cloudglue to list each bucket (and each granted prefix) through the connector, as the stack
does after every change, and prints a line per listing, then a table. Exit 0 when Cloudglue can
list all, 1 when it cannot list one, 2 on a usage error.

Options:
  --stack <name>              take the connector, buckets, prefixes, cloudglue:apiKey and
                              cloudglue:apiUrl from the stack (needs the Pulumi CLI)
  --connector-id <id>         the Cloudglue connector (env CLOUDGLUE_CONNECTOR_ID)
  --bucket <name>[/<prefix>]  a bucket, or one prefix of it; repeat (env CLOUDGLUE_BUCKETS)
  --api-url <url>             Cloudglue's API, e.g. http://127.0.0.1:8787 for \`npm run emulator\`
  --timeout-seconds <n>       how long to wait through IAM propagation (502), default 120
  --help                      print this text
Where the key and the URL come from, the first one set (as for pulumi up; components/apiSource.ts;
cloudglue:apiKey and cloudglue:apiUrl only with --stack, the key never on the command line):
  ${sourceRule("apiKey")}
  ${sourceRule("apiUrl")}`;

export const PULUMI_CLI_MISSING =
    "The Pulumi CLI is not installed (no pulumi on PATH), and --stack needs it to read the stack's outputs; " +
    "install it (https://www.pulumi.com/docs/install/), or give --connector-id and --bucket instead.";

/** One listing Cloudglue is asked to make: a whole bucket, or one prefix of it. */
export interface AccessTarget {
    bucket: string;
    prefix?: string;
}

export interface BucketCheck extends AccessTarget {
    ok: boolean;
    reason: string;
}

export interface VerifyOptions {
    apiUrl: string;
    apiKey: string;
    connectorId: string;
    /** Bucket names; a bucket in `prefixes` is checked once per prefix instead of as a whole. */
    buckets: string[];
    prefixes?: Record<string, string[]>;
    /** How long 502 (the role not yet assumable) is waited through. */
    propagationTimeoutMs: number;
    /** When the whole check gives up, from its start; by default the propagation timeout plus 30 s. */
    deadlineMs?: number;
    /** How many listings are in flight at once. */
    concurrency?: number;
    pollIntervalMs?: number;
    /** Called as each row finishes, in the order they finish. */
    onResult?: (check: BucketCheck, done: number, total: number) => void;
}

/** Few enough not to trip Cloudglue's rate limit; enough that 50 buckets take about twice as long as one. */
export const DEFAULT_CONCURRENCY = 25;
const DEADLINE_GRACE_MS = 30_000;

export function targetsOf(buckets: string[], prefixes: Record<string, string[]> = {}): AccessTarget[] {
    return buckets.flatMap((bucket) =>
        prefixes[bucket]?.length ? prefixes[bucket].map((prefix) => ({ bucket, prefix })) : [{ bucket }],
    );
}

/** Text from a server, fit for one line of a terminal: no control characters, and short. */
export function printable(text: string, max = 300): string {
    const clean = stripControl(text);
    return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** Lists every target through Cloudglue, a few at a time, all within one deadline. */
export async function verifyAccess(options: VerifyOptions): Promise<BucketCheck[]> {
    const client = new CloudglueClient({
        apiUrl: options.apiUrl,
        apiKey: options.apiKey,
        // Its output is stored in the state in plain text: no redaction finds every form of an echoed external ID.
        withholdServerText: true,
    });
    const started = Date.now();
    const propagationDeadline = started + options.propagationTimeoutMs;
    const deadlineMs = options.deadlineMs ?? options.propagationTimeoutMs + DEADLINE_GRACE_MS;
    const deadline = started + deadlineMs;
    const targets = targetsOf(options.buckets, options.prefixes);
    const results: BucketCheck[] = new Array(targets.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
        while (next < targets.length && Date.now() < deadline) {
            const index = next++;
            const target = targets[index];
            const check = await beforeDeadline(
                checkTarget(client, options, target, propagationDeadline),
                deadline,
                () => failed(target, `no answer within the check's deadline of ${Math.round(deadlineMs / 1000)} s`),
            );
            results[index] = check;
            options.onResult?.(check, ++done, targets.length);
        }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, targets.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return targets.map(
        (target, i) =>
            results[i] ??
            failed(target, `not checked within the check's deadline of ${Math.round(deadlineMs / 1000)} s`),
    );
}

function failed(target: AccessTarget, reason: string): BucketCheck {
    return { ...target, ok: false, reason };
}

/** The work's result, or the fallback at the deadline; the work is left behind, not waited for. */
function beforeDeadline<T>(work: Promise<T>, deadline: number, fallback: () => T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback()), Math.max(0, deadline - Date.now()));
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

async function checkTarget(
    client: CloudglueClient,
    options: VerifyOptions,
    target: AccessTarget,
    propagationDeadline: number,
): Promise<BucketCheck> {
    for (;;) {
        let result;
        try {
            result = await client.listFiles(options.connectorId, target.bucket, [400, 404, 502], target.prefix);
        } catch (error) {
            return failed(target, printable(isApiError(error) ? error.message : String(error)));
        }
        if (!isFailure(result)) {
            return { ...target, ok: true, reason: result.data.length ? "listed" : "listed (empty)" };
        }
        if (result.status === 502 && Date.now() < propagationDeadline) {
            await new Promise((done) => setTimeout(done, options.pollIntervalMs ?? 2_000));
            continue;
        }
        const where = target.prefix === undefined ? "the bucket" : `the prefix ${JSON.stringify(target.prefix)}`;
        const why: Record<number, string> = {
            400: "Cloudglue refused the request",
            404: `Cloudglue has no connector ${options.connectorId}`,
            502:
                `Cloudglue cannot assume the role or list ${where}: is it in cloudglue:buckets, and is the external ID ` +
                "the one Cloudglue holds?",
        };
        return failed(target, `${result.status}: ${why[result.status]} (${withheldText(result.error)})`);
    }
}

/** The longest failure reason a progress line shows before it is cut, at a space. */
export const PROGRESS_REASON_MAX = 100;

/**
 * One listing, short: for the progress line as it finishes. A failure shows its reason's first
 * sentence in whole words (the full reason follows in the table).
 */
export function formatProgress(r: BucketCheck, done: number, total: number): string {
    const what = r.ok ? `ok ${r.reason}` : `FAILED: ${firstSentence(r.reason)}`;
    return `[${done}/${total}] ${r.bucket} ${r.prefix ?? "-"} ${what}`;
}

/** Up to the first sentence's end (not a dot inside a URL or a number), cut at a space when long. */
function firstSentence(reason: string): string {
    const end = /[.?!](\s|$)| \((Cloudglue's answer names|What Cloudglue said)/.exec(reason);
    const sentence = end ? reason.slice(0, end.index + (end[0].startsWith(" (") ? 0 : 1)) : reason;
    if (sentence.length <= PROGRESS_REASON_MAX) {
        return sentence;
    }
    const cut = sentence.lastIndexOf(" ", PROGRESS_REASON_MAX);
    return `${sentence.slice(0, cut > 0 ? cut : PROGRESS_REASON_MAX)} ... (in full below)`;
}

function row(bucket: string, prefix: string, result: string, reason: string, width: number, prefixWidth: number) {
    return `${bucket.padEnd(width)}  ${prefix.padEnd(prefixWidth)}  ${result.padEnd(6)}  ${reason}`.trimEnd();
}

/** The table, then each failure's reason in full, wrapped to fit a terminal. */
export function formatTable(results: BucketCheck[]): string {
    const width = Math.max(6, ...results.map((r) => r.bucket.length));
    const prefixWidth = Math.max(6, ...results.map((r) => (r.prefix ?? "-").length));
    const lines = [row("BUCKET", "PREFIX", "RESULT", "REASON", width, prefixWidth)];
    const details: string[] = [];
    for (const r of results) {
        const reason = r.ok ? r.reason : `see (${details.length + 1}) below`;
        lines.push(row(r.bucket, r.prefix ?? "-", r.ok ? "ok" : "FAILED", reason, width, prefixWidth));
        if (!r.ok) {
            details.push(...wrap(`(${details.length + 1}) ${r.bucket} ${r.prefix ?? "-"}: ${r.reason}`, 100));
        }
    }
    return [...lines, ...details].join("\n");
}

function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(" ")) {
        if (line && line.length + 1 + word.length > width) {
            lines.push(line);
            line = `    ${word}`;
        } else {
            line = line ? `${line} ${word}` : word;
        }
    }
    return [...lines, line];
}

/**
 * What is wrong with a `--bucket` value, by the rules the program applies to cloudglue:buckets: a
 * bucket name with an optional `/prefix`; an S3 URI or an ARN is refused with the form to use.
 */
export function bucketArgumentProblem(value: string): string | undefined {
    const flag = `--bucket ${JSON.stringify(printable(value, 80))}`;
    const uri = /^s3:\/\/([^/]*)\/?(.*)$/.exec(value) ?? /^arn:aws[\w-]*:s3:::([^/]*)\/?(.*)$/.exec(value);
    if (uri) {
        const form = uri[2] ? `${uri[1]}/${uri[2]}` : uri[1];
        return (
            `${flag}: give the bucket name, with an optional /prefix, not an ${value.startsWith("s3:") ? "S3 URI" : "ARN"}: ` +
            `--bucket ${form || "<name>"}`
        );
    }
    const slash = value.indexOf("/");
    const bucket = slash < 0 ? value : value.slice(0, slash);
    const prefix = slash < 0 ? "" : value.slice(slash + 1);
    const nameProblem = bucketNameProblem(bucket);
    if (nameProblem) {
        return `${flag}: ${JSON.stringify(printable(bucket, 80))} is not a valid bucket name: ${nameProblem}`;
    }
    const keyProblem = prefix ? prefixProblem(prefix) : undefined;
    if (keyProblem) {
        return `${flag}: ${JSON.stringify(printable(prefix, 80))} is not a valid prefix: ${keyProblem}`;
    }
    return undefined;
}

/** `NAME` or `NAME/PREFIX` (a bucket name has no `/`), as --bucket takes it. */
export function parseBucketArguments(values: string[]): { buckets: string[]; prefixes: Record<string, string[]> } {
    const buckets: string[] = [];
    const prefixes: Record<string, string[]> = {};
    for (const value of values) {
        const slash = value.indexOf("/");
        const bucket = slash < 0 ? value : value.slice(0, slash);
        const prefix = slash < 0 ? "" : value.slice(slash + 1);
        if (!buckets.includes(bucket)) {
            buckets.push(bucket);
        }
        if (prefix) {
            (prefixes[bucket] ??= []).push(prefix);
        }
    }
    return { buckets, prefixes };
}

interface StackSettings {
    connectorId?: string;
    buckets?: string[];
    prefixes?: Record<string, string[]>;
    apiKey?: string;
    apiUrl?: string;
    /** cloudglue:apiUrl was set with --secret: a message describes it, never shows it. */
    apiUrlSecret?: boolean;
}

/** The Pulumi CLI's stdout; its own error message once (not also on the terminal), or one line when it is missing. */
function pulumiCli(args: string[]): string {
    const run = spawnSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        throw new UsageError(PULUMI_CLI_MISSING);
    }
    if (run.error || run.status !== 0) {
        const said = printable(
            run.stderr?.trim().split("\n").slice(-1)[0] || String(run.error ?? `exit ${run.status}`),
        );
        throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed: ${said}`);
    }
    return run.stdout;
}

function fromStack(stack: string): StackSettings {
    const pulumi = (...args: string[]) => pulumiCli([...args, "--stack", stack]);
    const outputs = JSON.parse(pulumi("stack", "output", "--json"));
    const config = JSON.parse(pulumi("config", "--json", "--show-secrets"));
    const configured = config["cloudglue:buckets"];
    const items: unknown[] = configured?.objectValue ?? (configured?.value ? JSON.parse(configured.value) : []);
    const prefixes: Record<string, string[]> = {};
    for (const item of items) {
        if (typeof item === "object" && item && Array.isArray((item as { prefixes?: unknown }).prefixes)) {
            const { name, prefixes: granted } = item as { name: string; prefixes: string[] };
            prefixes[name] = granted;
        }
    }
    return {
        connectorId: outputs.connectorId,
        buckets: outputs.buckets,
        prefixes,
        apiKey: config["cloudglue:apiKey"]?.value,
        apiUrl: config["cloudglue:apiUrl"]?.value,
        apiUrlSecret: config["cloudglue:apiUrl"]?.secret === true,
    };
}

/** Seconds from a flag or the environment; not a number is an error, never "no waiting". */
function seconds(raw: string | undefined, name: string, fallback: number): number {
    if (raw === undefined || raw === "") {
        return fallback;
    }
    const value = Number(raw);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !Number.isFinite(value)) {
        throw new UsageError(`${name} ${JSON.stringify(printable(raw, 40))} is not a number of seconds (such as 120).`);
    }
    return value;
}

class UsageError extends Error {}

async function main(): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            options: {
                stack: { type: "string" },
                "connector-id": { type: "string" },
                bucket: { type: "string", multiple: true },
                "api-url": { type: "string" },
                "timeout-seconds": { type: "string" },
                help: { type: "boolean", default: false },
            },
        }));
    } catch (error) {
        throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
    }
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    const env = process.env;
    // The flags obey the rules the program applies to the config, before anything is asked or printed.
    const problems = (values.bucket ?? []).map(bucketArgumentProblem).filter((p): p is string => p !== undefined);
    const givenId = values["connector-id"];
    if (givenId !== undefined && !isConnectorId(givenId)) {
        problems.push(
            `--connector-id ${JSON.stringify(printable(givenId, 80))} is not a Cloudglue connector id: ` +
                `a UUID such as ${CONNECTOR_ID_EXAMPLE}, as shown in Cloudglue's web app`,
        );
    }
    const flagUrlProblem = values["api-url"] ? apiUrlSettingProblem(values["api-url"], "--api-url") : undefined;
    if (flagUrlProblem) {
        problems.push(flagUrlProblem);
    }
    if (problems.length > 0) {
        throw new UsageError(`${problems.join("\n")}\n\n${USAGE}`);
    }
    const timeoutSeconds = values["timeout-seconds"]
        ? seconds(values["timeout-seconds"], "--timeout-seconds", 120)
        : seconds(env.CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS, "CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS", 120);
    const stack: StackSettings = values.stack ? fromStack(values.stack) : {};
    const fromArguments = values.bucket ? parseBucketArguments(values.bucket) : undefined;
    let envPrefixes: Record<string, string[]> | undefined;
    if (env.CLOUDGLUE_BUCKET_PREFIXES) {
        try {
            envPrefixes = JSON.parse(env.CLOUDGLUE_BUCKET_PREFIXES);
        } catch {
            throw new UsageError('CLOUDGLUE_BUCKET_PREFIXES is not JSON such as {"my-bucket":["videos/"]}.');
        }
    }
    const api = resolveApiSource({ flagUrl: values["api-url"], configKey: stack.apiKey, configUrl: stack.apiUrl, env });
    const options: VerifyOptions = {
        apiKey: api.apiKey,
        apiUrl: api.apiUrl,
        connectorId: values["connector-id"] ?? env.CLOUDGLUE_CONNECTOR_ID ?? stack.connectorId ?? "",
        buckets: fromArguments?.buckets ?? env.CLOUDGLUE_BUCKETS?.split(",").filter(Boolean) ?? stack.buckets ?? [],
        prefixes: fromArguments?.prefixes ?? envPrefixes ?? stack.prefixes,
        propagationTimeoutMs: timeoutSeconds * 1000,
    };
    const missing = [
        !options.apiKey && "an API key (CLOUDGLUE_API_KEY, or cloudglue:apiKey with --stack)",
        !options.connectorId && "a connector id (--connector-id, CLOUDGLUE_CONNECTOR_ID, or --stack)",
        options.buckets.length === 0 && "buckets (--bucket, CLOUDGLUE_BUCKETS, or --stack)",
    ].filter(Boolean);
    if (missing.length > 0) {
        throw new UsageError(`verify-access needs ${missing.join(", ")}.\n\n${USAGE}`);
    }
    if (!isConnectorId(options.connectorId)) {
        throw new UsageError(
            `${values["connector-id"] ? "--connector-id" : env.CLOUDGLUE_CONNECTOR_ID ? "CLOUDGLUE_CONNECTOR_ID" : "the stack's connectorId output"} ` +
                `${JSON.stringify(printable(options.connectorId, 80))} is not a Cloudglue connector id: a UUID such as ${CONNECTOR_ID_EXAMPLE}`,
        );
    }
    // A URL from the environment or the stack, by the same rule, naming where it came from.
    const urlProblem =
        api.apiUrlSource === "default"
            ? undefined
            : apiUrlSettingProblem(
                  api.apiUrl,
                  api.apiUrlSource,
                  api.apiUrlSource === "cloudglue:apiUrl" && stack.apiUrlSecret,
              );
    if (urlProblem) {
        throw new UsageError(`${urlProblem}\n\n${USAGE}`);
    }
    const total = targetsOf(options.buckets, options.prefixes).length;
    console.error(startLine(api, total, options.connectorId, timeoutSeconds));
    options.onResult = (check, done, count) => console.log(formatProgress(whereFrom(check, api), done, count));
    const results = (await verifyAccess(options)).map((check) => whereFrom(check, api));
    console.log(formatTable(results));
    const failedRows = results.filter((r) => !r.ok).length;
    const rows = `${results.length} listing(s) of ${options.buckets.length} bucket(s)`;
    console.log(
        failedRows === 0
            ? `Cloudglue can make all ${rows} through connector ${options.connectorId}.`
            : `Cloudglue cannot make ${failedRows} of ${rows} through connector ${options.connectorId}.`,
    );
    return failedRows === 0 ? 0 : 1;
}

/** What the check is about to do, and against which API; where none was given, how to point it at the emulator. */
export function startLine(api: ApiSource, listings: number, connectorId: string, timeoutSeconds: number): string {
    const from: Record<ApiSource["apiUrlSource"], string> = {
        "--api-url": "from --api-url",
        "cloudglue:apiUrl": "from the stack's cloudglue:apiUrl",
        CLOUDGLUE_API_URL: "from CLOUDGLUE_API_URL",
        default:
            "Cloudglue's own API, as neither --api-url nor CLOUDGLUE_API_URL is set; for `npm run emulator` " +
            "give --api-url http://127.0.0.1:8787",
    };
    return (
        // Printed before the client refuses a URL with a password or token in it, into the Command's plain-text stderr.
        `Asking Cloudglue at ${displayUrl(api.apiUrl)} (${from[api.apiUrlSource]}) for ${listings} listing(s) through connector ` +
        `${connectorId}, waiting up to ${timeoutSeconds} s through IAM propagation...`
    );
}

/** The client's messages name cloudglue:apiUrl; say instead where this run's URL came from. */
function whereFrom(check: BucketCheck, api: ApiSource): BucketCheck {
    if (api.apiUrlSource === "cloudglue:apiUrl") {
        return check;
    }
    const named = api.apiUrlSource === "default" ? "the API URL (--api-url or CLOUDGLUE_API_URL)" : api.apiUrlSource;
    return { ...check, reason: check.reason.split("cloudglue:apiUrl").join(named) };
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error) => {
            console.error(error instanceof Error ? error.message : String(error));
            process.exit(error instanceof UsageError ? 2 : 1);
        },
    );
}
