/**
 * Answers the client must refuse, each with the words a user reads (issue 15): the hostile-API
 * tests show them through the provider host, where a mutation run cannot count them; these drive
 * the client in-process against a loopback server.
 */
import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { CloudglueClient, isApiError, isFailure } from "../../components/cloudglueApi";

const KEY = "cg-answers-key-0123456789abcdef";
const ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";

type Reply = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const good = (over: Record<string, unknown> = {}) => ({
    id: ID,
    object: "data_connector",
    type: "s3",
    created_at: 1,
    updated_at: 2,
    metadata: { role_arn: "arn:aws:iam::111122223333:role/r", buckets: ["acme-a"] },
    ...over,
});
const listOf = (data: unknown[], over: Record<string, unknown> = {}) => ({
    object: "list",
    data,
    total: data.length,
    limit: 100,
    offset: 0,
    ...over,
});
const files = (over: Record<string, unknown> = {}) => ({
    object: "list",
    data: [],
    has_more: false,
    next_page_token: null,
    ...over,
});

describe("client regressions: answers it refuses, and what it says", function () {
    this.timeout(20000);
    let reply: Reply;
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        reply(req, res);
    });
    const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = (limits = {}) =>
        new CloudglueClient({ apiUrl: url(), apiKey: KEY, limits, retry: { maxAttempts: 2 }, sleep: async () => {} });
    const json =
        (body: unknown, status = 200): Reply =>
        (_req, res) => {
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(typeof body === "string" ? body : JSON.stringify(body));
        };
    const refuses = async (promise: Promise<unknown>, words: string) =>
        assert.rejects(promise, (error: Error) => {
            assert.ok(error.message.includes(words), `expected «${words}» in: ${error.message}`);
            return true;
        });

    before(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
    beforeEach(() => (seen.length = 0));
    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    const listCases: [string, unknown, string][] = [
        ["a list", [], "the answer is a list, not an object"],
        ["another object", { object: "page" }, 'object is not "list"'],
        ["data not a list", listOf([], { data: 5 }), "data is number, not a list"],
        ["a negative total", listOf([], { total: -1 }), "total is number, not a whole number"],
        ["a limit of null", listOf([], { limit: null }), "limit is null, not a whole number"],
        ["an offset as text", listOf([], { offset: "0" }), "offset is string, not a whole number"],
        ["101 items", listOf(Array(101).fill(good())), "data has 101 items, more than the 100 asked for"],
        ["no id", listOf([good({ id: undefined })]), "data[0].id is not a connector id"],
        ["an id with a slash", listOf([good({ id: "a/b" })]), "data[0].id is not a connector id"],
        ["another object", listOf([good({ object: "file" })]), 'data[0].object is not "data_connector"'],
        ["a type in capitals", listOf([good({ type: "S3" })]), "data[0].type is not a connector type"],
        ["a type with a space", listOf([good({ type: "s3 " })]), "data[0].type is not a connector type"],
        ["a type of 65", listOf([good({ type: "s".repeat(65) })]), "data[0].type is not a connector type"],
        [
            "created_at as text",
            listOf([good({ created_at: "1" })]),
            "data[0].created_at is string, not a timestamp in milliseconds",
        ],
        [
            "a negative updated_at",
            listOf([good({ updated_at: -2 })]),
            "data[0].updated_at is number, not a timestamp in milliseconds",
        ],
        ["metadata null", listOf([good({ metadata: null })]), "data[0].metadata is null, not an object"],
        [
            "a role ARN with a control character",
            listOf([good({ metadata: { role_arn: "arn\u0007" } })]),
            "data[0].metadata.role_arn is not a string of at most 2048 characters without control characters",
        ],
        [
            "a name of 2049 characters",
            listOf([good({ metadata: { name: "n".repeat(2049) } })]),
            "data[0].metadata.name is not a string of at most 2048 characters without control characters",
        ],
        [
            "buckets as text",
            listOf([good({ metadata: { buckets: "acme-a" } })]),
            "data[0].metadata.buckets is not a list of bucket names",
        ],
        [
            "1001 buckets",
            listOf([good({ metadata: { buckets: Array(1001).fill("b") } })]),
            "data[0].metadata.buckets is not a list of bucket names",
        ],
        [
            "a bucket of 256 characters",
            listOf([good({ metadata: { buckets: ["ok", "b".repeat(256)] } })]),
            "data[0].metadata.buckets is not a list of bucket names",
        ],
        ["a bad second item", listOf([good(), good({ object: "x" })]), 'data[1].object is not "data_connector"'],
        ["a number", 5, "the answer is number, not an object"],
        ["another object that has a data list", listOf([], { object: "page" }), 'object is not "list"'],
        ["a type that is a number", listOf([good({ type: 5 })]), "data[0].type is not a connector type"],
        ["a type of null", listOf([good({ type: null })]), "data[0].type is not a connector type"],
        [
            "a role ARN in a list",
            listOf([good({ metadata: { role_arn: ["arn:aws:iam::111122223333:role/r"] } })]),
            "data[0].metadata.role_arn is not a string of at most 2048 characters without control characters",
        ],
        [
            "a bucket in a list",
            listOf([good({ metadata: { buckets: [["acme-a"]] } })]),
            "data[0].metadata.buckets is not a list of bucket names",
        ],
    ];
    for (const [label, body, words] of listCases) {
        it(`refuses a connector list with ${label}`, async () => {
            reply = json(body);
            await refuses(
                client().listConnectors(),
                `GET ${url()}/v1/data-connectors answered 200, but its answer is not a DataConnectorList: ${words}. ` +
                    "Is cloudglue:apiUrl Cloudglue's API? Nothing was changed in the stack's state for it.",
            );
        });
    }

    it("accepts a list whose connectors have 1000 buckets, 2048-character names, and no metadata fields", async () => {
        reply = json(
            listOf([
                good({ metadata: { buckets: Array(1000).fill("b".repeat(255)), name: "n".repeat(2048) } }),
                good({ metadata: {} }),
            ]),
        );
        assert.strictEqual((await client().listConnectors()).length, 2);
    });

    const fileCases: [string, unknown, string][] = [
        ["text", "[]", "the answer is a list, not an object"],
        ["another object", files({ object: "page" }), 'object is not "list"'],
        ["data not a list", files({ data: {} }), "data is object, not a list"],
        ["has_more as text", files({ has_more: "no" }), "has_more is string, not a boolean"],
        ["a numeric page token", files({ next_page_token: 5 }), "next_page_token is number, not a string or null"],
        [
            "an item that is not a file",
            files({ data: [{ name: "x" }] }),
            "data[0] is not a data_connector_file with a name",
        ],
        [
            "an item without a name",
            files({ data: [{ object: "data_connector_file", type: "file", uri: null }] }),
            "data[0] is not a data_connector_file with a name",
        ],
        [
            "a directory",
            files({ data: [{ object: "data_connector_file", type: "dir", uri: null, name: "x" }] }),
            'data[0].type is not "file" or "folder"',
        ],
        [
            "a numeric uri",
            files({ data: [{ object: "data_connector_file", type: "file", uri: 5, name: "x" }] }),
            "data[0].uri is number, not a string or null",
        ],
    ];
    for (const [label, body, words] of fileCases) {
        it(`refuses a file list with ${label}`, async () => {
            reply = json(body);
            await refuses(
                client().listFiles(ID, "acme-a", []),
                `answered 200, but its answer is not a DataConnectorFileList: ${words}.`,
            );
        });
    }

    it("accepts files and folders, with a uri or null, and a page token", async () => {
        const data = [
            { object: "data_connector_file", type: "file", uri: "s3://acme-a/v.mp4", name: "v.mp4" },
            { object: "data_connector_file", type: "folder", uri: null, name: "videos/" },
        ];
        reply = json(files({ data, has_more: true, next_page_token: "t" }));
        assert.deepStrictEqual(
            await client().listFiles(ID, "acme-a", []),
            files({ data, has_more: true, next_page_token: "t" }),
        );
    });

    for (const [label, body] of [
        ["deleted false", { id: ID, object: "data_connector", deleted: false }],
        ["another id", { id: "other", object: "data_connector", deleted: true }],
        ["a list", [ID]],
    ] as const) {
        it(`refuses a delete answer with ${label}`, async () => {
            reply = json(body);
            await refuses(
                client().deleteConnector(ID),
                `answered 200, but its answer is not a deleted data connector: it does not say that connector ${ID} ` +
                    'was deleted ({"id", "object", "deleted": true})',
            );
        });
    }

    it("says an empty answer is empty, and quotes the type and start of one that is not JSON", async () => {
        reply = json("");
        await refuses(client().listConnectors(), "answered 200, but its answer is empty.");
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "text/html" });
            res.end("<html>sign in\u0007</html>");
        };
        await refuses(client().listConnectors(), 'its answer is not JSON (text/html, starting "<html>sign in</html>")');
    });

    it("quotes an error only when it is Cloudglue's {error: string}, and at most 300 characters of it", async () => {
        for (const body of ["not json", '{"error":5}', '{"message":"x"}', "[]"]) {
            reply = json(body, 400);
            await assert.rejects(client().listConnectors(), (error: Error) => {
                assert.ok(/answered 400\. Cloudglue refused the request/.test(error.message), error.message);
                return true;
            });
        }
        reply = json({ error: "e".repeat(310) }, 400);
        await refuses(client().listConnectors(), `Cloudglue said: "${"e".repeat(300)}… (10 more characters)".`);
        reply = json({ error: "e".repeat(300) }, 400);
        await refuses(client().listConnectors(), `Cloudglue said: "${"e".repeat(300)}". Cloudglue refused`);
    });

    it("stops reading an answer over its byte limit, declared or not, and says so", async () => {
        reply = json(listOf([good()]));
        await refuses(
            client({ maxAnswerBytes: 20 }).listConnectors(),
            "answered 200, but its answer is larger than 20 bytes; the client stopped reading it.",
        );
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json" }); // chunked: no Content-Length
            res.write('{"object":"list",');
            res.end(`"data":[],"total":0,"limit":100,"offset":0,"pad":"${"x".repeat(100)}"}`);
        };
        await refuses(client({ maxAnswerBytes: 60 }).listConnectors(), "its answer is larger than 60 bytes");
        reply = json({ error: "x".repeat(100) }, 400);
        await refuses(
            client({ maxAnswerBytes: 20 }).listConnectors(),
            "answered 400. Its answer was larger than 20 bytes and was not read. Cloudglue refused the request",
        );
        reply = json(listOf([]));
        const exact = JSON.stringify(listOf([])).length;
        assert.deepStrictEqual(await client({ maxAnswerBytes: exact }).listConnectors(), []);
    });

    it("reads an answer as UTF-8, without failing on a stray byte", async () => {
        reply = (_req, res) => {
            res.writeHead(400, { "Content-Type": "application/json" });
            res.end(Buffer.concat([Buffer.from('{"error":"caf\u00e9 '), Buffer.from([0xff]), Buffer.from('"}')]));
        };
        await refuses(client().listConnectors(), 'Cloudglue said: "café \ufffd".');
    });

    it("follows a GET redirect within the origin, and refuses one elsewhere or for POST, sending nothing there", async () => {
        reply = (req, res) => {
            if (req.url?.startsWith("/v1/")) {
                res.writeHead(302, { Location: `/v2${req.url.slice(3)}` });
                res.end();
            } else {
                json(listOf([]))(req, res);
            }
        };
        assert.deepStrictEqual(await client().listConnectors(), []);
        assert.deepStrictEqual(seen, [
            "GET /v1/data-connectors?limit=100&offset=0",
            "GET /v2/data-connectors?limit=100&offset=0",
        ]);

        reply = (_req, res) => {
            res.writeHead(307, { Location: "https://elsewhere.example.com/v1/data-connectors" });
            res.end();
        };
        await refuses(
            client().listConnectors(),
            `answered 307: it redirected to https://elsewhere.example.com/v1/data-connectors, and the client follows ` +
                `redirects only for GET within ${url()} (at most 3); nothing was sent there. Set cloudglue:apiUrl to ` +
                "the URL the API answers on.",
        );
        reply = (req, res) => {
            res.writeHead(307, { Location: req.url ?? "/" });
            res.end();
        };
        seen.length = 0;
        const body = {
            type: "s3" as const,
            role_arn: "arn:aws:iam::111122223333:role/r",
            external_id: "x".repeat(20),
            buckets: ["b"],
        };
        await refuses(client().createConnector(body, []), "answered 307: it redirected to");
        assert.deepStrictEqual(seen, ["POST /v1/data-connectors"]);
    });

    it("follows at most 3 redirects", async () => {
        let hops = 0;
        reply = (_req, res) => {
            res.writeHead(302, { Location: `/v1/hop-${++hops}` });
            res.end();
        };
        await refuses(client().listConnectors(), "answered 302: it redirected to");
        assert.strictEqual(seen.length, 4, "the first request and 3 redirects, and no retry");
    });

    for (const [label, body, words] of [
        ["null", null, "the answer is null, not an object"],
        ["a list", [good()], "the answer is a list, not an object"],
        ["text", "connector", "the answer is string, not an object"],
    ] as const) {
        it(`refuses ${label} as the answer for one connector`, async () => {
            reply = json(JSON.stringify(body));
            await refuses(
                client().getConnector(ID),
                `GET ${url()}/v1/data-connectors/${ID} answered 200, but its answer is not a DataConnector: ${words}. ` +
                    "Is cloudglue:apiUrl Cloudglue's API?",
            );
        });
    }

    it("takes a connector with extra fields named status and error as a connector, not as a failure", async () => {
        reply = json(good({ error: "none" }));
        assert.strictEqual((await client().getConnector(ID))?.id, ID);
        reply = json(good({ status: 200 }));
        assert.strictEqual((await client().getConnector(ID))?.id, ID);
        for (const value of [undefined, null, 5, { status: 404 }, { error: "x" }]) {
            assert.strictEqual(isFailure(value), false, JSON.stringify(value));
        }
        assert.strictEqual(isFailure({ status: 404, error: "" }), true);
    });

    it("treats a 300 and a 304 without Location as redirects to the same URL: 3 followed, then refused", async () => {
        for (const status of [300, 304]) {
            seen.length = 0;
            reply = (_req, res) => {
                res.writeHead(status);
                res.end();
            };
            await assert.rejects(client().listConnectors(), (error: Error) => {
                assert.ok(isApiError(error) && error.status === status && !error.answerLost, error.message);
                assert.strictEqual(
                    error.message,
                    `GET ${url()}/v1/data-connectors answered ${status}: it redirected to ${url()}/v1/data-connectors, ` +
                        `and the client follows redirects only for GET within ${url()} (at most 3); nothing was sent ` +
                        "there. Set cloudglue:apiUrl to the URL the API answers on.",
                );
                return true;
            });
            assert.strictEqual(seen.length, 4, `${status}: the first request and 3 redirects, and no retry`);
        }
    });

    it("refuses a redirect whose Location is not a URL, and says it led nowhere readable", async () => {
        reply = (_req, res) => {
            res.writeHead(302, { Location: "http://[not-a-host" });
            res.end();
        };
        await refuses(
            client().listConnectors(),
            `GET ${url()}/v1/data-connectors answered 302: it redirected to nowhere readable, and the client follows ` +
                `redirects only for GET within ${url()} (at most 3)`,
        );
        assert.strictEqual(seen.length, 1);
    });

    it("retries an oversized 503 to GET, and reads an oversized 404 as gone where the caller says so", async () => {
        reply = json({ error: "x".repeat(100) }, 503);
        await refuses(
            client({ maxAnswerBytes: 20 }).listConnectors(),
            "answered 503 after 2 attempts. Its answer was larger than 20 bytes and was not read. Cloudglue had a " +
                "server error: run again later.",
        );
        assert.strictEqual(seen.length, 2);
        reply = json({ error: "x".repeat(100) }, 404);
        assert.strictEqual(await client({ maxAnswerBytes: 20 }).getConnector(ID), undefined);
    });

    it("says a non-JSON answer has no content type when it has none, quotes its first 60 characters, and may have been carried out", async () => {
        reply = (_req, res) => {
            res.writeHead(200);
            res.end("hello");
        };
        await refuses(client().listConnectors(), 'its answer is not JSON (no content type, starting "hello").');
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "text/plain" });
            res.end(`${"a".repeat(59)}bc`);
        };
        await assert.rejects(client().listConnectors(), (error: Error) => {
            assert.ok(isApiError(error) && error.status === 200 && error.answerLost, error.message);
            assert.ok(
                error.message.includes(`its answer is not JSON (text/plain, starting "${"a".repeat(59)}b").`),
                error.message,
            );
            return true;
        });
    });

    it("refuses an answer declared larger than 1 MiB at once, and reads one declared at exactly the limit", async () => {
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 2_000_000 });
            res.write("{");
            setTimeout(() => res.socket?.destroy(), 20);
        };
        await refuses(
            client().listConnectors(),
            "answered 200, but its answer is larger than 1048576 bytes; the client stopped reading it.",
        );
        const text = JSON.stringify(listOf([]));
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
            res.end(text);
        };
        assert.deepStrictEqual(await client({ maxAnswerBytes: Buffer.byteLength(text) }).listConnectors(), []);
    });

    it("reads a 204 as an empty answer, and one declaring 2 MB as too large, without reading a body", async () => {
        for (const [headers, words] of [
            [{}, "answered 204, but its answer is empty."],
            [{ "Content-Length": 2_000_000 }, "answered 204, but its answer is larger than 1048576 bytes;"],
        ] as const) {
            reply = (_req, res) => {
                res.writeHead(204, headers);
                res.end();
            };
            await refuses(client().listConnectors(), words);
        }
    });

    it("waits its own backoff when Retry-After is not a positive number of seconds", async () => {
        for (const retryAfter of ["Infinity", "soon", "-5"]) {
            const waits: number[] = [];
            let calls = 0;
            reply = (req, res) => {
                if (++calls === 1) {
                    res.writeHead(429, { "Content-Type": "application/json", "Retry-After": retryAfter });
                    res.end(JSON.stringify({ error: "slow down" }));
                } else {
                    json(listOf([]))(req, res);
                }
            };
            const recording = new CloudglueClient({
                apiUrl: url(),
                apiKey: KEY,
                sleep: async (ms) => {
                    waits.push(ms);
                },
            });
            assert.deepStrictEqual(await recording.listConnectors(), []);
            assert.strictEqual(waits.length, 1, retryAfter);
            assert.ok(waits[0] >= 250 && waits[0] <= 500, `${retryAfter}: waited ${waits[0]} ms`);
        }
    });

    it("names the network error: the code, else the cause's message, else the error's own", async () => {
        const closed = http.createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const port = (closed.address() as AddressInfo).port;
        await new Promise((resolve) => closed.close(resolve));
        const lost = (apiUrl: string, apiKey = KEY) =>
            new CloudglueClient({ apiUrl, apiKey, retry: { maxAttempts: 1 } }).listConnectors();
        await refuses(
            lost(`http://127.0.0.1:${port}`),
            `Cloudglue did not answer GET http://127.0.0.1:${port}/v1/data-connectors: ECONNREFUSED. Check`,
        );
        // Port 1 is on fetch's list of bad ports: refused before any connection, with a cause but no code.
        await refuses(lost("http://127.0.0.1:1"), "/v1/data-connectors: bad port. Check cloudglue:apiUrl");
        // A key that cannot be a header value: the error has no cause, and names the key, which is redacted.
        await assert.rejects(lost(url(), "cg-key-with\nnewline"), (error: Error) => {
            assert.match(
                error.message,
                /\/v1\/data-connectors: Headers\.append: "Bearer \[redacted\]" is an invalid header value\. Check cloudglue/,
            );
            assert.ok(!error.message.includes("newline"), error.message);
            return true;
        });
    });

    it("reads an answer cut short, or one that stalls past the request timeout, as lost, and says which", async () => {
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json", "Content-Length": 100 });
            res.write('{"object":');
            setTimeout(() => res.socket?.destroy(), 20);
        };
        await assert.rejects(client().listConnectors(), (error: Error) => {
            assert.ok(isApiError(error) && error.answerLost && error.status === undefined, error.message);
            assert.ok(
                error.message.startsWith(
                    `Cloudglue did not answer GET ${url()}/v1/data-connectors after 2 attempts: the answer (200) was ` +
                        "cut short (UND_ERR_SOCKET). Check cloudglue:apiUrl and the network, then run again.",
                ),
                error.message,
            );
            return true;
        });
        reply = (_req, res) => {
            res.writeHead(200, { "Content-Type": "application/json" });
            res.write('{"object":');
            const timer = setTimeout(() => res.destroy(), 5000);
            res.on("close", () => clearTimeout(timer));
        };
        const slow = new CloudglueClient({
            apiUrl: url(),
            apiKey: KEY,
            requestTimeoutMs: 300,
            retry: { maxAttempts: 1 },
        });
        await refuses(
            slow.listConnectors(),
            `Cloudglue did not answer GET ${url()}/v1/data-connectors: timed out after 300 ms while reading its 200 answer.`,
        );
    });

    it("reads a dropped connection as an answer lost, retried for GET", async () => {
        reply = (req) => req.socket.destroy();
        await refuses(
            client().listConnectors(),
            `Cloudglue did not answer GET ${url()}/v1/data-connectors after 2 attempts:`,
        );
        assert.strictEqual(seen.length, 2);
    });
});
