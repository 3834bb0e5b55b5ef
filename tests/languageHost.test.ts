import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadProgramAsHost, pulumiTsconfig } from "../scripts/lib/languageHost";
import { PROJECT_ROOT } from "../scripts/lib/programRun";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsutils = require("@pulumi/pulumi/tsutils") as {
    loadTypeScriptCompilerOptions(file: string): Record<string, unknown>;
};

describe("the Node that runs the tests", () => {
    it("is the project's own Node 24 from node_modules when npm runs them, whatever Node the machine has", function () {
        if (process.env.npm_lifecycle_event === undefined) {
            this.skip(); // mocha started by hand runs on whatever node started it
        }
        const pinned = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "node_modules/node/package.json"), "utf8"));
        assert.strictEqual(process.version, `v${pinned.version}`);
        assert.strictEqual(process.versions.node.split(".")[0], "24");
    });
});

describe("how Pulumi's Node.js host loads the program", () => {
    it("Pulumi.yaml points the host at tsconfig.pulumi.json", () => {
        assert.strictEqual(pulumiTsconfig(), "tsconfig.pulumi.json");
    });

    it("the host reads noCheck and commonjs from that file itself (it does not follow extends)", () => {
        const options = tsutils.loadTypeScriptCompilerOptions(path.join(PROJECT_ROOT, "tsconfig.pulumi.json"));
        assert.strictEqual(options.noCheck, true);
        assert.strictEqual(options.module, "commonjs");
        assert.strictEqual(options.moduleResolution, "node");
    });

    it("loads index.ts transpile-only and finds the program function", function () {
        this.timeout(60_000);
        const load = loadProgramAsHost("tsconfig.pulumi.json");
        assert.strictEqual(load.transpileOnly, true);
        assert.strictEqual(load.exportType, "function");
    });

    it("npm test type-checks with tsconfig.json, which keeps the check on", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).scripts;
        assert.match(scripts.test, /npm run typecheck/);
        assert.strictEqual(scripts.typecheck, "tsc --noEmit");
        const options = tsutils.loadTypeScriptCompilerOptions(path.join(PROJECT_ROOT, "tsconfig.json"));
        assert.notStrictEqual(options.noCheck, true);
    });
});
