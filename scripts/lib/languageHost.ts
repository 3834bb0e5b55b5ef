/**
 * How Pulumi's Node.js language host loads this program: `@pulumi/pulumi/cmd/run` reads the
 * tsconfig that Pulumi.yaml names (`runtime.options.tsconfig`), takes `compilerOptions.noCheck`
 * as ts-node's `transpileOnly`, and registers ts-node with its defaults under the file's own
 * compilerOptions. This mirrors that code (cmd/run/run.js in @pulumi/pulumi 3.276) with the
 * SDK's own reader of the tsconfig, so that a test and the benchmark load the program as
 * `pulumi preview` and `pulumi up` do.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { withActiveMutant } from "./childEnv";
import { PROJECT_ROOT } from "./programRun";

/** The tsconfig Pulumi.yaml tells the host to use; tsconfig.json when it names none. */
export function pulumiTsconfig(): string {
    const project = parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
        runtime: string | { options?: { tsconfig?: string } };
    };
    return (typeof project.runtime === "object" && project.runtime.options?.tsconfig) || "tsconfig.json";
}

export interface ProgramLoad {
    transpileOnly: boolean;
    /** What the loaded module exports: Pulumi runs it when it is a function. */
    exportType: string;
    wallMs: number;
    cpuMs: number;
}

/**
 * Loads index.ts in a fresh Node process, ts-node registered as the host registers it for
 * `tsconfig`, and measures the load (wall and CPU time), not the program's run.
 */
export function loadProgramAsHost(tsconfig: string): ProgramLoad {
    const source = `
        const started = process.hrtime.bigint();
        const cpu = process.cpuUsage();
        const tsutils = require("@pulumi/pulumi/tsutils");
        const compilerOptions = tsutils.loadTypeScriptCompilerOptions(${JSON.stringify(tsconfig)});
        const transpileOnly = process.env.PULUMI_NODEJS_TRANSPILE_ONLY
            ? process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true"
            : compilerOptions.noCheck;
        const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
        require(tsnodeRequire).register({
            compiler: typescriptRequire,
            transpileOnly,
            project: ${JSON.stringify(tsconfig)},
            skipProject: false,
            compilerOptions: {
                target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true",
                ...compilerOptions,
            },
        });
        const program = require("./index.ts");
        const used = process.cpuUsage(cpu);
        console.log(JSON.stringify({
            transpileOnly: Boolean(transpileOnly),
            exportType: typeof program,
            wallMs: Number(process.hrtime.bigint() - started) / 1e6,
            cpuMs: (used.user + used.system) / 1000,
        }));`;
    const env = { ...process.env };
    delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
    delete env.TS_NODE_TRANSPILE_ONLY;
    const child = spawnSync(process.execPath, ["-e", source], {
        cwd: PROJECT_ROOT,
        env: withActiveMutant(env),
        encoding: "utf8",
    });
    if (child.status !== 0) {
        throw new Error(`loading index.ts with ${tsconfig} failed:\n${child.stderr}`);
    }
    return JSON.parse(child.stdout.trim().split("\n").pop() as string) as ProgramLoad;
}
