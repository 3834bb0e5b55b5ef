/**
 * `npm run emulator`: the local Cloudglue emulator on a fixed port, its state in a JSON file.
 *   --port 8787            where it listens (127.0.0.1)
 *   --state FILE           the state file (default .emulator-state.json); --memory keeps none
 *   --propagation-ms N     answer 502 for N ms after a role or external ID change
 *   --registration-api     also serve this project's registration endpoints (for cloudglue:registration api)
 *   --access-policy FILE   let S3 judge listings by this inline policy document (JSON); without it, all are allowed
 * It accepts the key in CLOUDGLUE_API_KEY, or the fixed development key below.
 *
 * `npm run emulator -- web-connector --role-arn ARN --external-id ID [--bucket B ...] [--url URL]`
 * does against a running emulator what a person does in Cloudglue's web app, and prints the new id.
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { accessModelFromPolicy, CloudglueEmulator, WEB_APP_CONNECTOR_PATH } from "./cloudglueEmulator";

export const DEVELOPMENT_KEY = "cg-emulator-local-development-key";

async function serve(args: string[]): Promise<void> {
    const { values } = parseArgs({
        args,
        options: {
            port: { type: "string", default: "8787" },
            state: { type: "string", default: ".emulator-state.json" },
            memory: { type: "boolean", default: false },
            "propagation-ms": { type: "string", default: "0" },
            "registration-api": { type: "boolean", default: false },
            "access-policy": { type: "string" },
        },
    });
    const emulator = new CloudglueEmulator({
        apiKeys: [process.env.CLOUDGLUE_API_KEY || DEVELOPMENT_KEY],
        stateFile: values.memory ? undefined : values.state,
        port: Number(values.port),
        printLog: true,
        registrationApi: values["registration-api"],
    });
    emulator.propagationWindowMs = Number(values["propagation-ms"]);
    if (values["access-policy"]) {
        emulator.access = accessModelFromPolicy(JSON.parse(fs.readFileSync(values["access-policy"], "utf8")));
    }
    await emulator.start();
    const api = values["registration-api"] ? "published API + registration endpoints" : "published API";
    console.log(`Cloudglue emulator on ${emulator.url} (${api}; state: ${values.memory ? "in memory" : values.state})`);
    console.log(`Point the stack at it: pulumi config set cloudglue:apiUrl ${emulator.url}`);
    process.on("SIGINT", () => void emulator.stop().then(() => process.exit(0)));
    process.on("SIGTERM", () => void emulator.stop().then(() => process.exit(0)));
}

/** The web app's "AWS S3" card, against a running emulator. */
async function webConnector(args: string[]): Promise<void> {
    const { values } = parseArgs({
        args,
        options: {
            url: { type: "string", default: "http://127.0.0.1:8787" },
            "role-arn": { type: "string" },
            "external-id": { type: "string" },
            bucket: { type: "string", multiple: true },
        },
    });
    if (!values["role-arn"] || !values["external-id"]) {
        throw new Error("web-connector needs --role-arn ARN and --external-id ID (and optionally --bucket B ...)");
    }
    const response = await fetch(`${values.url.replace(/\/+$/, "")}${WEB_APP_CONNECTOR_PATH}`, {
        method: "POST",
        headers: {
            Authorization: `Bearer ${process.env.CLOUDGLUE_API_KEY || DEVELOPMENT_KEY}`,
            "Content-Type": "application/json",
        },
        body: JSON.stringify({
            role_arn: values["role-arn"],
            external_id: values["external-id"],
            ...(values.bucket ? { buckets: values.bucket } : {}),
        }),
    });
    const answer = (await response.json()) as { id?: string; error?: string };
    if (response.status !== 201 || !answer.id) {
        throw new Error(`the emulator's web app refused: ${response.status} ${answer.error ?? ""}`);
    }
    console.log(`Created S3 connector ${answer.id}`);
    console.log(`Next: pulumi config set cloudglue:connectorId ${answer.id}`);
}

const [command, ...rest] = process.argv.slice(2);
const run = command === "web-connector" ? webConnector(rest) : serve(process.argv.slice(2));
run.catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
