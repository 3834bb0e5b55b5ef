/**
 * `npm run emulator`: the local Cloudglue emulator on a fixed port, its state in a JSON file.
 * `npm run emulator -- web-connector ...` does against a running emulator what a person does in
 * Cloudglue's web app, and prints the new id. `--help` prints the usage of both.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { parseArgs } from "util";
import { apiUrlProblem, stripControl } from "../components/cloudglueApi";
import { accessModelFromPolicy, CloudglueEmulator, WEB_APP_CONNECTOR_PATH } from "./cloudglueEmulator";

export const DEVELOPMENT_KEY = "cg-emulator-local-development-key";

export const USAGE = `usage: npm run emulator -- [options]
       npm run emulator -- web-connector --role-arn <arn> [--external-id <id>] [--bucket <name> ...] [--url <url>]

Serves Cloudglue's published data-connector API on 127.0.0.1, for development and tests. It accepts
the development key ${DEVELOPMENT_KEY}, and the key in CLOUDGLUE_API_KEY if set.
It stops on Ctrl-C (SIGINT), on SIGTERM, and when the command that started it (npm) ends.

Options:
  --port <n>              where it listens (default 8787)
  --state <file>          keep its state in this file (default .emulator-state.json)
  --memory                keep no state file
  --propagation-ms <n>    answer 502 for n ms after a role or external ID change (default 0)
  --registration-api      also serve this project's registration endpoints (cloudglue:registration api)
  --access-policy <file>  judge listings by this inline policy document (JSON), as S3 would;
                          without it every listing is allowed
  --help                  print this text

web-connector: the web app's "AWS S3" card against a running emulator (default --url
http://127.0.0.1:8787): makes an S3 connector from a role ARN and an external ID, prints its id.
The external ID comes from CLOUDGLUE_EXTERNAL_ID (a command line is visible to every user of the
machine; keep a real one out of it) or, for a made-up one, from --external-id. The URL must be
https, or http on loopback, as for the API client.
Exit codes: 0 ok, 1 an error, 2 a usage error.`;

class UsageError extends Error {}

/** The keys the emulator accepts: the development key always, and the one in CLOUDGLUE_API_KEY. */
export function acceptedKeys(env: Record<string, string | undefined>): string[] {
    return [...new Set([DEVELOPMENT_KEY, env.CLOUDGLUE_API_KEY].filter((k): k is string => !!k))];
}

/** parseArgs, with its refusals as usage errors (exit 2). */
function parse<T>(read: () => T): T {
    try {
        return read();
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

const HELP = { help: { type: "boolean", default: false } } as const;

/** Who holds a port, as one hint: lsof's answer where it is installed, else the commands that tell. */
function whoHolds(port: number): string {
    const lsof = spawnSync("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fp"], { encoding: "utf8" });
    const pid = /^p(\d+)$/m.exec(lsof.stdout ?? "")?.[1];
    if (pid) {
        const command = spawnSync("ps", ["-o", "args=", "-p", pid], { encoding: "utf8" }).stdout?.trim() ?? "";
        const shown = command.length > 60 ? `${command.slice(0, 57)}...` : command || "unknown";
        return `process ${pid} (${shown}) holds it: stop it with kill ${pid}, or use --port <another>`;
    }
    return `find what holds it with lsof -i :${port} (or ss -ltnp on Linux), stop it, or use --port <another>`;
}

async function serve(args: string[]): Promise<void> {
    const { values } = parse(() =>
        parseArgs({
            args,
            options: {
                ...HELP,
                port: { type: "string", default: "8787" },
                state: { type: "string", default: ".emulator-state.json" },
                memory: { type: "boolean", default: false },
                "propagation-ms": { type: "string", default: "0" },
                "registration-api": { type: "boolean", default: false },
                "access-policy": { type: "string" },
            },
        }),
    );
    if (values.help) {
        console.log(USAGE);
        return;
    }
    const port = Number(values.port);
    if (!/^\d+$/.test(String(values.port)) || port > 65535) {
        throw new UsageError(`--port ${JSON.stringify(values.port)} is not a port number (0 to 65535)`);
    }
    const emulator = new CloudglueEmulator({
        apiKeys: acceptedKeys(process.env),
        stateFile: values.memory ? undefined : String(values.state),
        port,
        printLog: true,
        registrationApi: Boolean(values["registration-api"]),
    });
    emulator.propagationWindowMs = Number(values["propagation-ms"]);
    if (values["access-policy"]) {
        emulator.access = accessModelFromPolicy(JSON.parse(fs.readFileSync(String(values["access-policy"]), "utf8")));
    }
    try {
        await emulator.start();
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
            throw new Error(`Port ${port} on 127.0.0.1 is already in use: ${whoHolds(port)}.`, { cause: error });
        }
        throw error;
    }
    let stopping = false;
    const stop = (why: string) => {
        if (stopping) {
            return;
        }
        stopping = true;
        console.log(`Cloudglue emulator stopped (${why}).`);
        void emulator.stop().then(() => process.exit(0));
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    // `npm run emulator &` then `kill %1` ends npm, not always this process (npm forwards the signal
    // only under job control); a changed parent means whoever started it is gone.
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && stop("the command that started it ended"), 500).unref();
    // Handlers first: whoever reads the line below may signal at once.
    const api = values["registration-api"] ? "published API + registration endpoints" : "published API";
    console.log(`Cloudglue emulator on ${emulator.url} (${api}; state: ${values.memory ? "in memory" : values.state})`);
    console.log(`Point the stack at it: pulumi config set cloudglue:apiUrl ${emulator.url}`);
}

/** The web app's "AWS S3" card, against a running emulator. */
async function webConnector(args: string[]): Promise<void> {
    const { values } = parse(() =>
        parseArgs({
            args,
            options: {
                ...HELP,
                url: { type: "string", default: "http://127.0.0.1:8787" },
                "role-arn": { type: "string" },
                "external-id": { type: "string" },
                bucket: { type: "string", multiple: true },
            },
        }),
    );
    if (values.help) {
        console.log(USAGE);
        return;
    }
    const externalId = process.env.CLOUDGLUE_EXTERNAL_ID || values["external-id"];
    if (!values["role-arn"] || !externalId) {
        throw new UsageError(
            "web-connector needs --role-arn ARN and the external ID in CLOUDGLUE_EXTERNAL_ID (or --external-id ID)",
        );
    }
    const urlProblem = apiUrlProblem(String(values.url));
    if (urlProblem) {
        throw new UsageError(`--url: ${urlProblem}`);
    }
    const response = await fetch(`${String(values.url).replace(/\/+$/, "")}${WEB_APP_CONNECTOR_PATH}`, {
        method: "POST",
        // The body holds the external ID: it goes to the URL given, and nowhere a redirect points.
        redirect: "manual",
        headers: {
            Authorization: `Bearer ${process.env.CLOUDGLUE_API_KEY || DEVELOPMENT_KEY}`,
            "Content-Type": "application/json",
        },
        body: JSON.stringify({
            role_arn: values["role-arn"],
            external_id: externalId,
            ...(values.bucket ? { buckets: values.bucket } : {}),
        }),
    });
    const text = await readAtMost(response, 64 * 1024);
    let answer: { id?: unknown; error?: unknown } = {};
    try {
        answer = JSON.parse(text);
    } catch {
        // Reported below with the status.
    }
    if (response.status !== 201 || typeof answer.id !== "string") {
        const said = typeof answer.error === "string" ? answer.error : text;
        const shown = stripControl(said.split(externalId).join("[redacted]")).slice(0, 300);
        throw new Error(`the emulator's web app refused: ${response.status} ${shown}`);
    }
    console.log(`Created S3 connector ${answer.id}`);
    console.log(`Next: pulumi config set cloudglue:connectorId ${answer.id}`);
}

/** The answer's text, up to `limit` bytes; a longer one is cut there and its reading stopped. */
async function readAtMost(response: Response, limit: number): Promise<string> {
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (reader && size < limit) {
        const { done, value } = await reader.read();
        if (done) {
            break;
        }
        chunks.push(value);
        size += value.length;
    }
    await reader?.cancel().catch(() => undefined);
    return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

if (require.main === module) {
    const [command, ...rest] = process.argv.slice(2);
    const run = command === "web-connector" ? webConnector(rest) : serve(process.argv.slice(2));
    run.catch((error) => {
        if (error instanceof UsageError) {
            console.error(`${error.message}\n\n${USAGE}`);
            process.exit(2);
        }
        console.error(error instanceof Error ? error.message : error);
        process.exit(1);
    });
}
