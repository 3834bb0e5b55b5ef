import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildAccessPolicy } from "../components/iamDocuments";
import { accessModelFromPolicy, CloudglueEmulator, WEB_APP_CONNECTOR_PATH } from "../emulator/cloudglueEmulator";
import { PROJECT_ROOT } from "../scripts/lib/programRun";
import { HostileServer } from "./helpers/hostileServer";
import { runScript } from "./helpers/processes";
import { schemaErrors } from "./helpers/publishedSchemas";

const KEY = "cg-emulator-test-key-1234567890";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function api(base: string, method: string, pathname: string, body?: unknown, key = KEY) {
    const response = await fetch(`${base}${pathname}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json()) as any };
}

describe("the Cloudglue emulator", () => {
    describe("by default, the published API and nothing more", () => {
        let emulator: CloudglueEmulator;
        before(async () => {
            emulator = await new CloudglueEmulator({ apiKeys: [KEY] }).start();
        });
        beforeEach(() => emulator.reset());
        after(() => emulator.stop());

        it("answers the two published endpoints with bodies that validate against the published schemas", async () => {
            const s3 = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN, buckets: ["b-one"] } });
            emulator.seed({ type: "gcs", metadata: {} });
            assert.match(s3.id, UUID);

            const list = await api(emulator.url, "GET", "/v1/data-connectors?limit=1&offset=1");
            assert.strictEqual(list.status, 200);
            assert.deepStrictEqual(schemaErrors("DataConnectorList", list.body), []);
            assert.deepStrictEqual([list.body.total, list.body.data.length, list.body.data[0].type], [2, 1, "gcs"]);

            const files = await api(emulator.url, "GET", `/v1/data-connectors/${s3.id}/files?bucket=b-one&prefix=v/`);
            assert.strictEqual(files.status, 200);
            assert.deepStrictEqual(schemaErrors("DataConnectorFileList", files.body), []);
            assert.strictEqual(files.body.data[0].uri, "s3://b-one/v/sample.mp4");

            const failures = [
                await api(emulator.url, "GET", "/v1/data-connectors", undefined, "cg-wrong"),
                await api(emulator.url, "GET", "/v1/data-connectors?limit=many"),
                await api(emulator.url, "GET", `/v1/data-connectors/${s3.id}/files`),
                await api(emulator.url, "GET", `/v1/data-connectors/${s3.id}/files?bucket=b-one&limit=101`),
                await api(
                    emulator.url,
                    "GET",
                    "/v1/data-connectors/3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f/files?bucket=b",
                ),
            ];
            assert.deepStrictEqual(
                failures.map((f) => f.status),
                [401, 400, 400, 400, 404],
            );
            for (const failure of failures) {
                assert.deepStrictEqual(schemaErrors("Error", failure.body), []);
            }
        });

        it("a schema check that fails on the wrong shape (the validator is not a rubber stamp)", () => {
            assert.notDeepStrictEqual(schemaErrors("DataConnectorList", { object: "list", data: [{ id: 1 }] }), []);
            assert.notDeepStrictEqual(
                schemaErrors("DataConnectorFileList", { object: "list", data: [], has_more: false }),
                [],
            );
        });

        it("has no registration endpoints: POST 405, GET/PATCH/DELETE by id 404", async () => {
            const { id } = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN } });
            const body = { type: "s3", role_arn: ROLE_ARN, external_id: "ext-id-1", buckets: ["b"] };
            assert.strictEqual((await api(emulator.url, "POST", "/v1/data-connectors", body)).status, 405);
            for (const method of ["GET", "PATCH", "DELETE"]) {
                assert.strictEqual(
                    (await api(emulator.url, method, `/v1/data-connectors/${id}`, method === "GET" ? undefined : {}))
                        .status,
                    404,
                );
            }
            assert.strictEqual(emulator.stored().length, 1);
        });

        it("has a web-app stand-in outside /v1 that makes an S3 connector and answers its id", async () => {
            const made = await api(emulator.url, "POST", WEB_APP_CONNECTOR_PATH, {
                role_arn: ROLE_ARN,
                external_id: "typed-in-the-web-app",
            });
            assert.strictEqual(made.status, 201);
            assert.match(made.body.id, UUID);
            const [stored] = emulator.stored();
            assert.deepStrictEqual(
                [stored.id, stored.type, stored.metadata],
                [made.body.id, "s3", { role_arn: ROLE_ARN }],
            );
            assert.strictEqual(stored.external_id, "typed-in-the-web-app");
            const listed = await api(emulator.url, "GET", "/v1/data-connectors");
            assert.ok(!JSON.stringify(listed.body).includes("typed-in-the-web-app"));
            const refused = await api(emulator.url, "POST", WEB_APP_CONNECTOR_PATH, { role_arn: "arn:aws:s3:::b" });
            assert.deepStrictEqual(refused, { status: 400, body: { error: "role_arn must be an IAM role ARN" } });
        });

        it("lists only what the stack's inline policy lets the role list: whole buckets, and granted prefixes", async () => {
            emulator.access = accessModelFromPolicy(
                buildAccessPolicy([
                    { name: "whole-bucket" },
                    { name: "scoped-bucket", prefixes: ["videos/", "clips/"] },
                ]),
            );
            const { id } = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN } });
            const status = async (query: string) =>
                (await api(emulator.url, "GET", `/v1/data-connectors/${id}/files?${query}&limit=1`)).status;
            assert.deepStrictEqual(
                {
                    whole: await status("bucket=whole-bucket"),
                    wholeWithPrefix: await status("bucket=whole-bucket&prefix=any/"),
                    scopedWithoutPrefix: await status("bucket=scoped-bucket"),
                    scopedGranted: await status("bucket=scoped-bucket&prefix=videos/"),
                    scopedUnder: await status("bucket=scoped-bucket&prefix=clips/2024/"),
                    scopedOther: await status("bucket=scoped-bucket&prefix=private/"),
                    notGranted: await status("bucket=other-bucket"),
                    transferBucketIsWriteOnly: await status("bucket=cloudglue-transfer-bucket"),
                },
                {
                    whole: 200,
                    wholeWithPrefix: 200,
                    scopedWithoutPrefix: 502,
                    scopedGranted: 200,
                    scopedUnder: 200,
                    scopedOther: 502,
                    notGranted: 502,
                    transferBucketIsWriteOnly: 502,
                },
            );
            const denied = await api(emulator.url, "GET", `/v1/data-connectors/${id}/files?bucket=scoped-bucket`);
            assert.deepStrictEqual(schemaErrors("Error", denied.body), []);
        });
    });

    it("serves the registration endpoints only with registrationApi, and stores the connector's name", async () => {
        const emulator = await new CloudglueEmulator({ apiKeys: [KEY], registrationApi: true }).start();
        try {
            const body = {
                type: "s3",
                name: "pulumi:cloudglue/dev",
                role_arn: ROLE_ARN,
                external_id: "e1",
                buckets: ["b"],
            };
            const created = await api(emulator.url, "POST", "/v1/data-connectors", body);
            assert.strictEqual(created.status, 201);
            assert.match(created.body.id, UUID);
            assert.deepStrictEqual(created.body.metadata, {
                role_arn: ROLE_ARN,
                buckets: ["b"],
                name: "pulumi:cloudglue/dev",
            });
            assert.deepStrictEqual(schemaErrors("DataConnector", created.body), []);
            const tooLong = await api(emulator.url, "POST", "/v1/data-connectors", { ...body, name: "x".repeat(257) });
            assert.strictEqual(tooLong.status, 400);
        } finally {
            await emulator.stop();
        }
    });

    it("keeps its state in a JSON file across a restart", async () => {
        const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cg-emu-")), "state.json");
        const first = await new CloudglueEmulator({ apiKeys: [KEY], stateFile, registrationApi: true }).start();
        const created = await api(first.url, "POST", "/v1/data-connectors", {
            type: "s3",
            role_arn: ROLE_ARN,
            external_id: "ext-id-1",
            buckets: ["b-one"],
        });
        assert.strictEqual(created.status, 201);
        await first.stop();

        const second = await new CloudglueEmulator({ apiKeys: [KEY], stateFile }).start();
        try {
            const listed = await api(second.url, "GET", "/v1/data-connectors");
            assert.deepStrictEqual(
                listed.body.data.map((c: { id: string }) => c.id),
                [created.body.id],
            );
            assert.ok(!JSON.stringify(listed.body).includes("ext-id-1"), "the external ID is never returned");
        } finally {
            await second.stop();
        }
    });

    it("answers with the contract's statuses and {error} bodies", async () => {
        const emulator = await new CloudglueEmulator({ apiKeys: [KEY], registrationApi: true }).start();
        try {
            assert.deepStrictEqual(await api(emulator.url, "GET", "/v1/data-connectors", undefined, "cg-nope"), {
                status: 401,
                body: { error: "Invalid or missing API key" },
            });
            assert.strictEqual((await api(emulator.url, "POST", "/v1/data-connectors", { type: "s3" })).status, 400);
            const none = "/v1/data-connectors/3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";
            assert.strictEqual((await api(emulator.url, "GET", none)).status, 404);
            assert.strictEqual((await api(emulator.url, "DELETE", none)).status, 404);
            const { id } = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN, buckets: ["b"] } });
            assert.strictEqual((await api(emulator.url, "GET", `/v1/data-connectors/${id}/files`)).status, 400);
            assert.strictEqual(
                (await api(emulator.url, "GET", `/v1/data-connectors/${id}/files?bucket=b&limit=1`)).status,
                200,
            );
            emulator.registrationApi = false;
            assert.strictEqual((await api(emulator.url, "POST", "/v1/data-connectors", {})).status, 405);
            assert.strictEqual((await api(emulator.url, "GET", `/v1/data-connectors/${id}`)).status, 404);
            assert.strictEqual((await api(emulator.url, "GET", "/v1/data-connectors")).status, 200);
            emulator.inject({ kind: "status", status: 429, retryAfterSeconds: 3 });
            const limited = await fetch(`${emulator.url}/v1/data-connectors`, {
                headers: { Authorization: `Bearer ${KEY}` },
            });
            assert.strictEqual(limited.status, 429);
            assert.strictEqual(limited.headers.get("retry-after"), "3");
            assert.ok(!JSON.stringify(emulator.log).includes(KEY));
        } finally {
            await emulator.stop();
        }
    });

    it("starts with `npm run emulator`", async function () {
        this.timeout(30000);
        const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cg-emu-"));
        const child = spawn(
            process.execPath,
            [
                "--require",
                "ts-node/register/transpile-only",
                "emulator/main.ts",
                "--port",
                "0",
                "--state",
                path.join(stateDir, "s.json"),
            ],
            { cwd: PROJECT_ROOT, env: { ...process.env, CLOUDGLUE_API_KEY: KEY } },
        );
        try {
            const url = await new Promise<string>((resolve, reject) => {
                let out = "";
                child.stdout.on("data", (chunk) => {
                    out += chunk;
                    const match = /Cloudglue emulator on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
                    if (match) {
                        resolve(match[1]);
                    }
                });
                child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
            });
            assert.strictEqual((await api(url, "GET", "/v1/data-connectors")).status, 200);
            assert.strictEqual((await api(url, "POST", "/v1/data-connectors", {})).status, 405, "published API only");

            const made = await runScript(
                "emulator/main.ts",
                ["web-connector", "--url", url, "--role-arn", ROLE_ARN, "--external-id", "typed-in-the-web-app"],
                { CLOUDGLUE_API_KEY: KEY },
            );
            assert.strictEqual(made.code, 0, made.stderr);
            const id = /^Created S3 connector (\S+)$/m.exec(made.stdout)?.[1] ?? "";
            assert.match(id, UUID);
            assert.match(made.stdout, new RegExp(`^Next: pulumi config set cloudglue:connectorId ${id}$`, "m"));
            const listed = await api(url, "GET", "/v1/data-connectors");
            assert.deepStrictEqual(
                listed.body.data.map((c: { id: string; type: string }) => [c.id, c.type]),
                [[id, "s3"]],
            );
        } finally {
            child.kill();
        }
    });

    describe("web-connector, holding a real external ID", () => {
        const SECRET = "real-external-id-from-the-stack-0123456789";
        let target: HostileServer;
        let redirector: HostileServer;
        before(async () => {
            target = await HostileServer.start((_req, res) => void res.writeHead(201).end('{"id":"x"}'));
            redirector = await HostileServer.start(
                (_req, res) => void res.writeHead(307, { Location: `${target.url}/web-app/s3-connectors` }).end(),
            );
        });
        after(async () => {
            await target.stop();
            await redirector.stop();
        });

        it("takes the ID from CLOUDGLUE_EXTERNAL_ID, and follows no redirect with it", async () => {
            const result = await runScript(
                "emulator/main.ts",
                ["web-connector", "--url", redirector.url, "--role-arn", ROLE_ARN],
                {
                    CLOUDGLUE_EXTERNAL_ID: SECRET,
                },
            );
            assert.strictEqual(result.code, 1, result.stderr);
            assert.match(result.stderr, /the emulator's web app refused: 307/);
            assert.strictEqual(redirector.received.length, 1);
            assert.ok(redirector.received[0].body.includes(SECRET), "the ID went where it was sent");
            assert.strictEqual(target.received.length, 0, "nothing followed the redirect");
        });

        it("refuses plain http to a host that is not loopback, sending nothing", async () => {
            const result = await runScript(
                "emulator/main.ts",
                ["web-connector", "--url", "http://cloudglue.example", "--role-arn", ROLE_ARN],
                { CLOUDGLUE_EXTERNAL_ID: SECRET },
            );
            assert.strictEqual(result.code, 2, result.stderr);
            assert.match(result.stderr, /--url: .*http/);
            assert.ok(!result.stderr.includes(SECRET));
        });

        it("never prints the ID or a control character that an answer echoes", async () => {
            const echo = await HostileServer.start(
                (req, res) =>
                    void res
                        .writeHead(400)
                        .end(JSON.stringify({ error: `\u001b[31mbad ${JSON.parse(req.body).external_id}` })),
            );
            try {
                const result = await runScript(
                    "emulator/main.ts",
                    ["web-connector", "--url", echo.url, "--role-arn", ROLE_ARN],
                    {
                        CLOUDGLUE_EXTERNAL_ID: SECRET,
                    },
                );
                assert.strictEqual(result.code, 1);
                assert.match(result.stderr, /refused: 400 \[31mbad \[redacted\]/);
                assert.ok(!result.stderr.includes(SECRET) && !result.stderr.includes("\u001b"));
            } finally {
                await echo.stop();
            }
        });
    });
});
