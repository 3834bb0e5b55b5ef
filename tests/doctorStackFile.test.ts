/** The doctor's reading of a stack file (scripts/lib/stackFile.ts, shared with the review). */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { runDoctor } from "../scripts/lib/doctor/cli";
import { readStackFile, secretPathText } from "../scripts/lib/stackFile";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cg-doctor-file-"));

async function doctor(
    config: Record<string, unknown>,
    args: string[] = [],
    env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
    const file = path.join(tmp, "Pulumi.nested.yaml");
    fs.writeFileSync(file, toYaml({ config: { "aws:region": "us-east-1", ...config } }));
    return doctorOn(file, args, env);
}

async function doctorOn(
    file: string,
    args: string[] = [],
    env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
    let stderr = "";
    const code = await runDoctor(["--config-file", file, ...args], {
        stdout: () => undefined,
        stderr: (t) => (stderr += t),
        env,
    });
    return { code, stderr };
}

/** A plain setting the doctor refuses, so that a run stops at the config, before any AWS call. */
const STOP_AT_CONFIG = { "cloudglue:propagationTimeoutSeconds": "soon" };

describe("the doctor's stack-file reader", () => {
    it("refuses an encrypted value inside a list or object, which it cannot compare AWS with, naming where it is", async () => {
        // As `pulumi config set --secret --path 'cloudglue:buckets[1].kmsKeyArn' ...` writes it.
        const ciphertext = "v1:KMSencrypted";
        const { code, stderr } = await doctor({
            "cloudglue:buckets": ["acme-media-raw", { name: "acme-media-enc", kmsKeyArn: { secure: ciphertext } }],
        });
        assert.strictEqual(code, 1, stderr);
        assert.match(
            stderr,
            /^Pulumi\.nested\.yaml: cloudglue:buckets\[1\]\.kmsKeyArn is encrypted \(set with --secret --path\), and the doctor cannot decrypt/,
        );
        assert.match(stderr, /pulumi config set --path 'cloudglue:buckets\[1\]\.kmsKeyArn' <value>/);
        assert.ok(!stderr.includes(ciphertext), stderr);
    });

    it("does not advise storing a secret in plain text without the trade-off", async () => {
        const { code, stderr } = await doctor({ "cloudglue:buckets": [{ name: "acme", prefix: { secure: "v1:x" } }] });
        assert.strictEqual(code, 1, stderr);
        assert.match(
            stderr,
            /cannot compare the buckets, prefixes and KMS keys with AWS while that value is encrypted/,
        );
        assert.match(stderr, /anyone who can read the file sees it: do that only if it need not be secret/);
        assert.ok(!/Store that one in plain text/.test(stderr), stderr);
    });

    it("shell-quotes the --path it suggests, in the CLI's bracket syntax for an odd field name", async () => {
        // A field name that would run a command if the suggestion were pasted unquoted.
        const field = "x'; touch /tmp/PWNED; echo '";
        const { code, stderr } = await doctor({ "cloudglue:buckets": [{ name: "acme", [field]: { secure: "v1:x" } }] });
        assert.strictEqual(code, 1, stderr);
        const suggested = /pulumi config set --path (.*) <value>/.exec(stderr)?.[1];
        assert.strictEqual(suggested, `'cloudglue:buckets[0]["x'\\''; touch /tmp/PWNED; echo '\\''"]'`);
        // What a POSIX shell makes of it: one argument, the path the CLI reads.
        const { spawnSync } = await import("child_process");
        const argument = spawnSync("/bin/sh", ["-c", `printf %s ${suggested}`], { encoding: "utf8" }).stdout;
        assert.strictEqual(argument, `cloudglue:buckets[0]["${field}"]`);
    });

    it('writes a field name outside [a-zA-Z_$][a-zA-Z0-9_$]* as the CLI\'s ["..."], escaping quotes', () => {
        // sdk/go/common/resource/properties_path.go (ParsePropertyPath): `.name` takes only an identifier;
        // any other name is `["..."]`, where `\"` stands for a quote.
        assert.strictEqual(secretPathText([1, "kmsKeyArn"]), "[1].kmsKeyArn");
        assert.strictEqual(
            secretPathText(["cost center", 'say "hi"', "$ok_1"]),
            '["cost center"]["say \\"hi\\""].$ok_1',
        );
    });

    it("reads past an encrypted tag, which it never compares with AWS, and refuses nothing for it", async () => {
        const { code, stderr } = await doctor({
            "cloudglue:tags": { "x'; touch /tmp/PWNED; echo '": { secure: "v1:x" }, team: { secure: "v1:y" } },
            ...STOP_AT_CONFIG,
        });
        assert.strictEqual(code, 1, stderr);
        assert.ok(!/is encrypted/.test(stderr), stderr);
        assert.ok(!/pulumi config set --path 'cloudglue:tags/.test(stderr), stderr);
        assert.match(stderr, /cloudglue:propagationTimeoutSeconds/);
    });

    it("takes a non-secret key stored whole as a secret as valid, never reporting a stand-in's length", async () => {
        const { code, stderr } = await doctor(
            {
                "cloudglue:buckets": ["acme-media-raw"],
                "cloudglue:connectorId": { secure: "v1:id" },
                "cloudglue:tags": { secure: "v1:tags" },
                "cloudglue:apiUrl": { secure: "v1:url" },
                "cloudglue:verifyAccess": { secure: "v1:verify" },
                ...STOP_AT_CONFIG,
            },
            ["--api-url", "http://127.0.0.1:9"],
        );
        assert.strictEqual(code, 1, stderr);
        // The one problem is the plain setting; none of the encrypted keys is named, nor any length.
        assert.match(stderr, /cloudglue:propagationTimeoutSeconds/);
        assert.ok(!/connectorId|cloudglue:tags|cloudglue:apiUrl|verifyAccess|characters\)/.test(stderr), stderr);
    });

    it("says an encrypted value it read past was not checked, and does not take a stand-in for the connector", async () => {
        const { stderr } = await doctor(
            { "cloudglue:buckets": ["acme-media-raw"], "cloudglue:connectorId": { secure: "v1:id" } },
            ["--aws-endpoint", "http://127.0.0.1:9", "--api-url", "http://127.0.0.1:9", "--timeout-seconds", "3"],
            { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" },
        );
        assert.match(
            stderr,
            /note: cloudglue:connectorId is encrypted in the stack file, which the doctor cannot decrypt: .*was not checked/,
        );
        assert.ok(!stderr.includes("00000000-0000-4000-8000-00000000c1d0"), stderr);
    });

    it("asks for --api-url when cloudglue:apiUrl is encrypted, rather than asking the default API", async () => {
        const { code, stderr } = await doctor({
            "cloudglue:buckets": ["acme-media-raw"],
            "cloudglue:apiUrl": { secure: "v1:url" },
        });
        assert.strictEqual(code, 2, stderr);
        assert.match(
            stderr,
            /cloudglue:apiUrl is encrypted .* give the same URL with --api-url \(or CLOUDGLUE_API_URL\)/,
        );
    });

    it("says plainly which key is nested too deeply to read, not a stack overflow", async () => {
        const file = path.join(tmp, "Pulumi.deep.yaml");
        const depth = 200_000;
        fs.writeFileSync(
            file,
            `config:\n  aws:region: us-east-1\n  cloudglue:buckets: ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
        );
        const { code, stderr } = await doctorOn(file);
        assert.strictEqual(code, 1, stderr);
        assert.match(stderr, /^Pulumi\.deep\.yaml: cloudglue:buckets: nested too deeply to read/);
        assert.ok(!/Maximum call stack|RangeError/.test(stderr), stderr);
    });

    it("refuses a value nested past the config's limit by its key and the limit", async () => {
        let deep: unknown = "acme-media-raw";
        for (let i = 0; i < 40; i++) {
            deep = [deep];
        }
        const { code, stderr } = await doctor({ "cloudglue:buckets": deep });
        assert.strictEqual(code, 1, stderr);
        assert.match(
            stderr,
            /cloudglue:buckets: the value is nested too deeply: more than 10 levels .* the limit is 10/,
        );
    });
});

describe("the stack-file reader, as the Pulumi CLI hands config to the program", () => {
    it("takes each top-level scalar's text as written, a null as empty, and YAML 1.1 types inside lists and objects", () => {
        const file = path.join(tmp, "Pulumi.scalars.yaml");
        fs.writeFileSync(
            file,
            [
                "config:",
                "  cloudglue:permissionsBoundaryArn:",
                "  cloudglue:a: 1e3",
                "  cloudglue:b: False",
                "  cloudglue:c: 0x10",
                "  cloudglue:d: ~",
                "  cloudglue:e: 'null'",
                "  cloudglue:f: 0777",
                "  cloudglue:tags: {team: on, n: 0777, h: 0x10, e: 1e3, d: 2001-12-14, s: 1:20, q: 'on'}",
                "",
            ].join("\n"),
        );
        const { config } = readStackFile(file, () => assert.fail("no secret"));
        // sdk/go/common/resource/config/value.go (unmarshalValue) first unmarshals a value into a Go
        // string; yaml.v2 (decode.go) then sets the scalar's source text, and a null the zero value "".
        assert.strictEqual(config["cloudglue:permissionsBoundaryArn"], "");
        assert.strictEqual(config["cloudglue:a"], "1e3");
        assert.strictEqual(config["cloudglue:b"], "False");
        assert.strictEqual(config["cloudglue:c"], "0x10");
        assert.strictEqual(config["cloudglue:d"], "");
        assert.strictEqual(config["cloudglue:e"], "null");
        assert.strictEqual(config["cloudglue:f"], "0777");
        // A list or object fails that, so it is unmarshalled into interface{}: yaml.v2 resolves plain
        // scalars by YAML 1.1 (resolve.go: on/n are booleans, 0777 octal, 0x10 hex), keeps timestamps as
        // text (decode.go, "for backward compatibility") and knows no sexagesimal; map keys become
        // fmt.Sprintf("%v") strings (value.go, interfaceMapToStringMap), then JSON.
        assert.deepStrictEqual(JSON.parse(config["cloudglue:tags"]), {
            team: true,
            false: 511,
            h: 16,
            e: 1000,
            d: "2001-12-14",
            s: "1:20",
            q: "on",
        });
    });
});
