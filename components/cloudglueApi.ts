/**
 * A small client for the Cloudglue API (see shared/reference/cloudglue-api.md), on Node's global
 * fetch. The dynamic provider's code is serialized into the stack's state, so this module
 * imports nothing at run time: what the provider captures from it stays small and self-contained.
 *
 * It treats the server as untrusted: it sends the key only over https (plain http only to
 * loopback, for the emulator), never follows a redirect to another origin or with a body, reads
 * at most a bounded answer in a bounded time, checks every answer against the shape it relies on
 * before using it, and keeps its secrets and the server's control characters out of every error.
 */

export const DEFAULT_API_URL = "https://api.cloudglue.dev";

export interface DataConnector {
    id: string;
    object: "data_connector";
    type: string;
    created_at: number;
    updated_at: number;
    /** `name` is the registration contract's: what the connector was registered under. */
    metadata: { role_arn?: string; buckets?: string[]; name?: string } & Record<string, unknown>;
}

/** The published DataConnectorFile, as far as the client reads it. */
export interface ConnectorFile {
    object: "data_connector_file";
    type: "file" | "folder";
    uri: string | null;
    name: string;
}

export interface RetryPolicy {
    /** Attempts at most, the first included. */
    maxAttempts: number;
    /** No retry starts after this many ms from the first attempt. */
    maxElapsedMs: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

/** What the client accepts from a server before it stops reading or asking. */
export interface AnswerLimits {
    /** Bytes of one answer's body; reading stops beyond it. */
    maxAnswerBytes: number;
    /** Characters of the server's own text (its error, a header) quoted in a message. */
    maxQuotedChars: number;
    /** Pages of the connector list followed. */
    maxPages: number;
    /** Time for one operation: every attempt, wait and page of it. */
    maxOperationMs: number;
}

export interface ClientOptions {
    apiUrl: string;
    apiKey: string;
    /** Per attempt, the reading of the answer included. */
    requestTimeoutMs?: number;
    retry?: Partial<RetryPolicy>;
    limits?: Partial<AnswerLimits>;
    /**
     * Values never shown in an error, beside the API key (the external ID). An external ID the
     * client sends is added by itself.
     */
    secrets?: string[];
    /**
     * Quote none of the server's own text, only its status and words of `SERVER_WORDS` found in it:
     * for callers that do not hold the external ID (refresh, destroy, the access check), which no
     * redaction can find in an escaped, encoded or cut echo of it.
     */
    withholdServerText?: boolean;
    /** Replaced in tests to observe waits; defaults to a real timer. */
    sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, maxElapsedMs: 60_000, baseDelayMs: 500, maxDelayMs: 8_000 };
const DEFAULT_LIMITS: AnswerLimits = {
    maxAnswerBytes: 1024 * 1024,
    maxQuotedChars: 300,
    maxPages: 50,
    maxOperationMs: 120_000,
};
const PAGE_SIZE = 100;
/** What a withholding client names when the server's text holds it: AWS's error codes, text of its own. */
export const SERVER_WORDS = ["AccessDenied", "NoSuchBucket", "AllAccessDisabled", "PermanentRedirect", "SlowDown"];
const MAX_REDIRECTS = 3;
/** What the client puts in a URL path: the published ids are UUIDs; the emulator's have this form too. */
const CONNECTOR_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * A failure from the API. `answerLost` means the request may or may not have been carried out
 * (timeout, reset, an answer that could not be read): a POST that failed so may still have
 * created something. A plain Error with fields, not a subclass: the provider's serialized code
 * runs classes through a transform under which a subclass of Error loses its message.
 */
export interface CloudglueApiError extends Error {
    name: "CloudglueApiError";
    status: number | undefined;
    answerLost: boolean;
}

export function apiError(message: string, status: number | undefined, answerLost: boolean): CloudglueApiError {
    return Object.assign(new Error(message), { name: "CloudglueApiError" as const, status, answerLost });
}

export function isApiError(error: unknown): error is CloudglueApiError {
    return error instanceof Error && error.name === "CloudglueApiError";
}

/**
 * Why a Cloudglue API base URL may not be used, or undefined when it may: https, or plain http
 * to a loopback address (the emulator); no user info, query or fragment. The key travels in a
 * header on every request, so this holds whoever built the client (program, provider, script).
 */
export function apiUrlProblem(raw: string): string | undefined {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        return "it is not a URL";
    }
    if (url.username || url.password) {
        return "it has user info (user:password@) in it; the API key is the only credential, set as cloudglue:apiKey";
    }
    if (url.protocol === "http:" && !isLoopback(url.hostname)) {
        return "plain http sends the API key readable on the network; use https (plain http only to 127.0.0.1, ::1 or localhost)";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        return `${url.protocol} is not https`;
    }
    if (url.search || url.hash) {
        return "it has a query or fragment; give the base URL only";
    }
    return undefined;
}

/** The URL for messages: without user info, query or fragment, which may hold secrets. */
export function displayUrl(raw: string): string {
    try {
        const url = new URL(raw);
        return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    } catch {
        return "(not a URL)";
    }
}

function isLoopback(hostname: string): boolean {
    return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

interface CallOptions {
    body?: unknown;
    /** Whether the request may be sent again after an answer was lost. POST is not. */
    idempotent: boolean;
    /** Statuses the caller handles itself instead of retrying or failing (e.g. 404, 502). */
    passThrough?: number[];
    /**
     * The published (or contract) shape of a 2xx answer: its name as a message reads it ("a DataConnector")
     * and a check that says what is wrong.
     */
    expect: { shape: string; problem: (value: unknown) => string | undefined };
    /** When the operation as a whole must be done. */
    deadline: number;
}

export class CloudglueClient {
    private readonly retry: RetryPolicy;
    private readonly limits: AnswerLimits;
    private readonly sleep: (ms: number) => Promise<void>;
    private readonly baseUrl: string;
    private readonly secrets: Set<string>;

    constructor(private readonly options: ClientOptions) {
        const problem = apiUrlProblem(options.apiUrl);
        if (problem) {
            throw new Error(
                `The Cloudglue API URL ${JSON.stringify(displayUrl(options.apiUrl))} (cloudglue:apiUrl, or CLOUDGLUE_API_URL ` +
                    `for refresh and destroy) cannot be used: ${problem}. Set it to ${DEFAULT_API_URL} or your API's https base URL.`,
            );
        }
        this.baseUrl = options.apiUrl.replace(/\/+$/, "");
        this.retry = { ...DEFAULT_RETRY, ...options.retry };
        this.limits = { ...DEFAULT_LIMITS, ...options.limits };
        this.sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
        this.secrets = new Set([options.apiKey, ...(options.secrets ?? [])].filter((s) => s !== ""));
    }

    async listConnectors(): Promise<DataConnector[]> {
        const deadline = this.deadline();
        const connectors: DataConnector[] = [];
        for (let page = 0; page < this.limits.maxPages; page++) {
            const offset = page * PAGE_SIZE;
            const answer = (await this.call("GET", `/v1/data-connectors?limit=${PAGE_SIZE}&offset=${offset}`, {
                idempotent: true,
                expect: { shape: "a DataConnectorList", problem: connectorListProblem },
                deadline,
            })) as { data: DataConnector[]; total: number };
            connectors.push(...answer.data);
            if (answer.data.length < PAGE_SIZE || connectors.length >= answer.total) {
                return connectors;
            }
        }
        throw apiError(
            `GET ${this.baseUrl}/v1/data-connectors still had more after ${this.limits.maxPages} pages ` +
                `(${connectors.length} connectors); the client reads at most that many. Remove connectors this account ` +
                "no longer uses in Cloudglue's web app, or check that cloudglue:apiUrl is Cloudglue's API.",
            200,
            false,
        );
    }

    /** The connector, or undefined when Cloudglue has no connector with that id (404, and only 404). */
    async getConnector(id: string): Promise<DataConnector | undefined> {
        const found = await this.call("GET", `/v1/data-connectors/${this.pathId(id)}`, {
            idempotent: true,
            passThrough: [404],
            expect: { shape: "a DataConnector", problem: (v) => sameIdProblem(v, id) },
            deadline: this.deadline(),
        });
        return isFailure(found) ? undefined : (found as DataConnector);
    }

    /** POST; statuses in passThrough come back as a {status} marker instead of an error. */
    async createConnector(
        body: { type: "s3"; name?: string; role_arn: string; external_id: string; buckets: string[] },
        passThrough: number[],
    ): Promise<DataConnector | ApiFailure> {
        this.keepSecret(body.external_id);
        return (await this.call("POST", "/v1/data-connectors", {
            body,
            idempotent: false,
            passThrough,
            expect: { shape: "a DataConnector", problem: connectorProblem },
            deadline: this.deadline(),
        })) as DataConnector | ApiFailure;
    }

    async updateConnector(
        id: string,
        patch: { role_arn?: string; external_id?: string; buckets?: string[] },
        passThrough: number[],
    ): Promise<DataConnector | ApiFailure> {
        this.keepSecret(patch.external_id);
        return (await this.call("PATCH", `/v1/data-connectors/${this.pathId(id)}`, {
            body: patch,
            idempotent: true,
            passThrough,
            expect: { shape: "a DataConnector", problem: (v) => sameIdProblem(v, id) },
            deadline: this.deadline(),
        })) as DataConnector | ApiFailure;
    }

    /** DELETE; false when the connector was already gone. */
    async deleteConnector(id: string): Promise<boolean> {
        const result = await this.call("DELETE", `/v1/data-connectors/${this.pathId(id)}`, {
            idempotent: true,
            passThrough: [404],
            expect: { shape: "a deleted data connector", problem: (v) => deletedProblem(v, id) },
            deadline: this.deadline(),
        });
        return !isFailure(result);
    }

    /**
     * Asks Cloudglue to list a bucket through the connector, under `prefix` if given: the cheapest
     * proof of access (a role granted a bucket only under prefixes may list only under them).
     */
    async listFiles(
        id: string,
        bucket: string,
        passThrough: number[],
        prefix?: string,
    ): Promise<{ data: ConnectorFile[] } | ApiFailure> {
        const query =
            `bucket=${encodeURIComponent(bucket)}` +
            (prefix === undefined ? "" : `&prefix=${encodeURIComponent(prefix)}`) +
            "&limit=1";
        return (await this.call("GET", `/v1/data-connectors/${this.pathId(id)}/files?${query}`, {
            idempotent: true,
            passThrough,
            expect: { shape: "a DataConnectorFileList", problem: fileListProblem },
            deadline: this.deadline(),
        })) as { data: ConnectorFile[] } | ApiFailure;
    }

    private deadline(): number {
        return Date.now() + this.limits.maxOperationMs;
    }

    private keepSecret(value: string | undefined): void {
        if (value) {
            this.secrets.add(value);
        }
    }

    private pathId(id: string): string {
        if (!CONNECTOR_ID.test(id)) {
            throw apiError(
                `${JSON.stringify(this.quote(id))} is not a Cloudglue connector id (a UUID, as Cloudglue's web app shows it).`,
                undefined,
                false,
            );
        }
        return id;
    }

    private async call(method: string, path: string, options: CallOptions): Promise<unknown> {
        const started = Date.now();
        for (let attempt = 1; ; attempt++) {
            const outcome = await this.attempt(method, path, options);
            if (outcome.kind === "ok") {
                return outcome.body;
            }
            // 429 means not processed, so any request may go again; a 5xx or a lost answer only for
            // requests that are safe to repeat. 502 is Cloudglue failing to assume the role: callers decide.
            const retryable =
                outcome.kind === "lost"
                    ? options.idempotent
                    : outcome.kind === "answer" &&
                      (outcome.status === 429 ||
                          (options.idempotent && outcome.status >= 500 && outcome.status !== 502));
            if (outcome.kind === "answer" && options.passThrough?.includes(outcome.status)) {
                return { status: outcome.status, error: outcome.error } satisfies ApiFailure;
            }
            const delay = this.backoff(attempt, outcome.kind === "answer" ? outcome.retryAfterMs : undefined);
            const outOfBudget =
                attempt >= this.retry.maxAttempts ||
                Date.now() + delay - started > this.retry.maxElapsedMs ||
                Date.now() + delay >= options.deadline;
            if (!retryable || outOfBudget) {
                throw this.failure(method, path, outcome, attempt);
            }
            await this.sleep(delay);
        }
    }

    /** Exponential backoff with jitter (half of each step fixed, half random); a longer Retry-After wins. */
    private backoff(attempt: number, retryAfterMs: number | undefined): number {
        const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
        return Math.max(jittered, retryAfterMs ?? 0);
    }

    /** One request, following at most a few redirects: GET only, within the API's own origin. */
    private async attempt(method: string, path: string, options: CallOptions): Promise<Outcome> {
        const timeoutMs = Math.max(1, Math.min(this.options.requestTimeoutMs ?? 15_000, options.deadline - Date.now()));
        // One signal for the request and the reading of its answer: a body that trickles is bounded too.
        const signal = AbortSignal.timeout(timeoutMs);
        const origin = new URL(this.baseUrl).origin;
        let url = `${this.baseUrl}${path}`;
        for (let hop = 0; ; hop++) {
            let response: Response;
            try {
                response = await fetch(url, {
                    method,
                    headers: {
                        Authorization: `Bearer ${this.options.apiKey}`,
                        Accept: "application/json",
                        ...(options.body === undefined ? {} : { "Content-Type": "application/json" }),
                    },
                    body: options.body === undefined ? undefined : JSON.stringify(options.body),
                    redirect: "manual",
                    signal,
                });
            } catch (error) {
                return {
                    kind: "lost",
                    reason: signal.aborted ? `timed out after ${timeoutMs} ms` : describeNetworkError(error),
                };
            }
            if (response.status >= 300 && response.status < 400) {
                await response.body?.cancel().catch(() => undefined);
                const target = this.redirectTarget(response, url);
                const sameOrigin = target?.origin === origin && !target.username && !target.password;
                if (method === "GET" && sameOrigin && hop < MAX_REDIRECTS) {
                    url = (target as URL).href;
                    continue;
                }
                return {
                    kind: "refused",
                    status: response.status,
                    reason:
                        `it redirected to ${target ? this.quote(`${target.origin}${target.pathname}`) : "nowhere readable"}, ` +
                        `and the client follows redirects only for GET within ${origin} (at most ${MAX_REDIRECTS}); ` +
                        "nothing was sent there. Set cloudglue:apiUrl to the URL the API answers on",
                };
            }
            let text: string | undefined;
            try {
                text = await this.readBounded(response);
            } catch (error) {
                return {
                    kind: "lost",
                    reason: signal.aborted
                        ? `timed out after ${timeoutMs} ms while reading its ${response.status} answer`
                        : `the answer (${response.status}) was cut short (${describeNetworkError(error)})`,
                };
            }
            return this.judgeAnswer(response, text, options);
        }
    }

    private redirectTarget(response: Response, from: string): URL | undefined {
        const location = response.headers.get("location") ?? "";
        return URL.canParse(location, from) ? new URL(location, from) : undefined;
    }

    /** What an answer read whole (or, undefined, too big to read) is worth. */
    private judgeAnswer(response: Response, text: string | undefined, options: CallOptions): Outcome {
        const status = response.status;
        if (status >= 300) {
            return this.errorAnswer(response, text);
        }
        if (text === undefined) {
            return {
                kind: "unreadable",
                status,
                reason: `its answer is larger than ${this.limits.maxAnswerBytes} bytes; the client stopped reading it`,
            };
        }
        let body: unknown;
        try {
            body = JSON.parse(text);
        } catch {
            const type = response.headers.get("content-type") ?? "no content type";
            return {
                kind: "unreadable",
                status,
                reason:
                    text === ""
                        ? "its answer is empty"
                        : this.options.withholdServerText
                          ? "its answer is not JSON"
                          : `its answer is not JSON (${this.quote(type)}, starting ${JSON.stringify(this.quote(text.slice(0, 60)))})`,
            };
        }
        const problem = options.expect.problem(body);
        if (problem !== undefined) {
            return {
                kind: "unreadable",
                status,
                reason: `its answer is not ${options.expect.shape}: ${this.options.withholdServerText ? problem : this.quote(problem)}`,
            };
        }
        return { kind: "ok", body };
    }

    /** An error status: what Cloudglue said, when it is its Error ({error: string}), and when to ask again. */
    private errorAnswer(response: Response, text: string | undefined): Outcome {
        const status = response.status;
        const retryAfter = Number(response.headers.get("retry-after"));
        const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
        if (text === undefined) {
            // Too big to read: the status still says what happened.
            return { kind: "answer", status, error: "", oversized: true, retryAfterMs };
        }
        if (this.options.withholdServerText) {
            const words = SERVER_WORDS.filter((word) => text.includes(word)).join(", ");
            return { kind: "answer", status, error: words, withheld: true, retryAfterMs };
        }
        let said = "";
        try {
            const body: unknown = JSON.parse(text);
            said = isObject(body) && typeof body.error === "string" ? body.error : "";
        } catch {
            // Not JSON: nothing of it is quoted.
        }
        return { kind: "answer", status, error: this.quote(said), retryAfterMs };
    }

    /** The body as text, or undefined when it is larger than the limit (reading stops there). */
    private async readBounded(response: Response): Promise<string | undefined> {
        const declared = Number(response.headers.get("content-length"));
        if (Number.isFinite(declared) && declared > this.limits.maxAnswerBytes) {
            await response.body?.cancel().catch(() => undefined);
            return undefined;
        }
        if (!response.body) {
            return "";
        }
        const reader = response.body.getReader();
        const chunks: Uint8Array[] = [];
        let size = 0;
        for (;;) {
            const { done, value } = await reader.read();
            if (done) {
                break;
            }
            size += value.byteLength;
            if (size > this.limits.maxAnswerBytes) {
                await reader.cancel().catch(() => undefined);
                return undefined;
            }
            chunks.push(value);
        }
        // Not fatal: a stray byte becomes U+FFFD, and the answer is still judged.
        return new TextDecoder("utf-8").decode(Buffer.concat(chunks));
    }

    private failure(
        method: string,
        path: string,
        outcome: Exclude<Outcome, { kind: "ok" }>,
        attempts: number,
    ): CloudglueApiError {
        const where = `${method} ${this.baseUrl}${path.split("?")[0]}`;
        const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
        if (outcome.kind === "lost") {
            return this.error(
                `Cloudglue did not answer ${where}${tries}: ${outcome.reason.replace(/\.$/, "")}. Check cloudglue:apiUrl and the network, then run again.`,
                undefined,
                true,
            );
        }
        if (outcome.kind === "unreadable") {
            // A success that cannot be read: the request may have been carried out.
            return this.error(
                `${where} answered ${outcome.status}, but ${outcome.reason}. Is cloudglue:apiUrl Cloudglue's API? ` +
                    "Nothing was changed in the stack's state for it.",
                outcome.status,
                true,
            );
        }
        if (outcome.kind === "refused") {
            return this.error(`${where} answered ${outcome.status}: ${outcome.reason}.`, outcome.status, false);
        }
        const said = outcome.withheld
            ? ` ${withheldText(outcome.error)}.`
            : outcome.error
              ? ` Cloudglue said: "${outcome.error}".`
              : outcome.oversized
                ? ` Its answer was larger than ${this.limits.maxAnswerBytes} bytes and was not read.`
                : "";
        const advice: Record<number, string> = {
            401: "The API key is missing or invalid: set it with `pulumi config set --secret cloudglue:apiKey <key>` (or CLOUDGLUE_API_KEY).",
            402: "The Cloudglue account has run out of credits: add credits in Cloudglue's billing settings, then run again.",
            403: "The API key may not do this: use a key of the account that owns the connector.",
            429: "Cloudglue's rate limit held on past the retry budget: wait a minute and run again.",
        };
        const what =
            advice[outcome.status] ??
            (outcome.status >= 500
                ? "Cloudglue had a server error: run again later."
                : "Cloudglue refused the request: check the stack config it was built from.");
        return this.error(`${where} answered ${outcome.status}${tries}.${said} ${what}`, outcome.status, false);
    }

    /** Every error the client throws goes through here: no secret leaves in a message or a stack. */
    private error(message: string, status: number | undefined, answerLost: boolean): CloudglueApiError {
        return apiError(this.redact(message), status, answerLost);
    }

    /**
     * The server's own text, fit to quote: secrets out, control characters out, bounded. Control
     * characters go first, so that one put inside a secret does not hide it from the redaction.
     */
    private quote(text: string): string {
        if (this.options.withholdServerText) {
            return "[not shown]";
        }
        const clean = this.redact(stripControl(text));
        const max = this.limits.maxQuotedChars;
        return clean.length <= max ? clean : `${clean.slice(0, max)}… (${clean.length - max} more characters)`;
    }

    /** Never let a secret out, even if a server echoes it back: plain, URL-encoded, JSON-escaped or base64. */
    private redact(text: string): string {
        let out = text;
        const forms = [...this.secrets].flatMap((s) => [
            s,
            encodeURIComponent(s),
            s.split("/").join("\\/"),
            Buffer.from(s).toString("base64"),
        ]);
        for (const secret of forms.sort((a, b) => b.length - a.length)) {
            out = out.split(secret).join("[redacted]");
        }
        return out;
    }
}

/** An answer the caller asked to handle itself (see CallOptions.passThrough). */
export interface ApiFailure {
    status: number;
    error: string;
}

export function isFailure(result: unknown): result is ApiFailure {
    return isObject(result) && typeof result.status === "number" && typeof result.error === "string";
}

/** ok: a 2xx of the shape asked for; answer: an error status (4xx, 5xx); the rest are failures too. */
type Outcome =
    | { kind: "ok"; body: unknown }
    | { kind: "lost"; reason: string }
    | { kind: "unreadable"; status: number; reason: string }
    | { kind: "refused"; status: number; reason: string }
    | { kind: "answer"; status: number; error: string; oversized?: boolean; withheld?: boolean; retryAfterMs?: number };

/** What a withholding client says of the server's text: the words of SERVER_WORDS it held, if any. */
export function withheldText(words: string): string {
    return `${words ? `Cloudglue's answer names ${words}; the rest` : "What Cloudglue said"} is not shown (it could echo the external ID)`;
}

function describeNetworkError(error: unknown): string {
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** C0 and C1 controls, DEL, and the bidirectional overrides that can make a terminal line lie. */
export function stripControl(text: string): string {
    // eslint-disable-next-line no-control-regex
    return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "");
}

// Shape checks: each says what is wrong, in the terms of the published schema, or undefined.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPlainText = (v: unknown, max: number) => typeof v === "string" && v.length <= max && stripControl(v) === v;
const kindOf = (v: unknown) => (Array.isArray(v) ? "a list" : v === null ? "null" : typeof v);

function connectorProblem(value: unknown, at = "the answer"): string | undefined {
    if (!isObject(value)) {
        return `${at} is ${kindOf(value)}, not an object`;
    }
    if (typeof value.id !== "string" || !CONNECTOR_ID.test(value.id)) {
        return `${at}.id is not a connector id`;
    }
    if (value.object !== "data_connector") {
        return `${at}.object is not "data_connector"`;
    }
    if (typeof value.type !== "string" || !/^[a-z0-9-]{1,64}$/.test(value.type)) {
        return `${at}.type is not a connector type`;
    }
    for (const field of ["created_at", "updated_at"]) {
        if (!isWhole(value[field])) {
            return `${at}.${field} is ${kindOf(value[field])}, not a timestamp in milliseconds`;
        }
    }
    const metadata = value.metadata;
    if (!isObject(metadata)) {
        return `${at}.metadata is ${kindOf(metadata)}, not an object`;
    }
    // What reaches the stack's state and messages: plain text of a sane length.
    for (const field of ["role_arn", "name"]) {
        if (metadata[field] !== undefined && !isPlainText(metadata[field], 2048)) {
            return `${at}.metadata.${field} is not a string of at most 2048 characters without control characters`;
        }
    }
    const buckets = metadata.buckets;
    if (
        buckets !== undefined &&
        (!Array.isArray(buckets) || buckets.length > 1000 || buckets.some((b) => !isPlainText(b, 255)))
    ) {
        return `${at}.metadata.buckets is not a list of bucket names`;
    }
    return undefined;
}

function sameIdProblem(value: unknown, id: string): string | undefined {
    return connectorProblem(value) ?? ((value as DataConnector).id !== id ? "it is another connector" : undefined);
}

/** What both published lists share: `{"object": "list", "data": [...]}`. */
function listEnvelopeProblem(value: unknown): string | undefined {
    if (!isObject(value)) {
        return `the answer is ${kindOf(value)}, not an object`;
    }
    if (value.object !== "list") {
        return 'object is not "list"';
    }
    if (!Array.isArray(value.data)) {
        return `data is ${kindOf(value.data)}, not a list`;
    }
    return undefined;
}

function connectorListProblem(value: unknown): string | undefined {
    const envelope = listEnvelopeProblem(value);
    if (envelope || !isObject(value) || !Array.isArray(value.data)) {
        return envelope;
    }
    for (const field of ["total", "limit", "offset"]) {
        if (!isWhole(value[field])) {
            return `${field} is ${kindOf(value[field])}, not a whole number`;
        }
    }
    if (value.data.length > PAGE_SIZE) {
        return `data has ${value.data.length} items, more than the ${PAGE_SIZE} asked for`;
    }
    for (let i = 0; i < value.data.length; i++) {
        const problem = connectorProblem(value.data[i], `data[${i}]`);
        if (problem) {
            return problem;
        }
    }
    return undefined;
}

function fileListProblem(value: unknown): string | undefined {
    const envelope = listEnvelopeProblem(value);
    if (envelope || !isObject(value) || !Array.isArray(value.data)) {
        return envelope;
    }
    if (typeof value.has_more !== "boolean") {
        return `has_more is ${kindOf(value.has_more)}, not a boolean`;
    }
    if (value.next_page_token !== null && typeof value.next_page_token !== "string") {
        return `next_page_token is ${kindOf(value.next_page_token)}, not a string or null`;
    }
    for (let i = 0; i < value.data.length; i++) {
        const file = value.data[i] as unknown;
        if (!isObject(file) || file.object !== "data_connector_file" || typeof file.name !== "string") {
            return `data[${i}] is not a data_connector_file with a name`;
        }
        if (file.type !== "file" && file.type !== "folder") {
            return `data[${i}].type is not "file" or "folder"`;
        }
        if (file.uri !== null && typeof file.uri !== "string") {
            return `data[${i}].uri is ${kindOf(file.uri)}, not a string or null`;
        }
    }
    return undefined;
}

function deletedProblem(value: unknown, id: string): string | undefined {
    if (!isObject(value) || value.deleted !== true || value.id !== id) {
        return `it does not say that connector ${id} was deleted ({"id", "object", "deleted": true})`;
    }
    return undefined;
}
