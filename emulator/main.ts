/**
 * `npm run emulator`: the local Cloudglue emulator on a fixed port, its state in a JSON file.
 *   --port 8787          where it listens (127.0.0.1)
 *   --state FILE         the state file (default .emulator-state.json); --memory keeps none
 *   --propagation-ms N   answer 502 for N ms after a role or external ID change
 *   --old-api            serve only the published endpoints, as the public API does today
 * It accepts the key in CLOUDGLUE_API_KEY, or the fixed development key below.
 */
import { parseArgs } from "util";
import { CloudglueEmulator } from "./cloudglueEmulator";

export const DEVELOPMENT_KEY = "cg-emulator-local-development-key";

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            port: { type: "string", default: "8787" },
            state: { type: "string", default: ".emulator-state.json" },
            memory: { type: "boolean", default: false },
            "propagation-ms": { type: "string", default: "0" },
            "old-api": { type: "boolean", default: false },
        },
    });
    const emulator = new CloudglueEmulator({
        apiKeys: [process.env.CLOUDGLUE_API_KEY || DEVELOPMENT_KEY],
        stateFile: values.memory ? undefined : values.state,
        port: Number(values.port),
        printLog: true,
    });
    emulator.propagationWindowMs = Number(values["propagation-ms"]);
    emulator.oldApi = values["old-api"] ?? false;
    await emulator.start();
    console.log(`Cloudglue emulator on ${emulator.url} (state: ${values.memory ? "in memory" : values.state})`);
    console.log(`Point the stack at it: pulumi config set cloudglue:apiUrl ${emulator.url}`);
    process.on("SIGINT", () => void emulator.stop().then(() => process.exit(0)));
}

main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
