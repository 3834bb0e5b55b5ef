/**
 * How long the real Pulumi CLI takes for a preview and for a no-op `pulumi up` of the dev stack
 * (after one up that creates it), median of 3, beside how long the language host takes to load
 * the program itself. Against moto_server and the emulator on loopback, with the engine that
 * scripts/build-engine.sh built. Run with `npm run bench:engine`. Prints figures; asserts nothing.
 */
import { performance } from "perf_hooks";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { startMoto } from "../tests/helpers/moto";
import { EngineWorkspace } from "../tests/engine/helpers/engine";
import { loadProgramAsHost, pulumiTsconfig } from "./lib/languageHost";
import { noOptions } from "./lib/usage";

noOptions(
    process.argv.slice(2),
    `usage: npm run bench:engine

Prints the wall time of a real \`pulumi preview\` and of a no-op \`pulumi up\` of the dev stack
(median of 3, after one up that creates it), and the time the language host takes to load
index.ts, for comparison. Needs moto_server; builds the engine first. Takes about 3 minutes.
Prints figures; asserts nothing.`,
);

const ROUNDS = 3;
const API_KEY = "cg-bench-engine-key-4a7c2e9f1b3d5086";

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(workspace: EngineWorkspace, args: string[]): Promise<number> {
    const start = performance.now();
    await workspace.expectOk(args);
    return performance.now() - start;
}

async function main(): Promise<void> {
    const loads = Array.from({ length: ROUNDS }, () => loadProgramAsHost(pulumiTsconfig()));
    const moto = await startMoto();
    const emulator = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
    const workspace = await EngineWorkspace.create({ motoEndpoint: moto.endpoint, apiUrl: emulator.url });
    try {
        await workspace.expectOk(["stack", "init", "dev"]);
        await workspace.expectOk(["config", "set", "--stack", "dev", "--secret", "cloudglue:apiKey", API_KEY]);
        await workspace.expectOk(["up", "--stack", "dev", "--yes"]);
        const previews: number[] = [];
        const ups: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
            previews.push(await timed(workspace, ["preview", "--stack", "dev", "--expect-no-changes"]));
            ups.push(await timed(workspace, ["up", "--stack", "dev", "--yes", "--expect-no-changes"]));
        }
        console.log(`the dev stack through the real Pulumi CLI (median of ${ROUNDS}, wall ms)`);
        console.log(`pulumi preview (refresh first, no changes)  ${median(previews).toFixed(0).padStart(7)}`);
        console.log(`pulumi up, nothing to do                    ${median(ups).toFixed(0).padStart(7)}`);
        console.log(
            `loading index.ts as the host does           ${median(loads.map((l) => l.wallMs))
                .toFixed(0)
                .padStart(7)}`,
        );
    } finally {
        workspace.remove();
        await emulator.stop();
        await moto.stop();
    }
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
