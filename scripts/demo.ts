/**
 * `npm run demo`: the doctor on a local copy of the dev stack, in one command. Starts moto_server
 * (AWS) and the Cloudglue emulator, seeds them with what the dev stack deploys (its role, built by
 * the project's own document builders, its inline policy and its buckets, and a connector), then
 * one fault of each kind the doctor knows, prints the doctor's report, and stops everything, on
 * an error or Ctrl-C too. Needs moto_server (python3 -m pip install -r requirements-dev.txt).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    AttachRolePolicyCommand,
    CreatePolicyCommand,
    IAMClient,
    PutRolePolicyCommand,
    UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CLOUDGLUE_PRINCIPAL_ARN, ROLE_NAME } from "../components/constants";
import { buildAccessPolicy, buildTrustPolicy } from "../components/iamDocuments";
import { parseSettings, SETTING_DEFAULTS } from "../components/settings";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { MotoServer, MOTO_ACCOUNT_ID, motoClientConfig, startMoto } from "../tests/helpers/moto";
import { runDoctor } from "./lib/doctor/cli";
import { PROJECT_ROOT, readStackFile } from "./lib/stackFile";
import { noOptions } from "./lib/usage";
import { encryptWithKms, seedStackRole } from "./lib/seedStackRole";

export const USAGE = `usage: npm run demo

Runs the doctor on a local copy of the dev stack: moto_server and the Cloudglue emulator, seeded
with the dev stack's role, its buckets and a connector, and one fault of each kind the doctor
knows; prints the doctor's report, then stops both. Needs moto_server
(python3 -m pip install -r requirements-dev.txt). Changes nothing outside this machine.`;

const EXTERNAL_ID = "Demo-External-Id-0123456789abcdef";
const API_KEY = "cg-demo-key-0123456789";
const OTHER_ACCOUNT = "arn:aws:iam::444455556666:root";

/** The faults the demo seeds, each as the doctor's row that must show it: section, subject, check. */
export const DEMO_FAULTS = [
    { kind: "trust policy trusts another account", section: "role", check: "trust policy" },
    { kind: "an admin policy attached by hand", section: "role", check: "only the stack's policy" },
    { kind: "the inline policy edited outside the stack", section: "inline policy", check: "matches the stack" },
    { kind: "a bucket policy Deny outside a VPC endpoint", section: "bucket", check: "bucket policy Deny" },
    { kind: "an SSE-KMS key missing from the config", section: "bucket", check: "encryption" },
    { kind: "Cloudglue cannot list a bucket", section: "cloudglue", check: "Cloudglue can list" },
] as const;

export async function demo(print: (text: string) => void, printErr: (text: string) => void): Promise<number> {
    const stops: (() => Promise<void> | void)[] = [];
    const stopAll = async () => {
        for (const stop of stops.reverse()) {
            await stop();
        }
        stops.length = 0;
    };
    const interrupted = () => {
        printErr("[demo] interrupted: stopping moto_server and the emulator");
        void stopAll().then(() => process.exit(130));
    };
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    try {
        printErr("[demo] starting moto_server and the Cloudglue emulator...");
        const moto: MotoServer = await startMoto();
        stops.push(() => moto.stop());
        const emulator = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
        stops.push(() => emulator.stop());
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudglue-demo-"));
        stops.push(() => fs.rmSync(dir, { recursive: true, force: true }));

        // The dev stack's config, pointed at the emulator.
        const devFile = path.join(PROJECT_ROOT, "Pulumi.dev.yaml");
        const { config } = readStackFile(devFile, () => "");
        const settings = parseSettings((key) => config[`cloudglue:${key}`]);
        const configFile = path.join(dir, "Pulumi.dev.yaml");
        fs.writeFileSync(
            configFile,
            fs.readFileSync(devFile, "utf8").replace(/^config:\n/, `config:\n  cloudglue:apiUrl: ${emulator.url}\n`),
        );

        const clientConfig = motoClientConfig(moto.endpoint, config["aws:region"] ?? "us-east-1");
        const iam = new IAMClient(clientConfig);
        const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
        const kms = new KMSClient(clientConfig);
        stops.push(() => [iam, s3, kms].forEach((c) => c.destroy()));

        printErr("[demo] seeding the dev stack's role, inline policy, buckets and connector...");
        await seedStackRole(iam, { trust: buildTrustPolicy(EXTERNAL_ID), buckets: settings.buckets });
        for (const bucket of settings.buckets) {
            await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
        }
        const [whole, prefixed] = [
            settings.buckets.find((b) => !b.prefixes) ?? settings.buckets[0],
            settings.buckets.find((b) => b.prefixes) ?? settings.buckets[settings.buckets.length - 1],
        ];
        const connectorId = emulator.seed({
            type: "s3",
            metadata: {
                role_arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${ROLE_NAME}`,
                buckets: settings.buckets.map((b) => b.name),
            },
            external_id: EXTERNAL_ID,
        }).id;

        printErr(`[demo] seeding ${DEMO_FAULTS.length} faults: ${DEMO_FAULTS.map((f) => f.kind).join("; ")}`);
        const trust = buildTrustPolicy(EXTERNAL_ID);
        trust.Statement[0].Principal = { AWS: [CLOUDGLUE_PRINCIPAL_ARN, OTHER_ACCOUNT] as unknown as string };
        await iam.send(
            new UpdateAssumeRolePolicyCommand({ RoleName: ROLE_NAME, PolicyDocument: JSON.stringify(trust) }),
        );
        const admin = await iam.send(
            new CreatePolicyCommand({
                PolicyName: "AdministratorAccess",
                PolicyDocument: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
                }),
            }),
        );
        await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: admin.Policy?.Arn }));
        // Edited in the console: one prefix of the scoped bucket dropped.
        const edited = settings.buckets.map((b) => (b.prefixes ? { ...b, prefixes: b.prefixes.slice(0, 1) } : b));
        await iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE_NAME,
                PolicyName: SETTING_DEFAULTS.existingPolicyName,
                PolicyDocument: JSON.stringify(buildAccessPolicy(edited)),
            }),
        );
        await s3.send(
            new PutBucketPolicyCommand({
                Bucket: whole.name,
                Policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "DenyOutsideVpce",
                            Effect: "Deny",
                            Principal: "*",
                            Action: "s3:*",
                            Resource: [`arn:aws:s3:::${whole.name}`, `arn:aws:s3:::${whole.name}/*`],
                            Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } },
                        },
                    ],
                }),
            }),
        );
        const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
        await encryptWithKms(s3, prefixed.name, key);
        emulator.unreadableBuckets.add(whole.name);

        // The doctor takes AWS credentials from the SDK's default chain: moto's, for this process only.
        Object.assign(process.env, { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" });
        delete process.env.AWS_SESSION_TOKEN;
        delete process.env.AWS_PROFILE;
        printErr(
            "[demo] running: npm run doctor -- --config-file <the dev stack's config> --aws-endpoint <moto_server>",
        );
        return await runDoctor(
            ["--config-file", configFile, "--aws-endpoint", moto.endpoint, "--timeout-seconds", "30"],
            {
                stdout: print,
                stderr: printErr,
                env: {
                    ...process.env,
                    AWS_ACCESS_KEY_ID: "testing",
                    AWS_SECRET_ACCESS_KEY: "testing",
                    AWS_SESSION_TOKEN: undefined,
                    AWS_PROFILE: undefined,
                    CLOUDGLUE_API_KEY: API_KEY,
                    CLOUDGLUE_EXTERNAL_ID: EXTERNAL_ID,
                    CLOUDGLUE_CONNECTOR_ID: connectorId,
                },
                pulumi: async () => undefined,
            },
        );
    } finally {
        process.removeListener("SIGINT", interrupted);
        process.removeListener("SIGTERM", interrupted);
        await stopAll();
        printErr("[demo] stopped moto_server and the emulator");
    }
}

if (require.main === module) {
    noOptions(process.argv.slice(2), USAGE);
    demo(
        (text) => console.log(text),
        (text) => console.error(text),
    ).then(
        // The doctor exits 1 on the faults it found: that is the demo working.
        (code) => process.exit(code === 1 ? 0 : code === 0 ? 3 : code),
        (error) => {
            console.error(error instanceof Error ? error.message : String(error));
            process.exit(1);
        },
    );
}
