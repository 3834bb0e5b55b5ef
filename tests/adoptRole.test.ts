import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { buildAccessPolicy, buildTrustPolicy } from "../components/iamDocuments";
import { onlyOfType, RegisteredResource, runProgram, RunOptions } from "../scripts/lib/programRun";
import { expectRefusal } from "./helpers/processes";
import { PolicyPackServer } from "../scripts/lib/policyAnalyzer";

const ROLE_NAME = "cloudglue-external-s3-access-role";
const HELD_ID = "Held-By-Cloudglue.2024@acme";
const GET_ROLE = "aws:iam/getRole:getRole";
const GET_ROLE_POLICIES = "aws:iam/getRolePolicies:getRolePolicies";
const GET_ATTACHMENTS = "aws:iam/getRolePolicyAttachments:getRolePolicyAttachments";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

/** The warnings a run logs; under mocks there is no engine to send them to. */
async function warningsOf(run: () => Promise<unknown>): Promise<string[]> {
    const warnings: string[] = [];
    const original = pulumi.log.warn;
    pulumi.log.warn = async (message: string) => {
        warnings.push(message);
    };
    try {
        await run();
    } finally {
        pulumi.log.warn = original;
    }
    return warnings;
}

/** The role's policies as IAM lists them, including one added in the console and an attachment. */
const withPolicies = (inline: string[], attached: { policyArn: string; policyName: string }[]) => ({
    [GET_ROLE_POLICIES]: (inputs: Record<string, unknown>) => ({ roleName: inputs.roleName, policyNames: inline }),
    [GET_ATTACHMENTS]: (inputs: Record<string, unknown>) => ({ roleName: inputs.roleName, attachedPolicies: attached }),
});

/** The role as the vendor's CloudFormation template made it, as aws.iam.getRole returns it. */
function existingRole(trust: object = buildTrustPolicy(HELD_ID), encode = false) {
    const document = JSON.stringify(trust);
    return () => ({
        arn: `arn:aws:iam::111122223333:role/${ROLE_NAME}`,
        name: ROLE_NAME,
        assumeRolePolicy: encode ? encodeURIComponent(document) : document,
        description: "IAM role for Cloudglue external S3 access with cross-account permissions",
        maxSessionDuration: 3600,
    });
}

function adopting(extra: Record<string, string> = {}, getRole = existingRole()): RunOptions {
    return {
        config: {
            "cloudglue:buckets": '["acme-media-raw"]',
            "cloudglue:adoptExistingRole": "true",
            "cloudglue:externalId": HELD_ID,
            "cloudglue:verifyAccess": "false",
            ...extra,
        },
        secretKeys: ["cloudglue:externalId"],
        invokes: { [GET_ROLE]: getRole },
    };
}

describe("taking over an existing Cloudglue role (cloudglue:adoptExistingRole)", () => {
    it("imports the role by name and its inline policy as role:policy, with the external ID from config", async () => {
        const run = await runProgram(adopting());
        const role = onlyOfType(run, "aws:iam/role:Role");
        const policy = onlyOfType(run, "aws:iam/rolePolicy:RolePolicy");
        assert.strictEqual(role.importId, ROLE_NAME);
        assert.strictEqual(policy.importId, `${ROLE_NAME}:CloudglueExternalS3AccessPolicy`);
        assert.deepStrictEqual(JSON.parse(String(role.inputs.assumeRolePolicy)), buildTrustPolicy(HELD_ID));
        assert.strictEqual(
            role.inputs.description,
            "IAM role for Cloudglue external S3 access with cross-account permissions",
        );
        assert.deepStrictEqual(
            JSON.parse(String(policy.inputs.policy)),
            buildAccessPolicy([{ name: "acme-media-raw" }]),
        );
        assert.strictEqual(policy.inputs.name, "CloudglueExternalS3AccessPolicy");
    });

    it("creates no RandomPassword: the ID Cloudglue holds is the one in config", async () => {
        const run = await runProgram(adopting());
        assert.ok(!run.resources.some((r) => r.type === "random:index/randomPassword:RandomPassword"));
        assert.strictEqual(run.outputs.externalId, HELD_ID);
        assert.deepStrictEqual(run.secretOutputs, ["externalId"]);
    });

    it("imports an inline policy of another name, from cloudglue:existingPolicyName", async () => {
        const run = await runProgram(adopting({ "cloudglue:existingPolicyName": "cloudglue-read" }));
        const policy = onlyOfType(run, "aws:iam/rolePolicy:RolePolicy");
        assert.strictEqual(policy.importId, `${ROLE_NAME}:cloudglue-read`);
        assert.strictEqual(policy.inputs.name, "cloudglue-read");
    });

    it("accepts the trust policy URL-encoded, as IAM itself returns it", async () => {
        const run = await runProgram(adopting({}, existingRole(buildTrustPolicy(HELD_ID), true)));
        assert.strictEqual(onlyOfType(run, "aws:iam/role:Role").importId, ROLE_NAME);
    });

    it("imports nothing when the setting is off", async () => {
        const run = await runProgram({ config: { "cloudglue:buckets": '["acme-media-raw"]' } });
        assert.ok(run.resources.every((r) => r.importId === ""));
    });

    it("refuses without cloudglue:externalId, before anything registers", async () => {
        const options = adopting();
        delete options.config["cloudglue:externalId"];
        const message = await expectRefusal(options);
        assert.match(message, /cloudglue:adoptExistingRole is true but cloudglue:externalId is not set/);
        assert.match(message, /pulumi config set --secret cloudglue:externalId <id>/);
    });

    it("refuses when the role does not exist, saying which setting to turn off", async () => {
        const message = await expectRefusal(
            adopting({}, () => {
                throw new Error("NoSuchEntity: The role with name cloudglue-external-s3-access-role cannot be found.");
            }),
        );
        assert.match(message, /the role cloudglue-external-s3-access-role could not be read in this AWS account/);
        assert.match(message, /pulumi config set cloudglue:adoptExistingRole false/);
    });

    it("refuses an external ID that does not match the role's, without showing either", async () => {
        const message = await expectRefusal(adopting({ "cloudglue:externalId": "Another-External-Id-9" }));
        assert.match(message, /cloudglue:externalId does not match the external ID in the trust policy/);
        assert.ok(!message.includes("Another-External-Id-9") && !message.includes(HELD_ID));
    });

    it("refuses a role that trusts another account", async () => {
        const trust = buildTrustPolicy(HELD_ID);
        (trust.Statement[0].Principal as { AWS: string }).AWS = "arn:aws:iam::444455556666:root";
        const message = await expectRefusal(adopting({}, existingRole(trust)));
        assert.match(message, /trusts arn:aws:iam::444455556666:root, not only Cloudglue's account/);
    });

    it("refuses a role trusted without an external ID condition", async () => {
        const trust = buildTrustPolicy(HELD_ID);
        delete trust.Statement[0].Condition;
        const message = await expectRefusal(adopting({}, existingRole(trust)));
        assert.match(message, /without an external ID condition/);
    });

    it("says which policies outside the stack the next up removes, by name, read through IAM's list calls", async () => {
        const options = adopting();
        options.invokes = {
            ...options.invokes,
            ...withPolicies(
                ["CloudglueExternalS3AccessPolicy", "console-added"],
                [{ policyArn: ADMIN, policyName: "AdministratorAccess" }],
            ),
        };
        const asked: string[] = [];
        for (const token of [GET_ROLE_POLICIES, GET_ATTACHMENTS]) {
            const answer = options.invokes[token];
            options.invokes[token] = (inputs) => {
                asked.push(`${token} ${inputs.roleName}`);
                return answer(inputs);
            };
        }
        const warnings = await warningsOf(() => runProgram(options));
        assert.deepStrictEqual(
            asked.sort(),
            [`${GET_ROLE_POLICIES} ${ROLE_NAME}`, `${GET_ATTACHMENTS} ${ROLE_NAME}`].sort(),
        );
        assert.strictEqual(warnings.length, 1, warnings.join("\n"));
        assert.match(warnings[0], /the next pulumi up removes from the role cloudglue-external-s3-access-role\n/);
        assert.match(warnings[0], /- inline policy console-added\n/);
        assert.match(
            warnings[0],
            /- managed policy AdministratorAccess \(arn:aws:iam::aws:policy\/AdministratorAccess\)/,
        );
        assert.ok(
            !warnings[0].includes("inline policy CloudglueExternalS3AccessPolicy"),
            "the stack's own policy stays",
        );
        assert.match(warnings[0], /pulumi config set cloudglue:exclusivePolicies false/);
    });

    it("says nothing when the role holds only the stack's policy, or the setting is off", async () => {
        const exact = adopting();
        exact.invokes = { ...exact.invokes, ...withPolicies(["CloudglueExternalS3AccessPolicy"], []) };
        assert.deepStrictEqual(await warningsOf(() => runProgram(exact)), []);
        const off = adopting({ "cloudglue:exclusivePolicies": "false" });
        off.invokes = { ...off.invokes, ...withPolicies(["console-added"], []) };
        assert.deepStrictEqual(await warningsOf(() => runProgram(off)), []);
    });

    it("refuses, naming the setting, when the role's policies cannot be listed", async () => {
        const options = adopting();
        options.invokes = {
            ...options.invokes,
            [GET_ROLE_POLICIES]: () => {
                throw new Error("AccessDenied: iam:ListRolePolicies");
            },
        };
        const message = await expectRefusal(options);
        assert.match(message, /policies of the role cloudglue-external-s3-access-role could not be listed/);
        assert.match(message, /pulumi config set cloudglue:exclusivePolicies false/);
    });

    it("passes the policy pack", async function () {
        this.timeout(60000);
        const run = await runProgram(
            adopting({
                "cloudglue:verifyAccess": "true",
                "cloudglue:connectorId": "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f",
            }),
        );
        const server = await PolicyPackServer.start();
        try {
            const view = (r: RegisteredResource, props: Record<string, unknown>) => ({
                type: r.type,
                urn: r.urn,
                name: r.name,
                props,
                parentUrn: r.parentUrn,
            });
            for (const r of run.resources) {
                assert.deepStrictEqual(await server.analyze(view(r, r.inputs)), [], r.urn);
            }
            assert.deepStrictEqual(await server.analyzeStack(run.resources.map((r) => view(r, r.outputs))), []);
        } finally {
            server.stop();
        }
    });
});
