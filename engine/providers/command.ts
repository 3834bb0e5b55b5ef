/**
 * A stand-in for the pulumi-command provider plugin (pulumi-resource-command), which the Go module
 * proxy does not serve here. It serves command:local:Command as far as this project uses it, after
 * pulumi-command 1.2.1 (provider/pkg/provider/local): the command runs with `/bin/sh -c` (or the
 * interpreter given) in `dir`, else in the plugin's working directory, which is the program's
 * (the engine starts plugins there); with the plugin's environment plus `environment`; its output
 * is logged line by line to the engine unless `logging` says otherwise; a non-zero exit fails the
 * step with the output in the error. A change of `triggers` replaces the resource (the create
 * command runs again); a change of any other input is an update, which runs `update`, else
 * `create`. `delete` runs on delete. Any other token is refused.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as provider from "@pulumi/pulumi/provider";
import {
    containsUnknown,
    diffInputs,
    engineLog,
    nameOfUrn,
    Props,
    ResourceLog,
    revealProps,
    serve,
    standInProvider,
} from "./launch";

/** The @pulumi/command this project installs: the engine asks the plugin for that version. */
export const COMMAND_VERSION = "1.2.1";
export const LOCAL_COMMAND = "command:local:Command";

/** The outputs that are not inputs: the diff leaves them out. */
const OUTPUTS_ONLY = ["stdout", "stderr", "assets", "archive"];
/** Inputs of the real resource this stand-in does not imitate; refused rather than ignored. */
const NOT_SERVED = ["assetPaths", "archivePaths"];
const LOGGING = ["stdout", "stderr", "stdoutAndStderr", "none"];

export interface CommandOutput {
    stdout: string;
    stderr: string;
}

const NO_OUTPUT: CommandOutput = { stdout: "", stderr: "" };

/** Everything a run needs, decided before anything starts. */
export interface CommandRun {
    command: string;
    argv: string[];
    dir: string;
    env: NodeJS.ProcessEnv;
    stdin?: string;
    logStdout: boolean;
    logStderr: boolean;
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * How pulumi-command runs a command for these (revealed) inputs: the interpreter, the directory,
 * the environment with the previous output as PULUMI_COMMAND_STDOUT/STDERR, what it logs.
 */
export function commandRun(
    command: string,
    inputs: Props,
    previous: CommandOutput,
    cwd: string,
    baseEnv: NodeJS.ProcessEnv,
): CommandRun {
    const interpreter = Array.isArray(inputs.interpreter) && inputs.interpreter.length > 0 ? inputs.interpreter : [];
    const environment = (inputs.environment ?? {}) as Record<string, string>;
    const addPrevious = inputs.addPreviousOutputInEnv !== false;
    const logging = text(inputs.logging) ?? "stdoutAndStderr";
    return {
        command,
        argv: [...(interpreter.length > 0 ? interpreter.map(String) : ["/bin/sh", "-c"]), command],
        dir: text(inputs.dir) ?? cwd,
        env: {
            ...baseEnv,
            ...environment,
            ...(addPrevious && previous.stdout ? { PULUMI_COMMAND_STDOUT: previous.stdout } : {}),
            ...(addPrevious && previous.stderr ? { PULUMI_COMMAND_STDERR: previous.stderr } : {}),
        },
        stdin: text(inputs.stdin) || undefined,
        logStdout: logging === "stdout" || logging === "stdoutAndStderr",
        logStderr: logging === "stderr" || logging === "stdoutAndStderr",
    };
}

/** The error of a failed run, worded as Go's exec error in pulumi-command's: `exit status 1: running "…":\n…`. */
export function commandFailure(reason: string, command: string, output: string): Error {
    return new Error(`${reason}: running ${JSON.stringify(command)}:\n${output}`);
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    const signals: Partial<Record<NodeJS.Signals, string>> = {
        SIGKILL: "killed",
        SIGTERM: "terminated",
        SIGINT: "interrupt",
        SIGHUP: "hangup",
    };
    return signal ? `signal: ${signals[signal] ?? signal}` : `exit status ${code}`;
}

/** Splits a stream into lines for the log; the last line, if unterminated, when the stream ends. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
    let pending = "";
    return {
        push(chunk) {
            const lines = (pending + chunk).split("\n");
            pending = lines.pop() ?? "";
            lines.forEach((line) => onLine(line.replace(/\r$/, "")));
        },
        end() {
            if (pending) {
                onLine(pending.replace(/\r$/, ""));
            }
            pending = "";
        },
    };
}

/** Runs the command; resolves with its output (one trailing newline trimmed), rejects on a non-zero exit. */
export function execute(run: CommandRun, logLine: (line: string) => void): Promise<CommandOutput> {
    // Go's exec checks the directory before it starts anything; spawn would blame the interpreter instead.
    if (!fs.existsSync(run.dir) || !fs.statSync(run.dir).isDirectory()) {
        return Promise.reject(commandFailure(`chdir ${run.dir}: no such file or directory`, run.command, ""));
    }
    return new Promise((resolve, reject) => {
        let child: ChildProcess;
        try {
            child = spawn(run.argv[0], run.argv.slice(1), {
                cwd: run.dir,
                env: run.env,
                stdio: [run.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
            });
        } catch (error) {
            reject(commandFailure(error instanceof Error ? error.message : String(error), run.command, ""));
            return;
        }
        let stdout = "";
        let stderr = "";
        // Both streams in the order they came, for the error message, as the real provider keeps them.
        let combined = "";
        const outLines = lineSplitter(logLine);
        const errLines = lineSplitter(logLine);
        child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
            stdout += chunk;
            combined += chunk;
            if (run.logStdout) {
                outLines.push(chunk);
            }
        });
        child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
            stderr += chunk;
            combined += chunk;
            if (run.logStderr) {
                errLines.push(chunk);
            }
        });
        if (run.stdin !== undefined) {
            child.stdin?.end(run.stdin);
        }
        child.on("error", (error) => reject(commandFailure(error.message, run.command, combined)));
        child.on("close", (code, signal) => {
            outLines.end();
            errLines.end();
            if (code === 0) {
                resolve({ stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") });
            } else {
                reject(commandFailure(exitReason(code, signal), run.command, combined));
            }
        });
    });
}

/** What the real resource would reject or this stand-in does not do; names only, never values. */
export function commandProblems(news: Props): provider.CheckFailure[] {
    const problems: provider.CheckFailure[] = [];
    for (const key of NOT_SERVED) {
        if (news[key] !== undefined) {
            problems.push({
                property: key,
                reason: `${key} is not served by the command stand-in (engine/providers/command.ts)`,
            });
        }
    }
    const logging = news.logging;
    if (logging !== undefined && !containsUnknown(logging) && !LOGGING.includes(logging as string)) {
        problems.push({ property: "logging", reason: `logging must be one of ${LOGGING.join(", ")}` });
    }
    const environment = news.environment;
    if (environment !== undefined && !containsUnknown(environment)) {
        if (typeof environment !== "object" || environment === null || Array.isArray(environment)) {
            problems.push({ property: "environment", reason: "environment must be a map of strings" });
        } else {
            for (const [name, value] of Object.entries(environment)) {
                if (typeof value !== "string" && !containsUnknown(value)) {
                    // The value stays out of the message: the environment holds the API key.
                    problems.push({ property: `environment.${name}`, reason: `environment.${name} must be a string` });
                }
            }
        }
    }
    return problems;
}

export interface CommandProviderOptions {
    /** Where the output lines go; the engine's log in the plugin. */
    log?: ResourceLog;
    /** The directory without `dir`: the plugin's working directory, as the real provider's os.Getwd(). */
    cwd?: () => string;
    /** The environment the command's adds to: the plugin's, as the real provider's os.Environ(). */
    env?: () => NodeJS.ProcessEnv;
}

export function commandProvider(options: CommandProviderOptions = {}): provider.Provider {
    const log = options.log ?? engineLog(undefined);
    const cwd = options.cwd ?? (() => process.cwd());
    const env = options.env ?? (() => process.env);

    /** Runs the command if there is one; else the previous output stands. */
    async function runIfAny(
        urn: string,
        step: string,
        command: unknown,
        inputs: Props,
        previous: CommandOutput,
    ): Promise<CommandOutput> {
        if (command === undefined || command === null || command === "") {
            return previous;
        }
        // The engine never asks a provider without preview support to create or update in a preview;
        // should it ever, an unknown input is where this stops rather than run the command half-known.
        if (containsUnknown(inputs)) {
            throw new Error(`${LOCAL_COMMAND} ${nameOfUrn(urn)}: the inputs of ${step} are not all known; not run`);
        }
        const run = commandRun(String(command), inputs, previous, cwd(), env());
        try {
            return await execute(run, (line) => log.write(urn, line));
        } finally {
            await log.flush();
        }
    }

    const previousOf = (state: Props): CommandOutput => ({
        stdout: text(state.stdout) ?? "",
        stderr: text(state.stderr) ?? "",
    });

    return standInProvider({
        replaces: "pulumi-command",
        file: "engine/providers/command.ts",
        version: COMMAND_VERSION,
        types: {
            [LOCAL_COMMAND]: {
                async check(_urn, _olds, news) {
                    return { inputs: news, failures: commandProblems(revealProps(news)) };
                },
                async diff(_id, _urn, olds, news) {
                    return diffInputs(olds, news, { outputsOnly: OUTPUTS_ONLY, replaces: (key) => key === "triggers" });
                },
                async create(urn, news) {
                    const inputs = revealProps(news);
                    const output = await runIfAny(urn, "create", inputs.create, inputs, NO_OUTPUT);
                    // As pulumi-command: the name and 8 hex digits. Outputs repeat the inputs as sent, secrets kept.
                    return { id: `${nameOfUrn(urn)}${randomBytes(4).toString("hex")}`, outs: { ...news, ...output } };
                },
                async update(_id, urn, olds, news) {
                    const inputs = revealProps(news);
                    const previous = previousOf(revealProps(olds));
                    const output = await runIfAny(urn, "update", inputs.update ?? inputs.create, inputs, previous);
                    return { outs: { ...news, ...output } };
                },
                async delete(_id, urn, props) {
                    const state = revealProps(props);
                    await runIfAny(urn, "delete", state.delete, state, previousOf(state));
                },
            },
        },
    });
}

if (require.main === module) {
    serve((log) => commandProvider({ log }), process.argv.slice(2));
}
