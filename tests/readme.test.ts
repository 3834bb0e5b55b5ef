/**
 * The README as a promise to the person deploying: short, in the order they need it, lines that
 * fit, the test commands CI runs, every config key, what of an engine run is a stand-in, and the
 * commands of its offline sections run as written, exiting as it says. docs/ is tests/docs.test.ts's.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../scripts/lib/programRun";
import {
    anchorOf,
    ciCommands,
    commandsOf,
    fencedBlocks,
    isPastedOutput,
    readProjectFile,
    runBash,
} from "./helpers/markdownBlocks";

const README = readProjectFile("README.md");

/** The text from a heading (a whole line) to the next heading of the same or a higher level. */
function section(heading: string): string {
    const start = README.split("\n").indexOf(heading);
    assert.ok(start >= 0, `the README has no heading ${heading}`);
    const level = /^#+/.exec(heading)![0].length;
    const lines = README.split("\n").slice(start);
    const end = lines.findIndex((l, i) => i > 0 && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
    return lines.slice(0, end < 0 ? undefined : end).join("\n");
}

describe("the README", () => {
    it("is read in ten minutes: at most 400 lines", () => {
        const lines = README.split("\n").length - (README.endsWith("\n") ? 1 : 0);
        assert.ok(lines <= 400, `the README has ${lines} lines`);
    });

    it("keeps prose, commands and config examples within 120 characters a line (pasted output aside)", () => {
        const pasted = new Set<number>();
        for (const block of fencedBlocks(README).filter(isPastedOutput)) {
            block.body.split("\n").forEach((_, i) => pasted.add(block.line + 1 + i));
        }
        const long = README.split("\n")
            .map((text, i) => ({ text, line: i + 1 }))
            .filter(({ text, line }) => [...text].length > 120 && !pasted.has(line))
            .map(({ text, line }) => `line ${line} (${[...text].length}): ${text.slice(0, 60)}...`);
        assert.deepStrictEqual(long, []);
    });

    it("goes in the order a person deploying needs it: what it does, quick start, configuration, the rest", () => {
        const headings = README.split("\n").filter((l) => l.startsWith("## "));
        assert.deepStrictEqual(headings, [
            "## Quick start",
            "## Configuration",
            "## Adding a bucket",
            "## Rotating the external ID",
            "## The policy pack",
            "## The doctor",
            "## Stack outputs",
            "## A second stack: prod",
            "## Where to go next",
        ]);
        assert.deepStrictEqual(
            section("## Quick start")
                .split("\n")
                .filter((l) => l.startsWith("### ")),
            ["### 1. Set up and test", "### 2. Review what it would create (offline)", "### 3. Deploy on the web path"],
        );
        const intro = README.slice(0, README.indexOf("## Quick start"));
        assert.match(intro, /`cloudglue-external-s3-access-role`/);
        for (const heading of headings) {
            assert.ok(intro.includes(`](#${anchorOf(heading.slice(3))})`), `the opening lacks a link to ${heading}`);
        }
    });

    it("offers pulumi new beside cloning, and says where each audience goes next", () => {
        const setUp = section("### 1. Set up and test");
        assert.match(setUp, /clone this repository/);
        // --name cloudglue: the cloudglue: keys are the project's own only under that name.
        assert.match(
            setUp,
            /^pulumi new https:\/\/github\.com\/cloudglue\/cloudglue-s3-connector --name cloudglue --stack dev$/m,
        );
        const next = section("## Where to go next");
        for (const doc of ["docs/operations.md", "docs/security.md", "docs/development.md"]) {
            assert.ok(next.includes(`](${doc})`), `Where to go next lacks ${doc}`);
        }
    });

    it("gives the test commands that CI runs, set-up included, and how long npm test takes", () => {
        const setUp = section("### 1. Set up and test");
        assert.match(setUp, /^npm ci && npm test\s+# offline; \d+ to \d+ minutes on 2 cores/m);
        const readmeCommands = fencedBlocks(setUp).flatMap((b) => commandsOf(b.body));
        assert.deepStrictEqual(ciCommands(), [
            "python3 -m pip install -r requirements-dev.txt",
            "npm ci",
            "npm test",
            "npm run test:engine",
        ]);
        for (const command of ciCommands()) {
            assert.ok(readmeCommands.includes(command), `the README's set-up lacks ${command}`);
        }
    });

    it("says plainly what of an engine run is a stand-in, and what the AWS stand-in does not imitate", () => {
        const setUp = section("### 1. Set up and test").replace(/\s+/g, " ");
        assert.match(setUp, /\*\*the AWS provider is a stand-in\*\*/i);
        assert.match(setUp, /diff normalisation of policy documents/);
        assert.match(setUp, /retries/);
        assert.match(setUp, /so are the Node\.js language host and the `command` and `random` providers/);
        assert.match(setUp, /\]\(docs\/development\.md#the-engine-tests\)/);
    });

    it("lists every cloudglue: key in the configuration table, each with an example", () => {
        const keys = [
            "buckets",
            "externalIdLength",
            "externalIdRotation",
            "externalIdGraceHours",
            "externalId",
            "tags",
            "apiKey",
            "apiUrl",
            "propagationTimeoutSeconds",
            "verifyAccess",
            "registration",
            "connectorId",
            "adoptExistingRole",
            "existingPolicyName",
            "exclusivePolicies",
            "permissionsBoundaryArn",
        ];
        const configuration = section("## Configuration");
        for (const key of keys) {
            assert.match(configuration, new RegExp(`^\\| \`${key}\` +\\|`, "m"), `no table row for ${key}`);
            assert.match(
                configuration,
                new RegExp(`^pulumi config set .*'?cloudglue:${key}\\b`, "m"),
                `no example for ${key}`,
            );
        }
        // Every key Pulumi.yaml declares is in the table too.
        const declared = [...readProjectFile("Pulumi.yaml").matchAll(/^ {2}cloudglue:(\w+):/gm)].map((m) => m[1]);
        for (const key of declared) {
            assert.ok(keys.includes(key), `Pulumi.yaml declares cloudglue:${key}, which the table lacks`);
        }
    });

    describe("runs the commands of its offline sections, as written", function () {
        this.timeout(120_000);
        const offline = fencedBlocks(README).filter((b) => b.mark === "offlineReadme");

        it("marks the review's commands offline", () => {
            assert.strictEqual(offline.length, 1);
            assert.strictEqual(offline[0].info, "sh");
            assert.match(offline[0].body, /npm run review -- --stack dev/);
        });

        it('the review\'s commands exit 0, the JSON one printing "clean", and --output writes the report', async () => {
            const result = await runBash(offline[0].body);
            try {
                assert.strictEqual(result.code, 0, result.stderr.slice(-2000));
                assert.match(result.stdout, /^"clean"$/m);
                assert.match(result.stdout, /^Result: clean \(exit 0\)/m);
                assert.strictEqual(
                    JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "review.json"), "utf8")).status,
                    "clean",
                );
                assert.match(result.stdout, /^usage: npm run review/m);
                // The excerpt the README shows is what the review prints.
                const excerpt = fencedBlocks(section("### 2. Review what it would create (offline)")).find(
                    (b) => b.info === "text",
                );
                for (const line of excerpt!.body.split("\n").filter((l) => l !== "...")) {
                    assert.ok(result.stdout.includes(line), `the review does not print: ${line}`);
                }
            } finally {
                fs.rmSync(path.join(PROJECT_ROOT, "review.json"), { force: true });
            }
        });
    });
});
