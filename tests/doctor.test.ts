/**
 * `npm run doctor` against real emulators: moto_server for IAM, S3, KMS and STS, seeded with the
 * AWS SDK (a correct setup, then one fault at a time), and the project's Cloudglue emulator.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    AttachRolePolicyCommand,
    CreatePolicyCommand,
    GetRoleCommand,
    IAMClient,
    PutRolePermissionsBoundaryCommand,
    PutRolePolicyCommand,
    UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { buildAccessPolicy, buildTrustPolicy } from "../components/iamDocuments";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { DoctorIo, runDoctor } from "../scripts/lib/doctor/cli";
import { DoctorReport, Row } from "../scripts/lib/doctor/report";
import {
    CountingProxy,
    MOTO_INSTALL_HINT,
    motoClientConfig,
    motoServerPath,
    skipOrFail,
    MotoServer,
    startCountingProxy,
    startMoto,
} from "./helpers/moto";
import { runScript } from "./helpers/processes";
import { encryptWithKms, seedStackRole } from "../scripts/lib/seedStackRole";

const ROLE = "cloudglue-external-s3-access-role";
const ROLE_ARN = `arn:aws:iam::123456789012:role/${ROLE}`;
const EXTERNAL_ID = "Doctor-Test-External-Id-0123456789";
const API_KEY = "cg-doctor-test-key-abcdef";
const WHOLE = "acme-doctor-raw";
const PREFIXED = "acme-doctor-published";
const BUCKETS = [{ name: WHOLE }, { name: PREFIXED, prefixes: ["videos/", "trailers/"] }];

interface Run {
    code: number;
    stdout: string;
    stderr: string;
    report: DoctorReport;
}

describe("npm run doctor against moto_server and the Cloudglue emulator", function () {
    this.timeout(60_000);
    let moto: MotoServer;
    let proxy: CountingProxy;
    let emulator: CloudglueEmulator;
    let iam: IAMClient;
    let s3: S3Client;
    let kms: KMSClient;
    let dir: string;
    let configFile: string;
    let connectorId: string;
    /** The doctor takes AWS credentials from the SDK's default chain, as a user's shell gives them. */
    const awsEnv: Record<string, string | undefined> = {
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_SESSION_TOKEN: undefined,
        AWS_REGION: "us-east-1",
        AWS_PROFILE: undefined,
        AWS_ENDPOINT_URL: undefined,
    };
    const savedEnv = Object.fromEntries(Object.keys(awsEnv).map((k) => [k, process.env[k]]));
    const setEnv = (values: Record<string, string | undefined>) => {
        for (const [key, value] of Object.entries(values)) {
            if (value === undefined) {
                delete process.env[key];
            } else {
                process.env[key] = value;
            }
        }
    };

    before(async function () {
        if (!motoServerPath()) {
            skipOrFail(this, MOTO_INSTALL_HINT);
        }
        setEnv(awsEnv);
        moto = await startMoto();
        proxy = await startCountingProxy(moto.endpoint);
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
        const config = motoClientConfig(moto.endpoint);
        iam = new IAMClient(config);
        s3 = new S3Client({ ...config, forcePathStyle: true });
        kms = new KMSClient(config);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-test-"));
    });

    after(async () => {
        setEnv(savedEnv);
        for (const client of [iam, s3, kms]) {
            client?.destroy();
        }
        await emulator?.stop();
        await proxy?.stop();
        await moto?.stop();
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    /** The stack's config file, as `pulumi config set` would write it. */
    function writeConfig(buckets: unknown[], extra = ""): string {
        const file = path.join(dir, "Pulumi.doctor.yaml");
        fs.writeFileSync(
            file,
            `config:\n  aws:region: us-east-1\n  cloudglue:apiUrl: ${emulator.url}\n` +
                `  cloudglue:buckets: ${JSON.stringify(buckets)}\n${extra}`,
        );
        return file;
    }

    /** What the stack would have deployed: the role, its inline policy, the buckets and the connector. */
    async function seedHealthy(): Promise<void> {
        await seedStackRole(iam, { trust: buildTrustPolicy(EXTERNAL_ID), buckets: BUCKETS });
        for (const bucket of BUCKETS) {
            await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
        }
        connectorId = emulator.seed({
            type: "s3",
            metadata: { role_arn: ROLE_ARN, buckets: BUCKETS.map((b) => b.name) },
            external_id: EXTERNAL_ID,
        }).id;
    }

    beforeEach(async () => {
        await moto.reset();
        emulator.reset();
        await seedHealthy();
        configFile = writeConfig(BUCKETS);
        proxy.requests.length = 0;
        proxy.denied.clear();
        proxy.forged.clear();
    });

    async function doctor(
        args: string[] = [],
        env: Record<string, string> = {},
        pulumi: DoctorIo["pulumi"] = async () => undefined,
    ): Promise<Run> {
        let stdout = "";
        let stderr = "";
        const code = await runDoctor(
            // "--no-json" here asks for the table the doctor prints by default.
            [
                "--config-file",
                configFile,
                "--aws-endpoint",
                proxy.endpoint,
                ...(args.includes("--no-json") ? [] : ["--json"]),
                ...args.filter((a) => a !== "--no-json"),
            ],
            {
                stdout: (t) => (stdout += `${t}\n`),
                stderr: (t) => (stderr += `${t}\n`),
                env: {
                    CLOUDGLUE_API_KEY: API_KEY,
                    CLOUDGLUE_EXTERNAL_ID: EXTERNAL_ID,
                    CLOUDGLUE_CONNECTOR_ID: connectorId,
                    ...env,
                },
                pulumi,
            },
        );
        // No secret, in any output, in any case.
        for (const secret of [EXTERNAL_ID, API_KEY]) {
            assert.ok(!stdout.includes(secret) && !stderr.includes(secret), "a secret reached the doctor's output");
        }
        const report = args.includes("--no-json") ? ({} as DoctorReport) : (JSON.parse(stdout) as DoctorReport);
        return { code, stdout, stderr, report };
    }

    /** A command as the shell reads it: lines continued with a backslash joined. */
    const unwrap = (text = "") => text.replace(/ \\\n +/g, " ");

    /** Every request that reached AWS only read: Get, List or Describe, or an S3 GET. */
    function assertReadOnly(requests: string[]): void {
        assert.ok(requests.length > 0);
        const writes = requests.filter((r) => !/^(iam|sts|kms):(Get|List|Describe)|^s3:GET /.test(r));
        assert.deepStrictEqual(writes, [], "the doctor sent a request that is not a read");
    }

    const failures = (report: DoctorReport) => report.rows.filter((r) => r.status === "fail");

    function onlyFailure(report: DoctorReport): Row {
        const failed = failures(report);
        assert.strictEqual(failed.length, 1, `expected one failure, got:\n${JSON.stringify(failed, null, 2)}`);
        return failed[0];
    }

    it("passes a correct setup, exits 0, and makes one call per fact", async () => {
        const { code, report, stderr } = await doctor();
        assert.deepStrictEqual(failures(report), []);
        assert.strictEqual(code, 0);
        assert.strictEqual(report.accountId, "123456789012");
        const role = report.rows.find((r) => r.subject === ROLE && r.check === "exists");
        assert.strictEqual(role?.detail, `${ROLE_ARN}; IAM records no use of it (IAM's record can lag by hours)`);
        const checks = report.rows.map((r) => `${r.status} ${r.subject}: ${r.check}`);
        assert.deepStrictEqual(checks, [
            "pass credentials: caller",
            `pass ${ROLE}: exists`,
            `pass ${ROLE}: trust policy`,
            `pass ${ROLE}: only the stack's policy`,
            `pass ${ROLE}: permissions boundary`,
            "pass CloudglueExternalS3AccessPolicy: matches the stack",
            `pass ${WHOLE}: exists`,
            `pass ${WHOLE}: bucket policy`,
            `pass ${WHOLE}: encryption`,
            `pass ${PREFIXED}: exists`,
            `pass ${PREFIXED}: bucket policy`,
            `pass ${PREFIXED}: encryption`,
            `pass ${connectorId}: exists`,
            `pass ${WHOLE}: Cloudglue can list`,
            `pass ${PREFIXED} prefix=videos/: Cloudglue can list`,
            `pass ${PREFIXED} prefix=trailers/: Cloudglue can list`,
        ]);
        // STS 1; IAM GetRole, ListRolePolicies, ListAttachedRolePolicies, GetRolePolicy; S3 ListBuckets once
        // and per bucket GetBucketLocation, GetBucketPolicy, GetBucketEncryption.
        assert.deepStrictEqual(report.calls.awsByOperation, {
            "iam:GetRole": 1,
            "iam:GetRolePolicy": 1,
            "iam:ListAttachedRolePolicies": 1,
            "iam:ListRolePolicies": 1,
            "s3:GetBucketEncryption": 2,
            "s3:GetBucketLocation": 2,
            "s3:GetBucketPolicy": 2,
            "s3:ListBuckets": 1,
            "sts:GetCallerIdentity": 1,
        });
        assert.strictEqual(report.calls.aws, 12);
        assert.strictEqual(proxy.requests.length, 12, `requests that reached moto:\n${proxy.requests.join("\n")}`);
        assertReadOnly(proxy.requests);
        // Cloudglue: the connector once (from the published list: the public API has no GET by id),
        // the whole bucket once, the prefixed bucket once per prefix.
        assert.strictEqual(report.calls.cloudglue, emulator.log.length);
        assert.deepStrictEqual(
            emulator.log.map((r) => `${r.method} ${r.path}`).sort(),
            [
                "GET /v1/data-connectors?limit=100&offset=0",
                `GET /v1/data-connectors/${connectorId}/files?bucket=${WHOLE}&limit=1`,
                `GET /v1/data-connectors/${connectorId}/files?bucket=${PREFIXED}&prefix=videos%2F&limit=1`,
                `GET /v1/data-connectors/${connectorId}/files?bucket=${PREFIXED}&prefix=trailers%2F&limit=1`,
            ].sort(),
        );
        assert.match(stderr, /\[doctor\] ok +acme-doctor-raw: exists/, "progress as it goes, on stderr");
    });

    it("names the Cloudglue URL it asked, and where the URL came from", async () => {
        const { report } = await doctor();
        assert.deepStrictEqual(report.cloudglue, { apiUrl: emulator.url, from: "cloudglue:apiUrl" });
        const text = await doctor(["--no-json"]);
        assert.ok(
            text.stdout.split("\n").includes(`Cloudglue's API: ${emulator.url} (from cloudglue:apiUrl).`),
            text.stdout,
        );
        const flagged = await doctor(["--api-url", emulator.url.replace("127.0.0.1", "localhost")]);
        assert.deepStrictEqual(flagged.report.cloudglue?.from, "--api-url");
    });

    it("a trust policy with another external ID: fails, says so by hash, prints neither ID", async () => {
        const other = buildTrustPolicy("Someone-Else-External-Id-987654321");
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(other) }));
        const { code, report } = await doctor();
        const row = onlyFailure(report);
        assert.strictEqual(code, 1);
        assert.strictEqual(row.check, "trust policy");
        assert.match(row.detail, /external ID differs from the stack's \(compared by SHA-256; neither is shown\)/);
        assert.match(row.fix ?? "", /pulumi config set --secret cloudglue:externalId <id>/);
        assert.ok(!JSON.stringify(report).includes("Someone-Else"), "the role's external ID is printed");
    });

    /** A rotation's trust in moto (which accepts the document), then the doctor's trust row. */
    async function rotatedTrustRow(until: string): Promise<{ code: number; row: Row; text: string }> {
        const previous = "Previous-Doctor-External-Id-0123456789";
        const rotated = buildTrustPolicy(EXTERNAL_ID, { externalId: previous, until });
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(rotated) }));
        const stored = await iam.send(new GetRoleCommand({ RoleName: ROLE }));
        const document = decodeURIComponent(String(stored.Role?.AssumeRolePolicyDocument));
        assert.deepStrictEqual(JSON.parse(document), rotated, "moto keeps the two-statement trust as sent");
        const { code, report, stdout } = await doctor();
        assert.ok(
            !JSON.stringify(report).includes(previous) && !stdout.includes(previous),
            "the previous ID is printed",
        );
        return { code, row: report.rows.find((r) => r.check === "trust policy") as Row, text: stdout };
    }

    it("a rotation's grace window: passes, and says until when the previous external ID works", async () => {
        const until = new Date(Date.now() + 72 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
        const { code, row } = await rotatedTrustRow(until);
        assert.strictEqual(code, 0, JSON.stringify(row));
        assert.strictEqual(row.status, "pass");
        assert.match(row.detail, new RegExp(`also accepts the previous external ID until ${until}`));
    });

    it("a rotation's grace statement past its deadline: harmless, and the next up removes it", async () => {
        const { code, row } = await rotatedTrustRow("2026-01-01T00:00:00Z");
        assert.strictEqual(code, 0, JSON.stringify(row));
        assert.strictEqual(row.status, "pass");
        assert.match(row.detail, /expired at 2026-01-01T00:00:00Z: harmless, .*the next pulumi up removes it/);
    });

    it("a trust policy that also trusts another account: names the principal", async () => {
        const trust = buildTrustPolicy(EXTERNAL_ID);
        const widened = {
            ...trust,
            Statement: [
                {
                    ...trust.Statement[0],
                    Principal: { AWS: ["arn:aws:iam::992382634011:root", "arn:aws:iam::444455556666:root"] },
                },
            ],
        };
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE, PolicyDocument: JSON.stringify(widened) }));
        const row = onlyFailure((await doctor()).report);
        assert.strictEqual(row.check, "trust policy");
        assert.match(row.detail, /it trusts arn:aws:iam::444455556666:root, not only Cloudglue's account/);
    });

    it("an extra attached admin policy: fails with the command that detaches it", async () => {
        // A customer managed copy of AdministratorAccess: moto loads AWS's managed policies only on request, slowly.
        const created = await iam.send(
            new CreatePolicyCommand({
                PolicyName: "AdministratorAccess",
                PolicyDocument: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
                }),
            }),
        );
        const admin = created.Policy?.Arn as string;
        await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: admin }));
        const { code, report } = await doctor();
        const row = onlyFailure(report);
        assert.strictEqual(code, 1);
        assert.strictEqual(row.check, "only the stack's policy");
        assert.match(row.detail, /attached policy arn:aws:iam::123456789012:policy\/AdministratorAccess/);
        assert.match(
            unwrap(row.fix),
            new RegExp(`aws iam detach-role-policy --role-name ${ROLE} --policy-arn=${admin}`),
        );
    });

    /**
     * The commands of a fix as bash runs them when pasted, with aws and pulumi replaced by functions that
     * print their arguments one a line: what each value became, and whether anything else ran.
     */
    function pasteIntoBash(fix = ""): string[] {
        const lines = fix.split("\n");
        const commands = lines.filter((line, i) => /^(aws|pulumi) /.test(line) || /\\$/.test(lines[i - 1] ?? ""));
        const stubs = "aws() { printf '%s\\n' \"$@\"; }\npulumi() { printf '%s\\n' \"$@\"; }\n";
        const run = spawnSync("bash", ["-c", stubs + commands.join("\n")], { encoding: "utf8" });
        assert.strictEqual(run.status, 0, `bash refused the fix:\n${commands.join("\n")}\n${run.stderr}`);
        return run.stdout.split("\n");
    }

    it("a policy path or a key id holding $(...) or a quote: the fix quotes it, and pasting it runs nothing", async () => {
        const ran = path.join(dir, "pasted-and-ran");
        // IAM paths hold no space; ${IFS} is one to the shell.
        const created = await iam.send(
            new CreatePolicyCommand({
                PolicyName: "Extra",
                Path: `/$(touch\${IFS}${ran})/`,
                PolicyDocument: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
                }),
            }),
        );
        const policyArn = created.Policy?.Arn as string;
        assert.ok(policyArn.includes("$(touch"), policyArn);
        await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: policyArn }));
        const keyId = `arn:aws:kms:us-east-1:123456789012:key/it's'$(touch ${ran})'`;
        await encryptWithKms(s3, PREFIXED, keyId);
        const { report } = await doctor();
        const detach = report.rows.find((r) => r.check === "only the stack's policy");
        assert.ok(unwrap(detach?.fix).includes(`--policy-arn='arn:aws:iam::123456789012:policy/$(touch\${IFS}`));
        const encryption = report.rows.find((r) => r.subject === PREFIXED && r.check === "encryption");
        assert.ok(unwrap(encryption?.fix).includes(`kmsKeyArn' 'arn:aws:kms:us-east-1:123456789012:key/it'\\''s'\\''`));
        // Pasted, each value is one argument, as AWS gave it, and no command in it ran.
        assert.ok(pasteIntoBash(detach?.fix).includes(`--policy-arn=${policyArn}`));
        assert.ok(pasteIntoBash(encryption?.fix).includes(keyId));
        assert.ok(!fs.existsSync(ran), "pasting the doctor's fix ran a command from AWS's answer");
    });

    it("values from AWS's answers that start with '-': never an option in the commands to paste", async () => {
        // IAM allows a policy name such as this; the attached policy's ARN and the alias's key are forged answers.
        const inlineName = "--region=eu-west-3";
        await iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE,
                PolicyName: inlineName,
                PolicyDocument: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }],
                }),
            }),
        );
        const hostileArn = "--profile=attacker";
        proxy.forged.set("iam:ListAttachedRolePolicies", {
            contentType: "text/xml",
            body:
                '<ListAttachedRolePoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' +
                "<ListAttachedRolePoliciesResult><AttachedPolicies><member><PolicyName>Extra</PolicyName>" +
                `<PolicyArn>${hostileArn}</PolicyArn></member></AttachedPolicies><IsTruncated>false</IsTruncated>` +
                "</ListAttachedRolePoliciesResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>" +
                "</ListAttachedRolePoliciesResponse>",
        });
        proxy.forged.set("kms:DescribeKey", {
            contentType: "application/x-amz-json-1.1",
            body: JSON.stringify({
                KeyMetadata: { KeyId: "k", Arn: "--stack=production", AWSAccountId: "123456789012" },
            }),
        });
        await encryptWithKms(s3, PREFIXED, "alias/media");
        const { report } = await doctor();
        const extras = report.rows.find((r) => r.check === "only the stack's policy");
        assert.strictEqual(extras?.status, "fail");
        // Pasted, each value from AWS is glued to its option: the command sees no option of AWS's making.
        const args = pasteIntoBash(extras?.fix);
        assert.ok(args.includes(`--policy-arn=${hostileArn}`) && !args.includes(hostileArn), args.join(" "));
        assert.ok(args.includes(`--policy-name=${inlineName}`) && !args.includes(inlineName), args.join(" "));
        const encryption = report.rows.find((r) => r.subject === PREFIXED && r.check === "encryption");
        assert.strictEqual(encryption?.status, "fail");
        assert.match(
            encryption?.detail ?? "",
            /^SSE-KMS with alias\/media, for which kms:DescribeKey answered "--stack=production", not a key ARN/,
        );
        assert.match(
            encryption?.fix ?? "",
            /^fix by hand: .* cloudglue:buckets\[1\]\.kmsKeyArn in Pulumi\.doctor\.yaml$/,
        );
        assert.ok(!report.rows.some((r) => r.subject === PREFIXED && r.check === "key policy"), "no key asked about");
    });

    it("a key the config does not name: the fix ends pulumi's options before the key and the ARN", async () => {
        const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
        await encryptWithKms(s3, PREFIXED, key);
        const row = onlyFailure((await doctor()).report);
        const args = pasteIntoBash(row.fix);
        assert.deepStrictEqual(args.slice(0, 5), ["config", "set", "--path", "--", "cloudglue:buckets[1].kmsKeyArn"]);
        assert.strictEqual(args[5], key);
    });

    it("an inline policy edited in the console: fails with the difference, statement by statement", async () => {
        const edited = buildAccessPolicy(BUCKETS);
        const read = edited.Statement[0];
        edited.Statement[0] = { ...read, Action: ["s3:GetObject", "s3:ListBucket", "s3:DeleteObject"] };
        edited.Statement.push({ Sid: "AddedInConsole", Effect: "Allow", Action: "s3:*", Resource: "*" });
        await iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE,
                PolicyName: "CloudglueExternalS3AccessPolicy",
                PolicyDocument: JSON.stringify(edited),
            }),
        );
        const row = onlyFailure((await doctor()).report);
        assert.strictEqual(row.section, "inline policy");
        const lines = row.detail.split("\n").slice(1);
        assert.deepStrictEqual(lines, [
            "~ AllowCrossAccountRoleReadAccess: Action adds s3:DeleteObject and lacks s3:GetBucketLocation",
            '+ AddedInConsole: not in the stack\'s policy: {"Sid":"AddedInConsole","Effect":"Allow","Action":"s3:*","Resource":"*"}',
        ]);
        assert.match(row.fix ?? "", /^pulumi up puts back the stack's policy/);
    });

    it("a bucket policy that denies requests outside a VPC endpoint: fails, names the Sid, says how to exempt", async () => {
        const policy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyOutsideVpce",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [`arn:aws:s3:::${WHOLE}`, `arn:aws:s3:::${WHOLE}/*`],
                    Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } },
                },
                {
                    Sid: "DenyPlainHttp",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [`arn:aws:s3:::${WHOLE}`, `arn:aws:s3:::${WHOLE}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        };
        await s3.send(new PutBucketPolicyCommand({ Bucket: WHOLE, Policy: JSON.stringify(policy) }));
        const row = onlyFailure((await doctor()).report);
        assert.strictEqual(row.subject, WHOLE);
        assert.strictEqual(row.check, "bucket policy Deny");
        assert.match(
            row.detail,
            /Deny Sid "DenyOutsideVpce" catches Cloudglue's role on s3:ListBucket, s3:GetObject, s3:GetBucketLocation/,
        );
        assert.match(row.detail, /StringNotEquals aws:SourceVpce/);
        assert.match(row.fix ?? "", new RegExp(`"ArnNotEquals": \\{"aws:PrincipalArn": "${ROLE_ARN}"\\}`));
    });

    it("a Deny on an organisation the doctor cannot judge: fails closed, saying what it cannot tell", async () => {
        const policy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyOutsideOrg",
                    Effect: "Deny",
                    Principal: { AWS: "*" },
                    Action: "s3:GetObject",
                    Resource: `arn:aws:s3:::${PREFIXED}/*`,
                    Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                },
            ],
        };
        await s3.send(new PutBucketPolicyCommand({ Bucket: PREFIXED, Policy: JSON.stringify(policy) }));
        const row = onlyFailure((await doctor()).report);
        assert.strictEqual(row.subject, PREFIXED);
        assert.match(
            row.detail,
            /Deny Sid "DenyOutsideOrg" may catch Cloudglue's role on s3:GetObject: the doctor cannot tell whether Cloudglue's requests meet StringNotEquals aws:PrincipalOrgID/,
        );
    });

    it("a bucket-policy Deny on other keys than the sampled ones: 'may block; check by hand', named, not ok", async () => {
        const policy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:GetObject",
                    Resource: `arn:aws:s3:::${WHOLE}/private/*`,
                },
                // Nothing the role asks for: no row.
                { Sid: "NoDeletes", Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: "*" },
            ],
        };
        await s3.send(new PutBucketPolicyCommand({ Bucket: WHOLE, Policy: JSON.stringify(policy) }));
        const { code, report } = await doctor();
        const rows = report.rows.filter((r) => r.subject === WHOLE && r.check.startsWith("bucket policy"));
        assert.deepStrictEqual(
            rows.map((r) => `${r.status} ${r.check}`),
            ["warn bucket policy Deny"],
            "the sampled key passing does not make it ok",
        );
        assert.match(
            rows[0].detail,
            new RegExp(
                `^may block; check by hand: the bucket policy's Deny statement 1 \\(no Sid\\) does not catch the requests ` +
                    `the doctor tries .*s3:GetObject on arn:aws:s3:::${WHOLE}/videos/example\\.mp4.*, but its Resource ` +
                    `overlaps what Cloudglue's role may read: s3:GetObject on arn:aws:s3:::${WHOLE}/\\*$`,
            ),
        );
        assert.match(rows[0].fix ?? "", /"ArnNotEquals": \{"aws:PrincipalArn": /);
        assert.strictEqual(report.summary.warn, 1);
        assert.strictEqual(code, 0, "a row to check by hand, as the doctor's other warnings: exit 0");
        const text = await doctor(["--no-json"]);
        assert.match(text.stdout, /\n {2}WARN {2}acme-doctor-raw: bucket policy Deny\n {8}may block; check by hand: /);
        assert.match(text.stdout, /Result: \d+ passed, 0 failed, 1 to check by hand/);
    });

    it("a key-policy Deny: fails when it catches the role's decryption, 'may block; check by hand' when unsure", async () => {
        await encryptWhole([
            { Sid: "NoDecryptOutsideOrg", Effect: "Deny", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
            {
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "kms:*",
                Resource: "*",
                Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123" } },
            },
            // Not the role's request: no row.
            { Sid: "NoDeletion", Effect: "Deny", Principal: "*", Action: "kms:ScheduleKeyDeletion", Resource: "*" },
        ]);
        const { code, report } = await doctor();
        const rows = report.rows.filter((r) => r.subject === WHOLE && r.check.startsWith("key policy"));
        assert.deepStrictEqual(
            rows.map((r) => `${r.status} ${r.check}`),
            ["pass key policy", "fail key policy Deny", "warn key policy Deny"],
        );
        assert.match(rows[1].detail, /Deny Sid "NoDecryptOutsideOrg" of .* catches Cloudglue's role on kms:Decrypt/);
        assert.match(
            rows[2].detail,
            /^may block; check by hand: the key policy's Deny statement 3 \(no Sid\) .* cannot tell whether Cloudglue's requests meet StringNotEquals aws:PrincipalOrgID$/,
        );
        assert.strictEqual(code, 1);
    });

    /** WHOLE encrypted with a new key of this policy (and the account's root), the stack granting the key. */
    async function encryptWhole(denies: unknown[]): Promise<string> {
        const root = {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::123456789012:root" },
            Action: "kms:*",
            Resource: "*",
        };
        const keyPolicy = { Version: "2012-10-17", Statement: [root, ...denies] };
        const created = await kms.send(
            new CreateKeyCommand({ Policy: JSON.stringify(keyPolicy), BypassPolicyLockoutSafetyCheck: true }),
        );
        const key = created.KeyMetadata?.Arn as string;
        const buckets = [{ name: WHOLE, kmsKeyArn: key }, BUCKETS[1]];
        await iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE,
                PolicyName: "CloudglueExternalS3AccessPolicy",
                PolicyDocument: JSON.stringify(buildAccessPolicy(buckets)),
            }),
        );
        await encryptWithKms(s3, WHOLE, key);
        configFile = writeConfig(buckets);
        return key;
    }

    it("a Deny on a session of the role: 'may block; check by hand' for one session name, fails for all of them", async () => {
        const sessions = `arn:aws:sts::123456789012:assumed-role/${ROLE}/`;
        const onSession = (sid: string, session: string, action: string, resource: string | string[]) => ({
            Sid: sid,
            Effect: "Deny",
            Principal: { AWS: `${sessions}${session}` },
            Action: action,
            Resource: resource,
        });
        const bucketPolicy = {
            Version: "2012-10-17",
            Statement: [
                onSession("NoCloudglueSession", "cloudglue", "s3:*", [
                    `arn:aws:s3:::${PREFIXED}`,
                    `arn:aws:s3:::${PREFIXED}/*`,
                ]),
            ],
        };
        await s3.send(new PutBucketPolicyCommand({ Bucket: PREFIXED, Policy: JSON.stringify(bucketPolicy) }));
        await encryptWhole([
            onSession("NoSessionDecrypts", "*", "kms:Decrypt", "*"),
            onSession("NoOneSession", "x", "kms:*", "*"),
        ]);
        const { code, report } = await doctor();
        const denies = report.rows.filter((r) => r.check.endsWith("Deny"));
        assert.deepStrictEqual(
            denies.map((r) => `${r.status} ${r.subject}: ${r.check}`),
            [
                `fail ${WHOLE}: key policy Deny`,
                `warn ${WHOLE}: key policy Deny`,
                `warn ${PREFIXED}: bucket policy Deny`,
            ],
        );
        assert.match(denies[0].detail, /Deny Sid "NoSessionDecrypts" of .* catches Cloudglue's role on kms:Decrypt/);
        const why =
            "its Principal names a session of the role \\(arn:aws:sts::<account>:assumed-role/<role>/<session>\\), " +
            "and the doctor cannot tell whether it is Cloudglue's, whose name Cloudglue picks$";
        assert.match(
            denies[1].detail,
            new RegExp(`^may block; check by hand: the key policy's Deny Sid "NoOneSession" .*: ${why}`),
        );
        assert.match(
            denies[2].detail,
            new RegExp(
                `^may block; check by hand: the bucket policy's Deny Sid "NoCloudglueSession" may catch .*: ${why}`,
            ),
        );
        assert.ok(!report.rows.some((r) => r.subject === PREFIXED && r.check === "bucket policy"), "no 'ok' beside it");
        assert.strictEqual(code, 1);
    });

    it("S3 decrypts on the role's behalf: a key-policy Deny on aws:ViaAWSService true catches it, one on false does not", async () => {
        const viaService = (sid: string, value: string) => ({
            Sid: sid,
            Effect: "Deny",
            Principal: "*",
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { Bool: { "aws:ViaAWSService": value } },
        });
        await encryptWhole([viaService("OnlyDirect", "true"), viaService("OnlyThroughServices", "false")]);
        const { code, report } = await doctor();
        const row = onlyFailure(report);
        assert.strictEqual(row.check, "key policy Deny");
        assert.match(row.detail, /Deny Sid "OnlyDirect" of .* catches Cloudglue's role on kms:Decrypt through S3/);
        assert.deepStrictEqual(
            report.rows.filter((r) => r.status === "warn"),
            [],
        );
        assert.strictEqual(code, 1);
    });

    it("an SSE-KMS bucket whose key is not in the config: fails with the config line to add", async () => {
        const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
        await encryptWithKms(s3, PREFIXED, key);
        const { report } = await doctor();
        const row = onlyFailure(report);
        assert.strictEqual(row.subject, PREFIXED);
        assert.strictEqual(row.check, "encryption");
        assert.match(row.detail, /which the config does not name/);
        assert.match(
            unwrap(row.fix),
            new RegExp(`^pulumi config set --path -- 'cloudglue:buckets\\[1\\]\\.kmsKeyArn' ${key}\n`),
        );
        const keyRow = report.rows.find((r) => r.check === "key policy");
        assert.strictEqual(keyRow?.status, "pass", "a new key's default policy delegates to the account");
        assert.strictEqual(report.calls.awsByOperation["kms:GetKeyPolicy"], 1);
    });

    it("a key whose policy does not delegate to the account: fails with the key-policy statement to add", async () => {
        const keyPolicy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "KeyAdminsOnly",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::123456789012:role/key-admin" },
                    Action: "kms:*",
                    Resource: "*",
                },
            ],
        };
        const key = (
            await kms.send(
                new CreateKeyCommand({ Policy: JSON.stringify(keyPolicy), BypassPolicyLockoutSafetyCheck: true }),
            )
        ).KeyMetadata?.Arn as string;
        const buckets = [{ name: WHOLE, kmsKeyArn: key }, BUCKETS[1]];
        await iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE,
                PolicyName: "CloudglueExternalS3AccessPolicy",
                PolicyDocument: JSON.stringify(buildAccessPolicy(buckets)),
            }),
        );
        for (const bucket of [WHOLE, PREFIXED]) {
            await encryptWithKms(s3, bucket, key);
        }
        configFile = writeConfig(buckets);
        const { report } = await doctor();
        const keyRows = failures(report).filter((r) => r.check === "key policy");
        assert.deepStrictEqual(
            keyRows.map((r) => r.subject),
            [WHOLE, PREFIXED],
        );
        assert.match(keyRows[0].detail, /neither names the role nor delegates to account 123456789012/);
        const statement = JSON.parse((keyRows[0].fix ?? "").split("\n").slice(1).join("\n"));
        assert.deepStrictEqual(statement, {
            Sid: "AllowCloudglueRoleDecryptViaS3",
            Effect: "Allow",
            Principal: { AWS: ROLE_ARN },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
        });
        // The bucket the config names the key for passes; the other one fails with its config line.
        const encryption = report.rows.filter((r) => r.check === "encryption").map((r) => `${r.subject} ${r.status}`);
        assert.deepStrictEqual(encryption, [`${WHOLE} pass`, `${PREFIXED} fail`]);
        assert.strictEqual(report.calls.awsByOperation["kms:GetKeyPolicy"], 1, "one key, one key-policy call");
        assertReadOnly(proxy.requests);
        assert.ok(proxy.requests.includes("kms:GetKeyPolicy"), proxy.requests.join("\n"));
    });

    it("a missing bucket: fails with the setting to correct, and checks nothing more on it", async () => {
        configFile = writeConfig([...BUCKETS, "acme-doctor-gone"]);
        const { report } = await doctor();
        const rows = report.rows.filter((r) => r.subject === "acme-doctor-gone" && r.section === "bucket");
        assert.deepStrictEqual(
            rows.map((r) => `${r.status} ${r.check}`),
            ["fail exists"],
        );
        assert.match(rows[0].detail, /there is no bucket named acme-doctor-gone/);
        assert.match(rows[0].fix ?? "", /cloudglue:buckets\[2\] in Pulumi\.doctor\.yaml/);
        const inline = report.rows.find((r) => r.section === "inline policy");
        assert.strictEqual(inline?.status, "fail", "the config grants a bucket the live policy does not");
    });

    it("a bucket of another account: warns with the bucket policy statement its owner must add", async () => {
        const otherAccount = new S3Client({ ...motoClientConfig(moto.endpoint), forcePathStyle: true });
        otherAccount.middlewareStack.add(
            (next) => (args) => {
                (args.request as { headers: Record<string, string> }).headers["x-moto-account-id"] = "444455556666";
                return next(args);
            },
            { step: "build", name: "otherAccount" },
        );
        await otherAccount.send(new CreateBucketCommand({ Bucket: "partner-doctor-videos" }));
        otherAccount.destroy();
        const buckets = [...BUCKETS, { name: "partner-doctor-videos", prefixes: ["shared/"] }];
        await iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE,
                PolicyName: "CloudglueExternalS3AccessPolicy",
                PolicyDocument: JSON.stringify(buildAccessPolicy(buckets)),
            }),
        );
        configFile = writeConfig(buckets);
        const { report } = await doctor();
        const row = report.rows.find((r) => r.subject === "partner-doctor-videos" && r.check === "exists");
        assert.strictEqual(row?.status, "warn");
        assert.match(row.detail, /not in account 123456789012/);
        const statements = JSON.parse((row.fix ?? "").split("\n").slice(1).join("\n"));
        assert.deepStrictEqual(statements[1], {
            Sid: "AllowCloudglueRoleList",
            Effect: "Allow",
            Principal: { AWS: ROLE_ARN },
            Action: ["s3:ListBucket"],
            Resource: "arn:aws:s3:::partner-doctor-videos",
            Condition: { StringLike: { "s3:prefix": ["shared/*"] } },
        });
    });

    it("a bucket S3 will not locate for this account, and that it does not own: warns, with the statements", async () => {
        const buckets = [...BUCKETS, { name: "partner-doctor-private" }];
        configFile = writeConfig(buckets);
        // As S3 answers an account without access to another account's bucket.
        proxy.denied.add("s3:GET /partner-doctor-private/?location=");
        const { report } = await doctor();
        const rows = report.rows.filter((r) => r.subject === "partner-doctor-private" && r.section === "bucket");
        assert.deepStrictEqual(
            rows.map((r) => `${r.status} ${r.check}`),
            ["warn exists"],
        );
        assert.match(rows[0].detail, /\(AccessDenied\), and it is not one of account 123456789012's buckets/);
        const statements = JSON.parse((rows[0].fix ?? "").split("\n").slice(1).join("\n"));
        assert.deepStrictEqual(statements[0].Resource, [
            "arn:aws:s3:::partner-doctor-private",
            "arn:aws:s3:::partner-doctor-private/*",
        ]);
    });

    it("a permissions boundary that leaves out a bucket: fails with what IAM then denies", async () => {
        const boundary = await iam.send(
            new CreatePolicyCommand({
                PolicyName: "cloudglue-boundary",
                PolicyDocument: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: "s3:*",
                            Resource: [`arn:aws:s3:::${WHOLE}`, `arn:aws:s3:::${WHOLE}/*`],
                        },
                    ],
                }),
            }),
        );
        const arn = boundary.Policy?.Arn as string;
        await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: ROLE, PermissionsBoundary: arn }));
        configFile = writeConfig(BUCKETS, `  cloudglue:permissionsBoundaryArn: ${arn}\n`);
        const row = onlyFailure((await doctor()).report);
        assert.strictEqual(row.check, "permissions boundary");
        assert.match(
            row.detail,
            new RegExp(
                `s3:ListBucket on arn:aws:s3:::${PREFIXED}, s3:GetObject on arn:aws:s3:::${PREFIXED}/videos/example.mp4`,
            ),
        );
        assert.ok(!row.detail.includes(`arn:aws:s3:::${WHOLE}`), "the bucket the boundary allows is not listed");
    });

    it("Cloudglue cannot list a bucket, or has no such connector: fails on those rows", async () => {
        emulator.unreadableBuckets.add(WHOLE);
        let row = onlyFailure((await doctor()).report);
        assert.strictEqual(row.section, "cloudglue");
        assert.strictEqual(row.subject, WHOLE);
        assert.match(
            row.detail,
            /Cloudglue could not list it \(502\): "Unable to list s3:\/\/acme-doctor-raw\/: AccessDenied"/,
        );

        row = onlyFailure(
            (await doctor([], { CLOUDGLUE_CONNECTOR_ID: "00000000-0000-4000-8000-00000000dead" })).report,
        );
        assert.strictEqual(row.check, "exists");
        assert.match(row.detail, /Cloudglue has no connector 00000000-0000-4000-8000-00000000dead/);
    });

    it("a hostile Cloudglue answer: its escape sequences dropped, the key it echoes redacted", async () => {
        const hostile = `\u001b[2J\u001b[31mdenied for ${API_KEY}\u0007`;
        emulator.inject({ kind: "status", status: 502, error: hostile }, { path: /\/files$/, times: 3 });
        const { report } = await doctor();
        const listed = failures(report).filter((r) => r.check === "Cloudglue can list");
        assert.strictEqual(listed.length, 3, "the whole bucket and both prefixes");
        // The quotes sit right against the text: no ESC before "[2J", no BEL before the closing quote.
        for (const row of listed) {
            assert.match(row.detail, /Cloudglue could not list it \(502\): "\[2J\[31mdenied for \[redacted\]"/);
        }
    });

    it("a Cloudglue answer that echoes the external ID: redacted in the table and in --json", async () => {
        // Cloudglue holds the external ID, so its error text may quote it; the doctor's helper asserts
        // that no output, in either form, holds it.
        for (const args of [[], ["--no-json"]]) {
            emulator.inject(
                { kind: "status", status: 502, error: `AssumeRole with ExternalId ${EXTERNAL_ID} denied` },
                { path: /\/files$/, times: 3 },
            );
            const { stdout } = await doctor(args);
            assert.match(stdout, /AssumeRole with ExternalId \[redacted\] denied/);
        }
    });

    it("a Cloudglue that does not answer: the listings fail at the doctor's deadline, with what to do", async () => {
        // Room for moto's answers on a loaded machine: the deadline must fall in the listings, not before.
        emulator.inject({ kind: "delay", ms: 8000 }, { path: /\/files$/, times: 3 });
        const { code, report } = await doctor(["--timeout-seconds", "4"]);
        assert.strictEqual(code, 1);
        const listed = report.rows.filter((r) => r.check === "Cloudglue can list");
        assert.deepStrictEqual(
            listed.map((r) => `${r.status} ${r.detail.split(".")[0]}`),
            Array(3).fill(
                'fail Cloudglue could not list it: "Cloudglue did not answer before the doctor\'s time ran out"',
            ),
        );
        assert.match(listed[0].fix ?? "", /--timeout-seconds/);
        // Leave nothing in flight for the next case: the delayed requests are still being answered.
        for (let waited = 0; emulator.log.some((r) => r.status === 0) && waited < 9000; waited += 50) {
            await new Promise((done) => setTimeout(done, 50));
        }
    });

    /**
     * An AWS endpoint that answers a request a byte a second (each byte restarts the SDK's idle
     * timeout): 15 s of bytes, then the connection drops, and the SDK tries 3 times. Requests that
     * `trickles` spares go on to moto, through the counting proxy.
     */
    async function startTrickle(trickles: (url: string) => boolean = () => true) {
        const sockets = new Set<net.Socket>();
        const server = http.createServer((request, response) => {
            if (!trickles(request.url ?? "")) {
                const target = new URL(proxy.endpoint);
                const forward = http.request(
                    {
                        host: target.hostname,
                        port: target.port,
                        method: request.method,
                        path: request.url,
                        headers: request.headers,
                    },
                    (answer) => {
                        response.writeHead(answer.statusCode ?? 502, answer.headers);
                        answer.pipe(response);
                    },
                );
                request.pipe(forward);
                return;
            }
            response.socket?.write("HTTP/1.1 200 OK\r\nx-trickle: ");
            let sent = 0;
            const timer = setInterval(() => {
                if (++sent > 15) {
                    clearInterval(timer);
                    response.socket?.destroy();
                } else {
                    response.socket?.write("a");
                }
            }, 1000);
            request.socket.on("close", () => clearInterval(timer));
        });
        server.on("connection", (socket) => {
            sockets.add(socket);
            socket.on("close", () => sockets.delete(socket));
        });
        await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
        return {
            endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
            stop: async () => {
                sockets.forEach((socket) => socket.destroy());
                await new Promise((closed) => server.close(closed));
            },
        };
    }

    it("an AWS endpoint that trickles a byte a second: the run ends near its deadline, saying what did not answer", async function () {
        this.timeout(120_000);
        const trickle = await startTrickle();
        try {
            const started = Date.now();
            const { code, report } = await doctor(["--timeout-seconds", "3", "--aws-endpoint", trickle.endpoint]);
            const seconds = (Date.now() - started) / 1000;
            // Without the run's deadline on AWS calls: about 48 s, the SDK's three attempts at 15 s each.
            assert.ok(seconds < 20, `the run took ${seconds} s with --timeout-seconds 3`);
            assert.strictEqual(code, 1);
            const caller = report.rows.find((r) => r.check === "caller");
            assert.strictEqual(caller?.status, "fail");
            assert.strictEqual(
                caller.detail,
                "AWS did not answer sts:GetCallerIdentity before the doctor's time ran out (--timeout-seconds 3), " +
                    "so the checks after it were not run",
            );
            assert.match(caller.fix ?? "", /a larger --timeout-seconds/);
            // Every other check: not run, never ok.
            const others = report.rows.filter((r) => r !== caller);
            assert.deepStrictEqual(
                [...new Set(others.map((r) => `${r.status} ${r.detail}`))],
                [
                    "skip not checked: the doctor's time ran out",
                    "skip not checked: the doctor's time ran out before Cloudglue was asked",
                ],
            );
            assert.deepStrictEqual(
                others.map((r) => `${r.subject}: ${r.check}`),
                [
                    `${ROLE}: exists`,
                    `${ROLE}: trust policy`,
                    `${ROLE}: only the stack's policy`,
                    `${ROLE}: permissions boundary`,
                    "CloudglueExternalS3AccessPolicy: matches the stack",
                    ...[WHOLE, PREFIXED].flatMap((b) => [`${b}: exists`, `${b}: bucket policy`, `${b}: encryption`]),
                    `${connectorId}: exists`,
                    `${WHOLE}: Cloudglue can list`,
                    `${PREFIXED} prefix=videos/: Cloudglue can list`,
                    `${PREFIXED} prefix=trailers/: Cloudglue can list`,
                ],
            );
        } finally {
            await trickle.stop();
        }
    });

    it("one AWS call that trickles: that check fails saying so, the bucket's next not run, the rest as answered", async function () {
        this.timeout(120_000);
        const trickle = await startTrickle((url) => url.startsWith(`/${PREFIXED}/?policy`));
        try {
            const started = Date.now();
            const { code, report } = await doctor(["--timeout-seconds", "5", "--aws-endpoint", trickle.endpoint]);
            assert.ok((Date.now() - started) / 1000 < 25, "the run outlived its deadline by far");
            assert.strictEqual(code, 1);
            const prefixed = report.rows.filter((r) => r.subject === PREFIXED);
            assert.deepStrictEqual(
                prefixed.map((r) => `${r.status} ${r.check}`),
                ["pass exists", "fail bucket policy", "skip encryption"],
            );
            assert.match(prefixed[1].detail, /^AWS did not answer s3:GetBucketPolicy before the doctor's time ran out/);
            const answered = report.rows.filter((r) => r.section !== "cloudglue" && r.subject !== PREFIXED);
            assert.deepStrictEqual([...new Set(answered.map((r) => r.status))], ["pass"]);
            // Cloudglue was never asked: not checked, not failed.
            const cloudglue = report.rows.filter((r) => r.section === "cloudglue");
            assert.deepStrictEqual([...new Set(cloudglue.map((r) => r.status))], ["skip"]);
        } finally {
            await trickle.stop();
        }
    });

    it("time gone before any check ran: nothing failed, and still exit 1 with a note saying why", async () => {
        // The Pulumi CLI takes the whole second, so the doctor sends AWS nothing.
        const slowCli = async () => {
            await new Promise((resolve) => setTimeout(resolve, 1500));
            return undefined;
        };
        const { code, report } = await doctor(["--stack", "doctor", "--timeout-seconds", "1"], {}, slowCli);
        assert.strictEqual(report.summary.fail, 0);
        assert.ok(report.summary.skip > 0);
        assert.ok(
            report.rows.every((r) => r.status === "skip"),
            JSON.stringify(report.rows),
        );
        assert.strictEqual(code, 1);
        assert.strictEqual(report.exitCode, 1);
        assert.ok(
            report.notes.includes(
                "the doctor's time ran out (--timeout-seconds 1) before every check ran, so this run does not show " +
                    "the setup healthy: run again with a larger --timeout-seconds",
            ),
            report.notes.join("\n"),
        );
    });

    it("without the Pulumi CLI, the secrets or the connector id: says what it could not check, and how to give it", async () => {
        const { code, report } = await doctor(["--stack", "doctor"], {
            CLOUDGLUE_API_KEY: "",
            CLOUDGLUE_EXTERNAL_ID: "",
            CLOUDGLUE_CONNECTOR_ID: "",
        });
        assert.strictEqual(code, 0, "nothing failed");
        assert.deepStrictEqual(report.notes, [
            "the Pulumi CLI is not installed, so the stack's outputs and secrets were not read; " +
                "give them with --connector-id, CLOUDGLUE_EXTERNAL_ID and CLOUDGLUE_API_KEY, " +
                "or install the CLI (https://www.pulumi.com/docs/install/)",
        ]);
        const unchecked = report.rows.filter((r) => r.status !== "pass").map((r) => `${r.status} ${r.check}`);
        assert.deepStrictEqual(unchecked, ["warn trust policy", "skip exists"]);
    });

    it("reads the connector id and the external ID from the stack's outputs through the Pulumi CLI", async () => {
        let stdout = "";
        const asked: string[][] = [];
        const code = await runDoctor(
            ["--stack", "doctor", "--config-file", configFile, "--aws-endpoint", proxy.endpoint],
            {
                stdout: (t) => (stdout += t),
                stderr: () => undefined,
                env: { CLOUDGLUE_API_KEY: API_KEY },
                pulumi: async (args) => {
                    asked.push(args);
                    return args[0] === "stack" ? JSON.stringify({ connectorId, externalId: EXTERNAL_ID }) : "{}";
                },
            },
        );
        assert.strictEqual(code, 0, stdout);
        assert.deepStrictEqual(asked[0], ["stack", "output", "--json", "--show-secrets", "--stack", "doctor"]);
        assert.match(
            stdout,
            /trust policy\n +trusts only Cloudglue's account, with the stack's external ID \(compared by hash\)/,
        );
        assert.match(stdout, /Result: 16 passed, 0 failed, 0 to check by hand, 0 not checked \(exit 0\)/);
        assert.match(stdout, /Calls: 12 to AWS \(iam 4, s3 7, sts 1\), 4 to Cloudglue/);
        assert.ok(!stdout.includes(EXTERNAL_ID) && !stdout.includes(API_KEY));
    });
});

describe("npm run doctor as a command", function () {
    this.timeout(30_000);

    it("--timeout-seconds bounds the Pulumi CLI too: a CLI that does not answer is stopped, and the run is cut short", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-slow-pulumi-"));
        try {
            const fake = path.join(dir, "pulumi");
            fs.writeFileSync(fake, "#!/bin/sh\nsleep 30\necho {}\n", { mode: 0o755 });
            const configFile = path.join(dir, "Pulumi.slow.yaml");
            fs.writeFileSync(configFile, `config:\n  aws:region: us-east-1\n  cloudglue:buckets: ["${WHOLE}"]\n`);
            const started = Date.now();
            const run = await runScript(
                "scripts/doctor.ts",
                ["--stack", "slow", "--config-file", configFile, "--timeout-seconds", "2", "--json"],
                {
                    PATH: `${dir}${path.delimiter}${process.env.PATH}`,
                    AWS_ACCESS_KEY_ID: "testing",
                    AWS_SECRET_ACCESS_KEY: "testing",
                    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
                },
            );
            const seconds = (Date.now() - started) / 1000;
            // ts-node's start takes a few seconds of its own; the CLI would take 30 (60 for both calls).
            assert.ok(seconds < 20, `the run took ${seconds} s`);
            assert.strictEqual(run.code, 1, run.stderr);
            const report = JSON.parse(run.stdout) as DoctorReport;
            assert.strictEqual(report.exitCode, 1);
            assert.ok(
                report.notes.includes(
                    "the Pulumi CLI did not answer in time: `pulumi stack output` was stopped when the doctor's time ran " +
                        "out (--timeout-seconds 2), so the stack's outputs and secrets were not read; run again with a " +
                        "larger --timeout-seconds, or give them with --connector-id, CLOUDGLUE_EXTERNAL_ID and CLOUDGLUE_API_KEY",
                ),
                report.notes.join("\n"),
            );
            assert.ok(!report.rows.some((r) => r.status === "pass"), "nothing is ok in a run whose time ran out");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("--help says it is read-only and exits 0; bad usage exits 2", async () => {
        const help = await runScript("scripts/doctor.ts", ["--help"]);
        assert.strictEqual(help.code, 0);
        assert.match(
            help.stdout,
            /READ-ONLY: it only reads .*; it changes nothing in AWS, in Cloudglue or in the stack\./s,
        );
        const unknown = await runScript("scripts/doctor.ts", ["--stack", "dev", "--fix"]);
        assert.strictEqual(unknown.code, 2);
        assert.match(unknown.stderr, /Unknown option '--fix'/);
        // The rest in-process: the same function the script runs, without another ts-node start.
        const usage = async (argv: string[]) => {
            let stderr = "";
            const code = await runDoctor(argv, { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} });
            return { code, stderr };
        };
        const none = await usage([]);
        assert.strictEqual(none.code, 2);
        assert.match(none.stderr, /Give --stack or --config-file\./);
        const missing = await usage(["--stack", "nosuchstack"]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /No stack config file .*Pulumi\.nosuchstack\.yaml/);
        const concurrency = await usage(["--stack", "dev", "--concurrency", "0"]);
        assert.strictEqual(concurrency.code, 2);
        assert.match(concurrency.stderr, /--concurrency: "0" is not a whole number from 1 to 32/);
        const oldId = await usage(["--stack", "dev", "--connector-id", "dc_1"]);
        assert.strictEqual(oldId.code, 2);
        assert.match(
            oldId.stderr,
            /--connector-id \(or CLOUDGLUE_CONNECTOR_ID\): "dc_1" is not a connector id; .*UUIDs/,
        );
        const remote = await usage(["--stack", "dev", "--api-url", "http://cloudglue.example.com"]);
        assert.strictEqual(remote.code, 2, "plain http only on loopback, as for cloudglue:apiUrl");
        assert.match(
            remote.stderr,
            /--api-url \(or CLOUDGLUE_API_URL\) for cloudglue:apiUrl: "http:\/\/cloudglue\.example\.com" is not/,
        );
    });
});
