/**
 * docs/ and the README together: every command block says who runs it (a test, as written, or
 * nobody, because it needs a real account), the docs' offline blocks run as written, CI's commands
 * are the ones the docs give, every link between them lands on a heading, and lines fit.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../scripts/lib/programRun";
import {
    anchorOf,
    ciCommands,
    commandsOf,
    documents,
    fencedBlocks,
    isCommands,
    isPastedOutput,
    portFree,
    runBash,
    waitForPortFree,
} from "./helpers/markdownBlocks";

const DOCS = documents();
const docsOnly = [...DOCS].filter(([file]) => file.startsWith("docs/"));

describe("the docs", () => {
    it("are one file per audience or concern: operations, security, development", () => {
        assert.deepStrictEqual(
            docsOnly.map(([file]) => file),
            ["docs/development.md", "docs/operations.md", "docs/security.md"],
        );
        const headings = (file: string) =>
            DOCS.get(file)!
                .split("\n")
                .filter((l) => /^##+ /.test(l))
                .map((l) => l.replace(/^#+ /, ""));
        for (const [file, wanted] of Object.entries({
            "docs/security.md": [
                "Trust",
                "The offline review in depth",
                "Whose connector it is",
                "What the client accepts from the API",
                "The policy pack in depth",
            ],
            "docs/operations.md": [
                "Where the API key and the API URL come from",
                "Deploy in depth",
                "The access check",
                "Migrating from the CloudFormation template",
                "The role holds only what the stack grants",
                "The doctor in depth",
            ],
            "docs/development.md": [
                "The offline tests",
                "The engine tests",
                "The local Cloudglue emulator",
                "Benchmarks",
                "Mutation testing",
            ],
        })) {
            for (const heading of wanted) {
                assert.ok(headings(file).includes(heading), `${file} lacks the section ${heading}`);
            }
        }
    });

    it("mark every command block: run by a test as written, or needing a real account", () => {
        const unmarked: string[] = [];
        for (const [file, text] of DOCS) {
            for (const block of fencedBlocks(text).filter(isCommands)) {
                const allowed =
                    file === "README.md"
                        ? ["offlineReadme", "engine", "realAccount", "ci"]
                        : ["offlineDocs", "realAccount", "ci"];
                if (!block.mark || !allowed.includes(block.mark)) {
                    unmarked.push(`${file}:${block.line} (${block.mark ?? "no mark"}): ${block.body.split("\n")[0]}`);
                }
            }
        }
        assert.deepStrictEqual(unmarked, []);
    });

    it("give no command block a fence other than sh, and mark no block that is not one", () => {
        for (const [file, text] of DOCS) {
            for (const block of fencedBlocks(text)) {
                if (isCommands(block)) {
                    assert.strictEqual(block.info, "sh", `${file}:${block.line}: a command block is \`\`\`sh`);
                } else {
                    assert.strictEqual(block.mark, undefined, `${file}:${block.line}: a mark on a ${block.info} block`);
                }
            }
        }
    });

    it("keep the README's three engine blocks the only ones, and CI's commands the ones .ci/run runs", () => {
        assert.strictEqual(fencedBlocks(DOCS.get("README.md")!).filter((b) => b.mark === "engine").length, 3);
        const ci = new Set(ciCommands());
        for (const [file, text] of DOCS) {
            for (const block of fencedBlocks(text).filter((b) => b.mark === "ci")) {
                for (const command of commandsOf(block.body)) {
                    assert.ok(ci.has(command), `${file}:${block.line}: .ci/run does not run ${command}`);
                }
            }
        }
    });

    it("link only to headings that exist, in the README and between the docs", () => {
        const anchors = new Map(
            [...DOCS].map(([file, text]) => [
                file,
                new Set(
                    text
                        .split("\n")
                        .filter((l) => /^#+ /.test(l))
                        .map((l) => anchorOf(l.replace(/^#+ /, ""))),
                ),
            ]),
        );
        const broken: string[] = [];
        for (const [file, text] of DOCS) {
            const withoutCode = text.replace(/```[\s\S]*?```/g, "");
            for (const [, target] of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
                if (/^[a-z]+:/.test(target)) {
                    continue;
                }
                const [relative, anchor] = target.split("#");
                const linked =
                    relative === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), relative));
                if (!fs.existsSync(path.join(PROJECT_ROOT, linked))) {
                    broken.push(`${file}: ${target} (no file ${linked})`);
                } else if (anchor !== undefined && !anchors.get(linked)?.has(anchor)) {
                    broken.push(`${file}: ${target} (no heading #${anchor} in ${linked})`);
                }
            }
        }
        assert.deepStrictEqual(broken, []);
    });

    it("keep prose and commands within 120 characters a line (pasted output and tables aside)", () => {
        const long: string[] = [];
        for (const [file, text] of docsOnly) {
            const pasted = new Set<number>();
            for (const block of fencedBlocks(text).filter(isPastedOutput)) {
                block.body.split("\n").forEach((_, i) => pasted.add(block.line + 1 + i));
            }
            text.split("\n").forEach((line, i) => {
                if (
                    [...line].length > 120 &&
                    !pasted.has(i + 1) &&
                    !line.startsWith("|") &&
                    !/^\s*`[^`]+`$/.test(line)
                ) {
                    long.push(`${file}:${i + 1} (${[...line].length}): ${line.slice(0, 60)}...`);
                }
            });
        }
        assert.deepStrictEqual(long, []);
    });

    describe("run the commands of their offline blocks, as written", function () {
        this.timeout(180_000);
        const offline = docsOnly.flatMap(([file, text]) =>
            fencedBlocks(text)
                .filter((b) => b.mark === "offlineDocs")
                .map((b) => ({ file, ...b })),
        );
        const emulatorBlock = offline.find((b) => /npm run emulator -- --memory > emulator\.log &/.test(b.body));
        const verifyBlock = offline.find((b) => /--port 8792 --access-policy dev-policy\.json/.test(b.body));

        it("are the background emulator's and the access check's by hand, in development.md and operations.md", () => {
            assert.deepStrictEqual(
                offline.map((b) => b.file),
                ["docs/development.md", "docs/operations.md"],
            );
            assert.ok(emulatorBlock && emulatorBlock.file === "docs/development.md");
            assert.ok(verifyBlock && verifyBlock.file === "docs/operations.md");
        });

        it("the emulator in the background serves the access check, stops, and does so twice in one shell", async function () {
            if (!(await portFree(8787))) {
                // Another emulator (another checkout on this machine) holds the block's port.
                this.skip();
            }
            const log = path.join(PROJECT_ROOT, "emulator.log");
            try {
                // Twice in one shell, with a job of the shell's own already in the background.
                const result = await runBash(`sleep 300 &\n${emulatorBlock!.body}\n${emulatorBlock!.body}\nkill %1`);
                assert.strictEqual(result.code, 0, result.stdout + result.stderr);
                const passed = result.stdout.match(
                    /^Cloudglue can make all 1 listing\(s\) of 1 bucket\(s\) through connector \S+\.$/gm,
                );
                assert.strictEqual(passed?.length, 2, result.stdout);
                assert.ok(await waitForPortFree(8787), "the emulator still listens on 8787 after the block");
                assert.match(fs.readFileSync(log, "utf8"), /Cloudglue emulator stopped/);
            } finally {
                fs.rmSync(log, { force: true });
            }
        });

        it("verify against the emulator judging by the dev stack's policy lists what it grants and fails the rest, exit 1", async function () {
            if (!(await portFree(8792))) {
                this.skip();
            }
            const made = ["dev-policy.json", "emulator-8792.log"].map((f) => path.join(PROJECT_ROOT, f));
            try {
                const result = await runBash(verifyBlock!.body);
                assert.strictEqual(result.code, 0, result.stdout + result.stderr);
                const policy = JSON.parse(fs.readFileSync(made[0], "utf8"));
                assert.strictEqual(policy.Version, "2012-10-17");
                assert.match(result.stdout, /^\[\d\/3\] acme-media-dev-raw - ok listed$/m);
                assert.match(result.stdout, /^\[\d\/3\] acme-media-dev-published videos\/ ok listed$/m);
                assert.match(
                    result.stdout,
                    /^\[\d\/3\] acme-media-dev-published private\/ FAILED: 502: Cloudglue cannot assume the role .* \(in full below\)$/m,
                );
                assert.match(
                    result.stdout,
                    /^Cloudglue cannot make 1 of 3 listing\(s\) of 2 bucket\(s\) through connector/m,
                );
                assert.match(result.stdout, /^verify exited 1$/m);
                assert.ok(await waitForPortFree(8792), "the emulator still listens on 8792 after the block");
            } finally {
                made.forEach((f) => fs.rmSync(f, { force: true }));
            }
        });
    });
});
