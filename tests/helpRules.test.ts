/**
 * One rule for where the Cloudglue API key, the API URL and the AWS region come from
 * (components/apiSource.ts): each script's --help says it as the code applies it. The expected
 * lines are made from apiSource.ts's own data, and every --help line that names two sources of
 * the same thing must name them in the rule's order.
 */
import * as assert from "assert";
import { resolveApiSource, resolveRegion, SOURCE_ORDER, SourceKind, sourceRule } from "../components/apiSource";
import { DEFAULT_REGION } from "../scripts/lib/doctor/cli";
import { runScript } from "./helpers/processes";

/** What each script's --help must say, word for word, made from the rule's data. */
const EXPECTED: Record<string, string[]> = {
    "scripts/verify-access.ts": [sourceRule("apiKey"), sourceRule("apiUrl")],
    "scripts/doctor.ts": [
        sourceRule("apiKey"),
        sourceRule("apiUrl"),
        sourceRule("region", { fallback: DEFAULT_REGION }),
    ],
    "scripts/review.ts": [sourceRule("apiKey"), sourceRule("region", { without: ["--region"] })],
};

/** A help text's logical lines: an option's description continued on deeper-indented lines joined to it. */
function logicalLines(help: string): string[] {
    const lines: string[] = [];
    for (const line of help.split("\n")) {
        if (/^ {20,}\S/.test(line) && lines.length > 0) {
            lines[lines.length - 1] += ` ${line.trim()}`;
        } else {
            lines.push(line);
        }
    }
    return lines;
}

/** Where in the rule each source a line names stands, for one kind, in the order the line names them. */
function ranks(line: string, kind: SourceKind): number[] {
    const order: readonly string[] = SOURCE_ORDER[kind];
    const found: { at: number; rank: number }[] = [];
    order.forEach((source, rank) => {
        const pattern = new RegExp(`(^|[^\\w:-])${source.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![\\w:-])`, "g");
        for (const match of line.matchAll(pattern)) {
            found.push({ at: match.index ?? 0, rank });
        }
    });
    return found.sort((a, b) => a.at - b.at).map((f) => f.rank);
}

describe("where the key, the URL and the region come from: one rule, in the code and in every --help", function () {
    this.timeout(60_000);

    it("resolveApiSource and resolveRegion take the sources in the order of SOURCE_ORDER", () => {
        const keyInputs = { configKey: "from-config", env: { CLOUDGLUE_API_KEY: "from-env" } };
        assert.strictEqual(resolveApiSource(keyInputs).apiKeySource, SOURCE_ORDER.apiKey[0]);
        assert.strictEqual(resolveApiSource({ env: keyInputs.env }).apiKeySource, SOURCE_ORDER.apiKey[1]);
        const env = { CLOUDGLUE_API_URL: "http://127.0.0.1:3" };
        const all = { flagUrl: "http://127.0.0.1:1", configUrl: "http://127.0.0.1:2", env };
        assert.deepStrictEqual(
            [
                resolveApiSource(all).apiUrlSource,
                resolveApiSource({ ...all, flagUrl: undefined }).apiUrlSource,
                resolveApiSource({ env }).apiUrlSource,
            ],
            SOURCE_ORDER.apiUrl.slice(0, 3),
        );
        assert.strictEqual(resolveApiSource({ env: {} }).apiUrl, SOURCE_ORDER.apiUrl[3]);
        const regionEnv = { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-2" };
        assert.deepStrictEqual(
            [
                resolveRegion({ flag: "us-west-2", config: "eu-west-3", env: regionEnv })?.source,
                resolveRegion({ config: "eu-west-3", env: regionEnv })?.source,
                resolveRegion({ env: regionEnv })?.source,
                resolveRegion({ env: { AWS_DEFAULT_REGION: "eu-west-2" } })?.source,
            ],
            SOURCE_ORDER.region,
        );
        assert.strictEqual(resolveRegion({ config: "", env: { AWS_REGION: "" } }), undefined);
    });

    for (const [script, expected] of Object.entries(EXPECTED)) {
        it(`${script} --help states the rule, and names no two sources out of its order`, async () => {
            const result = await runScript(script, ["--help"]);
            assert.strictEqual(result.code, 0, result.stderr);
            const lines = logicalLines(result.stdout).map((l) => l.trim());
            for (const sentence of expected) {
                assert.ok(lines.includes(sentence), `${script} --help lacks the line "${sentence}":\n${result.stdout}`);
            }
            for (const line of lines) {
                for (const kind of Object.keys(SOURCE_ORDER) as SourceKind[]) {
                    const seen = ranks(line, kind);
                    const sorted = [...seen].sort((a, b) => a - b);
                    assert.deepStrictEqual(
                        seen,
                        sorted,
                        `${script} --help names ${kind}'s sources out of order: ${line}`,
                    );
                }
            }
        });
    }

    it("the doctor takes the region from aws:region before AWS_REGION, as pulumi up does", () => {
        assert.strictEqual(
            resolveRegion({ config: "eu-west-1", env: { AWS_REGION: "us-west-2" } })?.region,
            "eu-west-1",
        );
    });
});
