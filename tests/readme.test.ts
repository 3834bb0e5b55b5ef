/**
 * The README as a promise: lines that fit, the test command CI runs, every config key, and the
 * commands of its offline sections run as written, exiting as it says.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { PROJECT_ROOT } from "../scripts/lib/programRun";

const README = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
const OFFLINE_MARK = "<!-- offline: tests/readme.test.ts runs this block with bash -e -->";

interface Block {
    info: string;
    body: string;
    /** The line of the README it starts on, for messages. */
    line: number;
    offline: boolean;
}

function fencedBlocks(text: string): Block[] {
    const blocks: Block[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
        if (!open) {
            continue;
        }
        const start = i;
        const body: string[] = [];
        for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) {
            body.push(lines[i]);
        }
        const before = lines.slice(Math.max(0, start - 2), start).join("\n");
        blocks.push({ info: open[2], body: body.join("\n"), line: start + 1, offline: before.includes(OFFLINE_MARK) });
    }
    return blocks;
}

/** A block of what a program printed, pasted as it is; its lines are as long as the program made them. */
const isPastedOutput = (b: Block) => b.info === "" || b.info === "text";

describe("the README", () => {
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

    it("opens with what the stack does, then the quick start, then the offline review, then the contents", () => {
        const headings = README.split("\n").filter((l) => l.startsWith("## "));
        assert.deepStrictEqual(headings.slice(0, 3), [
            "## Quick start",
            "## Review before you deploy (offline)",
            "## Contents",
        ]);
        assert.match(README.slice(0, README.indexOf("## Quick start")), /`cloudglue-external-s3-access-role`/);
        const contents = README.slice(README.indexOf("## Contents"), README.indexOf("## Prerequisites"));
        for (const heading of headings.slice(3)) {
            assert.ok(contents.includes(`[${heading.slice(3)}](#`), `the contents lack ${heading}`);
        }
    });

    it("gives the test commands that CI runs, set-up included", () => {
        const quickStart = README.slice(README.indexOf("## Quick start"), README.indexOf("## Review before"));
        assert.match(quickStart, /^npm ci && npm test(\s+#.*)?$/m);
        const testSection = README.slice(README.indexOf("## Test\n"), README.indexOf("## Where the API key"));
        const readmeCommands = testSection
            .split("\n")
            .map((line) => line.replace(/\s+#.*$/, "").trim())
            .flatMap((line) => line.split(" && "));
        const ciCommands = fs
            .readFileSync(path.join(PROJECT_ROOT, ".ci/run"), "utf8")
            .split("\n")
            .filter((line) => /^(python3 -m pip|npm) /.test(line))
            .map((line) => line.replace(" --quiet", ""));
        assert.deepStrictEqual(ciCommands, [
            "python3 -m pip install -r requirements-dev.txt",
            "npm ci",
            "npm test",
            "npm run test:engine",
        ]);
        for (const command of ciCommands) {
            assert.ok(readmeCommands.includes(command), `the README's Test section lacks ${command}`);
        }
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
        const section = README.slice(README.indexOf("## Configuration"), README.indexOf("## Adding a bucket"));
        for (const key of keys) {
            assert.match(section, new RegExp(`^\\| \`${key}\` +\\|`, "m"), `no table row for ${key}`);
            assert.match(
                section,
                new RegExp(`^pulumi config set .*'?cloudglue:${key}\\b`, "m"),
                `no example for ${key}`,
            );
        }
        assert.ok(README.includes("## Adding a bucket"), "the README says how to add a bucket");
    });

    describe("runs the commands of its offline sections, as written", function () {
        this.timeout(120_000);
        const offline = fencedBlocks(README).filter((b) => b.offline);

        it("marks the review's and the background emulator's commands offline", () => {
            assert.strictEqual(offline.length, 2);
            assert.ok(offline.every((b) => b.info === "sh"));
            assert.match(offline[0].body, /npm run review -- --stack dev/);
            assert.match(offline[1].body, /npm run emulator -- --memory > emulator\.log &/);
        });

        const run = (script: string) =>
            new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
                const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], {
                    cwd: PROJECT_ROOT,
                    env: { ...process.env, CLOUDGLUE_API_KEY: "", CLOUDGLUE_API_URL: "" },
                });
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (c) => (stdout += c));
                child.stderr.on("data", (c) => (stderr += c));
                child.on("close", (code) => resolve({ code, stdout, stderr }));
            });
        const portFree = (port: number) =>
            new Promise<boolean>((resolve) => {
                const socket = net.connect(port, "127.0.0.1");
                socket.once("connect", () => (socket.destroy(), resolve(false)));
                socket.once("error", () => resolve(true));
            });

        it('the review\'s commands exit 0, the JSON one printing "clean", and --output writes the report', async () => {
            const result = await run(offline[0].body);
            try {
                assert.strictEqual(result.code, 0, result.stderr.slice(-2000));
                assert.match(result.stdout, /^"clean"$/m);
                assert.match(result.stdout, /^Result: clean \(exit 0\)/m);
                assert.strictEqual(
                    JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "review.json"), "utf8")).status,
                    "clean",
                );
                assert.match(result.stdout, /^usage: npm run review/m);
            } finally {
                fs.rmSync(path.join(PROJECT_ROOT, "review.json"), { force: true });
            }
        });

        it("the emulator in the background serves the access check, and kill %1 really stops it", async function () {
            if (!(await portFree(8787))) {
                // Another emulator (another checkout on this machine) holds the README's port.
                this.skip();
            }
            const log = path.join(PROJECT_ROOT, "emulator.log");
            try {
                const result = await run(offline[1].body);
                assert.strictEqual(result.code, 0, result.stdout + result.stderr);
                assert.match(
                    result.stdout,
                    /^Cloudglue can make all 1 listing\(s\) of 1 bucket\(s\) through connector \S+\.$/m,
                );
                let free = false;
                for (let waited = 0; !free && waited < 5000; waited += 100) {
                    await new Promise((r) => setTimeout(r, 100));
                    free = await portFree(8787);
                }
                assert.ok(free, "the emulator still listens on 8787 after kill %1");
                assert.match(fs.readFileSync(log, "utf8"), /Cloudglue emulator stopped/);
            } finally {
                fs.rmSync(log, { force: true });
            }
        });
    });
});
