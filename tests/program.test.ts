import * as assert from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { EXTERNAL_ID_SPECIAL_CHARACTERS, INLINE_POLICY_NAME, ROLE_NAME } from "../components/constants";
import { buildAccessPolicy, buildTrustPolicy } from "../components/iamDocuments";
import { S3_ACCESS_ROLE_TYPE } from "../components/s3AccessRole";
import { byType, onlyOfType, ProgramRun, runProgram, stackConfig } from "../scripts/lib/programRun";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const CONNECTOR = "pulumi-nodejs:dynamic/cloudglue:S3Connector";
const ACCESS_CHECK = "command:local:Command";
const EXCLUSIVE_INLINE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
const EXCLUSIVE_MANAGED = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive";
const ROTATION = "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation";
/** What the dev stack registers in the default `web` mode before it has a connector id. */
const WEB_TYPES = [
    PASSWORD,
    ROTATION,
    S3_ACCESS_ROLE_TYPE,
    ROLE,
    ROLE_POLICY,
    EXCLUSIVE_INLINE,
    EXCLUSIVE_MANAGED,
].sort();
const GENERATED_ID = "M0ck+External.Id=For/Tests:only@x,y-z";

// Registration order follows the SDK's promise resolution, not declaration order.
const typesOf = (run: ProgramRun) => run.resources.map((r) => r.type).sort();

const withBuckets = (buckets: unknown, extra: Record<string, string> = {}) => ({
    config: { "aws:region": "us-east-1", "cloudglue:buckets": JSON.stringify(buckets), ...extra },
});

describe("the program under mocks", () => {
    describe("with the dev stack's config (Pulumi.dev.yaml)", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ config: stackConfig("dev") });
        });

        it("declares the external ID, its rotation, the component, the role and its policy sets, in order, and no connector yet", () => {
            assert.deepStrictEqual(
                run.resources.map((r) => r.type),
                [PASSWORD, ROTATION, S3_ACCESS_ROLE_TYPE, ROLE, ROLE_POLICY, EXCLUSIVE_INLINE, EXCLUSIVE_MANAGED],
            );
        });

        it("holds the role's inline policies to its one policy and its managed policies to none", () => {
            const component = onlyOfType(run, S3_ACCESS_ROLE_TYPE);
            const role = onlyOfType(run, ROLE);
            const inline = onlyOfType(run, EXCLUSIVE_INLINE);
            const managed = onlyOfType(run, EXCLUSIVE_MANAGED);
            assert.deepStrictEqual(inline.inputs, {
                roleName: "cloudglue-external-s3-access-role",
                policyNames: ["CloudglueExternalS3AccessPolicy"],
            });
            assert.deepStrictEqual(managed.inputs, { roleName: "cloudglue-external-s3-access-role", policyArns: [] });
            for (const exclusive of [inline, managed]) {
                assert.strictEqual(exclusive.parentUrn, component.urn, exclusive.type);
                assert.ok(exclusive.dependencies.includes(role.urn), `${exclusive.type} depends on the role`);
            }
            // Listed only once the policy exists, so the set never briefly lacks it.
            assert.ok(inline.dependencies.includes(onlyOfType(run, ROLE_POLICY).urn));
        });

        it("parents the role and the policy to the component", () => {
            const component = onlyOfType(run, S3_ACCESS_ROLE_TYPE);
            assert.strictEqual(onlyOfType(run, ROLE).parentUrn, component.urn);
            assert.strictEqual(onlyOfType(run, ROLE_POLICY).parentUrn, component.urn);
            assert.match(onlyOfType(run, ROLE).urn, /::cloudglue:aws:S3AccessRole\$aws:iam\/role:Role::/);
        });

        it("names the role exactly as Cloudglue expects, with a one-hour session limit", () => {
            const role = onlyOfType(run, ROLE);
            assert.strictEqual(role.inputs.name, ROLE_NAME);
            assert.strictEqual(role.inputs.namePrefix, undefined);
            assert.strictEqual(role.inputs.maxSessionDuration, 3600);
            assert.ok(String(role.inputs.description).length > 0);
        });

        it("frees the fixed names before a replacement takes them again", () => {
            assert.strictEqual(onlyOfType(run, ROLE).deleteBeforeReplace, true);
            assert.strictEqual(onlyOfType(run, ROLE_POLICY).deleteBeforeReplace, true);
        });

        it("sends the trust policy with the generated external ID, as a secret", () => {
            const role = onlyOfType(run, ROLE);
            assert.deepStrictEqual(JSON.parse(String(role.inputs.assumeRolePolicy)), buildTrustPolicy(GENERATED_ID));
            assert.ok(role.secretInputs.includes("assumeRolePolicy"), "assumeRolePolicy must travel as a secret");
            assert.ok(role.additionalSecretOutputs.includes("assumeRolePolicy"));
        });

        it("generates the external ID from the characters the trust policy allows", () => {
            const password = onlyOfType(run, PASSWORD);
            assert.strictEqual(password.inputs.length, 48);
            assert.strictEqual(password.inputs.special, true);
            assert.strictEqual(password.inputs.overrideSpecial, EXTERNAL_ID_SPECIAL_CHARACTERS);
            assert.deepStrictEqual(password.inputs.keepers, { rotation: "" });
        });

        it("attaches the inline policy for the dev buckets to the role", () => {
            const policy = onlyOfType(run, ROLE_POLICY);
            assert.strictEqual(policy.inputs.name, INLINE_POLICY_NAME);
            assert.strictEqual(policy.inputs.role, ROLE_NAME);
            assert.deepStrictEqual(
                JSON.parse(String(policy.inputs.policy)),
                buildAccessPolicy([
                    { name: "acme-media-dev-raw" },
                    { name: "acme-media-dev-published", prefixes: ["videos/", "trailers/"] },
                ]),
            );
        });

        it("outputs the role, the bucket names and the external ID, the last one as a secret", () => {
            assert.deepStrictEqual(run.outputs, {
                roleArn: `arn:aws:iam::111122223333:role/${ROLE_NAME}`,
                roleName: ROLE_NAME,
                externalId: GENERATED_ID,
                buckets: ["acme-media-dev-raw", "acme-media-dev-published"],
                nextStep: run.outputs.nextStep,
            });
            assert.deepStrictEqual(run.secretOutputs, ["externalId"]);
        });
    });

    it("builds exactly the vendor's documents for a one-bucket config", async () => {
        const run = await runProgram(withBuckets(["my-videos"]));
        const vendorPolicy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AllowCrossAccountRoleReadAccess",
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                    Resource: ["arn:aws:s3:::my-videos", "arn:aws:s3:::my-videos/*"],
                },
                {
                    Sid: "AllowCrossAccountRoleWriteAccess",
                    Effect: "Allow",
                    Action: ["s3:PutObject"],
                    Resource: [
                        "arn:aws:s3:::cloudglue-external-transfer",
                        "arn:aws:s3:::cloudglue-external-transfer/*",
                    ],
                },
            ],
        };
        const vendorTrust = {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::992382634011:root" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "sts:ExternalId": GENERATED_ID } },
                },
            ],
        };
        assert.deepStrictEqual(JSON.parse(String(onlyOfType(run, ROLE_POLICY).inputs.policy)), vendorPolicy);
        assert.deepStrictEqual(JSON.parse(String(onlyOfType(run, ROLE).inputs.assumeRolePolicy)), vendorTrust);
    });

    it("takes the external ID length from cloudglue:externalIdLength", async () => {
        const run = await runProgram(withBuckets(["my-videos"], { "cloudglue:externalIdLength": "96" }));
        assert.strictEqual(onlyOfType(run, PASSWORD).inputs.length, 96);
    });

    it("rotates the external ID through the password's keepers, leaving the role's identity alone", async () => {
        const before = await runProgram(withBuckets(["my-videos"]));
        const after = await runProgram(withBuckets(["my-videos"], { "cloudglue:externalIdRotation": "2026-11" }));
        assert.deepStrictEqual(onlyOfType(after, PASSWORD).inputs.keepers, { rotation: "2026-11" });
        for (const type of [ROLE, ROLE_POLICY]) {
            assert.strictEqual(onlyOfType(after, type).urn, onlyOfType(before, type).urn);
            assert.strictEqual(onlyOfType(after, type).inputs.name, onlyOfType(before, type).inputs.name);
        }
    });

    it("uses an external ID given in cloudglue:externalId instead of generating one", async () => {
        const ownId = "customer-chosen:external/id@2026";
        const run = await runProgram({
            ...withBuckets(["my-videos"], { "cloudglue:externalId": ownId }),
            secretKeys: ["cloudglue:externalId"],
        });
        assert.strictEqual(byType(run, PASSWORD).length, 0);
        assert.deepStrictEqual(
            JSON.parse(String(onlyOfType(run, ROLE).inputs.assumeRolePolicy)),
            buildTrustPolicy(ownId),
        );
        assert.ok(onlyOfType(run, ROLE).secretInputs.includes("assumeRolePolicy"));
        assert.strictEqual(run.outputs.externalId, ownId);
        assert.deepStrictEqual(run.secretOutputs, ["externalId"]);
    });

    it("passes tags and the permissions boundary to the role", async () => {
        const boundary = "arn:aws:iam::111122223333:policy/org/ThirdPartyBoundary";
        const run = await runProgram(
            withBuckets(["my-videos"], {
                "cloudglue:tags": JSON.stringify({ team: "media", "cost-center": "42" }),
                "cloudglue:permissionsBoundaryArn": boundary,
            }),
        );
        const role = onlyOfType(run, ROLE);
        assert.deepStrictEqual(role.inputs.tags, { team: "media", "cost-center": "42" });
        assert.strictEqual(role.inputs.permissionsBoundary, boundary);
    });

    it("registers neither exclusive set with cloudglue:exclusivePolicies false", async () => {
        const run = await runProgram(withBuckets(["acme-media-raw"], { "cloudglue:exclusivePolicies": "false" }));
        assert.deepStrictEqual(
            typesOf(run),
            WEB_TYPES.filter((t) => t !== EXCLUSIVE_INLINE && t !== EXCLUSIVE_MANAGED),
        );
    });

    it("names the inline policy of an adopted role's name in the exclusive set", async () => {
        const run = await runProgram(
            withBuckets(["acme-media-raw"], { "cloudglue:existingPolicyName": "cloudglue-read" }),
        );
        assert.deepStrictEqual(onlyOfType(run, EXCLUSIVE_INLINE).inputs.policyNames, ["cloudglue-read"]);
    });

    it("registers the same resources at preview, while the external ID is still unknown", async () => {
        const run = await runProgram({ config: stackConfig("dev"), preview: true });
        assert.deepStrictEqual(typesOf(run), WEB_TYPES);
        assert.strictEqual(onlyOfType(run, ROLE).inputs.name, ROLE_NAME);
        assert.ok(String(onlyOfType(run, ROLE_POLICY).inputs.policy).includes("acme-media-dev-raw"));
    });
});

describe("the connector and the access check under mocks", () => {
    const KEY = "cg-program-test-key-0123456789";
    const config = {
        ...stackConfig("dev"),
        "cloudglue:apiKey": KEY,
        "cloudglue:apiUrl": "http://127.0.0.1:8787",
        "cloudglue:propagationTimeoutSeconds": "30",
        "cloudglue:registration": "api",
    };
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config, secretKeys: ["cloudglue:apiKey"] });
    });

    it("registers the connector with the role's ARN, the bucket names and the external ID as a secret", () => {
        const connector = onlyOfType(run, CONNECTOR);
        assert.strictEqual(connector.inputs.roleArn, `arn:aws:iam::111122223333:role/${ROLE_NAME}`);
        assert.deepStrictEqual(connector.inputs.buckets, ["acme-media-dev-raw", "acme-media-dev-published"]);
        assert.strictEqual(connector.inputs.externalId, GENERATED_ID);
        assert.ok(connector.secretInputs.includes("externalId"));
        assert.ok(connector.additionalSecretOutputs.includes("externalIdHash"));
        assert.strictEqual(connector.inputs.connectorId, undefined);
    });

    it("keeps the API key out of the connector's inputs and its serialized provider", () => {
        const connector = onlyOfType(run, CONNECTOR);
        const serialized = JSON.stringify(connector.inputs);
        assert.ok(!serialized.includes(KEY));
        assert.ok(String(connector.inputs.__provider).length < 64 * 1024, "the serialized provider should stay small");
        assert.ok(!String(connector.inputs.__provider).includes("@pulumi/aws"));
    });

    it("runs the access check after the connector, with the key as a secret in its environment, and no form of the external ID", () => {
        const check = onlyOfType(run, ACCESS_CHECK);
        assert.match(String(check.inputs.create), /scripts\/verify-access\.ts$/);
        assert.deepStrictEqual(check.inputs.environment, {
            CLOUDGLUE_API_KEY: KEY,
            CLOUDGLUE_API_URL: "http://127.0.0.1:8787",
            CLOUDGLUE_BUCKETS: "acme-media-dev-raw,acme-media-dev-published",
            CLOUDGLUE_BUCKET_PREFIXES: '{"acme-media-dev-published":["videos/","trailers/"]}',
            CLOUDGLUE_CONNECTOR_ID: "dc_mock",
            CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "30",
        });
        assert.deepStrictEqual([...check.secretInputs].sort(), ["environment.CLOUDGLUE_API_KEY"]);
        assert.deepStrictEqual(check.additionalSecretOutputs, ["environment"], "the key stays encrypted in state");
        assert.strictEqual(check.inputs.logging, "stdoutAndStderr");
    });

    it("holds the key from cloudglue:apiKey only in the access check's environment, encrypted, as docs/security.md says", () => {
        const holders = run.resources.filter((r) => JSON.stringify(r.inputs).includes(KEY));
        assert.deepStrictEqual(
            holders.map((r) => r.type),
            [ACCESS_CHECK],
        );
        const [check] = holders;
        assert.ok(check.secretInputs.includes("environment.CLOUDGLUE_API_KEY"), "encrypted in the state's inputs");
        assert.ok(check.additionalSecretOutputs.includes("environment"), "and in its outputs");
        assert.ok(!JSON.stringify(run.outputs).includes(KEY));
        const security = readFileSync(path.join(__dirname, "..", "docs", "security.md"), "utf8").replace(/\s+/g, " ");
        assert.ok(
            security.includes(
                "With `cloudglue:apiKey` the state holds the key in one place: the access check's environment " +
                    "(`environment.CLOUDGLUE_API_KEY` of the `cloudglue-access-check` Command), encrypted",
            ),
            "docs/security.md says where the key is stored",
        );
    });

    it("holds the key nowhere in the state when it comes from CLOUDGLUE_API_KEY: the check inherits it", async () => {
        const withoutKey: Record<string, string> = { ...config };
        delete withoutKey["cloudglue:apiKey"];
        const before = process.env.CLOUDGLUE_API_KEY;
        process.env.CLOUDGLUE_API_KEY = KEY;
        try {
            const fromEnv = await runProgram({ config: withoutKey });
            assert.deepStrictEqual(
                fromEnv.resources.filter((r) => JSON.stringify(r.inputs).includes(KEY)).map((r) => r.type),
                [],
            );
            const check = onlyOfType(fromEnv, ACCESS_CHECK);
            assert.ok(!("CLOUDGLUE_API_KEY" in (check.inputs.environment as Record<string, string>)));
        } finally {
            if (before === undefined) {
                delete process.env.CLOUDGLUE_API_KEY;
            } else {
                process.env.CLOUDGLUE_API_KEY = before;
            }
        }
    });

    it("re-runs the check when the role, the policy, the buckets, the connector or the grace window change", () => {
        const triggers = onlyOfType(run, ACCESS_CHECK).inputs.triggers as unknown[];
        const policy = onlyOfType(run, ROLE_POLICY).inputs.policy;
        assert.deepStrictEqual(triggers, [
            `arn:aws:iam::111122223333:role/${ROLE_NAME}`,
            policy,
            ["acme-media-dev-raw", "acme-media-dev-published"],
            "dc_mock",
            1,
            "", // no grace window open
        ]);
    });

    it("leaves the check out with cloudglue:verifyAccess false", async () => {
        const quiet = await runProgram({
            config: { ...config, "cloudglue:verifyAccess": "false" },
            secretKeys: ["cloudglue:apiKey"],
        });
        assert.strictEqual(byType(quiet, ACCESS_CHECK).length, 0);
        assert.strictEqual(byType(quiet, CONNECTOR).length, 1);
    });

    it("adopts the connector named in cloudglue:connectorId", async () => {
        const adopting = await runProgram({
            config: { ...config, "cloudglue:connectorId": "3F1C2B9E-8D7A-4C6B-9E5F-1A2B3C4D5E6F" },
            secretKeys: ["cloudglue:apiKey"],
        });
        const id = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f"; // as the web app shows it; the API's ids are lowercase
        assert.strictEqual(onlyOfType(adopting, CONNECTOR).inputs.connectorId, id);
        assert.strictEqual(adopting.outputs.connectorId, id);
    });
});
