/**
 * What the documents grant, evaluated by an IAM policy simulator over the documents the program
 * actually registers. @cloud-copilot/iam-simulate is AGPL: it stays a devDependency used here only.
 */
import * as assert from "assert";
import { runSimulation, Simulation } from "@cloud-copilot/iam-simulate";
import { ROLE_NAME } from "../components/constants";
import { MOCK_ACCOUNT_ID, onlyOfType, runProgram } from "../scripts/lib/programRun";

const ROLE_ARN = `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${ROLE_NAME}`;
const ROLE_SESSION = `arn:aws:sts::${MOCK_ACCOUNT_ID}:assumed-role/${ROLE_NAME}/cloudglue`;
const EXTERNAL_ID = "Customer+External.Id=2026@acme:x/y,z-1";
const MEDIA_KEY = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT_ID}:key/99999999-12ab-34cd-56ef-1234567890ab`;

type Document = Simulation["identityPolicies"][number]["policy"];
type Decision = "Allowed" | "Denied";

async function decide(
    simulation: Omit<Simulation, "serviceControlPolicies" | "resourceControlPolicies">,
): Promise<Decision> {
    const response = await runSimulation(
        { serviceControlPolicies: [], resourceControlPolicies: [], ...simulation },
        {},
    );
    if (response.resultType === "error") {
        throw new Error(`the simulator refused the request: ${JSON.stringify(response.errors)}`);
    }
    return response.overallResult === "Allowed" ? "Allowed" : "Denied";
}

describe("what the IAM documents grant (policy simulator)", () => {
    let trustPolicy: Document;
    let accessPolicy: Document;

    before(async () => {
        const run = await runProgram({
            config: {
                "cloudglue:buckets": JSON.stringify([
                    "acme-raw",
                    { name: "acme-published", prefixes: ["videos/", "trailers/"] },
                    { name: "acme-encrypted", kmsKeyArn: MEDIA_KEY },
                ]),
                "cloudglue:externalId": EXTERNAL_ID,
            },
            secretKeys: ["cloudglue:externalId"],
        });
        trustPolicy = JSON.parse(String(onlyOfType(run, "aws:iam/role:Role").inputs.assumeRolePolicy));
        accessPolicy = JSON.parse(String(onlyOfType(run, "aws:iam/rolePolicy:RolePolicy").inputs.policy));
    });

    describe("the trust relationship", () => {
        const assume = (principal: string, contextVariables: Record<string, string>) =>
            decide({
                request: {
                    principal,
                    action: "sts:AssumeRole",
                    resource: { resource: ROLE_ARN, accountId: MOCK_ACCOUNT_ID },
                    contextVariables,
                },
                // The caller's own account lets it try; the trust policy decides.
                identityPolicies: [
                    {
                        name: "caller",
                        policy: {
                            Version: "2012-10-17",
                            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
                        },
                    },
                ],
                resourcePolicy: trustPolicy,
            });
        const cloudglue = "arn:aws:iam::992382634011:role/cloudglue-s3-reader";

        it("lets Cloudglue's account assume the role with the external ID", async () => {
            assert.strictEqual(await assume(cloudglue, { "sts:ExternalId": EXTERNAL_ID }), "Allowed");
        });
        it("refuses Cloudglue's account with a wrong external ID", async () => {
            assert.strictEqual(await assume(cloudglue, { "sts:ExternalId": "guessed" }), "Denied");
        });
        it("refuses Cloudglue's account without an external ID (the confused deputy)", async () => {
            assert.strictEqual(await assume(cloudglue, {}), "Denied");
        });
        it("refuses any other account, even with the external ID", async () => {
            assert.strictEqual(
                await assume("arn:aws:iam::444455556666:role/attacker", { "sts:ExternalId": EXTERNAL_ID }),
                "Denied",
            );
        });
    });

    describe("the trust relationship during a rotation's grace window", () => {
        const PREVIOUS = "Previous+External.Id=2026@acme:x/y,z-0";
        const UNTIL = "2026-12-05T14:00:00Z";
        let rotatingTrust: Document;
        before(async () => {
            const run = await runProgram({
                config: { "cloudglue:buckets": JSON.stringify(["acme-raw"]), "cloudglue:externalId": EXTERNAL_ID },
                secretKeys: ["cloudglue:externalId"],
                rotation: { previous: PREVIOUS, previousUntil: UNTIL },
            });
            rotatingTrust = JSON.parse(String(onlyOfType(run, "aws:iam/role:Role").inputs.assumeRolePolicy));
        });
        const assume = (principal: string, externalId: string, now: string) =>
            decide({
                request: {
                    principal,
                    action: "sts:AssumeRole",
                    resource: { resource: ROLE_ARN, accountId: MOCK_ACCOUNT_ID },
                    contextVariables: { "sts:ExternalId": externalId, "aws:CurrentTime": now },
                },
                identityPolicies: [
                    {
                        name: "caller",
                        policy: {
                            Version: "2012-10-17",
                            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
                        },
                    },
                ],
                resourcePolicy: rotatingTrust,
            });
        const cloudglue = "arn:aws:iam::992382634011:role/cloudglue-s3-reader";

        it("lets Cloudglue assume the role with either ID before the deadline", async () => {
            assert.strictEqual(await assume(cloudglue, EXTERNAL_ID, "2026-12-05T13:59:59Z"), "Allowed");
            assert.strictEqual(await assume(cloudglue, PREVIOUS, "2026-12-05T13:59:59Z"), "Allowed");
        });
        it("lets Cloudglue assume the role with the new ID only, from the deadline on", async () => {
            assert.strictEqual(await assume(cloudglue, EXTERNAL_ID, UNTIL), "Allowed");
            assert.strictEqual(await assume(cloudglue, PREVIOUS, UNTIL), "Denied");
            assert.strictEqual(await assume(cloudglue, PREVIOUS, "2027-01-01T00:00:00Z"), "Denied");
        });
        it("refuses another account with the previous ID, and a wrong ID, inside the window", async () => {
            const attacker = "arn:aws:iam::444455556666:role/attacker";
            assert.strictEqual(await assume(attacker, PREVIOUS, "2026-12-04T00:00:00Z"), "Denied");
            assert.strictEqual(await assume(cloudglue, "guessed", "2026-12-04T00:00:00Z"), "Denied");
        });
    });

    describe("the inline policy", () => {
        const act = (action: string, resource: string, contextVariables: Record<string, string> = {}) =>
            decide({
                request: {
                    principal: ROLE_SESSION,
                    action,
                    resource: { resource, accountId: MOCK_ACCOUNT_ID },
                    contextVariables,
                },
                identityPolicies: [{ name: "CloudglueExternalS3AccessPolicy", policy: accessPolicy }],
                // KMS also needs its key policy to defer to IAM, as AWS's default key policy does.
                resourcePolicy: action.startsWith("kms:")
                    ? {
                          Version: "2012-10-17",
                          Statement: [
                              {
                                  Effect: "Allow",
                                  Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT_ID}:root` },
                                  Action: "kms:*",
                                  Resource: "*",
                              },
                          ],
                      }
                    : undefined,
            });

        const expectations: [string, string, Record<string, string>, Decision][] = [
            ["s3:GetObject", "arn:aws:s3:::acme-raw/2026/launch.mp4", {}, "Allowed"],
            ["s3:ListBucket", "arn:aws:s3:::acme-raw", {}, "Allowed"],
            ["s3:GetBucketLocation", "arn:aws:s3:::acme-raw", {}, "Allowed"],
            ["s3:GetObject", "arn:aws:s3:::acme-published/videos/launch.mp4", {}, "Allowed"],
            ["s3:GetObject", "arn:aws:s3:::acme-published/trailers/t1.mp4", {}, "Allowed"],
            ["s3:GetObject", "arn:aws:s3:::acme-published/private/board.mp4", {}, "Denied"],
            ["s3:GetObject", "arn:aws:s3:::acme-published/videos", {}, "Denied"],
            ["s3:ListBucket", "arn:aws:s3:::acme-published", { "s3:prefix": "videos/" }, "Allowed"],
            ["s3:ListBucket", "arn:aws:s3:::acme-published", { "s3:prefix": "videos/2026/" }, "Allowed"],
            ["s3:ListBucket", "arn:aws:s3:::acme-published", { "s3:prefix": "private/" }, "Denied"],
            ["s3:ListBucket", "arn:aws:s3:::acme-published", {}, "Denied"],
            ["s3:GetBucketLocation", "arn:aws:s3:::acme-published", {}, "Allowed"],
            ["s3:GetObject", "arn:aws:s3:::acme-encrypted/a.mp4", {}, "Allowed"],
            ["s3:GetObject", "arn:aws:s3:::someone-elses-bucket/a.mp4", {}, "Denied"],
            ["s3:ListBucket", "arn:aws:s3:::someone-elses-bucket", {}, "Denied"],
            ["s3:PutObject", "arn:aws:s3:::acme-raw/overwrite.mp4", {}, "Denied"],
            ["s3:DeleteObject", "arn:aws:s3:::acme-raw/2026/launch.mp4", {}, "Denied"],
            ["s3:PutBucketPolicy", "arn:aws:s3:::acme-raw", {}, "Denied"],
            ["s3:PutObject", "arn:aws:s3:::cloudglue-external-transfer/job/out.json", {}, "Allowed"],
            ["s3:GetObject", "arn:aws:s3:::cloudglue-external-transfer/job/out.json", {}, "Denied"],
            ["kms:Decrypt", MEDIA_KEY, { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }, "Allowed"],
            ["kms:Decrypt", MEDIA_KEY, {}, "Denied"],
            ["kms:Decrypt", MEDIA_KEY, { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, "Denied"],
            ["kms:Decrypt", OTHER_KEY, { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }, "Denied"],
            ["kms:Encrypt", MEDIA_KEY, { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }, "Denied"],
        ];
        for (const [action, resource, context, expected] of expectations) {
            const via = Object.keys(context).length ? ` with ${JSON.stringify(context)}` : "";
            it(`${expected === "Allowed" ? "allows" : "denies"} ${action} on ${resource}${via}`, async () => {
                assert.strictEqual(await act(action, resource, context), expected);
            });
        }
    });
});
