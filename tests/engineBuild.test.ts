/**
 * What the engine tests are built from, checked offline: the CLI at the release of the SDK the
 * program runs on, and every plugin either built from a module of engine/ or a stand-in of ours
 * that says so.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../scripts/lib/programRun";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const lock = JSON.parse(read("package-lock.json"));
const lockedVersion = (name: string): string => lock.packages[`node_modules/${name}`].version;

describe("the engine the engine tests build", () => {
    it("builds the Pulumi CLI at the release of the @pulumi/pulumi in package-lock.json", () => {
        const release = `v${lockedVersion("@pulumi/pulumi")}`;
        const goMod = read("engine/go.mod");
        assert.match(goMod, /^tool github\.com\/pulumi\/pulumi\/pkg\/v3\/cmd\/pulumi$/m);
        assert.ok(goMod.includes(`github.com/pulumi/pulumi/pkg/v3 ${release}`), `engine/go.mod: pkg/v3 at ${release}`);
        assert.ok(goMod.includes(`github.com/pulumi/pulumi/sdk/v3 ${release}`), `engine/go.mod: sdk/v3 at ${release}`);
    });

    it("repeats pkg's non-local replace, which only the main module's go.mod can apply", () => {
        assert.match(
            read("engine/go.mod"),
            /^replace github\.com\/atotto\/clipboard => github\.com\/tgummerer\/clipboard v0\.0\.0-20241001131231-d02d263e614e$/m,
        );
    });

    it("each stand-in provider reports the version of the npm package that asks for it", () => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const reported = {
            "@pulumi/aws": require("../engine/providers/aws").AWS_VERSION,
            "@pulumi/command": require("../engine/providers/command").commandProvider().version,
            "@pulumi/random": require("../engine/providers/random").randomProvider().version,
        };
        /* eslint-enable @typescript-eslint/no-require-imports */
        assert.deepStrictEqual(reported, {
            "@pulumi/aws": lockedVersion("@pulumi/aws"),
            "@pulumi/command": lockedVersion("@pulumi/command"),
            "@pulumi/random": lockedVersion("@pulumi/random"),
        });
    });

    it("keeps .engine/ out of git", () => {
        assert.match(read(".gitignore"), /^\.engine\/$/m);
    });
});
