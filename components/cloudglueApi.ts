/**
 * A small client for the Cloudglue API (see shared/reference/cloudglue-api.md), on Node's global
 * fetch. The dynamic provider's code is serialized into the stack's state, so this module
 * imports nothing at run time: what the provider captures from it stays small and self-contained.
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

export interface ConnectorFile {
    uri: string;
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

export interface ClientOptions {
    apiUrl: string;
    apiKey: string;
    requestTimeoutMs?: number;
    retry?: Partial<RetryPolicy>;
    /** Replaced in tests to observe waits; defaults to a real timer. */
    sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, maxElapsedMs: 60_000, baseDelayMs: 500, maxDelayMs: 8_000 };

/**
 * A failure from the API. `answerLost` means the request may or may not have been carried out
 * (timeout, reset): a POST that failed so may still have created something. A plain Error with
 * fields, not a subclass: the provider's serialized code runs classes through a transform under
 * which a subclass of Error loses its message.
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

interface CallOptions {
    body?: unknown;
    /** Whether the request may be sent again after an answer was lost. POST is not. */
    idempotent: boolean;
    /** Statuses the caller handles itself instead of retrying or failing (e.g. 404, 502). */
    passThrough?: number[];
}

export class CloudglueClient {
    private readonly retry: RetryPolicy;
    private readonly sleep: (ms: number) => Promise<void>;

    constructor(private readonly options: ClientOptions) {
        this.retry = { ...DEFAULT_RETRY, ...options.retry };
        this.sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    }

    async listConnectors(): Promise<DataConnector[]> {
        const connectors: DataConnector[] = [];
        for (let offset = 0; ; offset += 100) {
            const page = (await this.call("GET", `/v1/data-connectors?limit=100&offset=${offset}`, {
                idempotent: true,
            })) as { data: DataConnector[]; total?: number };
            connectors.push(...page.data);
            if (page.data.length < 100 || (page.total !== undefined && connectors.length >= page.total)) {
                return connectors;
            }
        }
    }

    /** The connector, or undefined when Cloudglue has no connector with that id (404). */
    async getConnector(id: string): Promise<DataConnector | undefined> {
        const found = await this.call("GET", `/v1/data-connectors/${encodeURIComponent(id)}`, {
            idempotent: true,
            passThrough: [404],
        });
        return isFailure(found) ? undefined : (found as DataConnector);
    }

    /** POST; statuses in passThrough come back as a {status} marker instead of an error. */
    async createConnector(
        body: { type: "s3"; name?: string; role_arn: string; external_id: string; buckets: string[] },
        passThrough: number[],
    ): Promise<DataConnector | ApiFailure> {
        return (await this.call("POST", "/v1/data-connectors", { body, idempotent: false, passThrough })) as
            DataConnector | ApiFailure;
    }

    async updateConnector(
        id: string,
        patch: { role_arn?: string; external_id?: string; buckets?: string[] },
        passThrough: number[],
    ): Promise<DataConnector | ApiFailure> {
        return (await this.call("PATCH", `/v1/data-connectors/${encodeURIComponent(id)}`, {
            body: patch,
            idempotent: true,
            passThrough,
        })) as DataConnector | ApiFailure;
    }

    /** DELETE; false when the connector was already gone. */
    async deleteConnector(id: string): Promise<boolean> {
        const result = await this.call("DELETE", `/v1/data-connectors/${encodeURIComponent(id)}`, {
            idempotent: true,
            passThrough: [404],
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
        const under = prefix === undefined ? "" : `&prefix=${encodeURIComponent(prefix)}`;
        const query = `bucket=${encodeURIComponent(bucket)}${under}&limit=1`;
        return (await this.call("GET", `/v1/data-connectors/${encodeURIComponent(id)}/files?${query}`, {
            idempotent: true,
            passThrough,
        })) as { data: ConnectorFile[] } | ApiFailure;
    }

    private async call(method: string, path: string, options: CallOptions): Promise<unknown> {
        const started = Date.now();
        for (let attempt = 1; ; attempt++) {
            const outcome = await this.attempt(method, path, options);
            // 429 means not processed, so any request may go again; a 5xx or a lost answer only for
            // requests that are safe to repeat. 502 is Cloudglue failing to assume the role: callers decide.
            const retryable =
                outcome.kind === "lost"
                    ? options.idempotent
                    : outcome.status === 429 || (options.idempotent && outcome.status >= 500 && outcome.status !== 502);
            if (outcome.kind === "answer" && outcome.status < 300) {
                return outcome.body;
            }
            if (outcome.kind === "answer" && options.passThrough?.includes(outcome.status)) {
                return { status: outcome.status, error: outcome.error } satisfies ApiFailure;
            }
            const delay = this.backoff(attempt, outcome.kind === "answer" ? outcome.retryAfterMs : undefined);
            const outOfBudget =
                attempt >= this.retry.maxAttempts || Date.now() + delay - started > this.retry.maxElapsedMs;
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

    private async attempt(method: string, path: string, options: CallOptions): Promise<Outcome> {
        const url = `${this.options.apiUrl.replace(/\/+$/, "")}${path}`;
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
                signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 15_000),
            });
        } catch (error) {
            const reason =
                error instanceof Error && error.name === "TimeoutError" ? "timed out" : describeNetworkError(error);
            return { kind: "lost", reason };
        }
        let body: unknown;
        try {
            const text = await response.text();
            body = text ? JSON.parse(text) : undefined;
        } catch {
            body = undefined;
        }
        const retryAfter = Number(response.headers.get("retry-after"));
        return {
            kind: "answer",
            status: response.status,
            body,
            error: this.redact(
                typeof (body as { error?: unknown })?.error === "string" ? (body as { error: string }).error : "",
            ),
            retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
        };
    }

    private failure(method: string, path: string, outcome: Outcome, attempts: number): CloudglueApiError {
        const where = `${method} ${this.options.apiUrl.replace(/\/+$/, "")}${path.split("?")[0]}`;
        const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
        if (outcome.kind === "lost") {
            return apiError(
                `Cloudglue did not answer ${where}${tries}: ${outcome.reason}. Check cloudglue:apiUrl and the network, then run again.`,
                undefined,
                true,
            );
        }
        const said = outcome.error ? ` Cloudglue said: "${outcome.error}".` : "";
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
        return apiError(`${where} answered ${outcome.status}${tries}.${said} ${what}`, outcome.status, false);
    }

    /** Never let the key out, even if a server echoes it back. */
    private redact(text: string): string {
        return this.options.apiKey ? text.split(this.options.apiKey).join("[redacted]") : text;
    }
}

/** An answer the caller asked to handle itself (see CallOptions.passThrough). */
export interface ApiFailure {
    status: number;
    error: string;
}

export function isFailure(result: unknown): result is ApiFailure {
    return typeof (result as ApiFailure)?.status === "number" && typeof (result as ApiFailure)?.error === "string";
}

type Outcome =
    | { kind: "lost"; reason: string }
    | { kind: "answer"; status: number; body: unknown; error: string; retryAfterMs?: number };

function describeNetworkError(error: unknown): string {
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
