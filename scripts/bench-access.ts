/**
 * How long the access check takes for 1, 10 and 50 buckets against the local emulator when every
 * Cloudglue call takes 200 ms. Run with `npm run bench:access`. Prints figures; asserts nothing.
 * The goal: 50 buckets in at most 3 times the time of one.
 */
import { performance } from "perf_hooks";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { DEFAULT_CONCURRENCY, verifyAccess } from "./verify-access";
import { noOptions } from "./lib/usage";

noOptions(
    process.argv.slice(2),
    `usage: npm run bench:access

Times the access check for 1, 10 and 50 buckets against the local emulator, with 200 ms added
to every Cloudglue call (median of 5 runs). Offline. Prints figures; asserts nothing.`,
);

const KEY = "cg-bench-access-key-0000000000000000";
const LATENCY_MS = 200;
const ROUNDS = 5;

async function main(): Promise<void> {
    const emulator = await new CloudglueEmulator({ apiKeys: [KEY] }).start();
    try {
        const { id } = emulator.seed({ type: "s3", metadata: { role_arn: "arn:aws:iam::111122223333:role/bench" } });
        emulator.inject({ kind: "delay", ms: LATENCY_MS }, { times: Infinity });
        console.log(
            `access check, ${LATENCY_MS} ms per Cloudglue call, at most ${DEFAULT_CONCURRENCY} calls at once, ` +
                `median of ${ROUNDS} runs`,
        );
        const medians: Record<number, number> = {};
        for (const count of [1, 10, 50]) {
            const buckets = Array.from({ length: count }, (_, i) => `bench-bucket-${i}`);
            const samples: number[] = [];
            for (let round = 0; round < ROUNDS; round++) {
                const start = performance.now();
                const results = await verifyAccess({
                    apiUrl: emulator.url,
                    apiKey: KEY,
                    connectorId: id,
                    buckets,
                    propagationTimeoutMs: 0,
                });
                samples.push(performance.now() - start);
                if (results.some((r) => !r.ok)) {
                    throw new Error(`a listing failed: ${JSON.stringify(results.find((r) => !r.ok))}`);
                }
            }
            samples.sort((a, b) => a - b);
            medians[count] = samples[Math.floor(samples.length / 2)];
            console.log(
                `${String(count).padStart(3)} bucket(s): ${medians[count].toFixed(0).padStart(5)} ms ` +
                    `(${(medians[count] / medians[1]).toFixed(2)} x one bucket)`,
            );
        }
    } finally {
        await emulator.stop();
    }
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
