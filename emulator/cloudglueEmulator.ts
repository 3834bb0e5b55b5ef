/**
 * A local stand-in for the Cloudglue API as shared/reference/cloudglue-api.md describes it. By
 * default it is the published API and nothing more: the two data-connector endpoints, UUID ids,
 * bearer auth, `{"error"}` bodies and the documented statuses. The registration endpoints of this
 * project's contract come only with `registrationApi`. Outside `/v1`, a stand-in for the web app
 * makes an S3 connector from a role ARN and an external ID, as a person does in Cloudglue's web app.
 * An access model answers file listings the way S3 would judge the role's policy.
 * State lives in memory, or in a JSON file that survives a restart. Faults are switched on per test.
 * The request log never holds a key or an external ID.
 */
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import { DataConnector } from "../components/cloudglueApi";
import { asList, PolicyDocument } from "../components/iamDocuments";

/** A connector as Cloudglue holds it: the published shape, and the external ID it never returns. */
export interface StoredConnector extends DataConnector {
    external_id?: string;
}

export interface LoggedRequest {
    method: string;
    /** Path and query, e.g. `/v1/data-connectors/<uuid>/files?bucket=b&limit=1`. */
    path: string;
    status: number;
    /** Set when the connection was dropped instead of answered. */
    dropped?: boolean;
}

export type Fault =
    | { kind: "status"; status: number; retryAfterSeconds?: number; error?: string }
    | { kind: "delay"; ms: number }
    /** Close the connection without an answer, before or after carrying out the request. */
    | { kind: "drop"; after: boolean }
    /** Close the connection without an answer now, and carry out the request `ms` later: a commit after the client gave up. */
    | { kind: "late"; ms: number };

export interface FaultRule {
    method?: string;
    /** A regular expression the path (without query) must match. */
    path?: RegExp;
    /** How many matching requests it applies to; Infinity for all. */
    times: number;
    fault: Fault;
}

export interface EmulatorOptions {
    /** Accepted bearer tokens. */
    apiKeys: string[];
    /** Keep state in this file (loaded at start, written on every change); in memory without it. */
    stateFile?: string;
    port?: number;
    /** Print one line per request (method, path, status). */
    printLog?: boolean;
    /** Serve this project's registration endpoints (POST, GET by id, PATCH, DELETE) besides the published ones. */
    registrationApi?: boolean;
}

/** The path of the web-app stand-in: not part of the API, so outside `/v1`. */
export const WEB_APP_CONNECTOR_PATH = "/web-app/s3-connectors";

/**
 * What the role may list, bucket by bucket: `"whole"`, or the `s3:prefix` patterns (IAM's
 * StringLike: `*` any run of characters, `?` one) that a listing's prefix must match.
 */
export type AccessModel = Map<string, "whole" | string[]>;

export class CloudglueEmulator {
    readonly log: LoggedRequest[] = [];
    readonly faults: FaultRule[] = [];
    /** With this project's registration endpoints; without them, the public API as it is today. */
    registrationApi: boolean;
    /**
     * After a connector's role or external ID changes, Cloudglue cannot assume the role for this
     * long, as while IAM propagates: POST, PATCH and file listings answer 502.
     */
    propagationWindowMs = 0;
    /** Buckets the role cannot read (listing them answers 502); every other bucket of a connector can be listed. */
    unreadableBuckets = new Set<string>();
    /** What S3 lets the role list; undefined grants everything. Seed it with `accessModelFromPolicy`. */
    access: AccessModel | undefined;
    /**
     * The role's trust policy as IAM holds it, by role ARN: when one is set, Cloudglue assumes the
     * role only with an external ID a statement accepts at that moment (`trustAccepts`), else 502.
     */
    readonly trustPolicies = new Map<string, PolicyDocument>();
    /**
     * Awaited before each request is answered: the engine tests set `trustPolicies` here from the
     * role's trust as moto holds it at that moment, so that Cloudglue meets the live trust.
     */
    beforeRequest?: () => Promise<void>;

    private connectors: StoredConnector[] = [];
    /** Requests of `late` faults still to be carried out; a reset or stop cancels them. */
    private readonly lateCommits = new Set<NodeJS.Timeout>();
    private readonly credentialsChangedAt = new Map<string, number>();
    private server?: http.Server;

    constructor(private readonly options: EmulatorOptions) {
        this.registrationApi = options.registrationApi ?? false;
        if (options.stateFile && fs.existsSync(options.stateFile)) {
            const saved = JSON.parse(fs.readFileSync(options.stateFile, "utf8"));
            this.connectors = saved.connectors;
        }
    }

    get url(): string {
        const address = this.server?.address() as AddressInfo | null;
        if (!address) {
            throw new Error("the emulator is not listening");
        }
        return `http://127.0.0.1:${address.port}`;
    }

    /** The log as lines `METHOD /path` (no query), marked ` (dropped)` where no answer was sent. */
    calls(): string[] {
        return this.log.map((r) => `${r.method} ${r.path.split("?")[0]}${r.dropped ? " (dropped)" : ""}`);
    }

    /** What a person does in the web app's connector form: give a connector another external ID. */
    setExternalId(id: string, externalId: string): void {
        const connector = this.connectors.find((c) => c.id === id);
        if (!connector) {
            throw new Error(`no connector ${id}`);
        }
        connector.external_id = externalId;
        this.save();
    }

    /** Connectors as stored, external IDs included, for assertions. */
    stored(): StoredConnector[] {
        return structuredClone(this.connectors);
    }

    /** A connector made "in the web app", for adoption tests. */
    seed(
        connector: Omit<StoredConnector, "object" | "created_at" | "updated_at" | "id"> & { id?: string },
    ): StoredConnector {
        const now = Date.now();
        const stored: StoredConnector = {
            object: "data_connector",
            created_at: now,
            updated_at: now,
            ...connector,
            id: connector.id ?? randomUUID(),
        };
        this.connectors.push(stored);
        this.save();
        return stored;
    }

    /** Applies `fault` to the next `times` requests that match. */
    inject(fault: Fault, match: { method?: string; path?: RegExp; times?: number } = {}): void {
        this.faults.push({ method: match.method, path: match.path, times: match.times ?? 1, fault });
    }

    reset(): void {
        this.lateCommits.forEach(clearTimeout);
        this.lateCommits.clear();
        this.log.length = 0;
        this.faults.length = 0;
        this.registrationApi = this.options.registrationApi ?? false;
        this.propagationWindowMs = 0;
        this.unreadableBuckets.clear();
        this.access = undefined;
        this.trustPolicies.clear();
        this.connectors = [];
        this.credentialsChangedAt.clear();
        this.save();
    }

    async start(): Promise<this> {
        this.server = http.createServer((req, res) => void this.handle(req, res));
        const server = this.server;
        // A port already taken rejects (EADDRINUSE) instead of crashing the process from an 'error' event.
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(this.options.port ?? 0, "127.0.0.1", () => {
                server.off("error", reject);
                resolve();
            });
        });
        return this;
    }

    async stop(): Promise<void> {
        this.lateCommits.forEach(clearTimeout);
        this.server?.closeAllConnections();
        await new Promise((resolve) => this.server?.close(resolve));
    }

    private save(): void {
        if (this.options.stateFile) {
            const state = { connectors: this.connectors };
            fs.writeFileSync(this.options.stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
        }
    }

    private takeFault(method: string, path: string): Fault | undefined {
        const rule = this.faults.find(
            (f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)),
        );
        if (rule) {
            rule.times--;
        }
        return rule?.fault;
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const method = req.method ?? "GET";
        const url = new URL(req.url ?? "/", "http://emulator");
        const body = await readBody(req);
        await this.beforeRequest?.();
        const entry: LoggedRequest = { method, path: `${url.pathname}${url.search}`, status: 0 };
        this.log.push(entry);

        const fault = this.takeFault(method, url.pathname);
        if (fault?.kind === "delay") {
            await new Promise((done) => setTimeout(done, fault.ms));
        }
        if (fault?.kind === "late") {
            entry.dropped = true;
            req.socket.destroy();
            const timer = setTimeout(() => {
                this.lateCommits.delete(timer);
                this.route(method, url, body, req.headers.authorization);
            }, fault.ms);
            this.lateCommits.add(timer);
            timer.unref();
            return;
        }
        if (fault?.kind === "drop" && !fault.after) {
            entry.dropped = true;
            req.socket.destroy();
            return;
        }
        let answer: Answer;
        if (fault?.kind === "status") {
            answer = {
                status: fault.status,
                body: { error: fault.error ?? STATUS_TEXT[fault.status] ?? "Injected fault" },
            };
            if (fault.retryAfterSeconds !== undefined) {
                answer.headers = { "Retry-After": String(fault.retryAfterSeconds) };
            }
        } else {
            answer = this.route(method, url, body, req.headers.authorization);
        }
        if (fault?.kind === "drop") {
            entry.dropped = true;
            req.socket.destroy();
            return;
        }
        entry.status = answer.status;
        if (this.options.printLog) {
            console.log(`${new Date().toISOString()} ${method} ${entry.path} ${answer.status}`);
        }
        res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
        res.end(JSON.stringify(answer.body));
    }

    private route(method: string, url: URL, rawBody: string, authorization: string | undefined): Answer {
        const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
        if (!token || !this.options.apiKeys.includes(token)) {
            return error(401, "Invalid or missing API key");
        }
        if (url.pathname === WEB_APP_CONNECTOR_PATH) {
            return method === "POST" ? this.webAppConnector(rawBody) : error(405, "Method not allowed");
        }
        const parts = url.pathname.split("/").filter(Boolean); // v1, data-connectors, id, files
        if (parts[0] !== "v1" || parts[1] !== "data-connectors" || parts.length > 4) {
            return error(404, "Not found");
        }
        const [, , id, sub] = parts;
        let body: Record<string, unknown> = {};
        if (rawBody) {
            try {
                body = JSON.parse(rawBody);
            } catch {
                return error(400, "Body is not JSON");
            }
        }
        if (!id && method === "GET") {
            return this.list(url);
        }
        if (id && sub === "files" && method === "GET") {
            return this.files(id, url);
        }
        if (sub) {
            return error(404, "Not found");
        }
        if (!this.registrationApi) {
            return !id && method === "POST" ? error(405, "Method not allowed") : error(404, "Not found");
        }
        if (!id && method === "POST") {
            return this.create(body);
        }
        const index = this.connectors.findIndex((c) => c.id === id);
        if (index < 0) {
            return error(404, `No data connector ${id}`);
        }
        switch (method) {
            case "GET":
                return { status: 200, body: publicView(this.connectors[index]) };
            case "PATCH":
                return this.update(this.connectors[index], body);
            case "DELETE":
                this.connectors.splice(index, 1);
                this.save();
                return { status: 200, body: { id, object: "data_connector", deleted: true } };
            default:
                return error(405, "Method not allowed");
        }
    }

    private list(url: URL): Answer {
        const limit = Math.min(100, Number(url.searchParams.get("limit") ?? 20));
        const offset = Number(url.searchParams.get("offset") ?? 0);
        if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) {
            return error(400, "limit and offset must be whole numbers (limit at least 1)");
        }
        const data = this.connectors.slice(offset, offset + limit).map(publicView);
        return { status: 200, body: { object: "list", data, total: this.connectors.length, limit, offset } };
    }

    private files(id: string, url: URL): Answer {
        const connector = this.connectors.find((c) => c.id === id);
        if (!connector) {
            return error(404, `No data connector ${id}`);
        }
        const bucket = url.searchParams.get("bucket");
        if (!bucket) {
            return error(400, "bucket is required for S3 connectors");
        }
        const limit = Number(url.searchParams.get("limit") ?? 20);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
            return error(400, "limit must be an integer from 1 to 100");
        }
        const cannot = this.cannotAssume(connector);
        if (cannot) {
            return cannot;
        }
        const prefix = url.searchParams.get("prefix") ?? undefined;
        if (this.unreadableBuckets.has(bucket) || !mayList(this.access, bucket, prefix)) {
            return error(502, `Unable to list s3://${bucket}/${prefix ?? ""}: AccessDenied`);
        }
        const file = {
            object: "data_connector_file",
            type: "file",
            uri: `s3://${bucket}/${prefix ?? ""}sample.mp4`,
            name: `${prefix ?? ""}sample.mp4`,
            mime_type: "video/mp4",
            size_bytes: 1024,
            created_at: null,
            metadata: {},
        };
        return { status: 200, body: { object: "list", data: [file], has_more: false, next_page_token: null } };
    }

    private create(body: Record<string, unknown>): Answer {
        const invalid = validateRegistration(body, true);
        if (invalid) {
            return error(400, invalid);
        }
        const pending = {
            metadata: {
                role_arn: String(body.role_arn),
                buckets: body.buckets as string[],
                ...(body.name === undefined ? {} : { name: String(body.name) }),
            },
            external_id: String(body.external_id),
        };
        const cannot = this.cannotAssume(pending);
        if (cannot) {
            return cannot;
        }
        const connector = this.seed({ type: "s3", ...pending });
        return { status: 201, body: publicView(connector) };
    }

    private update(connector: StoredConnector, body: Record<string, unknown>): Answer {
        const invalid = validateRegistration(body, false);
        if (invalid) {
            return error(400, invalid);
        }
        const next = {
            metadata: {
                ...connector.metadata,
                role_arn: (body.role_arn as string | undefined) ?? connector.metadata.role_arn,
                buckets: (body.buckets as string[] | undefined) ?? connector.metadata.buckets,
            },
            external_id: (body.external_id as string | undefined) ?? connector.external_id,
        };
        const cannot = this.cannotAssume(next);
        if (cannot) {
            return cannot;
        }
        Object.assign(connector, next, { updated_at: Date.now() });
        this.save();
        return { status: 200, body: publicView(connector) };
    }

    /** What a person does in the web app: an S3 connector from a role ARN and an external ID. */
    private webAppConnector(rawBody: string): Answer {
        let body: Record<string, unknown>;
        try {
            body = JSON.parse(rawBody || "{}");
        } catch {
            return error(400, "Body is not JSON");
        }
        if (typeof body.role_arn !== "string" || !/^arn:aws:iam::\d{12}:role\//.test(body.role_arn)) {
            return error(400, "role_arn must be an IAM role ARN");
        }
        if (typeof body.external_id !== "string" || body.external_id.length < 2) {
            return error(400, "external_id is required");
        }
        const buckets = Array.isArray(body.buckets) ? body.buckets.map(String) : undefined;
        const connector = this.seed({
            type: "s3",
            metadata: { role_arn: body.role_arn, ...(buckets ? { buckets } : {}) },
            external_id: body.external_id,
        });
        return { status: 201, body: { id: connector.id } };
    }

    /** 502 while the (role, external ID) pair is newer than the propagation window. */
    private cannotAssume(connector: Pick<StoredConnector, "metadata" | "external_id">): Answer | undefined {
        const trust = this.trustPolicies.get(String(connector.metadata.role_arn));
        if (trust && !trustAccepts(trust, String(connector.external_id), new Date())) {
            return error(502, `Unable to assume role ${connector.metadata.role_arn}: AccessDenied`);
        }
        if (this.propagationWindowMs <= 0) {
            return undefined;
        }
        const credentials = `${connector.metadata.role_arn}\n${connector.external_id}`;
        const since = this.credentialsChangedAt.get(credentials) ?? Date.now();
        this.credentialsChangedAt.set(credentials, since);
        if (Date.now() - since < this.propagationWindowMs) {
            return error(502, `Unable to assume role ${connector.metadata.role_arn}: AccessDenied`);
        }
        return undefined;
    }
}

/**
 * Whether a trust policy lets Cloudglue's account assume the role with this external ID at this
 * moment: an Allow for sts:AssumeRole whose conditions are StringEquals on sts:ExternalId and,
 * optionally, DateLessThan on aws:CurrentTime. Any other condition fails closed.
 */
export function trustAccepts(trust: PolicyDocument, externalId: string, now: Date): boolean {
    return trust.Statement.some((statement) => {
        if (statement.Effect !== "Allow" || !asList(statement.Action).includes("sts:AssumeRole")) {
            return false;
        }
        return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
            Object.entries(keys).every(([name, values]) => {
                if (operator === "StringEquals" && name === "sts:ExternalId") {
                    return asList(values).includes(externalId);
                }
                if (operator === "DateLessThan" && name === "aws:CurrentTime") {
                    return asList(values).some((v) => now.getTime() < Date.parse(v));
                }
                return false;
            }),
        );
    });
}

interface Answer {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
    400: "Bad request",
    401: "Invalid or missing API key",
    402: "Insufficient credits",
    403: "Forbidden",
    404: "Not found",
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Error talking to the external service",
};

function error(status: number, message: string): Answer {
    return { status, body: { error: message } };
}

function publicView(connector: StoredConnector): Omit<StoredConnector, "external_id"> {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { external_id, ...visible } = connector;
    return structuredClone(visible);
}

/**
 * The access model S3 would apply for an inline policy document: every bucket an `s3:ListBucket`
 * statement grants, whole or bound to the `s3:prefix` values of its StringLike condition.
 */
export function accessModelFromPolicy(document: PolicyDocument): AccessModel {
    const model: AccessModel = new Map();
    for (const statement of document.Statement) {
        const actions = asList(statement.Action);
        if (statement.Effect !== "Allow" || !actions.includes("s3:ListBucket")) {
            continue;
        }
        const condition = statement.Condition as { StringLike?: Record<string, string | string[]> } | undefined;
        const prefixes = condition?.StringLike?.["s3:prefix"];
        for (const resource of asList(statement.Resource)) {
            const bucket = /^arn:aws:s3:::([^/]+)$/.exec(resource)?.[1];
            if (!bucket) {
                continue;
            }
            const before = model.get(bucket);
            if (prefixes === undefined || before === "whole") {
                model.set(bucket, "whole");
            } else {
                model.set(bucket, [...(before ?? []), ...([] as string[]).concat(prefixes)]);
            }
        }
    }
    return model;
}

/** IAM's StringLike on s3:prefix: a listing without a prefix has no s3:prefix key, so it matches nothing. */
function mayList(access: AccessModel | undefined, bucket: string, prefix: string | undefined): boolean {
    if (!access) {
        return true;
    }
    const grant = access.get(bucket);
    if (grant === undefined || grant === "whole") {
        return grant === "whole";
    }
    return prefix !== undefined && grant.some((pattern) => stringLike(pattern, prefix));
}

function stringLike(pattern: string, value: string): boolean {
    const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${source}$`, "s").test(value);
}

function validateRegistration(body: Record<string, unknown>, creating: boolean): string | undefined {
    if (creating && body.type !== "s3") {
        return "type must be s3";
    }
    const roleArn = body.role_arn;
    if (
        (creating || roleArn !== undefined) &&
        (typeof roleArn !== "string" || !/^arn:aws:iam::\d{12}:role\//.test(roleArn))
    ) {
        return "role_arn must be an IAM role ARN";
    }
    if (body.name !== undefined && (typeof body.name !== "string" || body.name.length > 256)) {
        return "name must be a string of at most 256 characters";
    }
    const externalId = body.external_id;
    if ((creating || externalId !== undefined) && (typeof externalId !== "string" || externalId.length < 2)) {
        return "external_id is required";
    }
    const buckets = body.buckets;
    if (
        (creating || buckets !== undefined) &&
        (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((b) => typeof b !== "string"))
    ) {
        return "buckets must be a non-empty list of bucket names";
    }
    return undefined;
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
        let data = "";
        req.on("data", (chunk) => (data += chunk));
        req.on("end", () => resolve(data));
    });
}
