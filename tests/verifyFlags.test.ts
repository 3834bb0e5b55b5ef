/**
 * `npm run verify` run by hand: its flags obey the rules the program applies to the config, and a
 * refused flag is a usage error (exit 2, as the doctor's) named by its flag, before anything is
 * printed as if the check were running. Its progress lines are whole.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bucketArgumentProblem, formatProgress, PROGRESS_REASON_MAX } from "../scripts/verify-access";
import { runScript } from "./helpers/processes";

const ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";
/** No key, URL or bucket from the shell running the tests. */
const CLEAN_ENV = {
    CLOUDGLUE_API_KEY: "cg-verify-flags-test-key",
    CLOUDGLUE_API_URL: "",
    CLOUDGLUE_CONNECTOR_ID: "",
    CLOUDGLUE_BUCKETS: "",
    CLOUDGLUE_BUCKET_PREFIXES: "",
};

const verify = (args: string[], env: Record<string, string> = {}) =>
    runScript("scripts/verify-access.ts", args, { ...CLEAN_ENV, ...env });

describe("npm run verify's flags", function () {
    this.timeout(60_000);

    const refusals: { args: string[]; says: (string | RegExp)[] }[] = [
        {
            args: ["--connector-id", ID, "--bucket", "s3://my-videos"],
            says: ['--bucket "s3://my-videos": give the bucket name', "not an S3 URI: --bucket my-videos"],
        },
        {
            args: ["--connector-id", ID, "--bucket", "s3://my-media/videos/"],
            says: ["not an S3 URI: --bucket my-media/videos/"],
        },
        {
            args: ["--connector-id", ID, "--bucket", "arn:aws:s3:::my-videos"],
            says: ['--bucket "arn:aws:s3:::my-videos"', "not an ARN: --bucket my-videos"],
        },
        {
            args: ["--connector-id", ID, "--bucket", "My_Videos"],
            says: ['"My_Videos" is not a valid bucket name: a bucket name has only lowercase letters'],
        },
        {
            args: ["--connector-id", ID, "--bucket", "my-media/vid*"],
            says: ['"vid*" is not a valid prefix: wildcards are not allowed'],
        },
        {
            args: ["--connector-id", "not-a-uuid", "--bucket", "my-videos"],
            says: ['--connector-id "not-a-uuid" is not a Cloudglue connector id: a UUID such as'],
        },
        {
            args: ["--connector-id", ID, "--bucket", "my-videos", "--api-url", "http://example.com"],
            says: ['--api-url: "http://example.com" is not an API base URL'],
        },
    ];
    for (const c of refusals) {
        it(`refuses ${c.args.join(" ")} with exit 2, before it asks or says it is asking`, async () => {
            const result = await verify(c.args);
            assert.strictEqual(result.code, 2, result.stdout + result.stderr);
            for (const fragment of c.says) {
                assert.ok(
                    typeof fragment === "string" ? result.stderr.includes(fragment) : fragment.test(result.stderr),
                    `${fragment} not in:\n${result.stderr}`,
                );
            }
            assert.doesNotMatch(result.stderr, /Asking Cloudglue|waiting/);
            assert.doesNotMatch(result.stderr, /cloudglue:apiUrl:/, "the flag is named, not the config key");
            assert.strictEqual(result.stdout, "");
        });
    }

    it("refuses a CLOUDGLUE_API_URL by its name, with exit 2", async () => {
        const result = await verify(["--connector-id", ID, "--bucket", "my-videos"], {
            CLOUDGLUE_API_URL: "http://example.com",
        });
        assert.strictEqual(result.code, 2, result.stderr);
        assert.match(result.stderr, /^CLOUDGLUE_API_URL: "http:\/\/example.com" is not an API base URL/);
        assert.doesNotMatch(result.stderr, /Asking Cloudglue/);
    });

    it("takes a bucket name, and a bucket with a prefix", () => {
        assert.strictEqual(bucketArgumentProblem("my-videos"), undefined);
        assert.strictEqual(bucketArgumentProblem("my-media/videos/"), undefined);
    });
});

describe("npm run verify's progress lines", () => {
    it("show a failure's first sentence in whole words, never cut mid-word", () => {
        const reason =
            "Cloudglue did not answer GET http://127.0.0.1:9/v1/data-connectors/3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f/files: " +
            "connect ECONNREFUSED 127.0.0.1:9. Check cloudglue:apiUrl and the network, then run again.";
        const line = formatProgress({ bucket: "my-videos", ok: false, reason }, 1, 2);
        assert.doesNotMatch(line, /FAILED GET http$/);
        assert.match(line, /^\[1\/2\] my-videos - FAILED: Cloudglue did not answer GET /);
        const shown = line.replace(/^.*FAILED: /, "").replace(/ \.\.\. \(in full below\)$/, "");
        assert.ok(reason.startsWith(shown), line);
        assert.ok(shown.length <= PROGRESS_REASON_MAX);
        assert.ok(reason[shown.length] === " ", `cut mid-word: ${line}`);

        const status = formatProgress(
            {
                bucket: "b",
                prefix: "videos/",
                ok: false,
                reason: '502: Cloudglue cannot assume the role or list the prefix "videos/": is it in cloudglue:buckets? (What Cloudglue said is not shown (it could echo the external ID))',
            },
            2,
            2,
        );
        assert.strictEqual(
            status,
            '[2/2] b videos/ FAILED: 502: Cloudglue cannot assume the role or list the prefix "videos/": is it in cloudglue:buckets?',
        );
        assert.strictEqual(formatProgress({ bucket: "b", ok: true, reason: "listed" }, 1, 1), "[1/1] b - ok listed");
    });
});

describe("npm run verify --stack with an API URL stored as a secret", () => {
    it("describes a refused cloudglue:apiUrl by its length, never its host or token", async () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "cg-verify-bin-"));
        const url = "https://api.example.com/?token=tok-5e1f0a9c";
        const config = { "cloudglue:apiUrl": { value: url, secret: true } };
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            "#!/bin/sh\n" +
                `case "$1" in stack) echo '${JSON.stringify({ connectorId: ID, buckets: ["my-videos"] })}' ;;\n` +
                `config) echo '${JSON.stringify(config)}' ;; esac\n`,
            { mode: 0o755 },
        );
        const result = await verify(["--stack", "dev", "--connector-id", ID, "--bucket", "my-videos"], {
            PATH: `${bin}:${path.dirname(process.execPath)}`,
        });
        assert.strictEqual(result.code, 2, result.stderr);
        assert.match(
            result.stderr,
            new RegExp(`^cloudglue:apiUrl: \\(secret, ${url.length} characters\\) is not an API`),
        );
        assert.ok(!result.stderr.includes("api.example.com") && !result.stderr.includes("tok-5e1f0a9c"), result.stderr);
    });
});
