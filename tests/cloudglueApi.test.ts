import * as assert from "assert";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { apiUrlProblem, CloudglueClient, isApiError } from "../components/cloudglueApi";

const KEY = "cg-client-test-key-abcdef0123456789";

describe("the Cloudglue API client", () => {
    let emulator: CloudglueEmulator;
    const waits: number[] = [];
    const client = (retry = {}, requestTimeoutMs = 2000) =>
        new CloudglueClient({
            apiUrl: emulator.url,
            apiKey: KEY,
            requestTimeoutMs,
            retry: { baseDelayMs: 10, maxDelayMs: 40, ...retry },
            sleep: async (ms) => {
                waits.push(ms);
            },
        });

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [KEY], registrationApi: true }).start();
    });
    beforeEach(() => {
        emulator.reset();
        waits.length = 0;
    });
    after(() => emulator.stop());

    it("gives up after the attempt budget, saying how often it tried", async () => {
        emulator.inject({ kind: "status", status: 500 }, { times: Infinity });
        await assert.rejects(client({ maxAttempts: 3 }).listConnectors(), (error: Error) => {
            assert.ok(isApiError(error));
            assert.match(
                error.message,
                /answered 500 after 3 attempts\. Cloudglue said: "Internal server error"\. Cloudglue had a server error/,
            );
            return true;
        });
        assert.strictEqual(emulator.log.length, 3);
    });

    it("backs off exponentially with jitter, within the cap", async () => {
        emulator.inject({ kind: "status", status: 503 }, { times: 4 });
        await client({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 400 }).listConnectors();
        assert.strictEqual(waits.length, 4);
        const ceilings = [100, 200, 400, 400];
        waits.forEach((ms, i) => assert.ok(ms >= ceilings[i] / 2 && ms <= ceilings[i], `wait ${i}: ${ms}`));
    });

    it("honours Retry-After over its own backoff", async () => {
        emulator.inject({ kind: "status", status: 429, retryAfterSeconds: 2 });
        await client().listConnectors();
        assert.deepStrictEqual(waits, [2000]);
    });

    it("gives up when the time budget would run out", async () => {
        emulator.inject({ kind: "status", status: 429, retryAfterSeconds: 30 }, { times: Infinity });
        await assert.rejects(client({ maxElapsedMs: 5000 }).listConnectors(), /answered 429\..*rate limit/);
        assert.deepStrictEqual(waits, []);
    });

    it("times out a slow request and retries it when it is safe to", async () => {
        emulator.inject({ kind: "delay", ms: 400 });
        const connectors = await client({}, 100).listConnectors();
        assert.deepStrictEqual(connectors, []);
        assert.strictEqual(emulator.log.length, 2);
    });

    it("never repeats a POST whose answer was lost, and says the answer was lost", async () => {
        emulator.inject({ kind: "drop", after: true }, { method: "POST" });
        const body = {
            type: "s3" as const,
            role_arn: "arn:aws:iam::111122223333:role/r",
            external_id: "xx",
            buckets: ["b-1"],
        };
        await assert.rejects(client().createConnector(body, []), (error: Error) => {
            assert.ok(isApiError(error) && error.answerLost);
            assert.match(error.message, /Cloudglue did not answer POST/);
            return true;
        });
        assert.strictEqual(emulator.log.length, 1);
        assert.strictEqual(emulator.stored().length, 1, "the lost POST did create it");
    });

    it("fails at once on 403 and other 4xx, showing Cloudglue's error", async () => {
        emulator.inject({ kind: "status", status: 403 });
        await assert.rejects(
            client().listConnectors(),
            /answered 403\. Cloudglue said: "Forbidden"\. The API key may not do this/,
        );
        assert.strictEqual(emulator.log.length, 1);
    });

    it("keeps the key out of errors even when the server echoes it", async () => {
        emulator.inject({ kind: "status", status: 400, error: `Malformed header: Bearer ${KEY}` });
        const error = await client()
            .listConnectors()
            .catch((e: Error) => e);
        assert.ok(error instanceof Error);
        assert.match(error.message, /Malformed header: Bearer \[redacted\]/);
        assert.ok(!String(error.stack).includes(KEY));
    });

    it("sends the key only over https, or plain http to a loopback address, and never with user info", () => {
        const verdicts = Object.fromEntries(
            [
                "https://api.cloudglue.dev",
                "https://api.cloudglue.dev:8443/base",
                "http://127.0.0.1:8787",
                "http://127.8.9.10",
                "http://localhost:8787",
                "http://[::1]:8787",
                "http://api.cloudglue.dev",
                "http://0.0.0.0:8787",
                "http://127.0.0.1.example.com",
                "http://[::ffff:127.0.0.1]",
                "ftp://127.0.0.1",
                "https://user:pw@api.cloudglue.dev",
                "https://token@api.cloudglue.dev",
                "https://api.cloudglue.dev/?key=1",
                "api.cloudglue.dev",
            ].map((url) => [url, apiUrlProblem(url)?.split(/[;,(]/)[0] ?? "ok"]),
        );
        assert.deepStrictEqual(verdicts, {
            "https://api.cloudglue.dev": "ok",
            "https://api.cloudglue.dev:8443/base": "ok",
            "http://127.0.0.1:8787": "ok",
            "http://127.8.9.10": "ok",
            "http://localhost:8787": "ok",
            "http://[::1]:8787": "ok",
            "http://api.cloudglue.dev": "plain http sends the API key readable on the network",
            "http://0.0.0.0:8787": "plain http sends the API key readable on the network",
            "http://127.0.0.1.example.com": "plain http sends the API key readable on the network",
            "http://[::ffff:127.0.0.1]": "plain http sends the API key readable on the network",
            "ftp://127.0.0.1": "ftp: is not https",
            "https://user:pw@api.cloudglue.dev": "it has user info ",
            "https://token@api.cloudglue.dev": "it has user info ",
            "https://api.cloudglue.dev/?key=1": "it has a query or fragment",
            "api.cloudglue.dev": "it is not a URL",
        });
        assert.throws(
            () => new CloudglueClient({ apiUrl: "https://user:pw@api.cloudglue.dev", apiKey: KEY }),
            (error: Error) => !error.message.includes("pw@") && /"https:\/\/api\.cloudglue\.dev"/.test(error.message),
        );
    });
});
