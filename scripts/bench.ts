/**
 * How long Pulumi's host takes to load the program, with and without type-checking it, and how
 * long the program takes to evaluate under mocks for 1, 10 and 100 buckets.
 * Run with `npm run bench`. Prints figures; asserts nothing.
 */
import { performance } from "perf_hooks";
import { loadProgramAsHost, pulumiTsconfig } from "./lib/languageHost";
import { runProgram } from "./lib/programRun";
import { noOptions } from "./lib/usage";

noOptions(
    process.argv.slice(2),
    `usage: npm run bench

Prints how long Pulumi's Node.js host takes to load index.ts (type-checked and not, median of 3
fresh processes), then how long the program takes to evaluate under mocks for 1, 10 and 100
buckets. Offline; takes about a minute. Prints figures; asserts nothing.`,
);

const LOAD_ROUNDS = 3;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function reportProgramLoad(): void {
    console.log(`loading index.ts as Pulumi's Node.js host does (median of ${LOAD_ROUNDS} fresh processes)`);
    console.log("tsconfig               type-checked  wall ms  cpu ms");
    for (const tsconfig of ["tsconfig.json", pulumiTsconfig()]) {
        const loads = Array.from({ length: LOAD_ROUNDS }, () => loadProgramAsHost(tsconfig));
        const wall = median(loads.map((l) => l.wallMs));
        const cpu = median(loads.map((l) => l.cpuMs));
        const checked = loads[0].transpileOnly ? "no" : "yes";
        console.log(
            `${tsconfig.padEnd(21)}  ${checked.padEnd(12)}  ${wall.toFixed(0).padStart(7)}  ${cpu.toFixed(0).padStart(6)}`,
        );
    }
    console.log("");
}

const ROUNDS = 20;

async function timeRun(bucketCount: number): Promise<number[]> {
    const buckets = Array.from({ length: bucketCount }, (_, i) =>
        i % 10 === 9 ? { name: `media-${i}`, prefixes: ["videos/"] } : `media-${i}`,
    );
    const config = { "cloudglue:buckets": JSON.stringify(buckets) };
    const samples: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
        const start = performance.now();
        await runProgram({ config });
        samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
    reportProgramLoad();
    const loadStart = performance.now();
    await runProgram({ config: { "cloudglue:buckets": '["warm-up-bucket"]' } });
    console.log(
        `first run, including loading the program and @pulumi/aws: ${(performance.now() - loadStart).toFixed(0)} ms`,
    );
    console.log(`\nbuckets  median ms  p90 ms  (${ROUNDS} runs each)`);
    for (const count of [1, 10, 100]) {
        const samples = await timeRun(count);
        const median = samples[Math.floor(samples.length / 2)];
        const p90 = samples[Math.floor(samples.length * 0.9)];
        console.log(`${String(count).padStart(7)}  ${median.toFixed(1).padStart(9)}  ${p90.toFixed(1).padStart(6)}`);
    }
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
