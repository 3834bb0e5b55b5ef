import * as assert from "assert";
import * as constants from "../../components/constants";
import { buildAccessPolicy, buildTrustPolicy } from "../../components/iamDocuments";
import * as pack from "../../policy-pack/cloudglue";
import { allowedBuckets } from "../../policy-pack/policies/allowedBuckets";
import { exclusivePolicyNames } from "../../policy-pack/policies/exclusivePolicyNames";
import { leastPrivilege } from "../../policy-pack/policies/leastPrivilege";
import { oneRoleOneConnector } from "../../policy-pack/policies/oneRoleOneConnector";
import { recognisedResources } from "../../policy-pack/policies/recognisedResources";
import { roleName } from "../../policy-pack/policies/roleName";
import { trustRequiresExternalId } from "../../policy-pack/policies/trustRequiresExternalId";
import { remediated, ResourceSpec, stackViolations, UNKNOWN, violations } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const IN_COMPONENT = (type: string) => `cloudglue:aws:S3AccessRole$${type}`;
const KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";

const role = (props: Record<string, unknown> = {}, typeChain = IN_COMPONENT(ROLE)): ResourceSpec => ({
    type: ROLE,
    typeChain,
    name: "cloudglue-s3-access-role",
    props: {
        name: constants.ROLE_NAME,
        assumeRolePolicy: JSON.stringify(buildTrustPolicy("external-id-1234")),
        maxSessionDuration: 3600,
        arn: ROLE_ARN,
        ...props,
    },
});
const rolePolicy = (document: unknown, typeChain = IN_COMPONENT(ROLE_POLICY)): ResourceSpec => ({
    type: ROLE_POLICY,
    typeChain,
    props: { name: constants.INLINE_POLICY_NAME, role: constants.ROLE_NAME, policy: JSON.stringify(document) },
});
const standardPolicy = buildAccessPolicy([
    { name: "acme-raw" },
    { name: "acme-published", prefixes: ["videos/"] },
    { name: "acme-encrypted", kmsKeyArn: KEY },
]);
const withStatement = (statement: object) => ({
    ...standardPolicy,
    Statement: [...standardPolicy.Statement, statement],
});

describe("policy pack: the pack's facts", () => {
    it("match the program's constants", () => {
        for (const name of [
            "CLOUDGLUE_ACCOUNT_ID",
            "CLOUDGLUE_PRINCIPAL_ARN",
            "ROLE_NAME",
            "TRANSFER_BUCKET",
        ] as const) {
            assert.strictEqual(pack[name], constants[name], name);
        }
    });
});

describe("policy pack: cloudglue-role-name", () => {
    it("passes the role the component builds", async () => {
        assert.deepStrictEqual(await violations(roleName, role()), []);
    });

    it("passes at preview, when the trust policy is still unknown", async () => {
        assert.deepStrictEqual(await violations(roleName, role({ assumeRolePolicy: UNKNOWN })), []);
    });

    for (const [label, props, found] of [
        ["another spelling", { name: "cloudglue-external-s3-access-roles" }, '"cloudglue-external-s3-access-roles"'],
        ["another case", { name: "Cloudglue-External-S3-Access-Role" }, '"Cloudglue-External-S3-Access-Role"'],
        ["a namePrefix", { name: undefined, namePrefix: "cloudglue-external-s3-access-role-" }, "namePrefix"],
        ["auto-naming", { name: undefined }, "no name (Pulumi would auto-name it)"],
    ] as const) {
        it(`refuses ${label}, even at preview`, async () => {
            const found_ = await violations(roleName, role({ ...props, assumeRolePolicy: UNKNOWN }));
            assert.strictEqual(found_.length, 1);
            assert.ok(found_[0].includes(found) && found_[0].includes(`"${constants.ROLE_NAME}"`), found_[0]);
        });
    }

    it("recognises the role outside the component by a trust policy naming Cloudglue's account", async () => {
        const found = await violations(roleName, role({ name: "video-reader" }, ROLE));
        assert.strictEqual(found.length, 1);
    });

    it("recognises the role outside the component by its exact name, in any case, at preview", async () => {
        const found = await violations(
            roleName,
            role({ name: "Cloudglue-External-S3-Access-Role", assumeRolePolicy: UNKNOWN }, ROLE),
        );
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /has the name "Cloudglue-External-S3-Access-Role"/);
    });

    it("leaves other roles alone, even of a team that uses Cloudglue", async () => {
        for (const name of ["lambda-exec", "cloudglue-uploader-lambda", "CloudGlue_Access"]) {
            const other = role({ name, assumeRolePolicy: '{"Statement":[]}' }, ROLE);
            assert.deepStrictEqual(await violations(roleName, other), [], name);
        }
    });

    it("leaves alone, and never renames, a Lambda role whose name merely resembles the role's", async () => {
        const lambdaTrust = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        const webhook = role({ name: "cloudglue-webhook-access-logs", assumeRolePolicy: lambdaTrust }, ROLE);
        for (const policy of [roleName, trustRequiresExternalId, leastPrivilege, recognisedResources]) {
            assert.deepStrictEqual(await violations(policy, webhook), [], policy.name);
        }
        assert.strictEqual(await remediated(roleName, webhook), undefined);
    });

    it("never remediates a role outside the component, even one that trusts Cloudglue", async () => {
        const outside = role({ name: "video-reader" }, ROLE);
        assert.strictEqual((await violations(roleName, outside)).length, 1);
        assert.strictEqual(await remediated(roleName, outside), undefined);
    });

    it("refuses a path other than /, which moves the role's ARN, and remediates it", async () => {
        const found = await violations(roleName, role({ path: "/service/" }));
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(
            found[0],
            /ARN is role\/service\/cloudglue-external-s3-access-role, not the role\/cloudglue-external/,
        );
        assert.deepStrictEqual(await violations(roleName, role({ path: "/" })), []);
        const fixed = await remediated(roleName, role({ path: "/service/" }));
        assert.ok(fixed && !("path" in fixed) && fixed.name === constants.ROLE_NAME);
    });

    it("remediates by setting the exact name and dropping namePrefix, even at preview", async () => {
        const fixed = await remediated(
            roleName,
            role({ name: undefined, namePrefix: "cg-", assumeRolePolicy: UNKNOWN }),
        );
        assert.strictEqual(fixed?.name, constants.ROLE_NAME);
        assert.ok(!("namePrefix" in (fixed ?? {})));
        assert.strictEqual(fixed?.maxSessionDuration, 3600);
        assert.strictEqual(await remediated(roleName, role()), undefined);
    });
});

describe("policy pack: cloudglue-trust-requires-external-id", () => {
    const trust = (statement: object) =>
        role({ assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) });
    const good = buildTrustPolicy("external-id-1234").Statement[0];

    it("passes the trust policy the component builds", async () => {
        assert.deepStrictEqual(await violations(trustRequiresExternalId, role()), []);
    });

    for (const [label, statement, says] of [
        ["no condition", { ...good, Condition: undefined }, "no StringEquals condition on sts:ExternalId"],
        [
            "StringLike instead of StringEquals",
            { ...good, Condition: { StringLike: { "sts:ExternalId": "external-id-1234*" } } },
            "its Condition has StringLike on sts:ExternalId",
        ],
        ["Principal *", { ...good, Principal: "*" }, 'trusts "*"'],
        [
            "an extra principal",
            { ...good, Principal: { AWS: [constants.CLOUDGLUE_PRINCIPAL_ARN, "arn:aws:iam::444455556666:root"] } },
            "444455556666",
        ],
        ["a service principal", { ...good, Principal: { Service: "ec2.amazonaws.com" } }, "Service:ec2.amazonaws.com"],
        ["an extra action", { ...good, Action: ["sts:AssumeRole", "sts:TagSession"] }, "sts:TagSession"],
        ['a lower-case "allow"', { ...good, Effect: "allow" }, 'has the Effect "allow"'],
        [
            "NotPrincipal",
            { ...good, Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::1:root" } },
            "NotPrincipal",
        ],
    ] as const) {
        it(`refuses ${label}`, async () => {
            const found = await violations(trustRequiresExternalId, trust(statement));
            assert.ok(found.length >= 1, "expected a violation");
            assert.ok(
                found.some((m) => m.includes(says)),
                found.join("\n"),
            );
        });
    }

    it("never repeats a condition's value, which may be the external ID", async () => {
        const found = await violations(
            trustRequiresExternalId,
            trust({ ...good, Condition: { StringLike: { "sts:ExternalId": "external-id-1234" } } }),
        );
        assert.ok(found.length === 1 && !found[0].includes("external-id-1234"), found.join("\n"));
    });

    it("cannot decide at preview while the trust policy is unknown, and says so through the SDK", async () => {
        await assert.rejects(
            violations(trustRequiresExternalId, role({ assumeRolePolicy: UNKNOWN })),
            /can't be known during preview/,
        );
    });
});

describe("policy pack: cloudglue-least-privilege", () => {
    it("passes the inline policy the component builds, with prefixes and KMS", async () => {
        assert.deepStrictEqual(await violations(leastPrivilege, rolePolicy(standardPolicy)), []);
    });

    for (const [label, statement, says] of [
        [
            "a wildcard bucket",
            { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-*/*" },
            '"arn:aws:s3:::acme-*/*"',
        ],
        ["every bucket", { Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::*" }, '"arn:aws:s3:::*"'],
        ["Resource *", { Effect: "Allow", Action: "s3:GetObject", Resource: "*" }, 'on "*"'],
        ["s3:*", { Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::acme-raw" }, 'wildcard action "s3:*"'],
        ["*", { Effect: "Allow", Action: "*", Resource: "*" }, 'wildcard action "*"'],
        [
            "an extra action",
            { Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::acme-raw/*" },
            '"s3:DeleteObject"',
        ],
        [
            "PutObject on a customer bucket",
            { Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::acme-raw/*" },
            "may write only to cloudglue-external-transfer",
        ],
        [
            "kms:Decrypt on every key",
            {
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: "arn:aws:kms:eu-west-1:111122223333:key/*",
                Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
            },
            "only with named keys",
        ],
        [
            "kms:Decrypt on a named key without kms:ViaService",
            { Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
            "without the condition StringEquals kms:ViaService",
        ],
        [
            "kms:Decrypt on a named key through any service",
            {
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: KEY,
                Condition: { StringLike: { "kms:ViaService": "*" } },
            },
            "without the condition StringEquals kms:ViaService",
        ],
        [
            "kms:Decrypt on a named key through a service other than S3",
            {
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: KEY,
                Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
            },
            "without the condition StringEquals kms:ViaService",
        ],
        [
            'a lower-case "allow", which the pack cannot take as either Effect',
            { Effect: "allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-raw/*" },
            'has the Effect "allow"; IAM knows only "Allow" and "Deny"',
        ],
        ["no Effect at all", { Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-raw/*" }, "has the Effect null"],
        ["NotAction", { Effect: "Allow", NotAction: "iam:*", Resource: "*" }, "NotAction"],
    ] as const) {
        it(`refuses ${label}`, async () => {
            const found = await violations(leastPrivilege, rolePolicy(withStatement(statement)));
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.ok(found[0].includes(says), found[0]);
        });
    }

    it("recognises the role's inline policy outside the component by its role name", async () => {
        const loose = rolePolicy(withStatement({ Effect: "Allow", Action: "s3:*", Resource: "*" }), ROLE_POLICY);
        assert.strictEqual((await violations(leastPrivilege, loose)).length, 1);
    });

    it("refuses managed policies on the role", async () => {
        const found = await violations(
            leastPrivilege,
            role({ managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] }),
        );
        assert.ok(found[0].includes("AmazonS3FullAccess"), found.join("\n"));
        const attachment: ResourceSpec = {
            type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            props: { role: constants.ROLE_NAME, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
        };
        const attached = await violations(leastPrivilege, attachment);
        assert.ok(attached[0].includes("AdministratorAccess"), attached.join("\n"));
    });
});

describe("policy pack: cloudglue-allowed-buckets", () => {
    const config = { allowedBucketPatterns: ["acme-*"] };

    it("allows every bucket when no patterns are configured", async () => {
        assert.deepStrictEqual(
            await violations(allowedBuckets, rolePolicy(buildAccessPolicy([{ name: "x-y-z" }]))),
            [],
        );
    });

    it("reports buckets outside the patterns from the grant, once: never from the connector's list", async () => {
        const document = buildAccessPolicy([{ name: "acme-raw" }, { name: "finance-exports", prefixes: ["v/"] }]);
        const found = await violations(allowedBuckets, { ...rolePolicy(document), config });
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].includes('"finance-exports"') && found[0].includes("acme-*"), found[0]);
        const connector: ResourceSpec = {
            type: pack.CONNECTOR_TYPE,
            props: { buckets: ["acme-raw", "hr-videos"] },
            config,
        };
        assert.deepStrictEqual(await violations(allowedBuckets, connector), []);
    });

    it("passes when every bucket matches, and never counts the transfer bucket", async () => {
        const document = buildAccessPolicy([{ name: "acme-raw" }, { name: "acme-published" }]);
        assert.deepStrictEqual(await violations(allowedBuckets, { ...rolePolicy(document), config }), []);
    });
});

describe("policy pack: cloudglue-one-role-one-connector", () => {
    const connector = (roleArn: string): ResourceSpec => ({
        type: pack.CONNECTOR_TYPE,
        name: "connector",
        props: { roleArn },
    });

    it("passes one role and a connector that registers it", async () => {
        assert.deepStrictEqual(await stackViolations(oneRoleOneConnector, [role(), connector(ROLE_ARN)]), []);
    });

    it("passes at preview, when the ARNs are unknown", async () => {
        assert.deepStrictEqual(
            await stackViolations(oneRoleOneConnector, [role({ arn: UNKNOWN }), connector(UNKNOWN)]),
            [],
        );
    });

    it("refuses two Cloudglue roles", async () => {
        const found = await stackViolations(oneRoleOneConnector, [role(), { ...role(), name: "second" }]);
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].message.includes("2 Cloudglue access roles"), found[0].message);
    });

    it("refuses a stack without the role", async () => {
        const found = await stackViolations(oneRoleOneConnector, [connector(ROLE_ARN)]);
        assert.ok(found[0].message.includes("0 Cloudglue access roles"));
    });

    it("refuses a connector that registers another role", async () => {
        const found = await stackViolations(oneRoleOneConnector, [
            role(),
            connector("arn:aws:iam::111122223333:role/other"),
        ]);
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].message.includes("role/other"));
        assert.match(found[0].urn ?? "", /S3Connector::connector$/);
    });
});

describe("policy pack: what touches the Cloudglue role (cloudglue.ts)", () => {
    it("names the role by name in any case, or by an ARN ending in role/<name> under any path", () => {
        for (const value of [
            "cloudglue-external-s3-access-role",
            "Cloudglue-External-S3-Access-Role",
            "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role",
            "arn:aws-us-gov:iam::111122223333:role/a/b/CLOUDGLUE-EXTERNAL-S3-ACCESS-ROLE",
        ]) {
            assert.ok(pack.namesTheRole(value), value);
        }
        for (const value of [
            "cloudglue-external-s3-access-role-2",
            "arn:aws:iam::111122223333:role/other",
            "arn:aws:iam::111122223333:policy/cloudglue-external-s3-access-role",
            undefined,
        ]) {
            assert.ok(!pack.namesTheRole(value), String(value));
        }
    });

    const stack = (props: Record<string, unknown>): ResourceSpec => ({ type: pack.CLOUDFORMATION_STACK_TYPE, props });
    const template = [
        "Parameters:",
        "  CloudglueAccount: { Type: String }",
        "Resources:",
        "  Reader:",
        "    Type: AWS::IAM::Role",
        "    Properties:",
        "      RoleName: !Join ['-', [cloudglue, external, s3, access, role]]",
        "      AssumeRolePolicyDocument:",
        "        Statement:",
        "          - Effect: Allow",
        "            Principal: { AWS: !Sub 'arn:aws:iam::${CloudglueAccount}:root' }",
        "            Action: sts:AssumeRole",
        "  Topic:",
        "    Type: AWS::SNS::Topic",
        "    Properties: { TopicName: !GetAtt Reader.Arn }",
    ].join("\n");

    it("reads a YAML template's intrinsics, and a principal built from a parameter", async () => {
        const found = await violations(
            trustRequiresExternalId,
            stack({ templateBody: template, parameters: { CloudglueAccount: "992382634011" } }),
        );
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /^AWS::IAM::Role Reader in the template .*no StringEquals condition/);
    });

    it("refuses a stack whose template it cannot read, saying how to allow it once reviewed", async () => {
        const byUrl = { ...stack({ templateUrl: "https://example.com/t.yaml" }), name: "legacy" };
        const found = await violations(recognisedResources, byUrl);
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /legacy takes its template from templateUrl "https:\/\/example.com\/t.yaml"/);
        assert.ok(
            found[0].includes('{"cloudglue-recognised-resources":{"allowedUnreadableStacks":["legacy"]}}'),
            found[0],
        );
        const allowed = { ...byUrl, config: { allowedUnreadableStacks: ["legacy"] } };
        assert.deepStrictEqual(await violations(recognisedResources, allowed), []);
        const another = { ...byUrl, name: "other", config: { allowedUnreadableStacks: ["legacy"] } };
        assert.strictEqual((await violations(recognisedResources, another)).length, 1);
    });

    const admin = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
    const splitName = { "Fn::Join": ["", ["cloudglue-external-", "s3-access-role"]] };
    const json = (resources: object, extra: object = {}) => JSON.stringify({ ...extra, Resources: resources });
    const unreadable: [string, string, Record<string, unknown>, RegExp][] = [
        [
            "an aws-native Stack given by URL",
            "aws-native:cloudformation:Stack",
            { templateUrl: "https://example.com/t.yaml" },
            /aws-native:cloudformation:Stack resource takes its template from templateUrl/,
        ],
        [
            "a StackSet given by URL",
            "aws:cloudformation/stackSet:StackSet",
            { templateUrl: "https://example.com/t.yaml" },
            /stackSet:StackSet resource takes its template from templateUrl/,
        ],
        [
            "an aws-native StackSet given by URL",
            "aws-native:cloudformation:StackSet",
            { templateUrl: "https://example.com/t.yaml" },
            /aws-native:cloudformation:StackSet resource takes its template from templateUrl/,
        ],
        [
            "a Transform (SAM)",
            pack.CLOUDFORMATION_STACK_TYPE,
            { templateBody: json({ Q: { Type: "AWS::SQS::Queue" } }, { Transform: "AWS::Serverless-2016-10-31" }) },
            /Transform "AWS::Serverless-2016-10-31", whose output the pack cannot see/,
        ],
        [
            "an AWS::Include",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: json({
                    Q: {
                        Type: "AWS::SQS::Queue",
                        Properties: {
                            "Fn::Transform": { Name: "AWS::Include", Parameters: { Location: "s3://b/k" } },
                        },
                    },
                }),
            },
            /uses Fn::Transform \(AWS::Include\)/,
        ],
        [
            "a nested stack",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: json({
                    Child: { Type: "AWS::CloudFormation::Stack", Properties: { TemplateURL: "https://e.com/c.yaml" } },
                }),
            },
            /nests AWS::CloudFormation::Stack Child in the template of .*, whose template the pack cannot read/,
        ],
        [
            "a YAML tag CloudFormation does not know",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody:
                    "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: { QueueName: !Shell whoami }",
            },
            /the YAML tag !Shell is not a CloudFormation intrinsic/,
        ],
        [
            "a YAML alias bomb",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: [
                    "a: &a [x, x, x, x, x, x, x, x, x, x]",
                    ...Array.from({ length: 8 }, (_, i) => {
                        const [from, to] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
                        return `${to}: &${to} [*${from}, *${from}, *${from}, *${from}, *${from}, *${from}]`;
                    }),
                    "Resources: { Q: { Type: AWS::SQS::Queue, Properties: { Tags: *i } } }",
                ].join("\n"),
            },
            /expands YAML aliases more than 1000 times/,
        ],
    ];
    for (const [label, type, props, says] of unreadable) {
        it(`refuses ${label}, which it cannot read`, async () => {
            const found = await violations(recognisedResources, { type, props });
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.match(found[0], says);
            assert.match(found[0], /"allowedUnreadableStacks":\["resource"\]/);
        });
    }

    const spelt: [string, string, Record<string, unknown>, RegExp][] = [
        [
            "a policy whose Roles spell the role's name with Fn::Join",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: json({
                    P: {
                        Type: "AWS::IAM::Policy",
                        Properties: { PolicyName: "extra", Roles: [splitName], PolicyDocument: admin },
                    },
                }),
            },
            /AWS::IAM::Policy spells Roles with Fn::Join, which the pack cannot resolve \(AWS::IAM::Policy P in/,
        ],
        [
            "a role trusting an account spelt with Fn::Join",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: json({
                    R: {
                        Type: "AWS::IAM::Role",
                        Properties: {
                            RoleName: "media-reader",
                            ManagedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
                            AssumeRolePolicyDocument: {
                                Statement: [
                                    {
                                        Effect: "Allow",
                                        Action: "sts:AssumeRole",
                                        Principal: {
                                            AWS: { "Fn::Join": ["", ["arn:aws:iam::", "992382", "634011:root"]] },
                                        },
                                    },
                                ],
                            },
                        },
                    },
                }),
            },
            /spells AssumeRolePolicyDocument.Statement.0.Principal with Fn::Join/,
        ],
        [
            "a YAML RolePolicy whose RoleName is a !Join",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: [
                    "Resources:",
                    "  P:",
                    "    Type: AWS::IAM::RolePolicy",
                    "    Properties:",
                    "      PolicyName: extra",
                    "      RoleName: !Join ['', [cloudglue-external-, s3-access-role]]",
                    "      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}",
                ].join("\n"),
            },
            /AWS::IAM::RolePolicy spells RoleName with Fn::Join/,
        ],
        [
            "an aws-native Stack whose RolePolicy spells the role with Fn::Join",
            "aws-native:cloudformation:Stack",
            {
                templateBody: json({
                    P: {
                        Type: "AWS::IAM::RolePolicy",
                        Properties: { PolicyName: "extra", RoleName: splitName, PolicyDocument: admin },
                    },
                }),
            },
            /AWS::IAM::RolePolicy spells RoleName with Fn::Join, .*template of aws-native:cloudformation:Stack\)/,
        ],
        [
            "a role name from a parameter without a value",
            pack.CLOUDFORMATION_STACK_TYPE,
            {
                templateBody: json(
                    {
                        P: {
                            Type: "AWS::IAM::RolePolicy",
                            Properties: { RoleName: { Ref: "Name" }, PolicyDocument: admin },
                        },
                    },
                    { Parameters: { Name: { Type: "String" } } },
                ),
            },
            /spells RoleName with Ref "Name"/,
        ],
    ];
    for (const [label, type, props, says] of spelt) {
        it(`refuses ${label}, and cannot be allowed but by rewriting it`, async () => {
            const found = await violations(recognisedResources, {
                type,
                props,
                config: { allowedUnreadableStacks: ["resource"], allowedResourceTypes: [type] },
            });
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.match(found[0], says);
            assert.match(found[0], /Write it as a literal, or as a Ref to a parameter with a literal value/);
        });
    }

    it("refuses what grants the role through an intrinsic: a policy document under Fn::If, an imported ARN", async () => {
        const body = json({
            P: {
                Type: "AWS::IAM::RolePolicy",
                Properties: {
                    PolicyName: "extra",
                    RoleName: constants.ROLE_NAME,
                    PolicyDocument: { "Fn::If": ["Prod", admin, { Statement: [] }] },
                },
            },
            R: {
                Type: "AWS::IAM::Role",
                Properties: {
                    RoleName: constants.ROLE_NAME,
                    AssumeRolePolicyDocument: buildTrustPolicy("external-id-1234"),
                    ManagedPolicyArns: [{ "Fn::ImportValue": "AdminPolicyArn" }],
                },
            },
        });
        const found = await violations(recognisedResources, stack({ templateBody: body }));
        assert.strictEqual(found.length, 2, found.join("\n"));
        assert.match(found[0], /^AWS::IAM::RolePolicy grants the Cloudglue role through Fn::If, which the pack cannot/);
        assert.match(found[1], /^AWS::IAM::Role grants the Cloudglue role through Fn::ImportValue, which the pack/);
    });

    it("waits for the update while the template is unknown at preview", async () => {
        assert.deepStrictEqual(await violations(recognisedResources, stack({ templateBody: UNKNOWN })), []);
    });

    it("refuses a bucket policy in a template whose principal is spelt with an intrinsic", async () => {
        const body = json({
            P: {
                Type: "AWS::S3::BucketPolicy",
                Properties: {
                    Bucket: "secrets",
                    PolicyDocument: {
                        Statement: [
                            {
                                Effect: "Allow",
                                Principal: { AWS: { "Fn::Join": [":", ["arn:aws:iam:", "111122223333", "role/x"]] } },
                                Action: "s3:*",
                                Resource: "*",
                            },
                        ],
                    },
                },
            },
        });
        const found = await violations(recognisedResources, stack({ templateBody: body }));
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /^AWS::S3::BucketPolicy spells PolicyDocument.Statement.0.Principal with Fn::Join/);
    });

    it("passes a topic policy in a template whose source is one of its own resources", async () => {
        const body = json({
            Topic: { Type: "AWS::SNS::Topic" },
            Bucket: { Type: "AWS::S3::Bucket" },
            Policy: {
                Type: "AWS::SNS::TopicPolicy",
                Properties: {
                    Topics: [{ Ref: "Topic" }],
                    PolicyDocument: {
                        Statement: [
                            {
                                Effect: "Allow",
                                Principal: { Service: "s3.amazonaws.com" },
                                Action: "sns:Publish",
                                Resource: { Ref: "Topic" },
                                Condition: { ArnLike: { "aws:SourceArn": { "Fn::GetAtt": ["Bucket", "Arn"] } } },
                            },
                        ],
                    },
                },
            },
        });
        assert.deepStrictEqual(await violations(recognisedResources, stack({ templateBody: body })), []);
    });

    it("passes a template whose IAM names and principals are literals, parameters, pseudo parameters or its own roles", async () => {
        const body = json(
            {
                App: {
                    Type: "AWS::IAM::Role",
                    Properties: {
                        RoleName: { Ref: "AppRole" },
                        AssumeRolePolicyDocument: {
                            Statement: [
                                {
                                    Effect: "Allow",
                                    Action: "sts:AssumeRole",
                                    Principal: {
                                        AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" },
                                    },
                                },
                            ],
                        },
                    },
                },
                Worker: {
                    Type: "AWS::IAM::Role",
                    Properties: {
                        AssumeRolePolicyDocument: {
                            Statement: [
                                {
                                    Effect: "Allow",
                                    Action: "sts:AssumeRole",
                                    Principal: { AWS: { "Fn::GetAtt": ["App", "Arn"] } },
                                },
                            ],
                        },
                    },
                },
                P: { Type: "AWS::IAM::Policy", Properties: { Roles: [{ Ref: "Worker" }], PolicyDocument: admin } },
            },
            { Parameters: { AppRole: { Type: "String", Default: "app-role" } } },
        );
        for (const policy of [recognisedResources, leastPrivilege, trustRequiresExternalId, roleName]) {
            assert.deepStrictEqual(await violations(policy, stack({ templateBody: body })), [], policy.name);
        }
    });

    it("refuses a stack given Cloudglue's account when no resource of its template uses it knowingly", async () => {
        const queue = JSON.stringify({ Resources: { Q: { Type: "AWS::SQS::Queue" } } });
        const found = await violations(
            recognisedResources,
            stack({ templateBody: queue, parameters: { Account: "992382634011" } }),
        );
        assert.strictEqual(found.length, 1);
        assert.match(found[0], /no resource of its template is recognised/);
    });
});

describe("policy pack: settings", () => {
    it("stops on a setting a policy does not declare, naming the policy and the setting", async () => {
        await assert.rejects(
            violations(allowedBuckets, { ...rolePolicy(standardPolicy), config: { allowedBucketPattern: ["a*"] } }),
            /cloudglue-allowed-buckets the unknown setting\(s\) "allowedBucketPattern"; its settings are "allowedBucketPatterns"/,
        );
        await assert.rejects(
            violations(roleName, { ...role(), config: { enforcement: "mandatory" } }),
            /cloudglue-role-name the unknown setting\(s\) "enforcement"; it has no setting but "enforcementLevel"/,
        );
    });
});

describe("policy pack: what a resource's JSON and wildcards reach", () => {
    const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
    const bucketPolicy = (statement: object): ResourceSpec => ({
        type: BUCKET_POLICY,
        props: { bucket: "secrets", policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) },
    });
    const trusting = (statement: object) =>
        role(
            {
                name: "media-reader",
                assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }),
                managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
            },
            ROLE,
        );

    it("reads a policy's JSON escapes before looking for the role's name", async () => {
        const escaped =
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":' +
            '"arn:aws:iam::111122223333:role/\\u0063loudglue-external-s3-access-role"},"Action":"s3:*",' +
            '"Resource":["arn:aws:s3:::secrets","arn:aws:s3:::secrets/*"]}]}';
        assert.ok(!escaped.includes(constants.ROLE_NAME), "the raw text hides the name");
        const found = await violations(recognisedResources, {
            type: BUCKET_POLICY,
            props: { bucket: "secrets", policy: escaped },
        });
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /^aws:s3\/bucketPolicy:BucketPolicy names the role cloudglue-external-s3-access-role/);
    });

    it("refuses JSON hidden in JSON deeper than a policy ever is", async () => {
        let hidden: unknown = { Principal: { AWS: ROLE_ARN } };
        for (let i = 0; i < 12; i++) {
            hidden = JSON.stringify(hidden);
        }
        const found = await violations(recognisedResources, { type: BUCKET_POLICY, props: { policy: hidden } });
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /holds JSON text nested in JSON text more than 8 deep/);
    });

    it("takes a grant to * under a pattern on aws:PrincipalArn that matches the role as a grant to the role", async () => {
        const found = await violations(
            recognisedResources,
            bucketPolicy({
                Effect: "Allow",
                Principal: "*",
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::secrets/*",
                Condition: { StringLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/cloudglue-external-s3-*" } },
            }),
        );
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /grants the role .* through a StringLike condition on aws:PrincipalArn/);
    });

    it("leaves alone a grant to * pinned to named accounts, or under a pattern the role does not match", async () => {
        for (const condition of [
            { StringEquals: { "aws:PrincipalAccount": "111122223333" } },
            { StringLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/uploader-*" } },
        ]) {
            const statement = {
                Effect: "Allow",
                Principal: "*",
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::secrets/*",
                Condition: condition,
            };
            assert.deepStrictEqual(
                await violations(recognisedResources, bucketPolicy(statement)),
                [],
                JSON.stringify(condition),
            );
        }
    });

    it("judges a role trusting * under a pattern on aws:PrincipalAccount as trusting Cloudglue, and refuses it", async () => {
        const statement = {
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "sts:AssumeRole",
            Condition: { StringLike: { "aws:PrincipalAccount": "99238263401?" } },
        };
        const trust = await violations(trustRequiresExternalId, trusting(statement));
        assert.ok(
            trust.some((m) => m.includes('trusts "AWS:*"')),
            trust.join("\n"),
        );
        assert.ok(
            trust.some((m) => m.includes("no StringEquals condition on sts:ExternalId")),
            trust.join("\n"),
        );
        const privilege = await violations(leastPrivilege, trusting(statement));
        assert.ok(
            privilege.some((m) => m.includes("AmazonS3FullAccess")),
            privilege.join("\n"),
        );
    });

    it("judges a role trusting every AWS principal as trusting Cloudglue", async () => {
        const found = await violations(
            trustRequiresExternalId,
            trusting({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }),
        );
        assert.ok(
            found.some((m) => m.includes('trusts "*"')),
            found.join("\n"),
        );
    });

    it("refuses a type it does not know that lets anyone assume a role", async () => {
        const found = await violations(recognisedResources, {
            type: "aws:iam/someFutureRole:SomeFutureRole",
            props: {
                trust: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
                }),
            },
        });
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /lets Cloudglue's account in through the principal "\*"/);
    });

    it("leaves alone a role trusting * only from the organisation or its own account", async () => {
        for (const condition of [
            { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
            { StringEquals: { "aws:PrincipalAccount": ["111122223333", "444455556666"] } },
        ]) {
            const statement = {
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: "sts:AssumeRole",
                Condition: condition,
            };
            for (const policy of [roleName, trustRequiresExternalId, leastPrivilege]) {
                assert.deepStrictEqual(await violations(policy, trusting(statement)), [], policy.name);
            }
        }
    });
});

describe("policy pack: cloudglue-exclusive-policy-names", () => {
    const EXCLUSIVE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
    const exclusive = (policyNames: unknown): ResourceSpec => ({
        type: EXCLUSIVE,
        typeChain: IN_COMPONENT(EXCLUSIVE),
        name: "inline-policies",
        props: { roleName: constants.ROLE_NAME, policyNames },
    });
    const stackOf = (...extra: ResourceSpec[]) => [role(), rolePolicy(standardPolicy), ...extra];

    it("passes the set the component builds, and a stack without the exclusive resource", async () => {
        assert.deepStrictEqual(
            await stackViolations(exclusivePolicyNames, stackOf(exclusive(["CloudglueExternalS3AccessPolicy"]))),
            [],
        );
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, stackOf()), []);
    });

    it("refuses a set that keeps a policy the stack does not declare", async () => {
        const found = await stackViolations(exclusivePolicyNames, stackOf(exclusive(["LegacyAdmin"])));
        assert.strictEqual(found.length, 2, JSON.stringify(found));
        assert.match(found[0].message, /keeps the inline policies \["LegacyAdmin"\] .* declares no such policy/);
        assert.match(
            found[1].message,
            /does not list the stack's inline policies \["CloudglueExternalS3AccessPolicy"\]/,
        );
        assert.match(found[0].urn ?? "", /::inline-policies$/);
    });

    it("waits for the update while the names are unknown", async () => {
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, stackOf(exclusive(UNKNOWN))), []);
    });
});
