/**
 * The API client and the connector provider against a broken or hostile server on loopback
 * (issue 10, cases 4 to 8). The provider runs in the SDK's own provider host, driven over gRPC
 * as the engine drives it for up, refresh and destroy; the access check runs as the stack runs it.
 * Each test asserts on what the server received and on what was printed.
 */
import * as assert from "assert";
import { gzipSync } from "zlib";
import { CloudglueClient } from "../components/cloudglueApi";
import { onlyOfType, runProgram, stackConfig } from "../scripts/lib/programRun";
import {
    connector,
    connectorList,
    cutShort,
    endless,
    HostileServer,
    json,
    redirect,
    stall,
    text,
} from "./helpers/hostileServer";
import { runScript } from "./helpers/processes";
import { Props, ProviderHost } from "./helpers/providerHost";

const API_KEY = "cg-hostile-test-key-7d41c0a9e35b2f86";
const EXTERNAL_ID = "Hostile+Test.External=Id/0123456789@abc";
const ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const CONNECTOR = "pulumi-nodejs:dynamic/cloudglue:S3Connector";
const ESC = "\u001b";
/** The access check's table with each "see (n) below" note on one line, as it was before wrapping. */
const unwrapped = (table: string) => table.replace(/\n {4}/g, " ");

describe("against a hostile Cloudglue API (issue 10, cases 4-8)", function () {
    this.timeout(60000);
    let server: HostileServer;
    let other: HostileServer;
    /** The inputs the program registers, `__provider` included, as the engine passes them on. */
    let inputs: Props;
    const hosts: ProviderHost[] = [];

    /** A provider host configured as the engine would, for up (config) or refresh and destroy (environment). */
    const startHost = async (config: Record<string, string>, env: Record<string, string> = {}) => {
        const host = await ProviderHost.configured(config, env);
        hosts.push(host);
        return host;
    };
    /** `api` (the stack registers, and reads its own by id) or `web` (it adopts, and reads the published list). */
    const hostFor = (url: string, registration: "api" | "web" = "api") =>
        startHost({
            "cloudglue:apiKey": API_KEY,
            "cloudglue:apiUrl": url,
            "cloudglue:propagationTimeoutSeconds": "2",
            "cloudglue:registration": registration,
        });
    /** The state a create of connector ID left, as refresh and destroy receive it. */
    const state = (adopted = false): Props => ({
        __provider: inputs.__provider,
        stateVersion: 1,
        connectorId: ID,
        type: "s3",
        createdAt: 1764400000000,
        updatedAt: 1764400000000,
        roleArn: ROLE_ARN,
        buckets: ["acme-media-dev-raw"],
        externalIdHash: "0".repeat(64),
        adopted,
    });
    const client = (extra: Partial<ConstructorParameters<typeof CloudglueClient>[0]> = {}) =>
        new CloudglueClient({
            apiUrl: server.url,
            apiKey: API_KEY,
            requestTimeoutMs: 2000,
            retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
            ...extra,
        });
    const requests = (s: HostileServer) => s.received.map((r) => `${r.method} ${r.path.split("?")[0]}`);

    before(async () => {
        server = await HostileServer.start((_req, res) => json(res, 500, { error: "no handler" }));
        other = await HostileServer.start((_req, res) => json(res, 200, connectorList([])));
        const run = await runProgram({
            config: {
                ...stackConfig("dev"),
                "cloudglue:registration": "api",
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": server.url,
            },
            secretKeys: ["cloudglue:apiKey"],
        });
        inputs = { ...onlyOfType(run, CONNECTOR).inputs, externalId: EXTERNAL_ID };
    });
    beforeEach(() => {
        server.received.length = 0;
        other.received.length = 0;
        server.bytesWritten = 0;
    });
    afterEach(() => {
        for (const host of hosts.splice(0)) {
            for (const secret of [API_KEY, EXTERNAL_ID, encodeURIComponent(EXTERNAL_ID)]) {
                assert.ok(!host.printed.includes(secret), "the provider host printed a secret");
            }
            assert.ok(!host.printed.includes(ESC), "the provider host printed a control character from the server");
            host.stop();
        }
    });
    after(async () => {
        await server.stop();
        await other.stop();
    });

    describe("4. transport: the key goes only over https, or plain http to loopback", () => {
        // 0.0.0.0 is not a loopback address, yet Linux delivers a connection to it to this
        // machine: the server sees what a client would have sent across the network.
        const notLoopback = () => `http://0.0.0.0:${server.port}`;

        it("refresh and destroy, reading CLOUDGLUE_API_URL, refuse plain http to another host and send nothing", async () => {
            // No stack config reaches the provider: the state says the stack registered the connector,
            // so destroy must go to the API to delete it, and the client must refuse the URL.
            const host = await startHost({}, { CLOUDGLUE_API_KEY: API_KEY, CLOUDGLUE_API_URL: notLoopback() });
            const adopted = state(true);
            for (const call of [
                () => host.read(ID, state()),
                () => host.delete(ID, state()),
                () => host.read(ID, adopted),
            ]) {
                await assert.rejects(call(), (error: Error) => {
                    assert.match(error.message, /"http:\/\/0\.0\.0\.0:\d+" \(cloudglue:apiUrl, or CLOUDGLUE_API_URL/);
                    assert.match(error.message, /plain http sends the API key readable on the network; use https/);
                    return true;
                });
            }
            await host.delete(ID, adopted); // an adopted connector outlives the stack: no call at all
            assert.deepStrictEqual(server.received, [], "nothing reached the server");
        });

        it("refuses a URL with user info, without showing it", async () => {
            const host = await startHost(
                {},
                { CLOUDGLUE_API_KEY: API_KEY, CLOUDGLUE_API_URL: `http://admin:s3cr3t-pw@127.0.0.1:${server.port}` },
            );
            await assert.rejects(host.read(ID, state()), (error: Error) => {
                assert.match(error.message, /it has user info \(user:password@\) in it/);
                assert.ok(!error.message.includes("s3cr3t-pw"), error.message);
                return true;
            });
            assert.ok(!host.printed.includes("s3cr3t-pw"));
            assert.deepStrictEqual(server.received, []);
        });

        it("the access check run by hand (npm run verify -- --api-url) refuses it too", async () => {
            const result = await runScript(
                "scripts/verify-access.ts",
                ["--api-url", notLoopback(), "--connector-id", ID, "--bucket", "acme-media-dev-raw"],
                { CLOUDGLUE_API_KEY: API_KEY },
            );
            assert.notStrictEqual(result.code, 0);
            assert.match(result.stdout + result.stderr, /plain http sends the API key readable on the network/);
            assert.deepStrictEqual(server.received, []);
        });

        it("follows a GET redirect within the API's origin, and none to another origin", async () => {
            server.handler = (req, res) =>
                req.path.startsWith("/v1/data-connectors?")
                    ? redirect(res, 302, `/v2/data-connectors?${req.path.split("?")[1]}`)
                    : json(res, 200, connectorList([connector(ID)]));
            assert.deepStrictEqual(
                (await client().listConnectors()).map((c) => c.id),
                [ID],
            );
            assert.deepStrictEqual(requests(server), ["GET /v1/data-connectors", "GET /v2/data-connectors"]);

            server.received.length = 0;
            server.handler = (_req, res) =>
                redirect(res, 302, `http://intruder:pw@127.0.0.1:${server.port}/v1/data-connectors`);
            await assert.rejects(
                client().listConnectors(),
                /answered 302: it redirected to http:\/\/127\.0\.0\.1:\d+\/v1/,
            );
            assert.strictEqual(server.received.length, 1, "a redirect to a URL with user info is not followed");

            server.handler = (_req, res) => redirect(res, 302, `${other.url}/v1/data-connectors`);
            await assert.rejects(
                client().listConnectors(),
                /answered 302: it redirected to http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors, and the client follows redirects only for GET within http:\/\/127\.0\.0\.1:\d+/,
            );
            assert.deepStrictEqual(other.received, []);
        });
    });

    describe("5. a redirect never re-sends a POST body", () => {
        for (const [where, target] of [
            ["another origin", () => `${other.url}/v1/data-connectors`],
            ["the same origin", () => "/v1/elsewhere"],
        ] as const) {
            it(`create stops at a 307 to ${where}, and the external ID goes nowhere else`, async () => {
                server.handler = (req, res) =>
                    req.method === "GET" ? json(res, 200, connectorList([])) : redirect(res, 307, target());
                const host = await hostFor(server.url);
                const checked = await host.check({}, inputs);
                await assert.rejects(host.create(checked.inputs), (error: Error) => {
                    assert.match(error.message, /POST http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors answered 307/);
                    assert.match(error.message, /follows redirects only for GET/);
                    return true;
                });
                assert.deepStrictEqual(requests(server), ["GET /v1/data-connectors", "POST /v1/data-connectors"]);
                assert.deepStrictEqual(other.received, []);
            });
        }
    });

    describe("6. an answer that cannot be used is an error naming the endpoint, never 'gone'", () => {
        for (const [mode, adopted, path] of [
            ["api", false, "/v1/data-connectors"],
            ["web", true, "/v1/data-connectors"],
        ] as const) {
            it(`refresh (${mode}): a 200 that is not JSON keeps the connector and quotes none of it`, async () => {
                server.handler = (_req, res) =>
                    text(res, 200, "text/html", "<html><body>Sign in to Wi-Fi</body></html>");
                const host = await hostFor(server.url, mode);
                await assert.rejects(host.read(ID, state(adopted)), (error: Error) => {
                    assert.match(
                        error.message,
                        new RegExp(
                            `GET http://127\\.0\\.0\\.1:\\d+${path} answered 200, but its answer is not JSON\\. Is cloudglue:apiUrl`,
                        ),
                    );
                    assert.doesNotMatch(error.message, /Sign in|text\/html/, "refresh quotes no server text");
                    return true;
                });
                assert.deepStrictEqual(requests(server).slice(0, 1), [`GET ${path}`]);
            });
        }

        it("refresh: a 200 of the wrong shape names the published schema and the field, not 'Unexpected struct type'", async () => {
            server.handler = (_req, res) =>
                json(res, 200, connectorList([{ id: ID, object: "data_connector", type: "s3" }]));
            const host = await hostFor(server.url);
            await assert.rejects(host.read(ID, state()), (error: Error) => {
                assert.match(
                    error.message,
                    /answered 200, but its answer is not a DataConnectorList: data\[0\]\.created_at is undefined, not a timestamp/,
                );
                assert.doesNotMatch(error.message, /Unexpected struct type/);
                return true;
            });
        });

        it("refresh: control characters in a bucket name never reach the state", async () => {
            const hostile = connector(ID, { role_arn: ROLE_ARN, buckets: [`acme${ESC}[2Jraw`] });
            server.handler = (_req, res) => json(res, 200, connectorList([hostile]));
            const host = await hostFor(server.url);
            await assert.rejects(
                host.read(ID, state()),
                /its answer is not a DataConnectorList: data\[0\]\.metadata\.buckets is not a list of bucket names/,
            );

            const web = await hostFor(server.url, "web");
            await assert.rejects(
                web.read(ID, state(true)),
                /its answer is not a DataConnectorList: data\[0\]\.metadata\.buckets is not a list of bucket names/,
            );
        });

        it("refresh of an adopted connector: a list of the wrong shape names DataConnectorList", async () => {
            server.handler = (_req, res) => json(res, 200, { data: [{ id: ID, type: "s3" }] });
            const host = await hostFor(server.url, "web");
            await assert.rejects(
                host.read(ID, state(true)),
                /GET http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors answered 200, but its answer is not a DataConnectorList: object is not "list"/,
            );
        });

        for (const [mode, adopted] of [
            ["api", false],
            ["web", true],
        ] as const) {
            it(`refresh (${mode}): only a list without the connector means gone; a 404 of the list is an error`, async () => {
                server.handler = (_req, res) => json(res, 404, { error: "Not found" });
                const host = await hostFor(server.url, mode);
                await assert.rejects(
                    host.read(ID, state(adopted)),
                    /GET http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors answered 404/,
                );

                const someoneElses = "00000000-0000-4000-8000-000000000001";
                server.handler = (_req, res) => json(res, 200, connectorList([connector(someoneElses)]));
                assert.strictEqual((await host.read(ID, state(adopted))).id, "");
                assert.deepStrictEqual(requests(server).slice(-1), ["GET /v1/data-connectors"]);
            });
        }

        it("a body that stalls past the timeout, or is cut short, is an error, after a retry", async () => {
            server.handler = (_req, res) => stall(res, 200, '{"id":"');
            await assert.rejects(
                client({ requestTimeoutMs: 300 }).getConnector(ID),
                /Cloudglue did not answer GET .* after 2 attempts: timed out after 300 ms while reading its 200 answer/,
            );
            assert.strictEqual(server.received.length, 2);

            server.handler = (_req, res) => cutShort(res, 200, '{"id":"3f1c', 400);
            await assert.rejects(
                client().getConnector(ID),
                /Cloudglue did not answer GET .* after 2 attempts: the answer \(200\) was cut short/,
            );
        });

        it("the access check prints its table when the files answer has the wrong shape", async () => {
            server.handler = (_req, res) => json(res, 200, {});
            const result = await runScript("scripts/verify-access.ts", [], {
                CLOUDGLUE_API_KEY: API_KEY,
                CLOUDGLUE_API_URL: server.url,
                CLOUDGLUE_CONNECTOR_ID: ID,
                CLOUDGLUE_BUCKETS: "acme-media-dev-raw",
                CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "0",
            });
            assert.strictEqual(result.code, 1, result.stdout + result.stderr);
            assert.match(result.stdout, /^acme-media-dev-raw\s+-\s+FAILED\s+see \(1\) below$/m);
            assert.match(
                unwrapped(result.stdout),
                /^\(1\) acme-media-dev-raw -: GET \S+\/files answered 200, but its answer is not a DataConnectorFileList/m,
            );
            assert.doesNotMatch(result.stdout + result.stderr, /TypeError/);
        });
    });

    describe("7. what the client takes from a server is bounded", () => {
        it("stops reading an answer beyond 1 MiB (the server offers 400 MB)", async () => {
            server.handler = (_req, res) => endless(res, 200, 400 * 1024 * 1024);
            await assert.rejects(
                client().getConnector(ID),
                /answered 200, but its answer is larger than 1048576 bytes; the client stopped reading it/,
            );
            assert.ok(server.bytesWritten < 16 * 1024 * 1024, `the server wrote ${server.bytesWritten} bytes`);
        });

        it("counts what it unpacks: a 64 KiB gzip answer that unpacks to 64 MiB stops at 1 MiB", async () => {
            const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, " "));
            assert.ok(bomb.byteLength < 128 * 1024);
            server.handler = (_req, res) => {
                res.writeHead(200, {
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                    "Content-Length": bomb.byteLength,
                });
                res.end(bomb);
            };
            await assert.rejects(client().listConnectors(), /its answer is larger than 1048576 bytes/);
        });

        it("gives up on a server that never sends its headers, within the attempt timeout", async () => {
            server.handler = () => undefined; // holds the request open until stop()
            const started = Date.now();
            await assert.rejects(
                client({ requestTimeoutMs: 300 }).listConnectors(),
                /Cloudglue did not answer GET .* after 2 attempts: timed out after 300 ms\./,
            );
            assert.ok(Date.now() - started < 2000);
        });

        it("quotes at most 300 characters of an error, and reads none of a 2 MB one", async () => {
            server.handler = (_req, res) => json(res, 400, { error: "x".repeat(900 * 1000) });
            const long = await client()
                .listConnectors()
                .catch((e: Error) => e);
            assert.ok(long instanceof Error);
            assert.match(long.message, /Cloudglue said: "x{300}… \(899700 more characters\)"/);
            assert.ok(long.message.length < 1000, `${long.message.length} characters`);

            server.handler = (_req, res) => json(res, 400, { error: "x".repeat(2 * 1000 * 1000) });
            const huge = await client()
                .listConnectors()
                .catch((e: Error) => e);
            assert.ok(huge instanceof Error);
            assert.match(huge.message, /answered 400\. Its answer was larger than 1048576 bytes and was not read\./);
            assert.ok(huge.message.length < 1000, `${huge.message.length} characters`);
        });

        it("follows at most 50 pages of connectors (the server offers 3,000)", async () => {
            server.handler = (req, res) => {
                const offset = Number(new URL(req.path, server.url).searchParams.get("offset"));
                const page = Array.from({ length: 100 }, (_, i) =>
                    connector(`00000000-0000-4000-8000-${String(offset + i).padStart(12, "0")}`),
                );
                json(res, 200, connectorList(offset < 300_000 ? page : [], 300_000, offset));
            };
            await assert.rejects(
                client().listConnectors(),
                /still had more after 50 pages \(5000 connectors\); the client reads at most that many/,
            );
            assert.strictEqual(server.received.length, 50);
        });

        it("gives one operation a total time, across its pages", async () => {
            server.handler = async (req, res) => {
                await new Promise((done) => setTimeout(done, 150));
                const offset = Number(new URL(req.path, server.url).searchParams.get("offset"));
                const page = Array.from({ length: 100 }, (_, i) =>
                    connector(`00000000-0000-4000-8000-${String(offset + i).padStart(12, "0")}`),
                );
                json(res, 200, connectorList(offset < 2000 ? page : [], 2000, offset));
            };
            const started = Date.now();
            await assert.rejects(client({ limits: { maxOperationMs: 1000 } }).listConnectors(), /timed out/);
            assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
            assert.ok(server.received.length < 10, `${server.received.length} pages`);
        });
    });

    describe("8. what the server echoes never reaches errors or logs", () => {
        it("create: an echoed external ID and API key are redacted, control characters stripped", async () => {
            server.handler = (req, res) =>
                req.method === "GET"
                    ? json(res, 200, connectorList([]))
                    : json(res, 400, {
                          error: `${ESC}[2J${ESC}]0;owned\u0007(key ${req.authorization}, ${encodeURIComponent(EXTERNAL_ID)})\r\nFAKE: ok Bad body ${req.body}`,
                      });
            const host = await hostFor(server.url);
            const checked = await host.check({}, inputs);
            await assert.rejects(host.create(checked.inputs), (error: Error) => {
                assert.match(error.message, /answered 400\. Cloudglue said: "\[2J\]0;owned\(key Bearer \[redacted\], /);
                assert.match(error.message, /\[redacted\]\)FAKE: ok Bad body /);
                assert.match(error.message, /"external_id":"\[redacted\]"/);
                for (const secret of [API_KEY, EXTERNAL_ID, encodeURIComponent(EXTERNAL_ID), ESC, "\r", "\u0007"]) {
                    assert.ok(!error.message.includes(secret), `the error holds ${JSON.stringify(secret)}`);
                }
                return true;
            });
            assert.ok(server.received[1].body.includes(EXTERNAL_ID), "the POST did carry the external ID");
        });

        it("create: an external ID echoed in an error of the list before the POST is redacted", async () => {
            // A server that knows the external ID (from the web app, or an earlier POST) echoes it
            // before this run has sent it anywhere.
            server.handler = (_req, res) =>
                json(res, 400, { error: `role taken with ${EXTERNAL_ID} (${encodeURIComponent(EXTERNAL_ID)})` });
            const host = await hostFor(server.url);
            const checked = await host.check({}, inputs);
            await assert.rejects(host.create(checked.inputs), (error: Error) => {
                assert.match(error.message, /GET \S+\/v1\/data-connectors answered 400\./);
                assert.match(error.message, /Cloudglue said: "role taken with \[redacted\] \(\[redacted\]\)"/);
                return true;
            });
            assert.deepStrictEqual(requests(server), ["GET /v1/data-connectors"], "no POST after a failed list");
            for (const secret of [EXTERNAL_ID, encodeURIComponent(EXTERNAL_ID)]) {
                assert.ok(!host.printed.includes(secret), "the provider host printed the external ID");
            }
        });

        it("refresh: what the host prints to its log holds no key, no control character and no server text", async () => {
            server.handler = (req, res) =>
                json(res, 403, { error: `${ESC}[31mdenied for ${req.authorization}${ESC}[0m\n[error] spoofed line` });
            const host = await hostFor(server.url);
            await assert.rejects(
                host.read(ID, state()),
                /answered 403\. What Cloudglue said is not shown \(it could echo the external ID\)\. The API key may not do this/,
            );
            assert.doesNotMatch(host.printed, /denied for|spoofed line/);
        });

        /**
         * The external ID as a hostile server may echo it: refresh, destroy and the access check hold
         * at most its hash, which finds none of these but the plain one.
         */
        const echoes = [
            EXTERNAL_ID,
            EXTERNAL_ID.split("/").join("\\/"),
            encodeURIComponent(EXTERNAL_ID),
            Buffer.from(EXTERNAL_ID).toString("base64"),
            EXTERNAL_ID.slice(0, 20),
            EXTERNAL_ID.slice(20),
        ];
        /** An error body with every form, written by hand: JSON.stringify would not escape the `/`. */
        const echoing = (status: number) => (_req: unknown, res: import("http").ServerResponse) => {
            const forms = [EXTERNAL_ID, `${EXTERNAL_ID.split("/").join("\\\\/")}`].concat(echoes.slice(2));
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(`{"error": "AccessDenied: role rejects ${forms.join(" | ")}"}`);
        };
        const holdsNoEcho = (text: string) => {
            for (const form of echoes) {
                assert.ok(!text.includes(form), `${JSON.stringify(form)} in ${text}`);
            }
        };

        it("refresh and destroy quote no server text, so no form of an echoed external ID reaches an error or log", async () => {
            server.handler = echoing(400);
            const host = await hostFor(server.url);
            for (const call of [() => host.read(ID, state()), () => host.delete(ID, state())]) {
                const error = await call().then(
                    () => assert.fail("the 400 was not an error"),
                    (e: Error) => e,
                );
                assert.match(
                    error.message,
                    /GET \S+\/v1\/data-connectors answered 400\. Cloudglue's answer names AccessDenied; the rest is not shown/,
                );
                holdsNoEcho(error.message);
            }
            holdsNoEcho(host.printed);

            // Past the list: the DELETE's own error is held to the same rule.
            const own = connector(ID, {
                role_arn: ROLE_ARN,
                name: "pulumi:organization/cloudglue/dev#" + "0".repeat(32),
            });
            server.handler = (req, res) =>
                req.method === "GET" ? json(res, 200, connectorList([own])) : echoing(400)(req, res);
            const deleting = await hostFor(server.url);
            const error = await deleting.delete(ID, { ...state(), stateVersion: 3, name: own.metadata.name }).then(
                () => assert.fail("the 500 was not an error"),
                (e: Error) => e,
            );
            assert.match(error.message, /DELETE \S+ answered 400\. Cloudglue's answer names AccessDenied/);
            holdsNoEcho(error.message);
            holdsNoEcho(deleting.printed);
        });

        it("the access check prints no server text: no key, no control character, no line of its own", async () => {
            server.handler = (req, res) =>
                json(res, 502, { error: `${ESC}[1mcannot assume with ${req.authorization}\r\nacme ok listed` });
            const result = await runScript("scripts/verify-access.ts", [], {
                CLOUDGLUE_API_KEY: API_KEY,
                CLOUDGLUE_API_URL: server.url,
                CLOUDGLUE_CONNECTOR_ID: ID,
                CLOUDGLUE_BUCKETS: "acme-media-dev-raw",
                CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "0",
            });
            const printed = result.stdout + result.stderr;
            assert.match(result.stdout, /^acme-media-dev-raw\s+-\s+FAILED\s+see \(1\) below$/m);
            assert.match(
                unwrapped(result.stdout),
                /the one Cloudglue holds\? \(What Cloudglue said is not shown \(it could echo the external ID\)\)$/m,
            );
            assert.doesNotMatch(printed, /acme ok listed|cannot assume with/);
            assert.ok(!printed.includes(API_KEY) && !printed.includes(ESC) && !printed.includes("\r"));
        });

        it("the access check, whose output the state stores in plain text, prints no form of an echoed external ID", async () => {
            server.handler = echoing(502);
            const result = await runScript("scripts/verify-access.ts", [], {
                CLOUDGLUE_API_KEY: API_KEY,
                CLOUDGLUE_API_URL: server.url,
                CLOUDGLUE_CONNECTOR_ID: ID,
                CLOUDGLUE_BUCKETS: "acme-media-dev-raw",
                CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "0",
            });
            assert.strictEqual(result.code, 1, result.stdout + result.stderr);
            assert.match(unwrapped(result.stdout), /\(Cloudglue's answer names AccessDenied; the rest is not shown/);
            holdsNoEcho(result.stdout + result.stderr);
        });

        it("create and update redact a secret they hold: plain, URL-encoded, JSON-escaped and base64", async () => {
            server.handler = echoing(400);
            const error = await client({ secrets: [EXTERNAL_ID] })
                .listConnectors()
                .catch((e: Error) => e);
            assert.ok(error instanceof Error);
            assert.match(
                error.message,
                /Cloudglue said: "AccessDenied: role rejects \[redacted\] \| \[redacted\] \| \[redacted\] \| \[redacted\] \|/,
            );
            for (const form of echoes.slice(0, 4)) {
                assert.ok(!error.message.includes(form), error.message);
            }
        });

        it("the client redacts every secret it is given, in whatever it throws", async () => {
            const given = "Given-Secret.For/Redaction=1234";
            server.handler = (_req, res) => json(res, 400, { error: `saw ${given} and ${encodeURIComponent(given)}` });
            await assert.rejects(
                client({ secrets: [given] }).listConnectors(),
                /Cloudglue said: "saw \[redacted\] and \[redacted\]"/,
            );
        });
    });
});
