/**
 * The README's web path through the real CLI: the first `pulumi up` makes the role and says what
 * to enter in Cloudglue; the emulator's web-connector makes the connector as the web app would;
 * the second `pulumi up` adopts it and the access check runs. After each up, a preview with
 * --expect-no-changes passes. The state holds neither the API key nor the external ID in plain text.
 */
import * as assert from "assert";
import { GetRoleCommand, GetRolePolicyCommand } from "@aws-sdk/client-iam";
import { accessModelFromPolicy } from "../../emulator/cloudglueEmulator";
import { API_KEY, engineFixture, ROLE_NAME } from "./helpers/fixture";
import { EngineFixture } from "./helpers/fixture";

const STACK = ["--stack", "dev"];

/** Makes the emulator judge listings by the inline policy the role holds in moto now, as S3 would. */
async function judgeByRolePolicy(fixture: EngineFixture): Promise<void> {
    const policy = await fixture.iam.send(
        new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: "CloudglueExternalS3AccessPolicy" }),
    );
    fixture.emulator.access = accessModelFromPolicy(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? "")));
}

async function expectNoChanges(fixture: EngineFixture): Promise<void> {
    const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
    assert.strictEqual(preview.code, 0, preview.output);
}

describe("the web path through a real `pulumi up`", function () {
    const fixture = engineFixture();
    let externalId: string;
    let connectorId: string;

    it("the first up creates the role, prints nextStep, and keeps externalId a secret output", async () => {
        const up = await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        assert.match(up.output, /Cloudglue is not connected yet\. In Cloudglue's web app/);
        assert.match(up.output, /Role ARN: {4}arn:aws:iam::123456789012:role\/cloudglue-external-s3-access-role/);
        const role = await fixture.iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
        assert.strictEqual(role.Role?.Arn, "arn:aws:iam::123456789012:role/cloudglue-external-s3-access-role");

        const shown = await fixture.workspace.expectOk(["stack", "output", ...STACK, "externalId"]);
        assert.strictEqual(shown.stdout.trim(), "[secret]");
        externalId = (
            await fixture.workspace.expectOk(["stack", "output", ...STACK, "--show-secrets", "externalId"])
        ).stdout.trim();
        assert.strictEqual(externalId.length, 48);
        assert.ok(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? "").includes(externalId));
    });

    it("after the first up, a preview expects no changes", () => expectNoChanges(fixture));

    it("the emulator's web-connector makes the connector, as the web app would", async () => {
        const roleArn = (await fixture.workspace.expectOk(["stack", "output", ...STACK, "roleArn"])).stdout.trim();
        const made = await fixture.workspace.sh(
            `npm run -s emulator -- web-connector --role-arn ${roleArn} --url ${fixture.emulator.url}`,
            // The web app's stand-in takes the account's key, as the person is signed in to Cloudglue.
            { CLOUDGLUE_EXTERNAL_ID: externalId, CLOUDGLUE_API_KEY: API_KEY },
        );
        assert.strictEqual(made.code, 0, made.output);
        connectorId = /^Created S3 connector ([0-9a-f-]{36})$/m.exec(made.stdout)?.[1] ?? "";
        assert.match(connectorId, /^[0-9a-f-]{36}$/, made.output);
    });

    it("the second up adopts the connector and the access check, run by the command provider, passes", async () => {
        await judgeByRolePolicy(fixture);
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:connectorId", connectorId]);
        const up = await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        assert.match(up.output, new RegExp(`Cloudglue is connected: connector ${connectorId}`));
        assert.match(up.output, /command:local:Command\s+cloudglue-access-check\s+created/);
        assert.match(up.output, /acme-media-dev-raw/);
        const listings = fixture.emulator.calls().filter((call) => call.includes("/files"));
        assert.ok(listings.length >= 3, `the check listed: ${fixture.emulator.calls().join(", ")}`);
    });

    it("after the second up, a preview expects no changes", () => expectNoChanges(fixture));

    it("a prefix the role's policy does not grant makes the up fail with the check's table", async () => {
        await judgeByRolePolicy(fixture); // the policy as it is before the change below
        // The check retries a refusal as IAM propagation for this long before it fails.
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:propagationTimeoutSeconds", "5"]);
        await fixture.workspace.expectOk([
            "config",
            "set",
            ...STACK,
            "--path",
            "cloudglue:buckets[1].prefixes[2]",
            "extras/",
        ]);
        const up = await fixture.workspace.pulumi(["up", ...STACK, "--yes"]);
        assert.notStrictEqual(up.code, 0, up.output);
        assert.match(up.output, /BUCKET\s+PREFIX\s+RESULT\s+REASON/);
        assert.match(up.output, /acme-media-dev-published\s+extras\/\s+FAILED/);
        assert.match(up.output, /acme-media-dev-raw\s+-\s+ok/);
        assert.match(up.output, /Cloudglue cannot make 1 of 4 listing\(s\) of 2 bucket\(s\)/);
        await fixture.workspace.expectOk(["config", "rm", ...STACK, "cloudglue:propagationTimeoutSeconds"]);

        await judgeByRolePolicy(fixture); // the policy now grants extras/: the next up passes
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        await expectNoChanges(fixture);
    });

    it("the state holds neither the API key nor the external ID in plain text", async () => {
        const { text } = await fixture.workspace.exportStack("dev");
        assert.ok(!text.includes(API_KEY), "the API key is in the exported state");
        assert.ok(!text.includes(externalId), "the external ID is in the exported state");
        assert.match(text, /"ciphertext"/);
    });
});
