import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { SETTING_DEFAULTS, SETTING_KEYS } from "../components/settings";
import { PROJECT, PROJECT_ROOT } from "../scripts/lib/programRun";
import { projectConfigErrors, stackConfigErrors } from "./helpers/pulumiProjectRules";

interface ProjectFile {
    name: string;
    runtime: { name: string } | string;
    config: Record<string, { default?: unknown }>;
}

const readYaml = (file: string) => parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8"));
const project = readYaml("Pulumi.yaml") as ProjectFile;
const stackFiles = fs.readdirSync(PROJECT_ROOT).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));

describe("Pulumi.yaml and the stack files, by the CLI's rules", () => {
    it("is the nodejs project 'cloudglue', so that the cloudglue: keys are its own", () => {
        assert.strictEqual(project.name, PROJECT);
        assert.strictEqual(typeof project.runtime === "string" ? project.runtime : project.runtime.name, "nodejs");
    });

    it("declares its config the way the CLI accepts", () => {
        assert.deepStrictEqual(projectConfigErrors(project.name, project.config), []);
    });

    it("the rules catch what the CLI refuses (a type on aws:region)", () => {
        assert.deepStrictEqual(
            projectConfigErrors("cloudglue", { "aws:region": { type: "string", value: "us-east-1" } }),
            ["Configuration key 'aws:region' is not namespaced by the project and should not define a type"],
        );
        assert.match(
            projectConfigErrors("cloudglue", { "cloudglue:x": { type: "array", default: [] } }).join("\n"),
            /declares an array but does not specify the underlying type/,
        );
    });

    it("declares only settings the program reads, with the program's own defaults", () => {
        for (const [key, declaration] of Object.entries(project.config)) {
            const name = key.replace(/^cloudglue:/, "") as (typeof SETTING_KEYS)[number];
            assert.ok(SETTING_KEYS.includes(name), `${key} is declared but the program does not read it`);
            const programDefault = (SETTING_DEFAULTS as Record<string, unknown>)[name];
            assert.deepStrictEqual(declaration.default, programDefault, `${key}: Pulumi.yaml and the program disagree`);
        }
    });

    it("gives cloudglue:apiUrl no project default, which the CLI would always set over CLOUDGLUE_API_URL", () => {
        assert.strictEqual(project.config["cloudglue:apiUrl"], undefined);
    });

    it("requires cloudglue:buckets, and nothing the program treats as optional", () => {
        const required = Object.entries(project.config)
            .filter(([, d]) => d.default === undefined)
            .map(([k]) => k);
        assert.deepStrictEqual(required, ["cloudglue:buckets"]);
    });

    for (const file of stackFiles) {
        it(`${file} loads with the project's declarations`, () => {
            const stack = file.split(".")[1];
            const stackConfig = (readYaml(file) as { config: Record<string, unknown> }).config;
            assert.deepStrictEqual(stackConfigErrors(project.name, stack, project.config, stackConfig), []);
        });
    }
});
