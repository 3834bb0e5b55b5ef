/**
 * The API client's defaults and headers, which a mutation run showed no test would notice
 * breaking (issue 15): each asserts what a test server received (headers, how many requests) or
 * how long the client waited, with the numbers written here. Only the client's `sleep` is
 * replaced, to record the waits instead of waiting them (the server's answers are real).
 */
import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { CloudglueClient, isApiError } from "../../components/cloudglueApi";

const KEY = "cg-regression-key-0123456789abcdef";
const ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";

interface Seen {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    body: string;
}
type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | "hang";

/** A loopback server that answers each request as `answer` says and records what it received. */
class RecordingServer {
    readonly seen: Seen[] = [];
    answer: (seen: Seen) => Answer = () => ({ status: 200, body: list([]) });
    private readonly server = http.createServer(async (req, res) => {
        let body = "";
        for await (const chunk of req) {
            body += chunk;
        }
        const seen = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
        this.seen.push(seen);
        const answer = this.answer(seen);
        if (answer === "hang") {
            return; // never answers; stop() closes the connection
        }
        res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
        res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });

    async start(): Promise<this> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return this;
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }
}

const connector = (id = ID) => ({
    id,
    object: "data_connector",
    type: "s3",
    created_at: 1,
    updated_at: 2,
    metadata: { role_arn: ROLE_ARN, buckets: ["acme-media"] },
});
const list = (data: unknown[], total = data.length) => ({ object: "list", data, total, limit: 100, offset: 0 });

describe("client regressions: what the server receives, and the client's defaults", function () {
    this.timeout(30000);
    let server: RecordingServer;
    const waits: number[] = [];
    /** A client with every default but the timer: waits are recorded, not waited. */
    const client = (options: Partial<ConstructorParameters<typeof CloudglueClient>[0]> = {}) =>
        new CloudglueClient({
            apiUrl: server.url,
            apiKey: KEY,
            sleep: async (ms) => {
                waits.push(ms);
            },
            ...options,
        });

    beforeEach(async () => {
        server = await new RecordingServer().start();
        waits.length = 0;
    });
    afterEach(() => server.stop());

    it("sends JSON with Content-Type application/json, and no Content-Type without a body", async () => {
        server.answer = (seen) => ({ status: seen.method === "POST" ? 201 : 200, body: connector() });
        const body = {
            type: "s3" as const,
            role_arn: ROLE_ARN,
            external_id: "external-id-0123456789",
            buckets: ["b-1"],
        };
        await client().createConnector(body, []);
        await client().updateConnector(ID, { buckets: ["b-2"] }, []);
        await client().getConnector(ID);
        assert.deepStrictEqual(
            server.seen.map((s) => [s.method, s.headers["content-type"], s.headers.accept, s.headers.authorization]),
            [
                ["POST", "application/json", "application/json", `Bearer ${KEY}`],
                ["PATCH", "application/json", "application/json", `Bearer ${KEY}`],
                ["GET", undefined, "application/json", `Bearer ${KEY}`],
            ],
        );
        assert.deepStrictEqual(JSON.parse(server.seen[0].body), body);
        assert.deepStrictEqual(JSON.parse(server.seen[1].body), { buckets: ["b-2"] });
        assert.strictEqual(server.seen[0].path, "/v1/data-connectors");
        assert.strictEqual(server.seen[1].path, `/v1/data-connectors/${ID}`);
    });

    it("asks for pages of 100 and stops at the total", async () => {
        const many = [...Array(150).keys()].map((i) => connector(`c-${i}`));
        server.answer = (seen) => {
            const offset = Number(new URL(seen.path, server.url).searchParams.get("offset"));
            return { status: 200, body: { ...list(many.slice(offset, offset + 100), 150), offset } };
        };
        assert.strictEqual((await client().listConnectors()).length, 150);
        assert.deepStrictEqual(
            server.seen.map((s) => s.path),
            ["/v1/data-connectors?limit=100&offset=0", "/v1/data-connectors?limit=100&offset=100"],
        );
    });

    it("tries 6 times by default, the first included, waiting with a 500 ms base that doubles", async () => {
        server.answer = () => ({ status: 503, body: { error: "busy" } });
        await assert.rejects(client().listConnectors(), (error: Error) => {
            assert.ok(isApiError(error) && error.status === 503 && !error.answerLost);
            assert.match(
                error.message,
                /^GET http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors answered 503 after 6 attempts\./,
            );
            return true;
        });
        assert.strictEqual(server.seen.length, 6);
        assert.strictEqual(waits.length, 5);
        [500, 1000, 2000, 4000, 8000].forEach((ceiling, i) =>
            assert.ok(waits[i] >= ceiling / 2 && waits[i] <= ceiling, `wait ${i + 1}: ${waits[i]} ms`),
        );
    });

    it("caps a wait at 8 s however many attempts are allowed", async () => {
        server.answer = () => ({ status: 500, body: { error: "down" } });
        await assert.rejects(client({ retry: { maxAttempts: 9 } }).listConnectors(), /after 9 attempts/);
        assert.strictEqual(waits.length, 8);
        for (const wait of waits.slice(4)) {
            assert.ok(wait >= 4000 && wait <= 8000, `${wait} ms`);
        }
    });

    it("retries within 60 s of the first attempt: a Retry-After of 59 s is waited, one of 61 s is not", async () => {
        let first = true;
        server.answer = () => {
            const answer = first
                ? { status: 429, body: { error: "slow down" }, headers: { "Retry-After": "59" } }
                : undefined;
            first = false;
            return answer ?? { status: 200, body: list([]) };
        };
        await client().listConnectors();
        assert.deepStrictEqual(waits, [59000]);
        assert.strictEqual(server.seen.length, 2);

        server.seen.length = 0;
        waits.length = 0;
        server.answer = () => ({ status: 429, body: { error: "slow down" }, headers: { "Retry-After": "61" } });
        await assert.rejects(
            client().listConnectors(),
            /answered 429\. Cloudglue said: "slow down"\. Cloudglue's rate limit/,
        );
        assert.deepStrictEqual(waits, []);
        assert.strictEqual(server.seen.length, 1);
    });

    it("never retries a 4xx to POST, and says what Cloudglue said", async () => {
        server.answer = () => ({ status: 400, body: { error: "bad bucket" } });
        const body = {
            type: "s3" as const,
            role_arn: ROLE_ARN,
            external_id: "external-id-0123456789",
            buckets: ["b-1"],
        };
        await assert.rejects(client().createConnector(body, []), (error: Error) => {
            assert.ok(isApiError(error) && error.status === 400 && !error.answerLost);
            assert.match(error.message, /answered 400\. Cloudglue said: "bad bucket"\. Cloudglue refused the request/);
            return true;
        });
        assert.strictEqual(server.seen.length, 1);
        assert.deepStrictEqual(waits, []);
    });

    it("never retries a 500 to POST, but retries a 500 to PATCH", async () => {
        server.answer = () => ({ status: 500, body: { error: "oops" } });
        const body = {
            type: "s3" as const,
            role_arn: ROLE_ARN,
            external_id: "external-id-0123456789",
            buckets: ["b-1"],
        };
        await assert.rejects(client().createConnector(body, []), /answered 500\. Cloudglue said: "oops"/);
        assert.strictEqual(server.seen.length, 1);
        await assert.rejects(
            client({ retry: { maxAttempts: 2 } }).updateConnector(ID, { buckets: ["b"] }, []),
            /after 2/,
        );
        assert.strictEqual(server.seen.length, 3);
    });

    it("gives 401, 402 and 403 their own advice, and treats 502 as the caller's to judge", async () => {
        for (const [status, advice] of [
            [401, "The API key is missing or invalid: set it with `pulumi config set --secret cloudglue:apiKey <key>`"],
            [402, "The Cloudglue account has run out of credits"],
            [403, "The API key may not do this"],
        ] as const) {
            server.answer = () => ({ status, body: { error: "no" } });
            await assert.rejects(client().listConnectors(), (error: Error) => error.message.includes(advice));
        }
        server.seen.length = 0;
        server.answer = () => ({ status: 502, body: { error: "cannot assume" } });
        assert.deepStrictEqual(await client().listFiles(ID, "acme-media", [502], "videos/"), {
            status: 502,
            error: "cannot assume",
        });
        assert.deepStrictEqual(
            server.seen.map((s) => s.path),
            [`/v1/data-connectors/${ID}/files?bucket=acme-media&prefix=videos%2F&limit=1`],
        );
    });

    it("reads a 404 as gone only where the caller says so", async () => {
        server.answer = () => ({ status: 404, body: { error: "not found" } });
        assert.strictEqual(await client().getConnector(ID), undefined);
        assert.strictEqual(await client().deleteConnector(ID), false);
        await assert.rejects(client().listConnectors(), /answered 404\. Cloudglue said: "not found"/);
        server.answer = () => ({ status: 200, body: { id: ID, object: "data_connector", deleted: true } });
        assert.strictEqual(await client().deleteConnector(ID), true);
        assert.deepStrictEqual(
            server.seen.map((s) => s.method),
            ["GET", "DELETE", "GET", "DELETE"],
        );
    });

    it("refuses an answer for another connector, and an id it would put in a path unescaped", async () => {
        server.answer = () => ({ status: 200, body: connector("another-id") });
        await assert.rejects(client().getConnector(ID), /its answer is not a DataConnector: it is another connector/);
        const before = server.seen.length;
        await assert.rejects(client().getConnector("../admin"), /"\.\.\/admin" is not a Cloudglue connector id/);
        assert.strictEqual(server.seen.length, before, "nothing was sent");
    });

    it("stops at the total even when the page is full, and after maxPages pages says how many it read", async () => {
        const page = (offset: number) => [...Array(100).keys()].map((i) => connector(`c-${offset + i}`));
        server.answer = (seen) => {
            const offset = Number(new URL(seen.path, server.url).searchParams.get("offset"));
            return { status: 200, body: { ...list(page(offset), 100), offset } };
        };
        assert.strictEqual((await client().listConnectors()).length, 100);
        assert.strictEqual(server.seen.length, 1);

        server.seen.length = 0;
        server.answer = (seen) => {
            const offset = Number(new URL(seen.path, server.url).searchParams.get("offset"));
            return { status: 200, body: { ...list(page(offset), 100000), offset } };
        };
        await assert.rejects(client({ limits: { maxPages: 2 } }).listConnectors(), (error: Error) => {
            assert.ok(isApiError(error) && error.status === 200 && !error.answerLost);
            assert.match(
                error.message,
                /^GET http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors still had more after 2 pages \(200 connectors\); the client reads at most that many\. Remove connectors this account no longer uses in Cloudglue's web app, or check that cloudglue:apiUrl is Cloudglue's API\.$/,
            );
            return true;
        });
        assert.strictEqual(server.seen.length, 2);
    });

    it("asks for files without a prefix when none is given", async () => {
        server.answer = () => ({
            status: 200,
            body: { object: "list", data: [], has_more: false, next_page_token: null },
        });
        await client().listFiles(ID, "acme media", []);
        assert.deepStrictEqual(
            server.seen.map((s) => s.path),
            [`/v1/data-connectors/${ID}/files?bucket=acme%20media&limit=1`],
        );
    });

    it("retries GET and DELETE after a 503, but not a 502, and refuses a delete answer that does not say deleted", async () => {
        let calls = 0;
        server.answer = () =>
            ++calls === 1 ? { status: 503, body: { error: "busy" } } : { status: 200, body: connector() };
        assert.strictEqual((await client().getConnector(ID))?.id, ID);
        calls = 0;
        server.answer = () =>
            ++calls === 1
                ? { status: 503, body: { error: "busy" } }
                : { status: 200, body: { id: ID, object: "data_connector", deleted: true } };
        assert.strictEqual(await client().deleteConnector(ID), true);
        assert.deepStrictEqual(
            server.seen.map((s) => `${s.method} ${s.path}`),
            [
                `GET /v1/data-connectors/${ID}`,
                `GET /v1/data-connectors/${ID}`,
                `DELETE /v1/data-connectors/${ID}`,
                `DELETE /v1/data-connectors/${ID}`,
            ],
        );

        server.seen.length = 0;
        server.answer = () => ({ status: 502, body: { error: "cannot assume" } });
        await assert.rejects(
            client().getConnector(ID),
            /answered 502\. Cloudglue said: "cannot assume"\. Cloudglue had a server error/,
        );
        assert.strictEqual(server.seen.length, 1);

        server.answer = () => ({ status: 200, body: {} });
        await assert.rejects(
            client().deleteConnector(ID),
            new RegExp(
                `answered 200, but its answer is not a deleted data connector: it does not say that connector ${ID} was deleted`,
            ),
        );
    });

    it("throws a 500 to GET by id after its retries, never reading it as gone", async () => {
        server.answer = () => ({ status: 500, body: { error: "down" } });
        await assert.rejects(client({ retry: { maxAttempts: 2 } }).getConnector(ID), /answered 500 after 2 attempts/);
    });

    it("redacts the external ID it sent when a server echoes it, and an empty key redacts nothing", async () => {
        const externalId = "echoed-external-id-0123456789";
        server.answer = (seen) => ({ status: 400, body: { error: `rejected ${JSON.parse(seen.body).external_id}` } });
        const body = { type: "s3" as const, role_arn: ROLE_ARN, external_id: externalId, buckets: ["b-1"] };
        await assert.rejects(client().createConnector(body, []), (error: Error) => {
            assert.ok(
                error.message.includes('Cloudglue said: "rejected [redacted]"') && !error.message.includes(externalId),
            );
            return true;
        });
        await assert.rejects(client().updateConnector(ID, { external_id: externalId }, []), (error: Error) => {
            assert.ok(
                error.message.includes('Cloudglue said: "rejected [redacted]"') && !error.message.includes(externalId),
            );
            return true;
        });
        server.answer = () => ({ status: 400, body: { error: "bad" } });
        await assert.rejects(client({ apiKey: "" }).listConnectors(), (error: Error) => {
            assert.ok(
                error.message.endsWith(
                    'answered 400. Cloudglue said: "bad". Cloudglue refused the request: check the stack config it was built from.',
                ),
                error.message,
            );
            return true;
        });
    });

    it("does not retry when the wait would pass the operation's deadline", async () => {
        server.answer = () => ({ status: 503, body: { error: "busy" } });
        await assert.rejects(client({ limits: { maxOperationMs: 100 } }).listConnectors(), /answered 503\./);
        assert.strictEqual(server.seen.length, 1);
        assert.deepStrictEqual(waits, []);
    });

    it("spreads its waits: jitter over the upper half of each step", async () => {
        server.answer = () => ({ status: 503, body: { error: "busy" } });
        await assert.rejects(client().listConnectors(), /after 6 attempts/);
        const ceilings = [500, 1000, 2000, 4000, 8000];
        assert.ok(
            waits.some((wait, i) => wait > ceilings[i] / 2 + 1),
            `every wait at the bottom of its step: ${waits.join(", ")}`,
        );
    });

    it("accepts loopback addresses with any octets, and shows a URL it refuses without trailing slashes", () => {
        assert.doesNotThrow(() => new CloudglueClient({ apiUrl: "http://127.100.200.1:8787", apiKey: KEY }));
        assert.throws(
            () => new CloudglueClient({ apiUrl: "http://api.example.com//", apiKey: KEY }),
            (error: Error) =>
                error.message ===
                'The Cloudglue API URL "http://api.example.com" (cloudglue:apiUrl, or CLOUDGLUE_API_URL for refresh and destroy) ' +
                    "cannot be used: plain http sends the API key readable on the network; use https (plain http only to " +
                    "127.0.0.1, ::1 or localhost). Set it to https://api.cloudglue.dev or your API's https base URL.",
        );
    });

    it("drops trailing slashes of the base URL before adding paths", async () => {
        await client({ apiUrl: `${server.url}//` }).listConnectors();
        assert.deepStrictEqual(
            server.seen.map((s) => s.path),
            ["/v1/data-connectors?limit=100&offset=0"],
        );
    });

    it("refuses an id it would put in a path, as a plain error with nothing lost", async () => {
        await assert.rejects(client().deleteConnector("a/b"), (error: Error) => {
            assert.ok(isApiError(error) && error.answerLost === false && error.status === undefined);
            return true;
        });
        assert.ok(!isApiError(new Error("plain")));
        assert.ok(!isApiError({ name: "CloudglueApiError", message: "not an Error" }));
    });

    it("shows a refused URL with its path, and says when it is not a URL at all", () => {
        assert.throws(
            () => new CloudglueClient({ apiUrl: "http://api.example.com/base/", apiKey: KEY }),
            /^Error: The Cloudglue API URL "http:\/\/api\.example\.com\/base" \(cloudglue:apiUrl/,
        );
        assert.throws(
            () => new CloudglueClient({ apiUrl: "api.cloudglue.dev", apiKey: KEY }),
            /^Error: The Cloudglue API URL "\(not a URL\)" \(cloudglue:apiUrl.*cannot be used: it is not a URL\./,
        );
    });

    it("really waits before a retry when no timer is given", async () => {
        let calls = 0;
        server.answer = () =>
            ++calls === 1 ? { status: 503, body: { error: "busy" } } : { status: 200, body: list([]) };
        const started = Date.now();
        await new CloudglueClient({ apiUrl: server.url, apiKey: KEY }).listConnectors();
        assert.ok(Date.now() - started >= 240, `retried after ${Date.now() - started} ms`);
        assert.strictEqual(server.seen.length, 2);
    });

    it("stops at a short page even when the total says there are more", async () => {
        server.answer = () => ({ status: 200, body: list([connector("c-1"), connector("c-2")], 500) });
        assert.strictEqual((await client().listConnectors()).length, 2);
        assert.strictEqual(server.seen.length, 1);
    });

    it("redacts nothing it was not given: a PATCH without an external ID keeps the server's words", async () => {
        server.answer = () => ({ status: 400, body: { error: "field undefined" } });
        await assert.rejects(client().updateConnector(ID, { buckets: ["b"] }, []), /Cloudglue said: "field undefined"/);
    });
});
