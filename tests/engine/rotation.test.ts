/**
 * A rotation of the external ID through the real CLI, with the emulator judging every request by
 * the role's trust as moto holds it at that moment (DateLessThan aws:CurrentTime included): on
 * the web path the previous ID keeps working for the grace window, and after the deadline the
 * next up drops it; in api mode the PATCH with the new ID comes when the trust already holds both,
 * and no call to Cloudglue fails on the way. The deadline is moved by editing the state
 * (`pulumi stack export`, `pulumi stack import`), not by waiting.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { PolicyDocument } from "../../components/iamDocuments";
import { API_KEY, EngineFixture, engineFixture, ROLE_NAME } from "./helpers/fixture";

const STACK = ["--stack", "dev"];
const ROLE_ARN = `arn:aws:iam::123456789012:role/${ROLE_NAME}`;
const ROTATION_TYPE = "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation";

async function trustOf(fixture: EngineFixture): Promise<PolicyDocument> {
    const role = await fixture.iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
    return JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? "{}"));
}

/** Before each request, the emulator learns the role's trust from moto, as Cloudglue meets it in IAM. */
function judgeByLiveTrust(fixture: EngineFixture): void {
    fixture.emulator.beforeRequest = async () => {
        try {
            fixture.emulator.trustPolicies.set(ROLE_ARN, await trustOf(fixture));
        } catch {
            fixture.emulator.trustPolicies.delete(ROLE_ARN);
        }
    };
}

const showSecret = async (fixture: EngineFixture, name: string) =>
    (await fixture.workspace.expectOk(["stack", "output", ...STACK, "--show-secrets", name])).stdout.trim();

/** The deadline of the rotation as the stack's state holds it. */
async function deadlineInState(fixture: EngineFixture): Promise<string | undefined> {
    const { deployment } = await fixture.workspace.exportStack("dev");
    const rotation = (deployment.resources ?? []).find((r) => r.type === ROTATION_TYPE);
    return rotation?.outputs?.previousUntil as string | undefined;
}

/** Moves the rotation's deadline to a minute ago in the state, as if 72 hours had passed. */
async function passTheDeadline(fixture: EngineFixture): Promise<void> {
    const { text } = await fixture.workspace.exportStack("dev");
    const state = JSON.parse(text);
    const rotation = state.deployment.resources.find((r: { type: string }) => r.type === ROTATION_TYPE);
    rotation.outputs.previousUntil = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const file = path.join(fixture.workspace.root, "moved-deadline.json");
    fs.writeFileSync(file, JSON.stringify(state));
    await fixture.workspace.expectOk(["stack", "import", ...STACK, "--file", file]);
    fs.rmSync(file);
}

const graceStatements = (trust: PolicyDocument) =>
    trust.Statement.filter((s) => JSON.stringify(s.Condition ?? {}).includes("aws:CurrentTime"));

describe("a rotation on the web path through a real `pulumi up`", function () {
    const fixture = engineFixture();
    let first: string;
    let connectorId: string;

    before(async () => {
        judgeByLiveTrust(fixture);
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        first = await showSecret(fixture, "externalId");
        const made = await fixture.workspace.sh(
            `npm run -s emulator -- web-connector --role-arn ${ROLE_ARN} --url ${fixture.emulator.url}`,
            { CLOUDGLUE_EXTERNAL_ID: first, CLOUDGLUE_API_KEY: API_KEY },
        );
        connectorId = /^Created S3 connector ([0-9a-f-]{36})$/m.exec(made.stdout)?.[1] ?? "";
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:connectorId", connectorId]);
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
    });

    it("before any rotation, a preview expects no changes (the rotation's outputs are known at preview)", async () => {
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
    });

    it("the rotating up ends green: the trust takes the new ID and keeps the old one until a deadline 72 h on", async () => {
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:externalIdRotation", "2026-12"]);
        const before = Date.now();
        const up = await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        const second = await showSecret(fixture, "externalId");
        assert.notStrictEqual(second, first);
        const trust = await trustOf(fixture);
        assert.strictEqual(trust.Statement.length, 2);
        const [grace] = graceStatements(trust);
        const deadline = Date.parse(String(Object.values(grace.Condition?.DateLessThan ?? {})[0]));
        assert.ok(Math.abs(deadline - (before + 72 * 3_600_000)) < 10 * 60_000, `deadline ${deadline}`);
        assert.strictEqual(await deadlineInState(fixture), new Date(deadline).toISOString().replace(/\.\d{3}Z$/, "Z"));
        // Cloudglue still holds the first ID, and the check passed with it.
        assert.strictEqual(fixture.emulator.stored()[0].external_id, first);
        assert.match(up.output, /enter the new external ID in Cloudglue's web app/);
        const { text } = await fixture.workspace.exportStack("dev");
        for (const secret of [first, second, API_KEY]) {
            assert.ok(!text.includes(secret), "a secret is in the exported state in plain text");
        }
        assert.ok(!up.output.includes(first) && !up.output.includes(second), "an external ID is in the run's output");
    });

    it("inside the window, nothing changes: a preview expects no changes, and the deadline stays", async () => {
        const deadline = await deadlineInState(fixture);
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
        await fixture.workspace.expectOk(["up", ...STACK, "--yes", "--expect-no-changes"]);
        assert.strictEqual(await deadlineInState(fixture), deadline);
    });

    it("after the deadline, the next up drops the old ID in place, and the check fails until the web app has the new one", async () => {
        await passTheDeadline(fixture);
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:propagationTimeoutSeconds", "5"]);
        const up = await fixture.workspace.pulumi(["up", ...STACK, "--yes"]);
        assert.notStrictEqual(up.code, 0, up.output);
        assert.doesNotMatch(up.output, /aws:iam:Role\s+cloudglue-s3-access-role\s+replaced/);
        assert.deepStrictEqual(graceStatements(await trustOf(fixture)), []);
        assert.match(up.output, /FAILED/);

        fixture.emulator.setExternalId(connectorId, await showSecret(fixture, "externalId"));
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
    });
});

describe("a rotation in api mode through a real `pulumi up`", function () {
    const fixture = engineFixture({ registrationApi: true });

    before(async () => {
        judgeByLiveTrust(fixture);
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:registration", "api"]);
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
    });

    it("PATCHes the connector once the trust holds both IDs: no call to Cloudglue fails, and the check passes", async () => {
        const first = await showSecret(fixture, "externalId");
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:externalIdRotation", "2026-12"]);
        const from = fixture.emulator.log.length;
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        const during = fixture.emulator.log.slice(from);
        const second = await showSecret(fixture, "externalId");
        assert.strictEqual(fixture.emulator.stored()[0].external_id, second);
        assert.notStrictEqual(second, first);
        assert.strictEqual(during.filter((r) => r.method === "PATCH").length, 1);
        assert.deepStrictEqual(
            during.filter((r) => r.status >= 400),
            [],
            during.map((r) => `${r.method} ${r.path} ${r.status}`).join("\n"),
        );
        assert.strictEqual(graceStatements(await trustOf(fixture)).length, 1);
    });

    it("after the deadline, the next up drops the old ID in place and the check still passes", async () => {
        await passTheDeadline(fixture);
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        assert.deepStrictEqual(graceStatements(await trustOf(fixture)), []);
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
    });
});
