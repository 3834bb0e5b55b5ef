import { spawn } from "child_process";
import { PROJECT_ROOT } from "../../scripts/lib/programRun";

/** The access-check script as the stack's Command runs it: same command line, settings in the environment. */
export function runAccessCheck(
    env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(
        process.execPath,
        ["--require", "ts-node/register/transpile-only", "scripts/verify-access.ts"],
        {
            cwd: PROJECT_ROOT,
            env: { ...process.env, ...env },
        },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
