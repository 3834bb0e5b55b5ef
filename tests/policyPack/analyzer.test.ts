/**
 * The policy pack as the CLI runs it: its own process, driven over the Analyzer gRPC protocol,
 * fed the resources the program registers under mocks.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { asList, buildAccessPolicy, buildTrustPolicy } from "../../components/iamDocuments";
import { RegisteredResource, runProgram, stackConfig } from "../../scripts/lib/programRun";
import {
    AnalyzedResource,
    Diagnostic,
    formatLikeCli,
    PolicyPackConfig,
    POLICY_PACK_DIR,
    PolicyPackServer,
    withoutInternalKeys,
} from "../../scripts/lib/policyAnalyzer";
import { UNKNOWN } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const EXCLUSIVE_INLINE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
const EXCLUSIVE_ATTACHMENTS = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive";
const CFN_STACK = "aws:cloudformation/stack:Stack";
const ROLE_NAME = "cloudglue-external-s3-access-role";
/** How the engine marks a secret value in a Struct (sdk/go/common/resource/properties.go). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Analyze sees a resource's inputs; AnalyzeStack sees its outputs, as the engine sends them. */
const analyzed = (r: RegisteredResource): AnalyzedResource => ({
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: r.inputs,
    parentUrn: r.parentUrn,
});
const withOutputs = (r: AnalyzedResource, from: RegisteredResource[]): AnalyzedResource => ({
    ...r,
    props: from.find((x) => x.urn === r.urn)?.outputs ?? r.props,
});
const mandatory = (ds: Diagnostic[]) => ds.filter((d) => d.level === "mandatory");

describe("policy pack over the Analyzer protocol", function () {
    // Starting the pack compiles it with ts-node, type checks included, as the CLI does.
    this.timeout(60000);
    let server: PolicyPackServer;
    let dev: AnalyzedResource[];
    let devOutputs: AnalyzedResource[];
    let preview: AnalyzedResource[];
    const ofType = (resources: AnalyzedResource[], type: string) => {
        const found = resources.find((r) => r.type === type);
        assert.ok(found, `no ${type}`);
        return found;
    };

    before(async () => {
        const starting = PolicyPackServer.start();
        // One program run at a time: the mocks are process-wide.
        const devRun = await runProgram({ config: stackConfig("dev") });
        dev = devRun.resources.map(analyzed);
        devOutputs = dev.map((r) => withOutputs(r, devRun.resources));
        preview = (await runProgram({ config: stackConfig("dev"), preview: true })).resources.map(analyzed);
        server = await starting;
    });
    after(() => server?.stop());

    it("GetAnalyzerInfo lists every policy with its enforcement level", async () => {
        const info = await server.info();
        const packageJson = JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "package.json"), "utf8"));
        assert.strictEqual(info.name, "cloudglue-s3-connector");
        assert.strictEqual(info.version, packageJson.version);
        assert.deepStrictEqual(
            info.policies.map((p) => [p.name, p.level]),
            [
                ["cloudglue-role-name", "mandatory"],
                ["cloudglue-trust-requires-external-id", "mandatory"],
                ["cloudglue-least-privilege", "mandatory"],
                ["cloudglue-no-role-chaining", "mandatory"],
                ["cloudglue-recognised-resources", "mandatory"],
                ["cloudglue-allowed-buckets", "advisory"],
                ["cloudglue-one-role-one-connector", "mandatory"],
                ["cloudglue-exclusive-policy-names", "mandatory"],
            ],
        );
        assert.ok(info.policies.every((p) => p.description.length > 20));
    });

    it("Analyze finds no violation on any resource the dev stack registers", async () => {
        assert.ok(dev.length >= 4);
        for (const resource of dev) {
            assert.deepStrictEqual(await server.analyze(resource), [], resource.urn);
        }
    });

    it("at preview, checks the role name and reports only that the trust policy waits for the update", async () => {
        for (const resource of preview) {
            const found = await server.analyze(resource);
            assert.deepStrictEqual(mandatory(found), [], resource.urn);
            for (const d of found) {
                assert.strictEqual(d.policyName, "cloudglue-trust-requires-external-id");
                assert.match(d.message, /can't run policy .* during preview/);
            }
        }
        const renamed = { ...ofType(preview, ROLE) };
        renamed.props = { ...renamed.props, name: "cloudglue-s3-role" };
        assert.deepStrictEqual(
            mandatory(await server.analyze(renamed)).map((d) => d.policyName),
            ["cloudglue-role-name"],
        );
    });

    it("at preview, reports a grant to a role still unknown as waiting for the update, not as passing", async () => {
        const outside = (type: string, props: Record<string, unknown>): AnalyzedResource => ({
            type,
            name: "grant",
            urn: `urn:pulumi:dev::cloudglue::${type}::grant`,
            props,
        });
        for (const grant of [
            outside(ROLE_POLICY, { role: UNKNOWN, policy: JSON.stringify({ Statement: [] }) }),
            outside(ATTACHMENT, { role: UNKNOWN, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
            outside("aws:iam/policyAttachment:PolicyAttachment", {
                roles: UNKNOWN,
                policyArn: "arn:aws:iam::aws:policy/x",
            }),
        ]) {
            const found = await server.analyze(grant);
            assert.deepStrictEqual(
                found.map((d) => [d.policyName, d.level]),
                [["cloudglue-least-privilege", "advisory"]],
                grant.type,
            );
            assert.match(found[0].message, /can't run policy 'cloudglue-least-privilege' .* during preview/);
        }
    });

    const cases: [string, () => AnalyzedResource, string, RegExp][] = [
        [
            "a renamed role",
            () => {
                const role = ofType(dev, ROLE);
                return { ...role, props: { ...role.props, name: "cloudglue-access" } };
            },
            "cloudglue-role-name",
            /"cloudglue-access"/,
        ],
        [
            "a trust without the external-ID condition",
            () => {
                const role = ofType(dev, ROLE);
                const trust = buildTrustPolicy("x");
                delete trust.Statement[0].Condition;
                return { ...role, props: { ...role.props, assumeRolePolicy: JSON.stringify(trust) } };
            },
            "cloudglue-trust-requires-external-id",
            /no StringEquals condition on sts:ExternalId/,
        ],
        [
            "a * bucket",
            () => withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) => doc.Statement[0].Resource.push("arn:aws:s3:::*")),
            "cloudglue-least-privilege",
            /"arn:aws:s3:::\*"/,
        ],
        [
            "an extra action",
            () => withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) => doc.Statement[0].Action.push("s3:DeleteObject")),
            "cloudglue-least-privilege",
            /"s3:DeleteObject"/,
        ],
    ];
    for (const [label, make, policy, says] of cases) {
        it(`Analyze gives a mandatory ${policy} violation for ${label}`, async () => {
            const found = mandatory(await server.analyze(make()));
            assert.deepStrictEqual(
                found.map((d) => d.policyName),
                [policy],
            );
            assert.match(found[0].message, says);
        });
    }

    it("AnalyzeStack passes the dev stack", async () => {
        assert.deepStrictEqual(await server.analyzeStack(devOutputs), []);
    });

    it("AnalyzeStack fails a stack with two Cloudglue roles", async () => {
        const role = ofType(devOutputs, ROLE);
        const second = { ...role, name: "second-role", urn: role.urn.replace(/::[^:]+$/, "::second-role") };
        const found = await server.analyzeStack([...devOutputs, second]);
        assert.deepStrictEqual(
            found.map((d) => [d.policyName, d.level]),
            [["cloudglue-one-role-one-connector", "mandatory"]],
        );
        assert.match(found[0].message, /2 Cloudglue access roles/);
    });

    describe("fails closed on every way of granting the role more, or trusting Cloudglue less", () => {
        const CG = "arn:aws:iam::992382634011:root";
        const GOOD_ID = "an-external-id-of-24-chars";
        const trust = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });
        const trustStatement = (id: unknown = GOOD_ID) => ({
            Effect: "Allow",
            Principal: { AWS: CG },
            Action: "sts:AssumeRole",
            ...(id === null ? {} : { Condition: { StringEquals: { "sts:ExternalId": id } } }),
        });
        const leastPrivilegeDoc = buildAccessPolicy([{ name: "acme-media-dev-raw" }]);
        const everything = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
        const s3Everything = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] };
        const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
        const resource = (type: string, name: string, props: Record<string, unknown>): AnalyzedResource => ({
            type,
            name,
            urn: `urn:pulumi:dev::cloudglue::${type}::${name}`,
            props,
        });
        const policiesOf = (ds: Diagnostic[]) => [...new Set(mandatory(ds).map((d) => d.policyName))].sort();
        const yamlTemplate = (condition: string) =>
            [
                "Parameters:",
                "  ExternalId:",
                "    Type: String",
                "Resources:",
                "  ReaderRole:",
                "    Type: AWS::IAM::Role",
                "    Properties:",
                `      RoleName: ${ROLE_NAME}`,
                "      AssumeRolePolicyDocument:",
                "        Version: '2012-10-17'",
                "        Statement:",
                "          - Effect: Allow",
                "            Principal:",
                "              AWS: !Sub 'arn:aws:iam::992382634011:root'",
                "            Action: sts:AssumeRole",
                condition,
            ].join("\n");

        const refused: [string, () => AnalyzedResource, string[], RegExp][] = [
            [
                "RolePolicyAttachmentsExclusive with AdministratorAccess",
                () => resource(EXCLUSIVE_ATTACHMENTS, "x", { roleName: ROLE_NAME, policyArns: [ADMIN] }),
                ["cloudglue-least-privilege"],
                /AdministratorAccess/,
            ],
            [
                "aws-native RolePolicy with s3:* on *",
                () => resource("aws-native:iam:RolePolicy", "x", { roleName: ROLE_NAME, policyDocument: s3Everything }),
                ["cloudglue-least-privilege"],
                /wildcard action "s3:\*"/,
            ],
            [
                "aws-native ManagedPolicy for the role with * on *",
                () => resource("aws-native:iam:ManagedPolicy", "x", { roles: [ROLE_NAME], policyDocument: everything }),
                ["cloudglue-least-privilege"],
                /wildcard action "\*"/,
            ],
            [
                "RolePolicyAttachment naming the role in upper case",
                () => resource(ATTACHMENT, "x", { role: ROLE_NAME.toUpperCase(), policyArn: ADMIN }),
                ["cloudglue-least-privilege"],
                /AdministratorAccess/,
            ],
            [
                "PolicyAttachment naming the role by ARN under a path",
                () =>
                    resource("aws:iam/policyAttachment:PolicyAttachment", "x", {
                        roles: [`arn:aws:iam::111122223333:role/team/${ROLE_NAME}`],
                        policyArn: ADMIN,
                    }),
                ["cloudglue-least-privilege"],
                /AdministratorAccess/,
            ],
            [
                "a 2-character external ID",
                () => withTrust(trust(trustStatement("ab"))),
                ["cloudglue-trust-requires-external-id"],
                /external ID of 2 characters; it must have at least 16/,
            ],
            [
                "a second Cloudglue statement with another external ID",
                () => withTrust(trust(trustStatement(), trustStatement("an-old-leaked-external-id"))),
                ["cloudglue-trust-requires-external-id"],
                /2 Allow statements; it must have exactly one/,
            ],
            [
                "two external IDs in one condition",
                () => withTrust(trust(trustStatement([GOOD_ID, "an-old-leaked-external-id"]))),
                ["cloudglue-trust-requires-external-id"],
                /no StringEquals condition on sts:ExternalId with one value/,
            ],
            [
                "an aws-native role trusting Cloudglue without an external ID",
                () =>
                    resource("aws-native:iam:Role", "second", {
                        roleName: "video-reader",
                        assumeRolePolicyDocument: trust(trustStatement(null)),
                    }),
                ["cloudglue-role-name", "cloudglue-trust-requires-external-id"],
                /no StringEquals condition on sts:ExternalId/,
            ],
            [
                "a CloudFormation stack (YAML) whose role trusts Cloudglue without an external ID",
                () => resource(CFN_STACK, "legacy", { name: "legacy", templateBody: yamlTemplate("") }),
                ["cloudglue-trust-requires-external-id"],
                /^AWS::IAM::Role ReaderRole in the template of aws:cloudformation\/stack:Stack: A trust statement has no StringEquals condition on sts:ExternalId/m,
            ],
            [
                "a CloudFormation stack (JSON) whose role gets AdministratorAccess",
                () =>
                    resource(CFN_STACK, "legacy", {
                        name: "legacy",
                        templateBody: JSON.stringify({
                            Resources: {
                                R: {
                                    Type: "AWS::IAM::Role",
                                    Properties: {
                                        RoleName: ROLE_NAME,
                                        AssumeRolePolicyDocument: trust(trustStatement()),
                                        ManagedPolicyArns: [ADMIN],
                                    },
                                },
                            },
                        }),
                    }),
                ["cloudglue-least-privilege"],
                /AdministratorAccess/,
            ],
            [
                "the role under another path",
                () => {
                    const role = ofType(dev, ROLE);
                    return { ...role, props: { ...role.props, path: "/service/" } };
                },
                ["cloudglue-role-name"],
                /ARN is role\/service\/cloudglue-external-s3-access-role/,
            ],
            [
                "a bucket ARN built from a policy variable",
                () =>
                    withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) =>
                        doc.Statement[0].Resource.push("arn:aws:s3:::${aws:PrincipalTag/b}/*"),
                    ),
                ["cloudglue-least-privilege"],
                /a policy variable is not a bucket name/,
            ],
            [
                "an instance profile for the role (a type the pack does not know)",
                () => resource("aws:iam/instanceProfile:InstanceProfile", "p", { role: ROLE_NAME }),
                ["cloudglue-recognised-resources"],
                /aws:iam\/instanceProfile:InstanceProfile names the role .*"allowedResourceTypes":\["aws:iam\/instanceProfile:InstanceProfile"\]/,
            ],
            [
                "a command that attaches a policy to the role",
                () =>
                    resource("command:local:Command", "c", {
                        create: `aws iam attach-role-policy --role-name ${ROLE_NAME} --policy-arn ${ADMIN}`,
                    }),
                ["cloudglue-recognised-resources"],
                /command:local:Command c runs a script \(create\) that the pack cannot read/,
            ],
            [
                "an unknown type mentioning Cloudglue's account",
                () =>
                    resource("aws:s3/bucketPolicy:BucketPolicy", "b", {
                        bucket: "acme",
                        policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: CG } }] }),
                    }),
                ["cloudglue-recognised-resources"],
                /mentions Cloudglue's account 992382634011/,
            ],
            [
                "RolePoliciesExclusive keeping a second inline policy",
                () =>
                    resource(EXCLUSIVE_INLINE, "x", {
                        roleName: ROLE_NAME,
                        policyNames: ["CloudglueExternalS3AccessPolicy", "console-added"],
                    }),
                ["cloudglue-least-privilege"],
                /"console-added"/,
            ],
            [
                "a CloudFormation stack given by templateUrl, which the pack cannot read",
                () => resource(CFN_STACK, "legacy", { templateUrl: "https://bucket.s3.amazonaws.com/t.yaml" }),
                ["cloudglue-recognised-resources"],
                /legacy takes its template from templateUrl .*"allowedUnreadableStacks":\["legacy"\]/,
            ],
            [
                "an aws-native CloudFormation stack whose RolePolicy spells the role's name with Fn::Join",
                () =>
                    resource("aws-native:cloudformation:Stack", "legacy", {
                        templateBody: JSON.stringify({
                            Resources: {
                                P: {
                                    Type: "AWS::IAM::RolePolicy",
                                    Properties: {
                                        PolicyName: "extra",
                                        RoleName: { "Fn::Join": ["", ["cloudglue-external-", "s3-access-role"]] },
                                        PolicyDocument: everything,
                                    },
                                },
                            },
                        }),
                    }),
                ["cloudglue-recognised-resources"],
                /AWS::IAM::RolePolicy spells RoleName with Fn::Join, which the pack cannot resolve/,
            ],
            [
                "a CloudFormation stack (JSON) whose AWS::IAM::Policy names the role with Fn::Join",
                () =>
                    resource(CFN_STACK, "legacy", {
                        templateBody: JSON.stringify({
                            Resources: {
                                P: {
                                    Type: "AWS::IAM::Policy",
                                    Properties: {
                                        PolicyName: "extra",
                                        Roles: [{ "Fn::Join": ["", ["cloudglue-external-", "s3-access-role"]] }],
                                        PolicyDocument: everything,
                                    },
                                },
                            },
                        }),
                    }),
                ["cloudglue-recognised-resources"],
                /AWS::IAM::Policy spells Roles with Fn::Join/,
            ],
            [
                "a CloudFormation stack whose role trusts Cloudglue's account spelt with Fn::Join",
                () =>
                    resource(CFN_STACK, "legacy", {
                        templateBody: JSON.stringify({
                            Resources: {
                                R: {
                                    Type: "AWS::IAM::Role",
                                    Properties: {
                                        RoleName: "media-reader",
                                        ManagedPolicyArns: [ADMIN],
                                        AssumeRolePolicyDocument: trust({
                                            Effect: "Allow",
                                            Action: "sts:AssumeRole",
                                            Principal: {
                                                AWS: { "Fn::Join": ["", ["arn:aws:iam::", "992382", "634011:root"]] },
                                            },
                                        }),
                                    },
                                },
                            },
                        }),
                    }),
                ["cloudglue-recognised-resources"],
                /spells AssumeRolePolicyDocument.Statement.0.Principal with Fn::Join/,
            ],
            [
                "a CloudFormation stack (YAML) whose RolePolicy names the role with !Join",
                () =>
                    resource(CFN_STACK, "legacy", {
                        templateBody: [
                            "Resources:",
                            "  P:",
                            "    Type: AWS::IAM::RolePolicy",
                            "    Properties:",
                            "      PolicyName: extra",
                            "      RoleName: !Join ['', [cloudglue-external-, s3-access-role]]",
                            "      PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}",
                        ].join("\n"),
                    }),
                ["cloudglue-recognised-resources"],
                /AWS::IAM::RolePolicy spells RoleName with Fn::Join/,
            ],
            [
                "a bucket policy naming the role through a JSON escape",
                () =>
                    resource("aws:s3/bucketPolicy:BucketPolicy", "b", {
                        bucket: "secrets",
                        policy:
                            '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/' +
                            '\\u0063loudglue-external-s3-access-role"},"Action":"s3:*","Resource":"arn:aws:s3:::secrets/*"}]}',
                    }),
                ["cloudglue-recognised-resources"],
                /BucketPolicy names the role cloudglue-external-s3-access-role/,
            ],
            [
                "a bucket policy granting * under a pattern on aws:PrincipalArn that matches the role",
                () =>
                    resource("aws:s3/bucketPolicy:BucketPolicy", "b", {
                        bucket: "secrets",
                        policy: JSON.stringify(
                            trust({
                                Effect: "Allow",
                                Principal: "*",
                                Action: "s3:GetObject",
                                Resource: "arn:aws:s3:::secrets/*",
                                Condition: {
                                    StringLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/cloudglue-external-s3-*" },
                                },
                            }),
                        ),
                    }),
                ["cloudglue-recognised-resources"],
                /grants the role cloudglue-external-s3-access-role through a StringLike condition on aws:PrincipalArn/,
            ],
            [
                "a role of another name trusting * under StringLike aws:PrincipalAccount 99238263401?",
                () =>
                    resource(ROLE, "reader", {
                        name: "media-reader",
                        assumeRolePolicy: JSON.stringify(
                            trust({
                                Effect: "Allow",
                                Principal: { AWS: "*" },
                                Action: "sts:AssumeRole",
                                Condition: { StringLike: { "aws:PrincipalAccount": "99238263401?" } },
                            }),
                        ),
                        managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
                    }),
                ["cloudglue-least-privilege", "cloudglue-role-name", "cloudglue-trust-requires-external-id"],
                /trusts "AWS:\*"; only arn:aws:iam::992382634011:root may be trusted/,
            ],
            [
                'an inline statement with Effect "allow"',
                () =>
                    withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) =>
                        doc.Statement.push({ Effect: "allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::x/*" }),
                    ),
                ["cloudglue-least-privilege"],
                /has the Effect "allow"; IAM knows only "Allow" and "Deny"/,
            ],
            [
                'a trust statement with Effect "allow"',
                () => withTrust(trust({ ...trustStatement(), Effect: "allow" })),
                ["cloudglue-trust-requires-external-id"],
                /has the Effect "allow"/,
            ],
            [
                "kms:Decrypt on a named key without kms:ViaService",
                () =>
                    withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) =>
                        doc.Statement.push({
                            Effect: "Allow",
                            Action: "kms:Decrypt",
                            Resource: "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                        }),
                    ),
                ["cloudglue-least-privilege"],
                /kms:Decrypt without the condition StringEquals kms:ViaService/,
            ],
        ];
        for (const [label, make, policies, says] of refused) {
            it(`Analyze refuses ${label}`, async () => {
                const found = mandatory(await server.analyze(make()));
                assert.deepStrictEqual(policiesOf(found), policies, JSON.stringify(found, null, 1));
                assert.ok(
                    found.some((d) => says.test(d.message)),
                    found.map((d) => d.message).join("\n"),
                );
            });
        }

        it("AnalyzeStack refuses a second role trusting Cloudglue, made with aws-native or in a template", async () => {
            for (const second of [
                resource("aws-native:iam:Role", "second", {
                    roleName: "video-reader",
                    assumeRolePolicyDocument: trust(trustStatement(null)),
                }),
                resource(CFN_STACK, "legacy", { templateBody: yamlTemplate("") }),
            ]) {
                const found = await server.analyzeStack([...devOutputs, second]);
                assert.deepStrictEqual(
                    found.map((d) => [d.policyName, d.level]),
                    [["cloudglue-one-role-one-connector", "mandatory"]],
                );
                assert.match(found[0].message, /2 Cloudglue access roles/);
            }
        });

        it("AnalyzeStack refuses RolePoliciesExclusive keeping a policy the stack does not declare", async () => {
            const edited = devOutputs.map((r) =>
                r.type === EXCLUSIVE_INLINE ? { ...r, props: { ...r.props, policyNames: ["LegacyAdmin"] } } : r,
            );
            assert.ok(
                edited.some((r) => r.type === EXCLUSIVE_INLINE),
                "the dev stack holds its inline policies",
            );
            const found = await server.analyzeStack(edited);
            assert.deepStrictEqual(
                found.map((d) => [d.policyName, d.level]),
                [
                    ["cloudglue-exclusive-policy-names", "mandatory"],
                    ["cloudglue-exclusive-policy-names", "mandatory"],
                ],
            );
            assert.match(found[0].message, /\["LegacyAdmin"\] .* but the stack declares no such policy/);
            assert.match(found[1].message, /would delete them from the Cloudglue access role/);
        });

        it("AnalyzeStack passes the stack without the exclusive resources (cloudglue:exclusivePolicies false)", async () => {
            const without = devOutputs.filter((r) => r.type !== EXCLUSIVE_INLINE && r.type !== EXCLUSIVE_ATTACHMENTS);
            assert.deepStrictEqual(await server.analyzeStack(without), []);
        });

        const clean: [string, () => AnalyzedResource][] = [
            [
                "an unrelated Lambda role with AdministratorAccess",
                () =>
                    resource(ROLE, "lambda", {
                        name: "lambda-exec",
                        assumeRolePolicy: JSON.stringify(
                            trust({
                                Effect: "Allow",
                                Principal: { Service: "lambda.amazonaws.com" },
                                Action: "sts:AssumeRole",
                            }),
                        ),
                        managedPolicyArns: [ADMIN],
                    }),
            ],
            [
                "an attachment to another role",
                () => resource(ATTACHMENT, "a", { role: "lambda-exec", policyArn: ADMIN }),
            ],
            [
                "an unrelated aws-native role",
                () =>
                    resource("aws-native:iam:Role", "app", {
                        roleName: "app-role",
                        assumeRolePolicyDocument: trust({
                            Effect: "Allow",
                            Principal: { Service: "ec2.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        }),
                        policies: [{ policyName: "all", policyDocument: everything }],
                    }),
            ],
            [
                "a least-privilege aws-native RolePolicy",
                () =>
                    resource("aws-native:iam:RolePolicy", "x", {
                        roleName: ROLE_NAME,
                        policyDocument: leastPrivilegeDoc,
                    }),
            ],
            [
                "a least-privilege aws-native ManagedPolicy",
                () =>
                    resource("aws-native:iam:ManagedPolicy", "x", {
                        roles: [ROLE_NAME],
                        policyDocument: leastPrivilegeDoc,
                    }),
            ],
            [
                "an aws-native Cloudglue role as the component would make it",
                () =>
                    resource("aws-native:iam:Role", "x", {
                        roleName: ROLE_NAME,
                        assumeRolePolicyDocument: trust(trustStatement()),
                        policies: [
                            { policyName: "CloudglueExternalS3AccessPolicy", policyDocument: leastPrivilegeDoc },
                        ],
                    }),
            ],
            [
                "RolePolicyAttachmentsExclusive with no managed policy",
                () => resource(EXCLUSIVE_ATTACHMENTS, "x", { roleName: ROLE_NAME, policyArns: [] }),
            ],
            [
                "RolePoliciesExclusive with the one inline policy",
                () =>
                    resource(EXCLUSIVE_INLINE, "x", {
                        roleName: ROLE_NAME,
                        policyNames: ["CloudglueExternalS3AccessPolicy"],
                    }),
            ],
            [
                "a CloudFormation stack (YAML) with the vendor's role, its external ID a parameter",
                () =>
                    resource(CFN_STACK, "legacy", {
                        templateBody: yamlTemplate(
                            "            Condition:\n              StringEquals:\n                sts:ExternalId: !Ref ExternalId",
                        ),
                        parameters: { ExternalId: GOOD_ID },
                    }),
            ],
            [
                "a CloudFormation stack without the role",
                () =>
                    resource(CFN_STACK, "queue", {
                        templateBody: JSON.stringify({ Resources: { Q: { Type: "AWS::SQS::Queue" } } }),
                    }),
            ],
            [
                "a Lambda role whose name merely resembles the role's",
                () =>
                    resource(ROLE, "webhook", {
                        name: "cloudglue-webhook-access-logs",
                        assumeRolePolicy: JSON.stringify(
                            trust({
                                Effect: "Allow",
                                Principal: { Service: "lambda.amazonaws.com" },
                                Action: "sts:AssumeRole",
                            }),
                        ),
                    }),
            ],
            [
                "a public-read bucket policy, which names neither the role nor Cloudglue",
                () =>
                    resource("aws:s3/bucketPolicy:BucketPolicy", "b", {
                        bucket: "site",
                        policy: JSON.stringify(
                            trust({
                                Effect: "Allow",
                                Principal: "*",
                                Action: "s3:GetObject",
                                Resource: "arn:aws:s3:::site/*",
                            }),
                        ),
                    }),
            ],
            [
                "a kms:Decrypt statement as the component builds it",
                () =>
                    withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) =>
                        doc.Statement.push(
                            buildAccessPolicy([
                                {
                                    name: "acme-media-dev-raw",
                                    kmsKeyArn:
                                        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                },
                            ]).Statement.find((st) => asList(st.Action).includes("kms:Decrypt")),
                        ),
                    ),
            ],
        ];
        for (const [label, make] of clean) {
            it(`Analyze passes ${label}`, async () => {
                assert.deepStrictEqual(await server.analyze(make()), []);
            });
        }

        function withTrust(document: object): AnalyzedResource {
            const role = ofType(dev, ROLE);
            return { ...role, props: { ...role.props, assumeRolePolicy: JSON.stringify(document) } };
        }
    });

    describe("with a --policy-pack-config file", () => {
        const configFile = path.join(POLICY_PACK_DIR, "policy-config.example.json");
        let config: PolicyPackConfig;
        before(async () => {
            config = JSON.parse(fs.readFileSync(configFile, "utf8"));
            await server.configure(config);
        });

        it("is the config the README shows", () => {
            const readme = fs.readFileSync(path.join(POLICY_PACK_DIR, "..", "README.md"), "utf8");
            const shown = /### Enforcement levels[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
            assert.ok(shown, "the README shows a policy config");
            assert.deepStrictEqual(JSON.parse(shown), config);
        });

        it("passes every resource of the dev stack, and the stack: the README's example holds", async () => {
            for (const resource of dev) {
                assert.deepStrictEqual(await server.analyze(resource), [], resource.urn);
            }
            assert.deepStrictEqual(await server.analyzeStack(devOutputs), []);
        });

        it("reports each bucket outside allowedBucketPatterns once, at the configured level", async () => {
            await server.configure({
                "cloudglue-allowed-buckets": {
                    enforcementLevel: "mandatory",
                    allowedBucketPatterns: ["acme-media-prod-*"],
                },
            });
            try {
                const found = [];
                for (const resource of dev) {
                    found.push(...(await server.analyze(resource)));
                }
                assert.deepStrictEqual(
                    found.map((d) => [d.policyName, d.level]),
                    [
                        ["cloudglue-allowed-buckets", "mandatory"],
                        ["cloudglue-allowed-buckets", "mandatory"],
                    ],
                );
                assert.match(found[0].message, /"acme-media-dev-raw" is not in the organisation's allowed buckets/);
                assert.match(
                    found[1].message,
                    /"acme-media-dev-published" is not in the organisation's allowed buckets/,
                );
            } finally {
                await server.configure(config);
            }
        });

        it("stops the run on a setting the policy does not declare, naming it", async () => {
            await server.configure({ "cloudglue-allowed-buckets": { allowedBucketPattern: ["acme-*"] } });
            try {
                await assert.rejects(
                    server.analyze(ofType(dev, ROLE_POLICY)),
                    /cloudglue-allowed-buckets the unknown setting\(s\) "allowedBucketPattern"; its settings are "allowedBucketPatterns"/,
                );
            } finally {
                await server.configure(config);
            }
        });

        it("keeps a policy's own level when the file gives it settings but no level, as the CLI does", async () => {
            await server.configure({ "cloudglue-recognised-resources": { allowedUnreadableStacks: [] } });
            try {
                const profile: AnalyzedResource = {
                    type: "aws:iam/instanceProfile:InstanceProfile",
                    name: "p",
                    urn: "urn:pulumi:dev::cloudglue::aws:iam/instanceProfile:InstanceProfile::p",
                    props: { role: "cloudglue-external-s3-access-role" },
                };
                const found = await server.analyze(profile);
                assert.deepStrictEqual(
                    found.map((d) => [d.policyName, d.level]),
                    [["cloudglue-recognised-resources", "mandatory"]],
                );
            } finally {
                await server.configure(config);
            }
        });

        it("remediates a renamed role instead of failing it", async () => {
            const role = ofType(dev, ROLE);
            const renamed = { ...role, props: { ...role.props, name: undefined, namePrefix: "cloudglue-" } };
            const remediations = await server.remediate(renamed);
            assert.deepStrictEqual(
                remediations.map((r) => r.policyName),
                ["cloudglue-role-name"],
            );
            assert.strictEqual(remediations[0].props?.name, "cloudglue-external-s3-access-role");
            assert.ok(!("namePrefix" in (remediations[0].props ?? {})));
        });

        it("keeps every secret input secret in the remediated role, as the engine sent it", async () => {
            // The engine marks a secret input so; the remediation is taken as the resource's new inputs.
            const secret = (value: unknown) => ({ [SECRET_SIG_KEY]: SECRET_SIG, value });
            const role = ofType(dev, ROLE);
            const tags = { team: "media" };
            const renamed = {
                ...role,
                props: {
                    ...role.props,
                    name: "cloudglue-access",
                    assumeRolePolicy: secret(role.props.assumeRolePolicy),
                    tags: { ...tags, owner: secret("someone") },
                },
            };
            const [remediation] = await server.remediate(renamed);
            assert.strictEqual(remediation.props?.name, ROLE_NAME);
            assert.deepStrictEqual(remediation.props?.assumeRolePolicy, secret(role.props.assumeRolePolicy));
            assert.deepStrictEqual(remediation.props?.tags, { ...tags, owner: secret("someone") });
        });

        it("passes a stack given by templateUrl once the config lists it as reviewed, and no other", async () => {
            const stack = (name: string): AnalyzedResource => ({
                type: CFN_STACK,
                name,
                urn: `urn:pulumi:dev::cloudglue::${CFN_STACK}::${name}`,
                props: { templateUrl: "https://bucket.s3.amazonaws.com/t.yaml" },
            });
            await server.configure({
                "cloudglue-recognised-resources": {
                    enforcementLevel: "mandatory",
                    allowedUnreadableStacks: ["legacy"],
                },
            });
            try {
                assert.deepStrictEqual(await server.analyze(stack("legacy")), []);
                assert.deepStrictEqual(
                    mandatory(await server.analyze(stack("other"))).map((d) => d.policyName),
                    ["cloudglue-recognised-resources"],
                );
            } finally {
                await server.configure(config);
            }
        });

        it("never remediates a role outside the component, however its name looks", async () => {
            const role = ofType(dev, ROLE);
            const webhook = {
                ...role,
                name: "webhook",
                urn: `urn:pulumi:dev::cloudglue::${ROLE}::webhook`,
                parentUrn: undefined,
                props: { ...role.props, name: "cloudglue-webhook-access-logs" },
            };
            assert.deepStrictEqual(await server.remediate(webhook), []);
        });

        it("prints a violation the way the CLI lays it out", async () => {
            const role = ofType(dev, ROLE);
            const info = await server.info();
            const trust = buildTrustPolicy("x");
            delete trust.Statement[0].Condition;
            const broken = { ...role, props: { ...role.props, assumeRolePolicy: JSON.stringify(trust) } };
            const [violation] = mandatory(await server.analyze(broken));
            const text = formatLikeCli(info.name, info.version, violation, broken);
            assert.match(text, /- \[mandatory\] {2}cloudglue-trust-requires-external-id {2}\(aws:iam\/role:Role: /);
            if (process.env.SHOW_POLICY_OUTPUT) {
                console.log(text);
            }
        });
    });
});

function withPolicyEdit(
    resource: AnalyzedResource,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    edit: (document: any) => void,
): AnalyzedResource {
    const document = JSON.parse(String(resource.props.policy));
    edit(document);
    return { ...resource, props: { ...resource.props, policy: JSON.stringify(document) } };
}

describe("the harness sends Analyze what the engine sends", () => {
    it("leaves out top-level inputs whose key starts with __ (a dynamic resource's code), as the engine does", () => {
        const connector: AnalyzedResource = {
            type: "pulumi-nodejs:dynamic/cloudglue:S3Connector",
            urn: "urn:pulumi:dev::cloudglue::pulumi-nodejs:dynamic/cloudglue:S3Connector::connector",
            name: "connector",
            props: { __provider: "exports.handler = ...", roleArn: "arn", nested: { __kept: 1 } },
        };
        assert.deepStrictEqual(withoutInternalKeys(connector).props, { roleArn: "arn", nested: { __kept: 1 } });
        assert.strictEqual(
            connector.props.__provider,
            "exports.handler = ...",
            "the caller's resource is left as it was",
        );
    });
});
