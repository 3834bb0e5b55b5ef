/**
 * How the pack reads a CloudFormation template inside a Pulumi stack resource
 * (policy-pack/cloudglue.ts), rule by rule, as a mutation run showed no test would notice them
 * breaking (issue 15): YAML and its short intrinsics, what it resolves (parameters, pseudo
 * parameters, Fn::Sub, the template's own roles) and what it refuses because it cannot. Expected
 * texts are written here, not read from the pack.
 */
import * as assert from "assert";
import { leastPrivilege } from "../../policy-pack/policies/leastPrivilege";
import { recognisedResources } from "../../policy-pack/policies/recognisedResources";
import { roleName } from "../../policy-pack/policies/roleName";
import { trustRequiresExternalId } from "../../policy-pack/policies/trustRequiresExternalId";
import { admin, cloudglueTrust, doc, lambdaTrust, reads, ResourceSpec, UNKNOWN, violations } from "./helpers";

const NAME = "cloudglue-external-s3-access-role";
const CFN_STACK = "aws:cloudformation/stack:Stack";
const CLOUDGLUE_ROOT = "arn:aws:iam::992382634011:root";

const cloudglueRole = (extra: object = {}) => ({
    Type: "AWS::IAM::Role",
    Properties: { RoleName: NAME, AssumeRolePolicyDocument: cloudglueTrust, ...extra },
});
const lambdaRole = {
    Type: "AWS::IAM::Role",
    Properties: { RoleName: "lambda-exec", AssumeRolePolicyDocument: lambdaTrust },
};
const bucketPolicy = (statement: object) => ({
    Type: "AWS::S3::BucketPolicy",
    Properties: { Bucket: "uploads", PolicyDocument: doc(statement) },
});
const principal = (aws: unknown) => ({
    Effect: "Allow",
    Principal: { AWS: aws },
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::uploads/*",
});

const stack = (templateBody: unknown, props: Record<string, unknown> = {}, type = CFN_STACK): ResourceSpec => ({
    type,
    name: "cfn",
    props: { templateBody, ...props },
});
const json = (resources: object, extra: object = {}, props: Record<string, unknown> = {}) =>
    stack(JSON.stringify({ ...extra, Resources: resources }), props);
const inTemplate = (type: string, id: string, stackType = CFN_STACK) => `${type} ${id} in the template of ${stackType}`;
/** recognised-resources' words for a part of a template that names who it is about with an intrinsic. */
const spelt = (type: string, id: string, what: string) =>
    `${type} spells ${what}, which the pack cannot resolve (${inTemplate(type, id)}). ` +
    "Write it as a literal, or as a Ref to a parameter with a literal value.";
/** Why recognised-resources refuses a stack whose template it cannot read (the fixed advice left out). */
async function unreadable(spec: ResourceSpec): Promise<string[]> {
    const found = await violations(recognisedResources, spec);
    const advice = ", so the pack cannot tell whether it grants the Cloudglue role more or trusts Cloudglue's account";
    return found.map((m) => {
        assert.ok(m.startsWith(`${spec.type} ${spec.name} `) && m.includes(advice), m);
        return m.slice(`${spec.type} ${spec.name} `.length, m.indexOf(advice));
    });
}

describe("policy pack templates: YAML", () => {
    it("reads every short intrinsic CloudFormation knows, and YAML's own tags", async () => {
        const tags = [
            "!Ref Bucket",
            "!Condition IsProd",
            "!Base64 text",
            "!Cidr [10.0.0.0/16, 2, 8]",
            "!FindInMap [Map, key, value]",
            "!GetAtt Queue.Arn",
            '!GetAZs ""',
            "!ImportValue shared",
            '!Join ["", [a, b]]',
            "!Select [0, [a, b]]",
            '!Split [",", "a,b"]',
            "!Sub text",
            "!And [!Condition A, !Condition B]",
            "!Equals [a, b]",
            "!If [IsProd, a, b]",
            "!Not [!Condition A]",
            "!Or [!Condition A, !Condition B]",
            "!Length [a, b]",
            "!ToJsonString { a: b }",
            "!!str 5",
        ];
        const body = [
            "Resources:",
            "  Queue:",
            "    Type: AWS::SQS::Queue",
            "    Properties:",
            "      Tags:",
            ...tags.map((tag, i) => `        - { Key: t${i}, Value: ${tag} }`),
        ].join("\n");
        assert.deepStrictEqual(await violations(recognisedResources, stack(body)), []);
    });

    it("reads !Transform as Fn::Transform, whose output it cannot see", async () => {
        const body = [
            "Resources:",
            "  Queue:",
            "    Type: AWS::SQS::Queue",
            "    Properties: !Transform { Name: AWS::Include, Parameters: { Location: s3://b/k } }",
        ].join("\n");
        assert.deepStrictEqual(await unreadable(stack(body)), [
            "has a template that uses Fn::Transform (AWS::Include), whose output the pack cannot see",
        ]);
    });

    it("expands 1000 YAML aliases, and refuses the 1001st", async () => {
        const aliases = (n: number) => `x: &x 1\nMetadata: [${Array(n).fill("*x").join(", ")}]\nResources: {}\n`;
        assert.deepStrictEqual(await violations(recognisedResources, stack(aliases(1000))), []);
        assert.deepStrictEqual(await unreadable(stack(aliases(1001))), [
            "has a template the pack cannot read (the template expands YAML aliases more than 1000 times)",
        ]);
    });

    it("reads !GetAtt to the template's own role in either form", async () => {
        const body = [
            "Resources:",
            "  Reader:",
            "    Type: AWS::IAM::Role",
            "    Properties:",
            "      RoleName: lambda-exec",
            "      AssumeRolePolicyDocument:",
            "        Statement:",
            "          - { Effect: Allow, Principal: { Service: lambda.amazonaws.com }, Action: sts:AssumeRole }",
            "  Policy:",
            "    Type: AWS::SNS::TopicPolicy",
            "    Properties:",
            "      Topics: [arn:aws:sns:eu-west-1:111122223333:uploads]",
            "      PolicyDocument:",
            "        Statement:",
            "          - { Effect: Allow, Principal: { AWS: !GetAtt Reader.Arn }, Action: sns:Publish, Resource: '*' }",
            "          - { Effect: Allow, Principal: { AWS: !GetAtt [Reader, Arn] }, Action: sns:Publish, Resource: '*' }",
        ].join("\n");
        assert.deepStrictEqual(await violations(recognisedResources, stack(body)), []);
    });

    it("says what it cannot read: no template, text that is not one, YAML that does not parse", async () => {
        for (const body of [null, ""]) {
            assert.deepStrictEqual(await unreadable(stack(body)), ["has no templateBody the pack can read"]);
        }
        for (const body of ["# nothing but a comment\n", "42"]) {
            assert.deepStrictEqual(
                await unreadable(stack(body)),
                ["has a template the pack cannot read (it is not a template)"],
                body,
            );
        }
        assert.deepStrictEqual(await unreadable(stack("Resources: [\n")), [
            "has a template the pack cannot read (Flow sequence in block collection must be sufficiently indented " +
                "and end with a ] at line 2, column 1:)",
        ]);
    });

    it("reads a template given as an object, not text", async () => {
        const role = cloudglueRole({ RoleName: "Cloudglue-External-S3-Access-Role" });
        const [found] = await violations(roleName, stack({ Resources: { Reader: role } }));
        assert.ok(
            found?.startsWith(
                `The Cloudglue access role (${inTemplate("AWS::IAM::Role", "Reader")}) has the name ` +
                    '"Cloudglue-External-S3-Access-Role"',
            ),
            found,
        );
    });
});

describe("policy pack templates: parameters and what the stack gives", () => {
    const byParameter = {
        Parameters: { Name: { Type: "String" } },
        Resources: {
            Reader: {
                Type: "AWS::IAM::Role",
                Properties: { RoleName: { Ref: "Name" }, AssumeRolePolicyDocument: lambdaTrust },
            },
        },
    };

    for (const parameters of [
        [{ parameterKey: "Name", parameterValue: "Cloudglue-External-S3-Access-Role" }],
        [{ ParameterKey: "Name", ParameterValue: "Cloudglue-External-S3-Access-Role" }],
    ]) {
        it(`reads an aws-native StackSet's parameters given as ${Object.keys(parameters[0]).join(" and ")}`, async () => {
            const type = "aws-native:cloudformation:StackSet";
            const set = stack(JSON.stringify(byParameter), { parameters }, type);
            const [found] = await violations(roleName, set);
            assert.ok(
                found?.startsWith(
                    `The Cloudglue access role (${inTemplate("AWS::IAM::Role", "Reader", type)}) has the name ` +
                        '"Cloudglue-External-S3-Access-Role"',
                ),
                found,
            );
        });
    }

    it("waits for the update while the template's URL or the stack's parameters are unknown", async () => {
        assert.deepStrictEqual(await violations(recognisedResources, stack(undefined, { templateUrl: UNKNOWN })), []);
        const needsParameter = JSON.stringify({
            Parameters: { Account: { Type: "String" } },
            Resources: { Policy: bucketPolicy(principal({ Ref: "Account" })) },
        });
        assert.deepStrictEqual(
            await violations(recognisedResources, stack(needsParameter, { parameters: UNKNOWN })),
            [],
        );
    });

    it("resolves a Ref to a parameter the stack gives as text or as a number", async () => {
        const template = JSON.stringify({
            Parameters: { Account: { Type: "String" } },
            Resources: { Policy: bucketPolicy(principal({ Ref: "Account" })) },
        });
        for (const account of ["111122223333", 111122223333]) {
            assert.deepStrictEqual(
                await violations(recognisedResources, stack(template, { parameters: { Account: account } })),
                [],
                String(account),
            );
        }
    });

    it("resolves only the parameters the template declares", async () => {
        const policy = bucketPolicy(principal({ Ref: "Account" }));
        assert.deepStrictEqual(
            await violations(recognisedResources, json({ Policy: policy }, {}, { parameters: { Account: "1111" } })),
            [spelt("AWS::S3::BucketPolicy", "Policy", 'PolicyDocument.Statement.0.Principal with Ref "Account"')],
        );
        const declaredNull = json({ Policy: policy }, { Parameters: { Account: null } });
        assert.deepStrictEqual(await violations(recognisedResources, declaredNull), [
            spelt("AWS::S3::BucketPolicy", "Policy", 'PolicyDocument.Statement.0.Principal with Ref "Account"'),
        ]);
    });

    it("does not ask why a stack is given Cloudglue's account when its role uses it", async () => {
        const template = JSON.stringify({
            Parameters: { Account: { Type: "String" } },
            Resources: {
                Reader: cloudglueRole({
                    AssumeRolePolicyDocument: doc({
                        Effect: "Allow",
                        Principal: { AWS: { "Fn::Sub": "arn:aws:iam::${Account}:root" } },
                        Action: "sts:AssumeRole",
                        Condition: { StringEquals: { "sts:ExternalId": "a-long-external-id-0001" } },
                    }),
                }),
            },
        });
        const given = stack(template, { parameters: { Account: "992382634011" } });
        assert.deepStrictEqual(await violations(recognisedResources, given), []);
        assert.deepStrictEqual(await violations(trustRequiresExternalId, given), []);
    });
});

describe("policy pack templates: Fn::Sub and pseudo parameters", () => {
    const policyWith = (aws: unknown, extra: object = {}) => json({ Policy: bucketPolicy(principal(aws)) }, extra);
    const SPELT_SUB = [spelt("AWS::S3::BucketPolicy", "Policy", "PolicyDocument.Statement.0.Principal with Fn::Sub")];

    it("resolves every pseudo parameter, and a Sub's own variables", async () => {
        const pseudo =
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-${AWS::Region}.${AWS::URLSuffix}";
        assert.deepStrictEqual(await violations(recognisedResources, policyWith({ "Fn::Sub": pseudo })), []);
        const local = { "Fn::Sub": ["arn:aws:iam::${Acct}:root", { Acct: "111122223333" }] };
        assert.deepStrictEqual(await violations(recognisedResources, policyWith(local)), []);
    });

    it("refuses a Sub of a name it cannot resolve, of a variable that is itself unresolved, or of no text", async () => {
        const unknownName = { "Fn::Sub": "arn:aws:iam::${Nowhere}:root" };
        const shadowed = { "Fn::Sub": ["arn:aws:iam::${Acct}:root", { Acct: { "Fn::ImportValue": "acct" } }] };
        const acctParameter = { Parameters: { Acct: { Type: "String", Default: "111122223333" } } };
        const noText = { "Fn::Sub": [{ Ref: "Acct" }, {}] };
        for (const aws of [unknownName, shadowed, noText]) {
            assert.deepStrictEqual(
                await violations(recognisedResources, policyWith(aws, acctParameter)),
                SPELT_SUB,
                JSON.stringify(aws),
            );
        }
    });

    it("keeps a pseudo parameter as its ${} text in what it reports", async () => {
        const trust = doc({
            Effect: "Allow",
            Principal: { AWS: [CLOUDGLUE_ROOT, { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" }] },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": "a-long-external-id-0001" } },
        });
        const [found] = await violations(
            trustRequiresExternalId,
            json({ Reader: cloudglueRole({ AssumeRolePolicyDocument: trust }) }),
        );
        assert.ok(found?.includes('trusts "AWS:arn:${AWS::Partition}:iam::${AWS::AccountId}:root"'), found);
    });
});

describe("policy pack templates: who a resource is about", () => {
    it("refuses a principal built from another of the template's resources, or imported under a role's ID", async () => {
        const fromFunction = json({
            Fn: { Type: "AWS::Lambda::Function", Properties: { Role: { "Fn::GetAtt": ["Reader", "Arn"] } } },
            Reader: lambdaRole,
            Policy: bucketPolicy(principal({ "Fn::GetAtt": ["Fn", "Arn"] })),
        });
        assert.deepStrictEqual(await violations(recognisedResources, fromFunction), [
            spelt("AWS::S3::BucketPolicy", "Policy", "PolicyDocument.Statement.0.Principal with Fn::GetAtt"),
        ]);
        const imported = json({ Reader: lambdaRole, Policy: bucketPolicy(principal({ "Fn::ImportValue": "Reader" })) });
        assert.deepStrictEqual(await violations(recognisedResources, imported), [
            spelt("AWS::S3::BucketPolicy", "Policy", "PolicyDocument.Statement.0.Principal with Fn::ImportValue"),
        ]);
    });

    it("lists every place and every intrinsic it cannot resolve, NotPrincipal too", async () => {
        const policy = {
            Type: "AWS::S3::BucketPolicy",
            Properties: {
                Bucket: "uploads",
                PolicyDocument: doc(principal([{ "Fn::ImportValue": "a" }, { "Fn::If": ["Prod", "b", "c"] }]), {
                    Effect: "Deny",
                    NotPrincipal: { AWS: { "Fn::ImportValue": "b" } },
                    Action: "s3:*",
                    Resource: "*",
                }),
            },
        };
        assert.deepStrictEqual(await violations(recognisedResources, json({ Policy: policy })), [
            spelt(
                "AWS::S3::BucketPolicy",
                "Policy",
                "PolicyDocument.Statement.0.Principal with Fn::ImportValue, Fn::If; " +
                    "PolicyDocument.Statement.1.NotPrincipal with Fn::ImportValue",
            ),
        ]);
    });

    it("refuses a condition on the source account spelt with an intrinsic", async () => {
        const statement = {
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: "arn:aws:s3:::uploads/*",
            Condition: { StringEquals: { "aws:SourceAccount": { "Fn::ImportValue": "acct" } } },
        };
        assert.deepStrictEqual(await violations(recognisedResources, json({ Policy: bucketPolicy(statement) })), [
            spelt(
                "AWS::S3::BucketPolicy",
                "Policy",
                "PolicyDocument.Statement.0.Condition.StringEquals.aws:SourceAccount with Fn::ImportValue",
            ),
        ]);
    });

    it("refuses a Fn::If around a condition, or around one operator's keys, which hides what it holds", async () => {
        const roleGrant = { "aws:PrincipalArn": "arn:aws:iam::*:role/cloudglue-*" };
        const anyoneIf = (condition: unknown) =>
            json({
                Policy: bucketPolicy({
                    Effect: "Allow",
                    Principal: "*",
                    Action: "s3:GetObject",
                    Resource: "arn:aws:s3:::uploads/*",
                    Condition: condition,
                }),
            });
        const around = { "Fn::If": ["Prod", { StringLike: roleGrant }, { StringLike: roleGrant }] };
        assert.deepStrictEqual(await violations(recognisedResources, anyoneIf(around)), [
            spelt("AWS::S3::BucketPolicy", "Policy", "PolicyDocument.Statement.0.Condition with Fn::If"),
        ]);
        const aroundKeys = { StringEquals: null, StringLike: { "Fn::If": ["Prod", roleGrant, {}] } };
        assert.deepStrictEqual(await violations(recognisedResources, anyoneIf(aroundKeys)), [
            spelt("AWS::S3::BucketPolicy", "Policy", "PolicyDocument.Statement.0.Condition.StringLike with Fn::If"),
        ]);
    });

    it("refuses an IAM resource whose role or trust policy is spelt with an intrinsic", async () => {
        const trustByCondition = {
            Type: "AWS::IAM::Role",
            Properties: {
                RoleName: "media-reader",
                AssumeRolePolicyDocument: { "Fn::If": ["Prod", lambdaTrust, lambdaTrust] },
            },
        };
        const roleByImport = {
            Type: "AWS::IAM::UserToGroupAddition",
            Properties: { Role: { "Fn::ImportValue": "r" } },
        };
        assert.deepStrictEqual(await violations(recognisedResources, json({ Reader: trustByCondition })), [
            spelt("AWS::IAM::Role", "Reader", "AssumeRolePolicyDocument with Fn::If"),
        ]);
        assert.deepStrictEqual(await violations(recognisedResources, json({ Odd: roleByImport })), [
            spelt("AWS::IAM::UserToGroupAddition", "Odd", "Role with Fn::ImportValue"),
        ]);
    });

    it("leaves alone a Lambda function whose execution role is imported: it is not an IAM resource", async () => {
        const fn = { Type: "AWS::Lambda::Function", Properties: { Role: { "Fn::ImportValue": "exec-role-arn" } } };
        assert.deepStrictEqual(await violations(recognisedResources, json({ Fn: fn })), []);
    });

    it("skips a resource of no shape without stopping", async () => {
        assert.deepStrictEqual(await violations(recognisedResources, json({ Nothing: null })), []);
    });
});

describe("policy pack templates: what the template grants the Cloudglue role", () => {
    for (const type of ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"]) {
        it(`judges the document of an ${type} for the role`, async () => {
            const grant = { Type: type, Properties: { Roles: [NAME], RoleName: NAME, PolicyDocument: admin } };
            const found = await violations(leastPrivilege, json({ Grant: grant }));
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.ok(found[0].includes('"*"'), found[0]);
            assert.deepStrictEqual(await violations(recognisedResources, json({ Grant: grant })), []);
        });
    }

    it("passes a literal least-privilege grant, which is no role", async () => {
        const grant = {
            Type: "AWS::IAM::RolePolicy",
            Properties: { RoleName: NAME, PolicyName: "Reads", PolicyDocument: reads },
        };
        for (const policy of [recognisedResources, leastPrivilege, roleName, trustRequiresExternalId]) {
            assert.deepStrictEqual(await violations(policy, json({ Grant: grant })), [], policy.name);
        }
    });

    it("judges a grant to the template's own Cloudglue role by Ref, and refuses what else refers to it", async () => {
        const grant = {
            Type: "AWS::IAM::Policy",
            Properties: { Roles: [{ Ref: "Reader" }], PolicyName: "Admin", PolicyDocument: admin },
        };
        const found = await violations(leastPrivilege, json({ Reader: cloudglueRole(), Grant: grant }));
        assert.strictEqual(found.length, 1, found.join("\n"));
        const profile = { Type: "AWS::IAM::InstanceProfile", Properties: { Roles: [{ Ref: "Reader" }] } };
        assert.deepStrictEqual(
            await violations(recognisedResources, json({ Reader: cloudglueRole(), Profile: profile })),
            [
                `AWS::IAM::InstanceProfile refers to the Cloudglue role (${inTemplate("AWS::IAM::InstanceProfile", "Profile")}), ` +
                    "and the policy pack does not know what this type grants or trusts, so it refuses it. If it grants the " +
                    "Cloudglue role nothing, allow the type in the policy pack config: " +
                    '{"cloudglue-recognised-resources":{"allowedResourceTypes":["AWS::IAM::InstanceProfile"]}}',
            ],
        );
    });

    it("judges the Cloudglue role's own Policies in a template, and skips an empty entry", async () => {
        const loose = cloudglueRole({ Policies: [{ PolicyName: "Admin", PolicyDocument: admin }] });
        assert.strictEqual((await violations(leastPrivilege, json({ Reader: loose }))).length, 1);
        const empty = cloudglueRole({ Policies: [null] });
        assert.deepStrictEqual(await violations(leastPrivilege, json({ Reader: empty })), []);
    });

    it("refuses once a grant whose principal condition it cannot resolve", async () => {
        const grant = {
            Type: "AWS::IAM::Policy",
            Properties: {
                Roles: [NAME],
                PolicyName: "Reads",
                PolicyDocument: doc({
                    Effect: "Allow",
                    Action: "s3:GetObject",
                    Resource: "arn:aws:s3:::acme-raw/*",
                    Condition: { StringEquals: { "aws:PrincipalTag/team": { "Fn::ImportValue": "team" } } },
                }),
            },
        };
        assert.deepStrictEqual(await violations(recognisedResources, json({ Grant: grant })), [
            spelt(
                "AWS::IAM::Policy",
                "Grant",
                "PolicyDocument.Statement.0.Condition.StringEquals.aws:PrincipalTag/team with Fn::ImportValue",
            ),
        ]);
    });

    it("names every intrinsic through which it grants the role", async () => {
        const grant = {
            Type: "AWS::IAM::Policy",
            Properties: {
                Roles: [NAME],
                PolicyName: { "Fn::ImportValue": "name" },
                PolicyDocument: { "Fn::If": ["Prod", reads, admin] },
            },
        };
        assert.deepStrictEqual(await violations(recognisedResources, json({ Grant: grant })), [
            "AWS::IAM::Policy grants the Cloudglue role through Fn::ImportValue, Fn::If, which the pack cannot resolve " +
                `(${inTemplate("AWS::IAM::Policy", "Grant")}). Write what it grants as literals, or as Refs to ` +
                "parameters with literal values.",
        ]);
    });
});

describe("policy pack templates: stacks inside the template", () => {
    for (const type of ["AWS::CloudFormation::StackSet", "AWS::Serverless::Application"]) {
        it(`refuses a nested ${type}, whose template it cannot read`, async () => {
            assert.deepStrictEqual(await unreadable(json({ Child: { Type: type, Properties: {} } })), [
                `nests ${inTemplate(type, "Child")}, whose template the pack cannot read`,
            ]);
        });
    }
});
