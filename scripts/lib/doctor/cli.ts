/**
 * `npm run doctor`: arguments, inputs (stack config file, Pulumi CLI, flags, environment), the
 * diagnosis, and its report. Returns the exit code: 0 nothing failed, 1 a failure, 2 usage.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { resolveApiSource, resolveRegion, sourceRule } from "../../../components/apiSource";
import { displayUrl } from "../../../components/cloudglueApi";
import { ConfigValidationError, ConnectorSettings, parseSettings } from "../../../components/settings";
import { PROJECT_ROOT, readStackFile, SecretPath, secretPathText, shapedStandIn, StackFileError } from "../stackFile";
import { AwsClients } from "./awsClients";
import { diagnose, NOT_CHECKED_IN_TIME } from "./diagnose";
import { shellQuote } from "./documents";
import { DoctorReport, progressLine, renderText, summarize } from "./report";

/** IAM and STS answer in any region; the doctor's last resort when none is set. */
export const DEFAULT_REGION = "us-east-1";

export const USAGE = `usage: npm run doctor -- (--stack <name> | --config-file <Pulumi.<stack>.yaml>) [options]

Diagnoses why Cloudglue cannot read a bucket: compares what the stack intends (its config file and
the documents the program builds) with what is live in AWS (the role, its policies, each bucket,
its bucket policy, encryption and KMS key policy) and in Cloudglue (the connector, a listing of
each bucket and prefix). One row per check; each failure with its cause and the fix.

READ-ONLY: it only reads (IAM Get/List, S3 Get/List, KMS GetKeyPolicy/DescribeKey, STS
GetCallerIdentity, Cloudglue GET); it changes nothing in AWS, in Cloudglue or in the stack.

Options:
  --stack <name>          read Pulumi.<name>.yaml, and the stack's outputs and secrets through the
                          Pulumi CLI where it is installed
  --config-file <file>    read this stack config file instead of Pulumi.<stack>.yaml
  --connector-id <id>     the Cloudglue connector (env CLOUDGLUE_CONNECTOR_ID; else the stack's
                          connectorId output or cloudglue:connectorId)
  --api-url <url>         Cloudglue's API (see below for where it comes from otherwise)
  --region <region>       AWS region for IAM/STS (see below for where it comes from otherwise)
  --aws-endpoint <url>    send every AWS call to this endpoint, e.g. an emulator (env AWS_ENDPOINT_URL)
  --concurrency <n>       buckets checked at once (default 8, 1 to 32)
  --timeout-seconds <n>   the whole run's time, the Pulumi CLI's, AWS's and Cloudglue's calls included
                          (default 120); a check still waiting then fails saying so, the rest are not
                          checked
  --json                  print one JSON report instead of the table
  --help                  print this text
Where the key, the URL and the region come from, the first one set (stack config over the
environment, as pulumi up takes them; components/apiSource.ts):
  ${sourceRule("apiKey")}
  ${sourceRule("apiUrl")}
  ${sourceRule("region", { fallback: DEFAULT_REGION })}
Secrets only from the Pulumi CLI or the environment, never from the command line:
  cloudglue:apiKey        read through the Pulumi CLI with --stack, where it is installed
  CLOUDGLUE_EXTERNAL_ID   the stack's external ID, compared by hash with the trust policy's, never
                          printed (else the stack's externalId output through the Pulumi CLI)
AWS credentials come from the SDK's default chain (AWS_PROFILE, environment, SSO, instance role).
Exit codes: 0 nothing failed, 1 at least one check failed, 2 usage error.`;

export interface DoctorIo {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
    env: Record<string, string | undefined>;
    /** Runs the Pulumi CLI; undefined when it is not installed. Replaced in tests. */
    pulumi?: (args: string[]) => Promise<string | undefined>;
}

/** The Pulumi CLI did not answer before the doctor's deadline, and was stopped. */
export class PulumiCliLateError extends Error {
    constructor(readonly command: string) {
        super(`${command} did not answer before the doctor's time ran out`);
        this.name = "PulumiCliLateError";
    }
}

/**
 * The Pulumi CLI's answer, or undefined when it is not installed; other failures throw. It is
 * stopped after `timeoutMs` (the time left before the doctor's deadline), with PulumiCliLateError.
 */
export function runPulumiCli(args: string[], timeoutMs?: number): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
        // On the timeout execFile kills the CLI and closes its pipes, so a plugin holding them open does not wait on.
        execFile(
            "pulumi",
            args,
            { encoding: "utf8", maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs, killSignal: "SIGKILL" },
            (error, stdout, stderr) => {
                const code = (error as NodeJS.ErrnoException | null)?.code;
                if (code === "ENOENT") {
                    resolve(undefined);
                } else if (error?.killed && code !== "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
                    reject(new PulumiCliLateError(`pulumi ${args.slice(0, 2).join(" ")}`));
                } else if (error) {
                    reject(
                        new Error(
                            `pulumi ${args.slice(0, 2).join(" ")}: ${stderr.trim().split("\n")[0] || error.message}`,
                        ),
                    );
                } else {
                    resolve(stdout);
                }
            },
        );
    });
}

/** A stand-in for secrets in the file, which the doctor cannot decrypt; the real values come from elsewhere. */
const UNREADABLE_SECRET = "doctor-cannot-decrypt";

/** The keys whose values the doctor compares with AWS, and what in AWS it compares each with. */
const COMPARED_WITH_AWS: Record<string, string> = {
    "cloudglue:buckets": "the buckets, prefixes and KMS keys",
    "cloudglue:permissionsBoundaryArn": "the role's permissions boundary",
    "cloudglue:existingPolicyName": "the role's inline policy",
};

/**
 * An encrypted value the doctor would have to compare with AWS: it cannot, and says so, with the
 * trade-off of the one way to let it (storing the value in plain text) rather than advising it.
 */
function encryptedComparedValue(key: string, at: SecretPath): StackFileError {
    const where = `${key}${secretPathText(at)}`;
    const set =
        at.length > 0 ? `pulumi config set --path ${shellQuote(where)} <value>` : `pulumi config set ${key} <value>`;
    return new StackFileError(
        `${where} is encrypted (set with --secret${at.length > 0 ? " --path" : ""}), and the doctor cannot decrypt ` +
            `the stack file, so it cannot compare ${COMPARED_WITH_AWS[key]} with AWS while that value is encrypted. ` +
            "pulumi preview and pulumi up still read it. For the doctor to check this stack, the value must be in plain " +
            `text in the stack file (${set}), where anyone who can read the file sees it: do that only if it need not ` +
            "be secret; otherwise the doctor cannot check this stack.",
    );
}

interface StackInputs {
    /** The CLI took the run's time. */
    late?: boolean;
    connectorId?: string;
    externalId?: string;
    apiKey?: string;
}

async function fromPulumiCli(
    stack: string,
    pulumi: NonNullable<DoctorIo["pulumi"]>,
    notes: string[],
    timeoutSeconds: number,
): Promise<StackInputs> {
    try {
        const outputsText = await pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack]);
        if (outputsText === undefined) {
            notes.push(
                "the Pulumi CLI is not installed, so the stack's outputs and secrets were not read; " +
                    "give them with --connector-id, CLOUDGLUE_EXTERNAL_ID and CLOUDGLUE_API_KEY, " +
                    "or install the CLI (https://www.pulumi.com/docs/install/)",
            );
            return {};
        }
        const outputs = JSON.parse(outputsText || "{}") as Record<string, unknown>;
        const config = JSON.parse(
            (await pulumi(["config", "--json", "--show-secrets", "--stack", stack])) || "{}",
        ) as Record<string, { value?: string }>;
        const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
        return {
            connectorId: text(outputs.connectorId) ?? text(config["cloudglue:connectorId"]?.value),
            externalId: text(outputs.externalId) ?? text(config["cloudglue:externalId"]?.value),
            apiKey: text(config["cloudglue:apiKey"]?.value),
        };
    } catch (error) {
        if (error instanceof PulumiCliLateError) {
            notes.push(
                `the Pulumi CLI did not answer in time: \`${error.command}\` was stopped when the doctor's time ran out ` +
                    `(--timeout-seconds ${timeoutSeconds}), so the stack's outputs and secrets were not read; run again ` +
                    "with a larger --timeout-seconds, or give them with --connector-id, CLOUDGLUE_EXTERNAL_ID and CLOUDGLUE_API_KEY",
            );
            return { late: true };
        }
        notes.push(`the stack's outputs could not be read through the Pulumi CLI (${(error as Error).message})`);
        return {};
    }
}

export async function runDoctor(argv: string[], io: DoctorIo): Promise<number> {
    const started = Date.now();
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                "config-file": { type: "string" },
                "connector-id": { type: "string" },
                "api-url": { type: "string" },
                region: { type: "string" },
                "aws-endpoint": { type: "string" },
                concurrency: { type: "string" },
                "timeout-seconds": { type: "string" },
                json: { type: "boolean", default: false },
                help: { type: "boolean", default: false },
            },
        }));
    } catch (error) {
        io.stderr(`${(error as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        io.stdout(USAGE);
        return 0;
    }
    if (values.stack === undefined && values["config-file"] === undefined) {
        io.stderr(`Give --stack or --config-file.\n\n${USAGE}`);
        return 2;
    }
    const configFile = values["config-file"]
        ? path.resolve(values["config-file"])
        : path.join(PROJECT_ROOT, `Pulumi.${values.stack}.yaml`);
    if (!fs.existsSync(configFile)) {
        io.stderr(`No stack config file ${configFile}.\n\n${USAGE}`);
        return 2;
    }
    const concurrency = Number(values.concurrency ?? 8);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
        io.stderr(
            `--concurrency: ${JSON.stringify(values.concurrency)} is not a whole number from 1 to 32.\n\n${USAGE}`,
        );
        return 2;
    }

    const givenId = values["connector-id"] ?? io.env.CLOUDGLUE_CONNECTOR_ID;
    if (givenId && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(givenId)) {
        io.stderr(
            `--connector-id (or CLOUDGLUE_CONNECTOR_ID): ${JSON.stringify(givenId)} is not a connector id; ` +
                `Cloudglue's are UUIDs, such as 3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f.\n\n${USAGE}`,
        );
        return 2;
    }

    let stackFile;
    // Encrypted values the doctor read past (a stand-in took their place): named in the report's notes.
    const unchecked: string[] = [];
    try {
        stackFile = readStackFile(configFile, (key, at) => {
            if (COMPARED_WITH_AWS[key] !== undefined) {
                // A bucket, prefix or key the doctor cannot read is one it cannot compare AWS with: refused, not guessed.
                throw encryptedComparedValue(key, at);
            }
            unchecked.push(`${key}${secretPathText(at)}`);
            return (at.length === 0 ? shapedStandIn(key) : undefined) ?? UNREADABLE_SECRET;
        });
    } catch (error) {
        if (!(error instanceof StackFileError)) {
            throw error;
        }
        io.stderr(
            `${path.basename(configFile)}: ${error.message}\nFix the config first; the doctor compares AWS with it.`,
        );
        return 1;
    }
    const { config, secretKeys } = stackFile;
    const encryptedApiUrl = secretKeys.includes("cloudglue:apiUrl");
    // The shared rule (components/apiSource.ts): --api-url, else cloudglue:apiUrl, else CLOUDGLUE_API_URL.
    const api = resolveApiSource({
        flagUrl: values["api-url"],
        configUrl: encryptedApiUrl ? undefined : config["cloudglue:apiUrl"],
        env: io.env,
    });
    const apiUrl =
        api.apiUrlSource === "--api-url" || api.apiUrlSource === "CLOUDGLUE_API_URL" ? api.apiUrl : undefined;
    if (encryptedApiUrl && !apiUrl) {
        io.stderr(
            `${path.basename(configFile)}: cloudglue:apiUrl is encrypted (set with --secret), and the doctor cannot ` +
                "decrypt the stack file, so it does not know which Cloudglue API the stack uses: give the same URL " +
                `with --api-url (or CLOUDGLUE_API_URL).\n\n${USAGE}`,
        );
        return 2;
    }
    // An API URL given on the command line obeys the setting's own rule (https, or http on loopback).
    if (apiUrl) {
        try {
            parseSettings((key) => ({ buckets: '["any-bucket"]', apiUrl })[key]);
        } catch (error) {
            const problem = (error as ConfigValidationError).problems?.[0] ?? String(error);
            io.stderr(`--api-url (or CLOUDGLUE_API_URL) for ${problem}\n\n${USAGE}`);
            return 2;
        }
    }

    const timeoutSeconds = Number(values["timeout-seconds"] ?? 120);
    if (!/^\d+$/.test(values["timeout-seconds"] ?? "120") || timeoutSeconds < 1 || timeoutSeconds > 3600) {
        io.stderr(
            `--timeout-seconds: ${JSON.stringify(values["timeout-seconds"])} is not a whole number from 1 to 3600.\n\n${USAGE}`,
        );
        return 2;
    }

    let settings: ConnectorSettings;
    try {
        settings = parseSettings(
            (key) => (key === "apiUrl" && apiUrl ? apiUrl : config[`cloudglue:${key}`]),
            Object.keys(config),
            (key) => secretKeys.includes(key),
        );
    } catch (error) {
        if (error instanceof ConfigValidationError) {
            io.stderr(
                `${path.basename(configFile)}: ${error.message}\nFix the config first; the doctor compares AWS with it.`,
            );
            return 1;
        }
        throw error;
    }

    const notes: string[] = unchecked.map(
        (where) =>
            `${where} is encrypted in the stack file, which the doctor cannot decrypt: a stand-in of the shape the ` +
            "program checks took its place, so the encrypted value itself was not checked",
    );
    const env = io.env;
    const deadline = started + timeoutSeconds * 1000;
    const pulumi = io.pulumi ?? ((args: string[]) => runPulumiCli(args, Math.max(1, deadline - Date.now())));
    const fromCli: StackInputs = values.stack ? await fromPulumiCli(values.stack, pulumi, notes, timeoutSeconds) : {};
    notes.forEach((note) => io.stderr(`[doctor] note: ${note}`));
    const externalId = env.CLOUDGLUE_EXTERNAL_ID || fromCli.externalId;
    const input = {
        stack: values.stack,
        configFile: path.basename(configFile),
        settings,
        externalId,
        connectorId:
            values["connector-id"] ??
            env.CLOUDGLUE_CONNECTOR_ID ??
            fromCli.connectorId ??
            // An encrypted connectorId was read as a stand-in, no connector of the user's.
            (secretKeys.includes("cloudglue:connectorId") ? undefined : settings.connectorId),
        apiKey: resolveApiSource({ configKey: fromCli.apiKey, env }).apiKey || undefined,
        concurrency,
        deadline,
        timeoutSeconds,
        onRow: (row: Parameters<typeof progressLine>[0]) => io.stderr(progressLine(row)),
    };
    const aws = new AwsClients({
        // The shared rule (components/apiSource.ts): stack config over the environment.
        region: resolveRegion({ flag: values.region, config: config["aws:region"], env })?.region ?? DEFAULT_REGION,
        endpoint: values["aws-endpoint"] ?? env.AWS_ENDPOINT_URL,
        deadline: input.deadline,
    });
    let diagnosis;
    try {
        diagnosis = await diagnose(input, aws);
    } finally {
        aws.destroy();
    }
    const summary = summarize(diagnosis.rows);
    // A run cut short has not shown the setup healthy, whatever the checks it reached found.
    const cutShort =
        fromCli.late === true ||
        diagnosis.rows.some((r) => r.status === "skip" && r.detail.startsWith(NOT_CHECKED_IN_TIME));
    if (cutShort) {
        notes.push(
            `the doctor's time ran out (--timeout-seconds ${timeoutSeconds}) before every check ran, so this run ` +
                "does not show the setup healthy: run again with a larger --timeout-seconds",
        );
    }
    const report: DoctorReport = {
        schemaVersion: 1,
        stack: values.stack,
        accountId: diagnosis.accountId,
        roleArn: diagnosis.roleArn,
        readOnly: true,
        cloudglue: {
            apiUrl: displayUrl(settings.apiUrl),
            from:
                api.apiUrlSource === "default"
                    ? "the default, as none of --api-url, cloudglue:apiUrl, CLOUDGLUE_API_URL is set"
                    : api.apiUrlSource,
        },
        rows: diagnosis.rows,
        summary,
        calls: {
            aws: aws.total(),
            awsByOperation: Object.fromEntries([...aws.counts].sort()),
            cloudglue: diagnosis.cloudglueCalls,
        },
        notes,
        exitCode: summary.fail > 0 || cutShort ? 1 : 0,
    };
    io.stdout(values.json ? JSON.stringify(report, null, 2) : renderText(report));
    return report.exitCode;
}
