import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { buildAccessPolicy, buildTrustPolicy } from "../components/iamDocuments";
import { describeAccess } from "../scripts/lib/accessSummary";
import { withActiveMutant } from "../scripts/lib/childEnv";
import { onlyOfType, PROJECT_ROOT, readStackFile, runProgram, stackConfig } from "../scripts/lib/programRun";
import { secretPathText } from "../scripts/lib/stackFile";
import { review, ReviewReport, SECRET_PLACEHOLDER } from "../scripts/lib/review";
import { runScript } from "./helpers/processes";

const GENERATED_ID = "M0ck+External.Id=For/Tests:only@x,y-z";
const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cg-review-"));

/** A stack file made in the test, as `pulumi config set` would write it (with a region, as pulumi up needs). */
function stackFile(name: string, config: Record<string, unknown>): string {
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, toYaml({ config: { "aws:region": "us-east-1", ...config } }));
    return file;
}

const runReview = (args: string[]) => runScript("scripts/review.ts", args);

function policyConfigFile(name: string, config: object): string {
    const file = path.join(tmp, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    return file;
}

describe("the offline review (npm run review)", function () {
    this.timeout(60000);
    let dev: ReviewReport;
    before(async () => {
        dev = await review(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"));
    });

    it("lists the resources of the dev stack in declaration order, with their parents", () => {
        assert.deepStrictEqual(dev.resources, [
            { type: "random:index/randomPassword:RandomPassword", name: "cloudglue-external-id", parent: null },
            {
                type: "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation",
                name: "cloudglue-external-id-rotation",
                parent: null,
            },
            { type: "cloudglue:aws:S3AccessRole", name: "cloudglue-s3-access", parent: null },
            { type: "aws:iam/role:Role", name: "cloudglue-s3-access-role", parent: "cloudglue-s3-access" },
            {
                type: "aws:iam/rolePolicy:RolePolicy",
                name: "cloudglue-s3-access-policy",
                parent: "cloudglue-s3-access",
            },
            {
                type: "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
                name: "cloudglue-s3-access-inline-policies",
                parent: "cloudglue-s3-access",
            },
            {
                type: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                name: "cloudglue-s3-access-managed-policies",
                parent: "cloudglue-s3-access",
            },
            // The dev stack is in the default web mode without a connector id yet: no connector resource.
        ]);
        assert.strictEqual(dev.status, "clean");
        assert.deepStrictEqual(dev.violations, []);
    });

    it("shows exactly the documents the program sends, with the external ID as [secret]", async () => {
        // The review and the program build from the same functions; if either changes, this fails.
        const run = await runProgram({ config: stackConfig("dev") });
        const sentTrust = JSON.parse(String(onlyOfType(run, "aws:iam/role:Role").inputs.assumeRolePolicy));
        const sentPolicy = JSON.parse(String(onlyOfType(run, "aws:iam/rolePolicy:RolePolicy").inputs.policy));
        assert.deepStrictEqual(sentTrust, buildTrustPolicy(GENERATED_ID));
        assert.deepStrictEqual(dev.documents?.trustPolicy, buildTrustPolicy("[secret]"));
        assert.deepStrictEqual(dev.documents?.inlinePolicy, sentPolicy);
        assert.deepStrictEqual(
            dev.documents?.inlinePolicy,
            buildAccessPolicy([
                { name: "acme-media-dev-raw" },
                { name: "acme-media-dev-published", prefixes: ["videos/", "trailers/"] },
            ]),
        );
    });

    it("has no grace deadline outside a rotation", () => {
        assert.strictEqual(dev.previousExternalIdUntil, null);
        assert.ok(!describeAccess(dev.access!).some((l) => l.includes("previous external ID")));
    });

    it("inside a rotation's grace window shows the deadline, the previous ID as [secret], and passes the pack", async () => {
        const previous = "Previous+External.Id=2026@acme:x/y,z-0";
        const until = new Date(Date.now() + 72 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
        const report = await review(
            path.join(PROJECT_ROOT, "Pulumi.dev.yaml"),
            undefined,
            undefined,
            {},
            {
                previous,
                previousUntil: until,
            },
        );
        assert.strictEqual(report.status, "clean", JSON.stringify(report.violations));
        assert.strictEqual(report.previousExternalIdUntil, until);
        assert.strictEqual(report.access?.assumeRole[1].previousExternalIdUntil, until);
        const shown = buildTrustPolicy("[secret]", { externalId: "the previous one", until });
        shown.Statement[1].Condition!.StringEquals["sts:ExternalId"] = "[secret]";
        assert.deepStrictEqual(report.documents?.trustPolicy, shown);
        const lines = describeAccess(report.access!);
        assert.strictEqual(
            lines[1],
            `  also accepts the previous external ID until ${until} (sts:ExternalId StringEquals "[secret]"): ` +
                "a rotation's grace window, which IAM itself closes then",
        );
        assert.ok(!JSON.stringify(report).includes(previous), "the previous ID is never shown");
    });

    it("summarises who may assume the role and what each bucket grants", () => {
        const lines = describeAccess(dev.access!);
        assert.strictEqual(
            lines[0],
            'Who may assume the role: AWS arn:aws:iam::992382634011:root, for sts:AssumeRole, only if sts:ExternalId StringEquals "[secret]"',
        );
        assert.ok(lines.some((l) => /acme-media-dev-raw\s+every object; may list the whole bucket$/.test(l)));
        assert.ok(
            lines.some((l) =>
                /acme-media-dev-published\s+objects under videos\/\*, trailers\/\*; may list videos\/\*, trailers\/\*$/.test(
                    l,
                ),
            ),
        );
        assert.ok(
            lines.includes(
                "Where Cloudglue may write: s3:PutObject on arn:aws:s3:::cloudglue-external-transfer, arn:aws:s3:::cloudglue-external-transfer/*",
            ),
        );
        assert.ok(lines.includes("Nothing else: no other action, bucket or key is granted."));
        assert.deepStrictEqual(dev.access?.other, []);
    });

    it("shows KMS decryption and its S3-only condition", async () => {
        const report = await review(
            stackFile("kms", { "cloudglue:buckets": [{ name: "acme-enc", kmsKeyArn: KEY_ARN }] }),
        );
        assert.deepStrictEqual(report.access?.kmsDecrypt, [{ keys: [KEY_ARN], via: ["s3.eu-west-1.amazonaws.com"] }]);
        const lines = describeAccess(report.access!);
        const at = lines.findIndex((l) => /^ {2}acme-enc /.test(l));
        assert.strictEqual(
            lines[at + 1],
            `            kms:Decrypt with ${KEY_ARN}, only through s3.eu-west-1.amazonaws.com`,
            "the key beside its bucket",
        );
    });

    it("lists what Cloudglue may read in the config's order, each KMS key beside its bucket", async () => {
        const other = KEY_ARN.replace("1234abcd", "5678abcd");
        const report = await review(
            stackFile("order", {
                "aws:region": "eu-west-1",
                "cloudglue:buckets": [
                    { name: "acme-scoped", prefixes: ["videos/"] },
                    { name: "acme-enc", kmsKeyArn: KEY_ARN },
                    "acme-plain",
                    { name: "acme-enc-scoped", prefixes: ["a/"], kmsKeyArn: other },
                ],
            }),
        );
        const lines = describeAccess(report.access!);
        const from = lines.indexOf("What Cloudglue may read:");
        const to = lines.findIndex((l) => l.startsWith("Where Cloudglue may write"));
        assert.deepStrictEqual(
            lines.slice(from + 1, to).map((l) => l.trim().split(/\s+/).slice(0, 3).join(" ")),
            [
                "acme-scoped objects under",
                "acme-enc every object;",
                `kms:Decrypt with ${KEY_ARN},`,
                "acme-plain every object;",
                "acme-enc-scoped objects under",
                `kms:Decrypt with ${other},`,
            ],
        );
    });

    it("shows that the role's policy sets are held exclusively, or not, in JSON and text", async () => {
        assert.deepStrictEqual(dev.exclusivePolicies, {
            inlinePolicyNames: ["CloudglueExternalS3AccessPolicy"],
            managedPolicyArns: [],
        });
        const off = await review(
            stackFile("not-exclusive", { "cloudglue:buckets": ["acme-raw"], "cloudglue:exclusivePolicies": false }),
        );
        assert.strictEqual(off.exclusivePolicies, null);
        assert.strictEqual(off.status, "clean");
    });

    it("handles many buckets and reports the policy size", async () => {
        const names = Array.from({ length: 80 }, (_, i) => `acme-archive-${i}`);
        const report = await review(stackFile("many", { "cloudglue:buckets": names }));
        assert.strictEqual(report.status, "clean");
        assert.deepStrictEqual(
            report.access?.buckets.map((b) => b.bucket),
            names,
        );
        assert.ok(report.access!.policySize.characters > 4000 && report.access!.policySize.characters <= 10240);
    });

    it("says when a config is over the size limit, and how many buckets fit", async () => {
        const names = Array.from({ length: 300 }, (_, i) => `acme-media-archive-${i}`);
        const report = await review(stackFile("huge", { "cloudglue:buckets": names }));
        assert.strictEqual(report.status, "invalid-config");
        assert.match(report.configErrors[0], /over IAM's limit of 10240 .* the first \d+ buckets of the list fit/);
    });

    it("exits 0 and prints the report for a clean stack", async () => {
        const result = await runReview(["--stack", "dev"]);
        assert.strictEqual(result.code, 0, result.stderr);
        assert.match(result.stdout, /Resources, in declaration order \(children indented under their parent\):/);
        assert.match(result.stdout, /"sts:ExternalId": "\[secret\]"/);
        assert.match(result.stdout, /Result: clean \(exit 0\)/);
        assert.match(
            result.stdout,
            /Policy sets held exclusively: inline policies exactly CloudglueExternalS3AccessPolicy; managed policies\s+exactly\s+none\./,
        );
    });

    it("exits 1 with the validation errors, and no stack trace, for an invalid config", async () => {
        const result = await runReview(["--config-file", stackFile("bad", { "cloudglue:buckets": ["Bad_Bucket"] })]);
        assert.strictEqual(result.code, 1);
        assert.match(result.stdout, /cloudglue:buckets\[0\]: "Bad_Bucket" is not a valid bucket name/);
        assert.ok(!/\n\s+at /.test(result.stdout + result.stderr), "no stack trace");
    });

    it("reports a bad value without the URL's token or an API key pasted into the URL, and a 10,000-deep list by its key", async () => {
        const token = "tok-7c1e9b3a5d2f";
        const pastedKey = "cg-live-9f8e7d6c5b4a39281706";
        for (const [config, says] of [
            [
                { "cloudglue:apiUrl": `https://api.example.com/v1?token=${token}` },
                "(query not shown) is not an API base URL",
            ],
            [{ "cloudglue:apiUrl": pastedKey }, "it looks like a Cloudglue API key"],
            [
                { "cloudglue:buckets": "[".repeat(10_000) + "]".repeat(10_000) },
                "cloudglue:buckets: the value is nested too deeply",
            ],
        ] as const) {
            const file = stackFile("quoting", { "cloudglue:buckets": ["acme-media-dev-raw"], ...config });
            for (const args of [
                ["--config-file", file],
                ["--config-file", file, "--json"],
            ]) {
                const result = await runReview(args);
                assert.strictEqual(result.code, 1, result.stderr);
                const output = result.stdout + result.stderr;
                assert.ok(output.includes(says), output.slice(0, 2000));
                assert.ok(!output.includes(token) && !output.includes(pastedKey), output.slice(0, 2000));
                assert.ok(!/RangeError|\n\s+at /.test(output), "no crash, no stack trace");
            }
        }
    });

    it("exits 1 on a mandatory violation, and --json prints one report without secrets", async () => {
        const file = stackFile("secrets", {
            "cloudglue:buckets": ["acme-media-dev-raw"],
            "cloudglue:externalId": { secure: "v1:AAAAencrypted" },
            "cloudglue:apiKey": { secure: "v1:BBBBencrypted" },
        });
        const policyConfig = policyConfigFile("prod-only", {
            "cloudglue-allowed-buckets": {
                enforcementLevel: "mandatory",
                allowedBucketPatterns: ["acme-media-prod-*"],
            },
        });
        const result = await runReview(["--config-file", file, "--policy-pack-config", policyConfig, "--json"]);
        assert.strictEqual(result.code, 1, result.stderr);
        const report = JSON.parse(result.stdout) as ReviewReport;
        assert.deepStrictEqual(Object.keys(report).sort(), [
            "access",
            "configErrors",
            "configFile",
            "connector",
            "documents",
            "exclusivePolicies",
            "policyPack",
            "policyPackConfig",
            "previousExternalIdUntil",
            "resources",
            "role",
            "schemaVersion",
            "status",
            "violations",
            "warnings",
        ]);
        assert.strictEqual(report.schemaVersion, 1);
        assert.strictEqual(report.status, "violations");
        assert.deepStrictEqual(
            [...new Set(report.violations.map((v) => `${v.level} ${v.policy}`))],
            ["mandatory cloudglue-allowed-buckets"],
        );
        for (const secret of [SECRET_PLACEHOLDER, GENERATED_ID, "AAAAencrypted", "BBBBencrypted"]) {
            assert.ok(!result.stdout.includes(secret), `the report holds ${secret}`);
        }
        assert.match(result.stdout, /\[secret\]/);
    });

    it("passes the dev stack under the README's example policy pack config", async () => {
        const example = path.join(PROJECT_ROOT, "policy-pack", "policy-config.example.json");
        const result = await runReview(["--stack", "dev", "--policy-pack-config", example]);
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /no violations\n\nResult: clean \(exit 0\)/);
        assert.match(
            result.stdout,
            /^Policy pack cloudglue-s3-connector@v[\d.]+, with --policy-pack-config policy-pack\/policy-config\.example\.json:$/m,
        );
        const plain = await runReview(["--stack", "dev"]);
        assert.match(plain.stdout, /^Policy pack .*, with its own enforcement levels \(no --policy-pack-config\):$/m);
    });

    it("--strict exits 1 on a warning, for a CI gate; without one it exits 0", async () => {
        const noKey = { CLOUDGLUE_API_KEY: "" };
        const warned = await runScript("scripts/review.ts", ["--stack", "dev", "--strict"], noKey);
        assert.strictEqual(warned.code, 1, warned.stdout + warned.stderr);
        assert.match(warned.stdout, /Result: clean \(exit 1\); 1 warning\(s\) above; --strict fails on a warning$/m);
        const loose = await runScript("scripts/review.ts", ["--stack", "dev"], noKey);
        assert.strictEqual(loose.code, 0, loose.stderr);
        const keyed = await runScript("scripts/review.ts", ["--stack", "dev", "--strict"], {
            CLOUDGLUE_API_KEY: "cg-k",
        });
        assert.strictEqual(keyed.code, 0, keyed.stdout + keyed.stderr);
    });

    it("tells advisories only from clean, and exits 0 on them", async () => {
        const advisory = policyConfigFile("advisory", {
            "cloudglue-allowed-buckets": { allowedBucketPatterns: ["acme-media-prod-*"] },
        });
        const text = await runReview(["--stack", "dev", "--policy-pack-config", advisory]);
        assert.strictEqual(text.code, 0, text.stderr);
        assert.match(text.stdout, /\[advisory\] cloudglue-allowed-buckets/);
        assert.match(text.stdout, /Result: advisories only \(exit 0\)/);
        const json = await runReview(["--stack", "dev", "--policy-pack-config", advisory, "--json"]);
        assert.strictEqual((JSON.parse(json.stdout) as ReviewReport).status, "advisories only");
    });

    it("exits 2 naming a misspelt policy or setting in --policy-pack-config, which the CLI would ignore", async () => {
        const misspelt = policyConfigFile("misspelt", {
            "cloudglue-role-nam": "disabled",
            "cloudglue-allowed-buckets": { allowedBucketPattern: ["acme-*"] },
        });
        const result = await runReview(["--stack", "dev", "--policy-pack-config", misspelt]);
        assert.strictEqual(result.code, 2, result.stdout);
        assert.doesNotMatch(result.stderr, /Running the program/, "refused before the program runs");
        assert.match(
            result.stderr,
            /"cloudglue-role-nam" is not a policy of this pack; its policies are cloudglue-role-name,/,
        );
        assert.match(
            result.stderr,
            /cloudglue-allowed-buckets: "allowedBucketPattern" is not a setting of this policy; its settings are allowedBucketPatterns/,
        );
        assert.strictEqual(result.stdout, "");
    });

    it("prints JSON alone on stdout as the README runs it for CI (npm run -s), and writes --output", async () => {
        const output = path.join(tmp, "report.json");
        const child = spawnSync("npm", ["run", "-s", "review", "--", "--stack", "dev", "--json", "--output", output], {
            cwd: PROJECT_ROOT,
            env: withActiveMutant(process.env),
            encoding: "utf8",
        });
        assert.strictEqual(child.status, 0, child.stderr);
        const printed = JSON.parse(child.stdout) as ReviewReport;
        assert.strictEqual(printed.status, "clean");
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(output, "utf8")), printed);
    });

    it("answers a stack file that is not YAML with a JSON report that holds the error", async () => {
        const file = path.join(tmp, "Pulumi.broken.yaml");
        fs.writeFileSync(file, "config:\n  cloudglue:buckets: [unclosed\n");
        const result = await runReview(["--config-file", file, "--json"]);
        assert.strictEqual(result.code, 1, result.stderr);
        const report = JSON.parse(result.stdout) as ReviewReport;
        assert.strictEqual(report.status, "invalid-config");
        assert.match(
            report.configErrors.join("\n"),
            /Pulumi\.broken\.yaml is not valid YAML: .*at line 3, column 1:?$/,
        );
    });

    it("exits 2 on a usage error", async () => {
        for (const args of [
            [],
            ["--stack", "dev", "--config-file", "x"],
            ["--stack", "no-such-stack"],
            ["--frobnicate"],
        ]) {
            const result = await runReview(args);
            assert.strictEqual(result.code, 2, `${args.join(" ")}: ${result.stdout}`);
            assert.match(result.stderr, /usage: npm run review/);
        }
    });
});

describe("encrypted values inside a list or object, and a take-over, in the review", function () {
    this.timeout(60000);
    const ciphertexts = ["v1:KMSencrypted", "v1:BUCKETencrypted", "v1:TEAMencrypted", "v1:IDencrypted"];

    /** As `pulumi config set --secret --path 'cloudglue:buckets[1].kmsKeyArn' ...` and the like write it. */
    const nested = () =>
        stackFile("nested", {
            "cloudglue:buckets": [
                "acme-media-raw",
                { name: "acme-media-enc", kmsKeyArn: { secure: ciphertexts[0] } },
                { secure: ciphertexts[1] },
            ],
            "cloudglue:tags": { team: { secure: ciphertexts[2] }, owner: "media" },
            "cloudglue:externalId": { secure: ciphertexts[3] },
            // Not encrypted values by the CLI's rule (one field, secure, holding a string): plain objects.
            "other:settings": { secure: "plain", note: "x" },
            "other:count": { secure: 7 },
        });

    it("readStackFile puts a stand-in where each one is, and the key counts as secret, as the CLI does", () => {
        const asked: string[] = [];
        const { config, secretKeys } = readStackFile(nested(), (key, at) => {
            asked.push(`${key}${secretPathText(at)}`);
            return `<${key}${secretPathText(at)}>`;
        });
        assert.deepStrictEqual(asked, [
            "cloudglue:buckets[1].kmsKeyArn",
            "cloudglue:buckets[2]",
            "cloudglue:tags.team",
            "cloudglue:externalId",
        ]);
        assert.deepStrictEqual(JSON.parse(config["cloudglue:buckets"]), [
            "acme-media-raw",
            { name: "acme-media-enc", kmsKeyArn: "<cloudglue:buckets[1].kmsKeyArn>" },
            "<cloudglue:buckets[2]>",
        ]);
        assert.deepStrictEqual(JSON.parse(config["cloudglue:tags"]), { team: "<cloudglue:tags.team>", owner: "media" });
        assert.strictEqual(config["cloudglue:externalId"], "<cloudglue:externalId>");
        assert.deepStrictEqual(secretKeys.sort(), ["cloudglue:buckets", "cloudglue:externalId", "cloudglue:tags"]);
        assert.deepStrictEqual(JSON.parse(config["other:settings"]), { secure: "plain", note: "x" });
        assert.deepStrictEqual(JSON.parse(config["other:count"]), { secure: 7 });
    });

    it("reviews a take-over with nested secrets as clean, and says the live check of the role runs at preview", async () => {
        // Two encrypted bucket names are two buckets, and an encrypted API URL one the program takes.
        const file = stackFile("adopt", {
            "cloudglue:buckets": [
                "acme-media-raw",
                { name: "acme-media-enc", kmsKeyArn: { secure: ciphertexts[0] } },
                { secure: ciphertexts[1] },
                { secure: "v1:BUCKET2encrypted" },
            ],
            "cloudglue:externalId": { secure: ciphertexts[3] },
            "cloudglue:apiUrl": { secure: "v1:URLencrypted" },
            "cloudglue:adoptExistingRole": "true",
        });
        const report = await review(file);
        assert.strictEqual(
            report.status,
            "clean",
            JSON.stringify(report.configErrors.concat(report.violations.map((v) => v.message))),
        );
        assert.match(
            report.role?.takeOver ?? "",
            /^takes over the existing role cloudglue-external-s3-access-role \(cloudglue:adoptExistingRole\)\. The live check of that role runs at pulumi preview and pulumi up, against AWS, not in this review/,
        );
        assert.deepStrictEqual(
            report.access?.buckets.map((b) => b.bucket),
            ["acme-media-raw", "acme-media-enc", "[secret]", "[secret]"],
        );
        assert.deepStrictEqual(report.access?.kmsDecrypt, [{ keys: ["[secret]"], via: ["[secret]"] }]);

        const text = await runReview(["--config-file", file]);
        assert.strictEqual(text.code, 0, text.stdout + text.stderr);
        assert.match(text.stdout, /^Take-over: takes over the existing role cloudglue-external-s3-access-role/m);
        assert.match(
            text.stdout.replace(/\n\s+/g, " "),
            /The live check of that role runs at pulumi preview and pulumi up, against AWS, not in this review/,
        );
        assert.match(text.stdout, /Result: clean \(exit 0\)/);
        for (const hidden of [...ciphertexts, SECRET_PLACEHOLDER, "arn:aws:kms:il-central-1"]) {
            assert.ok(!text.stdout.includes(hidden) && !JSON.stringify(report).includes(hidden), hidden);
        }
        const created = await review(stackFile("created", { "cloudglue:buckets": ["acme-media-raw"] }));
        assert.strictEqual(created.role?.takeOver, null, "no take-over line when the stack creates the role");
    });

    it("takes a non-secret key stored whole as a secret as the program does, saying the value was not checked", async () => {
        const file = stackFile("wholesecrets", {
            "cloudglue:buckets": ["acme-media-raw"],
            "cloudglue:connectorId": { secure: "v1:IDencrypted" },
            "cloudglue:tags": { secure: "v1:TAGSencrypted" },
            "cloudglue:apiUrl": { secure: "v1:URLencrypted" },
            "cloudglue:verifyAccess": { secure: "v1:VERIFYencrypted" },
        });
        const report = await review(file);
        assert.notStrictEqual(report.status, "invalid-config", report.configErrors.join("\n"));
        assert.ok(!/characters\)/.test(JSON.stringify(report)), "no stand-in's length is reported");
        assert.strictEqual(report.connector?.connectorId, "[secret]");
        assert.deepStrictEqual(
            report.warnings.filter((w) => w.kind === "encrypted-not-checked").map((w) => w.message.split(" ")[0]),
            ["cloudglue:tags", "cloudglue:apiUrl", "cloudglue:verifyAccess"],
        );
        assert.match(
            report.warnings.find((w) => w.message.startsWith("cloudglue:verifyAccess"))?.message ?? "",
            /ran the program with "true" in its place, so the encrypted value itself was not checked/,
        );
    });

    it("says which key is nested too deeply to read, not that the file is not valid YAML", async () => {
        const file = path.join(tmp, "Pulumi.deep.yaml");
        const depth = 200_000;
        fs.writeFileSync(file, `config:\n  cloudglue:buckets: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
        const report = await review(file);
        assert.strictEqual(report.status, "invalid-config");
        assert.match(report.configErrors[0], /^Pulumi\.deep\.yaml: cloudglue:buckets: nested too deeply to read/);
        assert.ok(!/not valid YAML|Maximum call stack/.test(report.configErrors[0]), report.configErrors[0]);
    });
});
