/**
 * api mode through the real CLI, against the emulator's registration endpoints: one up registers
 * the connector; a bucket added with `config set --path` is one PATCH and replaces nothing; a
 * rotation changes the trust in place and PATCHes the connector; destroy leaves nothing behind.
 */
import * as assert from "assert";
import { GetRoleCommand, ListRolesCommand } from "@aws-sdk/client-iam";
import { API_KEY, EngineFixture, engineFixture, ROLE_NAME } from "./helpers/fixture";

const STACK = ["--stack", "dev"];

function callsDuring(fixture: EngineFixture, run: () => Promise<unknown>): Promise<string[]> {
    const before = fixture.emulator.calls().length;
    return run().then(() => fixture.emulator.calls().slice(before));
}

async function trustOf(fixture: EngineFixture): Promise<string> {
    const role = await fixture.iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
    return decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? "");
}

const showSecret = async (fixture: EngineFixture, name: string) =>
    (await fixture.workspace.expectOk(["stack", "output", ...STACK, "--show-secrets", name])).stdout.trim();

describe("api mode through a real `pulumi up` and `pulumi destroy`", function () {
    const fixture = engineFixture({ registrationApi: true });

    before(() => fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:registration", "api"]));

    it("one up registers the connector with the role and the external ID, and the check passes", async () => {
        const calls = await callsDuring(fixture, () => fixture.workspace.expectOk(["up", ...STACK, "--yes"]));
        assert.strictEqual(calls.filter((c) => c === "POST /v1/data-connectors").length, 1, calls.join("\n"));
        const [connector] = fixture.emulator.stored();
        assert.strictEqual(connector.metadata.role_arn, `arn:aws:iam::123456789012:role/${ROLE_NAME}`);
        assert.strictEqual(connector.external_id, await showSecret(fixture, "externalId"));
        assert.strictEqual(fixture.emulator.stored().length, 1);
    });

    it("then a preview expects no changes", async () => {
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
    });

    it("a bucket added with config set --path is one PATCH, and nothing is replaced", async () => {
        await fixture.workspace.expectOk([
            "config",
            "set",
            ...STACK,
            "--path",
            "cloudglue:buckets[2]",
            "acme-media-dev-new",
        ]);
        let up = "";
        const calls = await callsDuring(fixture, async () => {
            up = (await fixture.workspace.expectOk(["up", ...STACK, "--yes"])).output;
        });
        assert.strictEqual(calls.filter((c) => c.startsWith("PATCH ")).length, 1, calls.join("\n"));
        assert.strictEqual(calls.filter((c) => c.startsWith("POST ") || c.startsWith("DELETE ")).length, 0);
        // Only the access check is replaced: its triggers hold the buckets, so that it runs again.
        const replaced = [...up.matchAll(/^\s*\+-\s+(\S+)\s+(\S+)\s+replaced\b/gm)].map((m) => `${m[1]} ${m[2]}`);
        assert.deepStrictEqual(replaced, ["command:local:Command cloudglue-access-check"], up);
        assert.match(up, /pulumi-nodejs:dynamic\/cloudglue:S3Connector\s+cloudglue-connector\s+updated/);
        assert.deepStrictEqual(fixture.emulator.stored()[0].metadata.buckets?.slice(-1), ["acme-media-dev-new"]);
    });

    it("a rotation updates the trust in place and PATCHes the connector with the new ID", async () => {
        const before = await showSecret(fixture, "externalId");
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:externalIdRotation", "2026-12"]);
        const up = await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        const after = await showSecret(fixture, "externalId");
        assert.notStrictEqual(after, before);
        assert.match(up.output, /aws:iam:Role\s+cloudglue-s3-access-role\s+updated/);
        assert.doesNotMatch(up.output, /aws:iam:Role\s+cloudglue-s3-access-role\s+replaced/);
        assert.ok((await trustOf(fixture)).includes(after));
        assert.strictEqual(fixture.emulator.stored()[0].external_id, after);
        const { text } = await fixture.workspace.exportStack("dev");
        for (const secret of [before, after, API_KEY]) {
            assert.ok(!text.includes(secret), "a secret is in the exported state in plain text");
        }
    });

    it("destroy deletes the connector and the role, and leaves nothing in moto or the emulator", async () => {
        const calls = await callsDuring(fixture, () => fixture.workspace.expectOk(["destroy", ...STACK, "--yes"]));
        assert.strictEqual(calls.filter((c) => c.startsWith("DELETE ")).length, 1, calls.join("\n"));
        assert.deepStrictEqual(fixture.emulator.stored(), []);
        const roles = await fixture.iam.send(new ListRolesCommand({}));
        assert.deepStrictEqual(roles.Roles ?? [], []);
    });
});
