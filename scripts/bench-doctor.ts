/**
 * How long `npm run doctor` takes, and how many calls it makes, for 1, 10 and 50 buckets, against
 * moto_server (AWS) and the Cloudglue emulator on loopback. Run with `npm run bench:doctor`.
 * Prints figures; asserts nothing. Every 5th bucket has two prefixes, every 10th is SSE-KMS.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { IAMClient } from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { BucketGrant, buildTrustPolicy } from "../components/iamDocuments";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { MOTO_INSTALL_HINT, motoClientConfig, motoServerPath, startMoto } from "../tests/helpers/moto";
import { runDoctor } from "./lib/doctor/cli";
import { DoctorReport } from "./lib/doctor/report";
import { noOptions } from "./lib/usage";
import { encryptWithKms, seedStackRole } from "./lib/seedStackRole";

noOptions(
    process.argv.slice(2),
    `usage: npm run bench:doctor

Times npm run doctor for 1, 10 and 50 buckets against moto_server (AWS) and the Cloudglue
emulator on loopback, and counts its calls (5 runs each). Needs moto_server
(pip install "moto[server]"). Prints figures; asserts nothing.`,
);

const ROUNDS = 5;
const EXTERNAL_ID = "bench-external-id-0123456789";
const API_KEY = "bench-api-key";

async function main(): Promise<number> {
    if (!motoServerPath()) {
        console.error(MOTO_INSTALL_HINT);
        return 1;
    }
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", AWS_REGION: "us-east-1" });
    const moto = await startMoto();
    const emulator = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
    const aws = motoClientConfig(moto.endpoint);
    const iam = new IAMClient(aws);
    const s3 = new S3Client({ ...aws, forcePathStyle: true });
    const kms = new KMSClient(aws);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-bench-"));
    try {
        console.log(`buckets  concurrency  median ms  max ms  AWS calls  Cloudglue calls  (${ROUNDS} runs each)`);
        for (const [count, concurrency] of [
            [1, 8],
            [10, 8],
            [50, 8],
            [50, 1],
        ]) {
            await moto.reset();
            emulator.reset();
            const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
            const buckets: BucketGrant[] = Array.from({ length: count }, (_, i) => ({
                name: `bench-media-${i}`,
                ...(i % 5 === 4 ? { prefixes: ["videos/", "trailers/"] } : {}),
                ...(i % 10 === 9 ? { kmsKeyArn: key } : {}),
            }));
            await seedStackRole(iam, { trust: buildTrustPolicy(EXTERNAL_ID), buckets });
            for (const bucket of buckets) {
                await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
                if (bucket.kmsKeyArn) {
                    await encryptWithKms(s3, bucket.name, key);
                }
            }
            const connector = emulator.seed({ type: "s3", metadata: { buckets: buckets.map((b) => b.name) } });
            const configFile = path.join(dir, `Pulumi.bench${count}.yaml`);
            fs.writeFileSync(
                configFile,
                `config:\n  cloudglue:apiUrl: ${emulator.url}\n  cloudglue:buckets: ${JSON.stringify(buckets)}\n`,
            );
            const samples: number[] = [];
            let report: DoctorReport | undefined;
            for (let round = 0; round < ROUNDS; round++) {
                let out = "";
                const start = performance.now();
                const code = await runDoctor(
                    [
                        "--config-file",
                        configFile,
                        "--aws-endpoint",
                        moto.endpoint,
                        "--concurrency",
                        String(concurrency),
                        "--json",
                    ],
                    {
                        stdout: (text) => (out += text),
                        stderr: () => undefined,
                        env: {
                            CLOUDGLUE_API_KEY: API_KEY,
                            CLOUDGLUE_EXTERNAL_ID: EXTERNAL_ID,
                            CLOUDGLUE_CONNECTOR_ID: connector.id,
                        },
                    },
                );
                samples.push(performance.now() - start);
                report = JSON.parse(out) as DoctorReport;
                if (code !== 0) {
                    throw new Error(`the doctor failed on the benchmark's own setup:\n${out}`);
                }
            }
            samples.sort((a, b) => a - b);
            console.log(
                `${String(count).padStart(7)}  ${String(concurrency).padStart(11)}  ` +
                    `${samples[Math.floor(ROUNDS / 2)].toFixed(0).padStart(9)}  ${samples[ROUNDS - 1].toFixed(0).padStart(6)}  ` +
                    `${String(report?.calls.aws).padStart(9)}  ${String(report?.calls.cloudglue).padStart(15)}`,
            );
        }
    } finally {
        for (const client of [iam, s3, kms]) {
            client.destroy();
        }
        await emulator.stop();
        await moto.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return 0;
}

main().then(
    (code) => process.exit(code),
    (error) => {
        console.error(error);
        process.exit(1);
    },
);
