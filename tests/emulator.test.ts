import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { PROJECT_ROOT } from "../scripts/lib/programRun";

const KEY = "cg-emulator-test-key-1234567890";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";

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
    it("keeps its state in a JSON file across a restart", async () => {
        const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cg-emu-")), "state.json");
        const first = await new CloudglueEmulator({ apiKeys: [KEY], stateFile }).start();
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
        const emulator = await new CloudglueEmulator({ apiKeys: [KEY] }).start();
        try {
            assert.deepStrictEqual(await api(emulator.url, "GET", "/v1/data-connectors", undefined, "cg-nope"), {
                status: 401,
                body: { error: "Invalid or missing API key" },
            });
            assert.strictEqual((await api(emulator.url, "POST", "/v1/data-connectors", { type: "s3" })).status, 400);
            assert.strictEqual((await api(emulator.url, "GET", "/v1/data-connectors/dc_none")).status, 404);
            assert.strictEqual((await api(emulator.url, "DELETE", "/v1/data-connectors/dc_none")).status, 404);
            const { id } = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN, buckets: ["b"] } });
            assert.strictEqual((await api(emulator.url, "GET", `/v1/data-connectors/${id}/files`)).status, 400);
            assert.strictEqual(
                (await api(emulator.url, "GET", `/v1/data-connectors/${id}/files?bucket=b&limit=1`)).status,
                200,
            );
            emulator.oldApi = true;
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
        } finally {
            child.kill();
        }
    });
});
