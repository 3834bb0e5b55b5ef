/**
 * The access check against the emulator's S3 access model, seeded from the stack's own inline
 * policy: a prefix-scoped bucket is listed under each granted prefix, as S3 allows, and a listing
 * outside the grant fails on its own row. The script runs as the stack's Command runs it.
 */
import * as assert from "assert";
import { accessModelFromPolicy, CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { onlyOfType, runProgram, stackConfig } from "../scripts/lib/programRun";
import { verifyAccess } from "../scripts/verify-access";
import { runAccessCheck, runScript } from "./helpers/processes";

const API_KEY = "cg-access-check-test-key-3e8b1f0c5a27d946";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
/** The check wraps a failure's reason over indented lines; joined again for matching. */
const unwrapped = (text: string) => text.replace(/\n {4}/g, " ");

describe("the access check on whole and prefix-scoped buckets", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let connectorId: string;
    /** The environment the dev stack's Command gives the script, pointed at this emulator's connector. */
    let devEnvironment: Record<string, string>;
    let devPolicy: string;

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
        const run = await runProgram({
            config: {
                ...stackConfig("dev"),
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:connectorId": "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f",
                "cloudglue:propagationTimeoutSeconds": "0",
            },
            secretKeys: ["cloudglue:apiKey"],
        });
        devPolicy = String(onlyOfType(run, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
        devEnvironment = onlyOfType(run, "command:local:Command").inputs.environment as Record<string, string>;
    });
    beforeEach(() => {
        emulator.reset();
        emulator.access = accessModelFromPolicy(JSON.parse(devPolicy));
        connectorId = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN } }).id;
    });
    after(() => emulator.stop());

    const env = (extra: Record<string, string> = {}) => ({
        ...devEnvironment,
        CLOUDGLUE_CONNECTOR_ID: connectorId,
        ...extra,
    });

    it("passes on the dev stack's config: the whole bucket, and each granted prefix of the scoped one", async () => {
        const result = await runAccessCheck(env());
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^acme-media-dev-raw\s+-\s+ok\s+listed$/m);
        assert.match(result.stdout, /^acme-media-dev-published\s+videos\/\s+ok\s+listed$/m);
        assert.match(result.stdout, /^acme-media-dev-published\s+trailers\/\s+ok\s+listed$/m);
        assert.match(result.stdout, /Cloudglue can make all 3 listing\(s\) of 2 bucket\(s\)/);
        const files = `/v1/data-connectors/${connectorId}/files`;
        assert.deepStrictEqual(emulator.log.map((r) => r.path).sort(), [
            `${files}?bucket=acme-media-dev-published&prefix=trailers%2F&limit=1`,
            `${files}?bucket=acme-media-dev-published&prefix=videos%2F&limit=1`,
            `${files}?bucket=acme-media-dev-raw&limit=1`,
        ]);
    });

    it("never prints the user info or query of the API URL, which may hold a password or a token", async () => {
        const url = new URL(emulator.url);
        url.username = "someone";
        url.password = "url-password-0001";
        url.search = "?token=url-token-0002";
        const result = await runAccessCheck(env({ CLOUDGLUE_API_URL: url.toString() }));
        for (const secret of ["url-password-0001", "url-token-0002"]) {
            assert.ok(
                !result.stdout.includes(secret) && !result.stderr.includes(secret),
                result.stdout + result.stderr,
            );
        }
        // Refused as the config's rule refuses it, before the check says it is asking, naming where it came from.
        assert.strictEqual(result.code, 2, result.stderr);
        assert.match(
            result.stderr,
            /^CLOUDGLUE_API_URL: the URL "http:\/\/[^"]+" \(user info, query not shown\) is not an API base URL .*user info/,
        );
        assert.doesNotMatch(result.stderr, /Asking Cloudglue/);
    });

    it("prints a progress line for each listing as it finishes, before the table", async () => {
        const result = await runAccessCheck(env());
        const progress = result.stdout.split("\n").filter((line) => /^\[\d\/3\] /.test(line));
        assert.deepStrictEqual(
            progress.map((line) => line.slice(0, 6)),
            ["[1/3] ", "[2/3] ", "[3/3] "],
        );
        assert.ok(result.stdout.indexOf("[3/3]") < result.stdout.indexOf("BUCKET"));
    });

    it("fails on that row only for a prefix the role is not granted, with the reason", async () => {
        const result = await runAccessCheck(
            env({ CLOUDGLUE_BUCKET_PREFIXES: JSON.stringify({ "acme-media-dev-published": ["videos/", "private/"] }) }),
        );
        assert.strictEqual(result.code, 1);
        assert.match(result.stdout, /^acme-media-dev-raw\s+-\s+ok\s+listed$/m);
        assert.match(result.stdout, /^acme-media-dev-published\s+videos\/\s+ok\s+listed$/m);
        assert.match(result.stdout, /^acme-media-dev-published\s+private\/\s+FAILED\s+see \(1\) below$/m);
        assert.match(
            unwrapped(result.stdout),
            /^\(1\) acme-media-dev-published private\/: 502: Cloudglue cannot assume the role or list the prefix "private\/".*AccessDenied/m,
        );
        assert.match(result.stdout, /cannot make 1 of 3 listing\(s\) of 2 bucket\(s\)/);
    });

    it("fails a prefix-scoped bucket listed as a whole, as S3 would (the check before this change)", async () => {
        const result = await runAccessCheck(env({ CLOUDGLUE_BUCKET_PREFIXES: "" }));
        assert.strictEqual(result.code, 1);
        assert.match(result.stdout, /^acme-media-dev-published\s+-\s+FAILED\s+see \(1\) below$/m);
        assert.match(result.stdout, /^\(1\) acme-media-dev-published -: 502/m);
    });

    it("takes NAME/PREFIX on the command line", async () => {
        const result = await runScript(
            "scripts/verify-access.ts",
            ["--bucket", "acme-media-dev-raw", "--bucket", "acme-media-dev-published/videos/"],
            env({ CLOUDGLUE_BUCKETS: "", CLOUDGLUE_BUCKET_PREFIXES: "" }),
        );
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^acme-media-dev-published\s+videos\/\s+ok/m);
        assert.strictEqual(emulator.log.length, 2);
    });

    it("refuses a timeout that is not a number instead of not waiting", async () => {
        const result = await runAccessCheck(env({ CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "2m" }));
        assert.strictEqual(result.code, 2);
        assert.match(result.stderr, /CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS "2m" is not a number of seconds/);
        assert.strictEqual(emulator.log.length, 0, "nothing was asked");
    });

    it("prints nothing of what the server says, control characters included", async () => {
        emulator.inject(
            { kind: "status", status: 400, error: "bad\u001b[2J\u001b]0;owned\u0007 request\r\nforged line" },
            { path: /files$/, times: Infinity },
        );
        const result = await runAccessCheck(env());
        assert.strictEqual(result.code, 1);
        assert.match(
            unwrapped(result.stdout),
            /\(What Cloudglue said is not shown \(it could echo the external ID\)\)/,
        );
        assert.doesNotMatch(result.stdout, /owned|forged line/);
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(result.stdout), "no control characters but newlines");
    });

    it("ends every listing at one overall deadline when the server hangs, all listings in flight at once", async () => {
        emulator.inject({ kind: "delay", ms: 5_000 }, { times: Infinity });
        const buckets = ["b-1", "b-2", "b-3", "b-4", "b-5"];
        const results = await verifyAccess({
            apiUrl: emulator.url,
            apiKey: API_KEY,
            connectorId,
            buckets,
            propagationTimeoutMs: 0,
            deadlineMs: 1000,
        });
        assert.deepStrictEqual(
            results.map((r) => [r.bucket, r.ok, r.reason]),
            buckets.map((b) => [b, false, "no answer within the check's deadline of 1 s"]),
        );
        assert.strictEqual(emulator.log.length, 5, "the five listings were sent together, not one after another");
        emulator.faults.length = 0;
    });
});
