/**
 * The doctor's JSON for CI as documented: `npm run -s doctor -- --stack dev --json` prints the
 * report alone on stdout, so that `| jq` reads it (without -s, npm's banner comes first).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import { withActiveMutant } from "../scripts/lib/childEnv";
import { PROJECT_ROOT } from "../scripts/lib/programRun";

describe("npm run -s doctor -- --stack dev --json, as CI runs it", function () {
    this.timeout(120_000);

    it("prints one JSON report alone on stdout, progress on stderr", () => {
        const child = spawnSync(
            "npm",
            ["run", "-s", "doctor", "--", "--stack", "dev", "--json", "--timeout-seconds", "5", "--concurrency", "2"],
            {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                env: withActiveMutant({
                    ...process.env,
                    // Nowhere to answer: the report still comes, its rows failed or skipped.
                    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
                    AWS_ACCESS_KEY_ID: "testing",
                    AWS_SECRET_ACCESS_KEY: "testing",
                    AWS_MAX_ATTEMPTS: "1",
                    CLOUDGLUE_API_URL: "http://127.0.0.1:9",
                    CLOUDGLUE_API_KEY: "",
                    PATH: process.env.PATH?.split(":")
                        .filter((dir) => !/pulumi/.test(dir))
                        .join(":"),
                }),
            },
        );
        assert.ok(child.status === 0 || child.status === 1, `${child.status}: ${child.stderr}`);
        assert.doesNotMatch(child.stdout, /^>/m, "npm's banner on stdout");
        const report = JSON.parse(child.stdout);
        assert.strictEqual(report.schemaVersion, 1);
        assert.strictEqual(report.stack, "dev");
        assert.strictEqual(report.exitCode, child.status);
    });
});
