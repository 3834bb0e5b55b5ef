/** The doctor's reading of a stack file (scripts/lib/stackFile.ts, shared with the review). */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { runDoctor } from "../scripts/lib/doctor/cli";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cg-doctor-file-"));

async function doctor(config: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
    const file = path.join(tmp, "Pulumi.nested.yaml");
    fs.writeFileSync(file, toYaml({ config: { "aws:region": "us-east-1", ...config } }));
    let stderr = "";
    const code = await runDoctor(["--config-file", file], {
        stdout: () => undefined,
        stderr: (t) => (stderr += t),
        env: {},
    });
    return { code, stderr };
}

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
