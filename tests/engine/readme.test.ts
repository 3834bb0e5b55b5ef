/**
 * The README's deploy blocks, marked for this test, run as written through the real CLI, in
 * order, with what a person does between them done here: the web app's step by the emulator's
 * web-connector. Placeholders are filled in (`cg-...` with a key the emulator accepts, the example
 * connector id with the real one), and PULUMI_SKIP_CONFIRMATIONS answers `pulumi up`'s "yes".
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../scripts/lib/programRun";
import { API_KEY, engineFixture } from "./helpers/fixture";

const ENGINE_MARK = "<!-- engine: tests/engine/readme.test.ts runs this block through the real CLI -->";
const EXAMPLE_CONNECTOR_ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";

/** The marked blocks, in the README's order, as lists of command lines. */
export function engineBlocks(readme: string): string[][] {
    const blocks: string[][] = [];
    const lines = readme.split("\n");
    for (let i = 0; i < lines.length; i++) {
        if (lines[i].trim() !== ENGINE_MARK) {
            continue;
        }
        const mark = i;
        for (i++; lines[i] === ""; i++) {
            // Prettier keeps a blank line after an HTML comment.
        }
        assert.match(lines[i], /^```sh$/, `README line ${mark + 1}: the mark stands before a sh block`);
        const block: string[] = [];
        for (i++; lines[i] !== "```"; i++) {
            block.push(lines[i]);
        }
        blocks.push(block);
    }
    return blocks;
}

describe("the README's deploy blocks, as written, through the real CLI", function () {
    const fixture = engineFixture({ initStack: false, linkNodeModules: false });
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const blocks = engineBlocks(readme);
    const env = { PULUMI_SKIP_CONFIRMATIONS: "true" };

    it("marks the three blocks of the web path: stack and key, the first up, the adoption", () => {
        assert.strictEqual(blocks.length, 3, JSON.stringify(blocks));
        assert.ok(blocks[1].some((line) => /^npm ci && pulumi up --stack dev$/.test(line)));
    });

    it("runs them in order, with the web app's step between the first up and the adoption", async () => {
        const run = async (block: string[], connectorId = "") => {
            for (const line of block) {
                const filled = line.replace("cg-...", API_KEY).replace(EXAMPLE_CONNECTOR_ID, connectorId);
                const result = await fixture.workspace.sh(filled, env);
                assert.strictEqual(result.code, 0, `${line}\n${result.output}`);
            }
        };
        await run(blocks[0]);
        await run(blocks[1]);
        const roleArn = (
            await fixture.workspace.expectOk(["stack", "output", "--stack", "dev", "roleArn"])
        ).stdout.trim();
        const made = await fixture.workspace.sh(
            `CLOUDGLUE_EXTERNAL_ID="$(pulumi stack output --stack dev --show-secrets externalId)" ` +
                `npm run -s emulator -- web-connector --role-arn ${roleArn} --url ${fixture.emulator.url}`,
            { CLOUDGLUE_API_KEY: API_KEY },
        );
        assert.strictEqual(made.code, 0, made.output);
        await run(blocks[2], /^Created S3 connector ([0-9a-f-]{36})$/m.exec(made.stdout)?.[1]);
        const next = await fixture.workspace.expectOk(["stack", "output", "--stack", "dev", "nextStep"]);
        assert.match(
            next.stdout,
            /Cloudglue is connected: connector [0-9a-f-]{36} \(adopted from Cloudglue's web app\)/,
        );
    });
});
