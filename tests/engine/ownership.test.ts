/**
 * What only an engine shows about the role: policies put on it outside the stack are gone after
 * the next plain `pulumi up` (Pulumi.yaml's `refresh: always` makes the engine read the exclusive
 * sets first; without a refresh it never would, pulumi-aws #4766); taking over a role made
 * beforehand with the CloudFormation template's trust; and bad config stopped at preview with
 * the review's words, before anything is created.
 */
import * as assert from "assert";
import * as fs from "fs";
import {
    AttachRolePolicyCommand,
    GetRoleCommand,
    ListAttachedRolePoliciesCommand,
    ListRolePoliciesCommand,
    ListRolesCommand,
    PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { buildTrustPolicy } from "../../components/iamDocuments";
import { engineFixture, ROLE_NAME } from "./helpers/fixture";
import { seedStackRole } from "../../scripts/lib/seedStackRole";

const STACK = ["--stack", "dev"];
const OUTSIDE_POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
});
const TEMPLATE_DESCRIPTION = "IAM role for Cloudglue external S3 access with cross-account permissions";
const HELD_ID = "held-external-id-from-the-template-0123456789";

describe("the role holds only what the stack grants, through a real `pulumi up`", function () {
    const fixture = engineFixture();

    before(async () => {
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        await fixture.iam.send(
            new PutRolePolicyCommand({
                RoleName: ROLE_NAME,
                PolicyName: "AddedInTheConsole",
                PolicyDocument: OUTSIDE_POLICY,
            }),
        );
        await fixture.iam.send(
            new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }),
        );
    });

    it("a preview shows the exclusive sets about to change (the project refreshes first)", async () => {
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.notStrictEqual(preview.code, 0, preview.output);
        assert.match(preview.output, /RolePoliciesExclusive/);
    });

    it("the next plain up removes the inline policy and the attachment made outside the stack", async () => {
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        const inline = await fixture.iam.send(new ListRolePoliciesCommand({ RoleName: ROLE_NAME }));
        const attached = await fixture.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE_NAME }));
        assert.deepStrictEqual(inline.PolicyNames, ["CloudglueExternalS3AccessPolicy"]);
        assert.deepStrictEqual(attached.AttachedPolicies, []);
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
    });

    it("without the refresh (--refresh=false) the engine would not see them: the project option is what does it", async () => {
        await fixture.iam.send(
            new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: "AddedAgain", PolicyDocument: OUTSIDE_POLICY }),
        );
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--refresh=false", "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
        await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        const inline = await fixture.iam.send(new ListRolePoliciesCommand({ RoleName: ROLE_NAME }));
        assert.deepStrictEqual(inline.PolicyNames, ["CloudglueExternalS3AccessPolicy"]);
    });
});

describe("taking over a role made with the CloudFormation template, through a real `pulumi up`", function () {
    const fixture = engineFixture();

    const makeTemplateRole = (trust: object) =>
        seedStackRole(fixture.iam, {
            trust,
            buckets: [{ name: "acme-media-dev-raw" }],
            description: TEMPLATE_DESCRIPTION,
        });

    before(async () => {
        await fixture.workspace.expectOk(["config", "set", ...STACK, "cloudglue:adoptExistingRole", "true"]);
        await fixture.workspace.expectOk(["config", "set", ...STACK, "--secret", "cloudglue:externalId", HELD_ID]);
    });

    it("refuses a role whose trust differs, before anything changes", async () => {
        await makeTemplateRole(buildTrustPolicy("another-external-id-entirely-0123456789"));
        const up = await fixture.workspace.pulumi(["up", ...STACK, "--yes"]);
        assert.notStrictEqual(up.code, 0, up.output);
        assert.match(up.output, /Cannot take over the existing role/);
        assert.doesNotMatch(up.output, new RegExp(HELD_ID));
        const { deployment } = await fixture.workspace.exportStack("dev");
        assert.deepStrictEqual(
            (deployment.resources ?? []).filter((r) => r.type.startsWith("aws:")),
            [],
            "a refused take-over imported something",
        );
        await fixture.moto.reset();
    });

    it("imports the template's role and policy, then owns them: the policy takes the config's buckets", async () => {
        await makeTemplateRole(buildTrustPolicy(HELD_ID));
        const up = await fixture.workspace.expectOk(["up", ...STACK, "--yes"]);
        assert.match(up.output, /aws:iam:Role\s+cloudglue-s3-access-role\s+imported/);
        const role = await fixture.iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
        assert.ok(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? "").includes(HELD_ID));
        const preview = await fixture.workspace.pulumi(["preview", ...STACK, "--expect-no-changes"]);
        assert.strictEqual(preview.code, 0, preview.output);
    });
});

describe("bad config stops a real `pulumi preview` with the review's words, and creates nothing", function () {
    const fixture = engineFixture();

    const cases: [string, string[], RegExp][] = [
        [
            "a bad bucket name",
            ["config", "set", ...STACK, "--path", "cloudglue:buckets[0]", "Bad_Bucket"],
            /Bad_Bucket/,
        ],
        [
            "an API key in plain text",
            ["config", "set", ...STACK, "cloudglue:apiKey", "cg-plain-text-key-0123456789"],
            /--secret/,
        ],
        ["an unknown key", ["config", "set", ...STACK, "cloudglue:bukets", "x"], /cloudglue:bukets/],
    ];
    for (const [what, set, words] of cases) {
        it(`${what}`, async () => {
            const stackFile = `${fixture.workspace.dir}/Pulumi.dev.yaml`;
            const original = fs.readFileSync(stackFile, "utf8");
            try {
                await fixture.workspace.expectOk(set);
                const preview = await fixture.workspace.pulumi(["preview", ...STACK]);
                const review = await fixture.workspace.sh("npm run -s review -- --stack dev");
                assert.notStrictEqual(preview.code, 0, preview.output);
                assert.notStrictEqual(review.code, 0, review.output);
                assert.match(preview.output, words);
                const problem = review.output
                    .split("\n")
                    .find((line) => words.test(line))
                    ?.trim();
                assert.ok(problem, `the review did not name it:\n${review.output}`);
                assert.ok(
                    preview.output.includes(problem),
                    `preview lacks the review's line "${problem}":\n${preview.output}`,
                );
                const roles = await fixture.iam.send(new ListRolesCommand({}));
                assert.deepStrictEqual(roles.Roles ?? [], []);
            } finally {
                fs.writeFileSync(stackFile, original);
            }
        });
    }
});
