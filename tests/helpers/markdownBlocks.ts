/**
 * The fenced blocks of the README and of docs/*.md, with the mark that says who runs each
 * command block, and a way to run a block as the tests do: `bash -e -o pipefail` in the project.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { PROJECT_ROOT } from "../../scripts/lib/programRun";

/** What may stand before a command block, and what each means. */
export const MARKS = {
    /** tests/readme.test.ts runs the README's blocks so marked. */
    offlineReadme: "<!-- offline: tests/readme.test.ts runs this block with bash -e -->",
    /** tests/docs.test.ts runs the docs' blocks so marked. */
    offlineDocs: "<!-- offline: tests/docs.test.ts runs this block with bash -e -->",
    /** tests/engine/readme.test.ts runs the README's blocks so marked through the real CLI. */
    engine: "<!-- engine: tests/engine/readme.test.ts runs this block through the real CLI -->",
    /** Commands that need a real AWS account, Cloudglue or Pulumi Cloud: no test runs them. */
    realAccount: "<!-- needs a real account (AWS, Cloudglue or Pulumi Cloud): not run by the tests -->",
    /** The set-up and test commands of .ci/run, held to it line by line. */
    ci: "<!-- ci: .ci/run runs these commands, and tests/docs.test.ts holds them to it -->",
} as const;

export type Mark = keyof typeof MARKS;

export interface Block {
    /** The fence's info string: `sh`, `text`, `json`, or "" */
    info: string;
    body: string;
    /** The line of the file it starts on (1-based), for messages. */
    line: number;
    /** The mark on the last non-blank line before the fence, if it is one of MARKS. */
    mark: Mark | undefined;
}

export function fencedBlocks(text: string): Block[] {
    const blocks: Block[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
        if (!open) {
            continue;
        }
        const start = i;
        const body: string[] = [];
        for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) {
            body.push(lines[i].slice(open[1].length));
        }
        let before = start - 1;
        while (before >= 0 && lines[before].trim() === "") {
            before--;
        }
        const previous = before >= 0 ? lines[before].trim() : "";
        const mark = (Object.keys(MARKS) as Mark[]).find((m) => MARKS[m] === previous);
        blocks.push({ info: open[2], body: body.join("\n"), line: start + 1, mark });
    }
    return blocks;
}

/** A block of what a program printed, pasted as it is; its lines are as long as the program made them. */
export const isPastedOutput = (b: Block) => b.info === "" || b.info === "text";

/** A block of commands for a shell. */
export const isCommands = (b: Block) => ["sh", "bash", "shell", "console", "zsh"].includes(b.info);

export const readProjectFile = (relative: string) => fs.readFileSync(path.join(PROJECT_ROOT, relative), "utf8");

/** README.md and every docs/*.md, by their path in the project. */
export function documents(): Map<string, string> {
    const files = ["README.md", ...fs.readdirSync(path.join(PROJECT_ROOT, "docs")).map((f) => `docs/${f}`)];
    return new Map(files.filter((f) => f.endsWith(".md")).map((f) => [f, readProjectFile(f)]));
}

/** The commands .ci/run runs, as a person would type them. */
export function ciCommands(): string[] {
    return readProjectFile(".ci/run")
        .split("\n")
        .filter((line) => /^(python3 -m pip|npm) /.test(line))
        .map((line) => line.replace(" --quiet", ""));
}

/** A block's commands, one per entry: comments dropped, `a && b` split. */
export function commandsOf(body: string): string[] {
    return body
        .split("\n")
        .map((line) => line.replace(/\s+#.*$/, "").trim())
        .filter((line) => line !== "")
        .flatMap((line) => line.split(" && "));
}

/** GitHub's anchor for a heading. */
export function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

export function runBash(script: string) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, CLOUDGLUE_API_KEY: "", CLOUDGLUE_API_URL: "" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c) => (stdout += c));
        child.stderr.on("data", (c) => (stderr += c));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

export function portFree(port: number) {
    return new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(false)));
        socket.once("error", () => resolve(true));
    });
}

export async function waitForPortFree(port: number, ms = 5000): Promise<boolean> {
    for (let waited = 0; waited < ms; waited += 100) {
        if (await portFree(port)) {
            return true;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    return portFree(port);
}
