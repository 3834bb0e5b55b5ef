/** The project's own scripts and the program's refusals, as a user meets them. */
import * as assert from "assert";
import { spawn } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { withActiveMutant } from "../../scripts/lib/childEnv";
import { attemptProgram, PROJECT_ROOT, RunOptions } from "../../scripts/lib/programRun";

export interface ScriptResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a TypeScript script of the project as npm's scripts do (ts-node), from the project root. */
export function runScript(
    script: string,
    args: string[] = [],
    env: Record<string, string> = {},
): Promise<ScriptResult> {
    const child = spawn(process.execPath, ["--require", "ts-node/register/transpile-only", script, ...args], {
        cwd: PROJECT_ROOT,
        env: withActiveMutant({ ...process.env, ...env }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** The access-check script as the stack's Command runs it: same command line, settings in the environment. */
export function runAccessCheck(env: Record<string, string>): Promise<ScriptResult> {
    return runScript("scripts/verify-access.ts", [], env);
}

/**
 * Runs the program, expects it to stop with a RunError (shown without a stack trace) before it
 * registers anything, and returns the message.
 */
export async function expectRefusal(options: RunOptions): Promise<string> {
    const attempt = await attemptProgram(options);
    assert.ok(attempt.error !== undefined, "the program should have refused the config");
    assert.ok(
        pulumi.RunError.isInstance(attempt.error),
        `expected a RunError (shown without a stack trace), got ${attempt.error}`,
    );
    assert.deepStrictEqual(
        attempt.resources.map((r) => r.type),
        [],
        "a refused config must register nothing",
    );
    return (attempt.error as Error).message;
}
