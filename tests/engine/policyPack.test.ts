/**
 * The policy pack as the CLI loads it (`pulumi preview --policy-pack policy-pack`): the dev stack
 * passes, and a program that grants the Cloudglue role one thing more fails preview with the
 * pack's mandatory violation, a non-zero exit, and nothing created.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ListRolesCommand } from "@aws-sdk/client-iam";
import { engineFixture } from "./helpers/fixture";

/** Statements added to the end of index.ts: resources registered when the program loads. */
function withExtraGrant(dir: string, grant: string): void {
    const program = path.join(dir, "index.ts");
    fs.writeFileSync(
        program,
        `${fs.readFileSync(program, "utf8")}\nimport * as extraAws from "@pulumi/aws";\n${grant}\n`,
    );
}

describe("the policy pack through a real `pulumi preview --policy-pack`", function () {
    const fixture = engineFixture();
    let original: string;

    before(() => {
        original = fs.readFileSync(path.join(fixture.workspace.dir, "index.ts"), "utf8");
    });
    afterEach(() => fs.writeFileSync(path.join(fixture.workspace.dir, "index.ts"), original));

    it("passes the dev stack as it is; the trust, unknown until the external ID exists, is judged at up", async () => {
        const preview = await fixture.workspace.pulumi(["preview", "--stack", "dev", "--policy-pack", "policy-pack"]);
        assert.strictEqual(preview.code, 0, preview.output);
        assert.doesNotMatch(preview.output, /\[mandatory\]/);
        assert.match(preview.output, /\+ 8 to create/);
        // The engine's own words for a policy it cannot run yet: advisory, not a pass.
        assert.match(
            preview.output,
            /\[advisory\]\s+cloudglue-trust-requires-external-id[\s\S]*assumeRolePolicy can't be known during preview/,
        );

        const up = await fixture.workspace.pulumi(["up", "--stack", "dev", "--yes", "--policy-pack", "policy-pack"]);
        assert.strictEqual(up.code, 0, up.output);
        assert.match(up.output, /Policies:\s+✅ cloudglue-s3-connector@v0\.1\.0 \(local: policy-pack\)/);
        const again = await fixture.workspace.pulumi(["preview", "--stack", "dev", "--policy-pack", "policy-pack"]);
        assert.strictEqual(again.code, 0, again.output);
        assert.match(again.output, /Policies:\s+✅ cloudglue-s3-connector@v0\.1\.0 \(local: policy-pack\)/);
        await fixture.workspace.expectOk(["destroy", "--stack", "dev", "--yes"]);
    });

    const grants: [string, string, RegExp][] = [
        [
            "an attachment of AdministratorAccess",
            `new extraAws.iam.RolePolicyAttachment("admin", { role: "cloudglue-external-s3-access-role", ` +
                `policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });`,
            /mandatory/,
        ],
        [
            "a second inline policy",
            `new extraAws.iam.RolePolicy("more", { role: "cloudglue-external-s3-access-role", ` +
                `policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) });`,
            /mandatory/,
        ],
        [
            "a second role, with AdministratorAccess, whose trust lets the Cloudglue role in",
            `new extraAws.iam.Role("hop", { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"], ` +
                `assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ` +
                `Action: "sts:AssumeRole", ` +
                `Principal: { AWS: "arn:aws:iam::123456789012:role/cloudglue-external-s3-access-role" } }] }) });`,
            /mandatory[\s\S]*cloudglue-no-role-chaining/,
        ],
    ];
    for (const [what, grant, violation] of grants) {
        it(`fails preview on ${what}, exits non-zero and creates nothing`, async () => {
            withExtraGrant(fixture.workspace.dir, grant);
            const result = await fixture.workspace.pulumi([
                "preview",
                "--stack",
                "dev",
                "--policy-pack",
                "policy-pack",
            ]);
            assert.notStrictEqual(result.code, 0, result.output);
            assert.match(result.output, violation);
            assert.match(result.output, /cloudglue-external-s3-access-role/);
            const roles = await fixture.iam.send(new ListRolesCommand({}));
            assert.deepStrictEqual(roles.Roles ?? [], []);
        });
    }

    it("a remediated role name keeps the trust policy secret: the state holds no external ID in plain text", async () => {
        const component = path.join(fixture.workspace.dir, "components", "s3AccessRole.ts");
        const source = fs.readFileSync(component, "utf8");
        const config = path.join(fixture.workspace.root, "remediate.json");
        fs.writeFileSync(config, JSON.stringify({ "cloudglue-role-name": "remediate" }));
        try {
            fs.writeFileSync(component, source.replace("name: ROLE_NAME,", 'name: "cloudglue-renamed-role",'));
            const up = await fixture.workspace.pulumi([
                "up",
                "--stack",
                "dev",
                "--yes",
                "--policy-pack",
                "policy-pack",
                "--policy-pack-config",
                config,
            ]);
            assert.strictEqual(up.code, 0, up.output);
            const roles = await fixture.iam.send(new ListRolesCommand({}));
            assert.deepStrictEqual(
                (roles.Roles ?? []).map((role) => role.RoleName),
                ["cloudglue-external-s3-access-role"],
            );
            const externalId = (
                await fixture.workspace.expectOk(["stack", "output", "--stack", "dev", "--show-secrets", "externalId"])
            ).stdout.trim();
            const { text, deployment } = await fixture.workspace.exportStack("dev");
            assert.ok(!text.includes(externalId), "the external ID is in the state in plain text");
            const role = (deployment.resources ?? []).find((r) => r.type === "aws:iam/role:Role");
            assert.match(JSON.stringify(role?.inputs?.assumeRolePolicy), /ciphertext/);
        } finally {
            fs.writeFileSync(component, source);
            await fixture.workspace.expectOk(["destroy", "--stack", "dev", "--yes"]);
        }
    });
});
