/**
 * Real Pulumi CLI runs for the engine tests: each workspace is a copy of the project in a
 * temporary folder, logged in to a file backend there, with the passphrase secrets provider, a
 * PULUMI_HOME of its own, and AWS pointed at moto through AWS_ENDPOINT_URL. The CLI is the one on
 * PATH where there is one, else the one scripts/build-engine.sh built into .engine/bin.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../../scripts/lib/programRun";
import { findOnPath } from "../../helpers/machine";
import { skipOrFail } from "../../helpers/moto";

const BUILT_BIN = path.join(PROJECT_ROOT, ".engine", "bin");
const AWS_STAND_IN = path.join(PROJECT_ROOT, ".engine", "aws");
export const PASSPHRASE = "engine-tests-passphrase";
const ENGINE_HINT = "no Pulumi CLI: `npm run test:engine` builds one into .engine/bin (scripts/build-engine.sh)";

/** Every file of the project a deploy needs: what git tracks, less the tests and maintainers' files. */
function projectFiles(): string[] {
    const listed = spawnSync("git", ["ls-files", "-z"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (listed.status !== 0) {
        throw new Error(`git ls-files failed: ${listed.stderr}`);
    }
    return listed.stdout
        .split("\0")
        .filter((file) => file && !/^(tests|docs|engine|\.ci)\//.test(file))
        .filter((file) => fs.existsSync(path.join(PROJECT_ROOT, file)));
}

function userPulumi(): string | undefined {
    return findOnPath("pulumi", BUILT_BIN);
}

/** The PATH of a run: the AWS stand-in first, then a user's own CLI, or the one built here. */
export function enginePath(): string {
    const dirs = [AWS_STAND_IN];
    if (!userPulumi()) {
        dirs.push(BUILT_BIN);
    }
    // The program, the dynamic provider and the access check run on the project's Node 24.
    dirs.push(path.join(PROJECT_ROOT, "node_modules", ".bin"), process.env.PATH ?? "");
    return dirs.join(path.delimiter);
}

/** Skips (or under CI=true fails) the calling suite when there is no engine to run. */
export function requireEngine(context: Mocha.Context): void {
    if (!fs.existsSync(path.join(AWS_STAND_IN, "pulumi-resource-aws"))) {
        skipOrFail(context, ENGINE_HINT);
    }
    if (!userPulumi() && !fs.existsSync(path.join(BUILT_BIN, "pulumi"))) {
        skipOrFail(context, ENGINE_HINT);
    }
}

export interface CommandResult {
    code: number | null;
    stdout: string;
    stderr: string;
    /** stdout and stderr as the person at the terminal sees them. */
    output: string;
}

export interface WorkspaceOptions {
    motoEndpoint: string;
    /** CLOUDGLUE_API_URL for every run: the emulator's URL. */
    apiUrl?: string;
    /** More environment for every run. */
    env?: Record<string, string>;
    /**
     * Share the project's installed node_modules (a symlink), as most cases do to save a minute;
     * false leaves the copy without one, for a case that runs `npm ci` itself.
     */
    linkNodeModules?: boolean;
}

export class EngineWorkspace {
    private constructor(
        /** The temporary folder: project/ (the copy), state/ (the backend), home/ (PULUMI_HOME). */
        readonly root: string,
        readonly dir: string,
        readonly env: Record<string, string>,
    ) {}

    static async create(options: WorkspaceOptions): Promise<EngineWorkspace> {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "engine-"));
        const dir = path.join(root, "project");
        for (const file of projectFiles()) {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
        }
        if (options.linkNodeModules ?? true) {
            fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
        }
        fs.mkdirSync(path.join(root, "state"));
        const env: Record<string, string> = {
            PATH: enginePath(),
            PULUMI_HOME: path.join(root, "home"),
            PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            AWS_ENDPOINT_URL: options.motoEndpoint,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            ...(options.apiUrl ? { CLOUDGLUE_API_URL: options.apiUrl } : {}),
            ...options.env,
        };
        const workspace = new EngineWorkspace(root, dir, env);
        await workspace.expectOk(["login", `file://${path.join(root, "state")}`]);
        return workspace;
    }

    /** Runs `pulumi <args>` in the project copy, non-interactive and without colour. */
    pulumi(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
        return this.spawn("pulumi", [...args, "--non-interactive", "--color", "never"], env);
    }

    /** Runs `pulumi <args>` and fails the test, with the output, unless it exits 0. */
    async expectOk(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
        const result = await this.pulumi(args, env);
        if (result.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.output}`);
        }
        return result;
    }

    /** Runs one line of shell (a README command, as written) in the project copy. */
    sh(line: string, env: Record<string, string> = {}): Promise<CommandResult> {
        return this.spawn("bash", ["-euo", "pipefail", "-c", line], env);
    }

    /** `pulumi stack export` of a stack, parsed. */
    async exportStack(stack: string): Promise<{ text: string; deployment: StackDeployment }> {
        const result = await this.expectOk(["stack", "export", "--stack", stack]);
        return { text: result.stdout, deployment: JSON.parse(result.stdout).deployment };
    }

    /** The URNs of the stack's resources, by type. */
    async resources(stack: string): Promise<Map<string, string[]>> {
        const { deployment } = await this.exportStack(stack);
        const byType = new Map<string, string[]>();
        for (const resource of deployment.resources ?? []) {
            byType.set(resource.type, [...(byType.get(resource.type) ?? []), resource.urn]);
        }
        return byType;
    }

    remove(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }

    private spawn(command: string, args: string[], env: Record<string, string>): Promise<CommandResult> {
        const child = spawn(command, args, {
            cwd: this.dir,
            env: { ...process.env, ...this.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        let output = "";
        child.stdout.on("data", (chunk) => ((stdout += chunk), (output += chunk)));
        child.stderr.on("data", (chunk) => ((stderr += chunk), (output += chunk)));
        return new Promise((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (code) => resolve({ code, stdout, stderr, output }));
        });
    }
}

export interface StackResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export interface StackDeployment {
    resources?: StackResource[];
}
