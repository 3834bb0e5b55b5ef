/**
 * How the pack finds what touches the Cloudglue role (policy-pack/cloudglue.ts), rule by rule, as
 * a mutation run showed no test would notice them breaking (issue 15): which wildcards and
 * conditions reach Cloudglue's account or the role, which resource types and inputs it reads, and
 * how it reads a CloudFormation template. Each test asserts what a user sees: the violation, word
 * for word where the pack words it, or that a resource is NOT flagged. Expected texts are written
 * here, not read from the pack.
 */
import * as assert from "assert";
import { unknownCheckingProxy } from "@pulumi/policy";
import { known, namesTheRole, parseStatements } from "../../policy-pack/cloudglue";
import { exclusivePolicyNames } from "../../policy-pack/policies/exclusivePolicyNames";
import { leastPrivilege } from "../../policy-pack/policies/leastPrivilege";
import { recognisedResources } from "../../policy-pack/policies/recognisedResources";
import { roleName } from "../../policy-pack/policies/roleName";
import { trustRequiresExternalId } from "../../policy-pack/policies/trustRequiresExternalId";
import {
    admin,
    cloudglueTrust,
    doc,
    lambdaTrust,
    reads,
    ResourceSpec,
    stackViolations,
    UNKNOWN,
    violations,
} from "./helpers";

const NAME = "cloudglue-external-s3-access-role";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const NATIVE_ROLE = "aws-native:iam:Role";
const EXCLUSIVE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const IN_COMPONENT = (type: string) => `cloudglue:aws:S3AccessRole$${type}`;
const CONFIG_HINT = (type: string) =>
    ", and the policy pack does not know what this type grants or trusts, so it refuses it. If it grants the " +
    "Cloudglue role nothing, allow the type in the policy pack config: " +
    `{"cloudglue-recognised-resources":{"allowedResourceTypes":["${type}"]}}`;

/** What recognised-resources says of an unknown type, without the fixed advice that follows. */
async function refusal(spec: ResourceSpec): Promise<string[]> {
    const found = await violations(recognisedResources, spec);
    return found.map((m) => {
        const hint = CONFIG_HINT(spec.type);
        assert.ok(m.startsWith(`${spec.type} `) && m.endsWith(hint), m);
        return m.slice(spec.type.length + 1, -hint.length);
    });
}

const bucketPolicy = (statement: object): ResourceSpec => ({
    type: BUCKET_POLICY,
    props: { bucket: "secrets", policy: JSON.stringify(doc(statement)) },
});
const read = (extra: object) => ({
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::secrets/*",
    ...extra,
});
const THROUGH_ROLE = (via: string) =>
    `grants the role ${NAME} through ${via} (a grant to a pattern is a grant to the role)`;
const LETS_IN = (via: string) => `lets Cloudglue's account in through ${via}`;

describe("policy pack reach: which principal patterns reach Cloudglue or the role", () => {
    it("leaves a public-read bucket alone: anyone may read it, and that trusts no one", async () => {
        assert.deepStrictEqual(await refusal(bucketPolicy(read({ Principal: "*" }))), []);
        assert.deepStrictEqual(await refusal(bucketPolicy(read({ Principal: { AWS: "*" } }))), []);
    });

    for (const principal of [
        "arn:aws:iam::*:root",
        "arn:aws:iam::*:role/a*",
        "arn:aws:iam::*:user/a*",
        "arn:aws:sts::*:assumed-role/a*",
    ]) {
        it(`takes a grant to ${principal} as letting Cloudglue's account in`, async () => {
            assert.deepStrictEqual(await refusal(bucketPolicy(read({ Principal: { AWS: principal } }))), [
                LETS_IN(`the principal ${JSON.stringify(principal)}, which Cloudglue's account matches`),
            ]);
        });
    }

    it("takes a list of principals as letting Cloudglue's account in when one pattern does", async () => {
        const principals = { AWS: ["arn:aws:iam::*:root", "*"] };
        assert.deepStrictEqual(await refusal(bucketPolicy(read({ Principal: principals }))), [
            LETS_IN(`the principal "arn:aws:iam::*:root", which Cloudglue's account matches`),
        ]);
    });

    for (const principal of ["arn:aws:iam::*:role/cloudglue-*", "arn:aws:sts::*:assumed-role/cloudglue-*"]) {
        it(`takes a grant to ${principal} as a grant to the role`, async () => {
            assert.deepStrictEqual(await refusal(bucketPolicy(read({ Principal: { AWS: principal } }))), [
                THROUGH_ROLE(`the principal ${JSON.stringify(principal)}, which could match the role`),
            ]);
        });
    }
});

describe("policy pack reach: conditions on who the principal is", () => {
    const anyoneIf = (condition: object) => bucketPolicy(read({ Principal: "*", Condition: condition }));

    for (const pattern of [
        "*",
        "arn:aws-cn:iam::*",
        "arn:aws-cn:iam::*:role/cloudglue-*",
        "arn:aws:iam::*:role/Cloudglue-External-*",
    ]) {
        it(`takes aws:PrincipalArn like ${pattern} as a grant to the role, in any partition and case`, async () => {
            assert.deepStrictEqual(await refusal(anyoneIf({ StringLike: { "aws:PrincipalArn": pattern } })), [
                THROUGH_ROLE(`a StringLike condition on aws:PrincipalArn that could match the role ${NAME}`),
            ]);
        });
    }

    it("takes a list of patterns as reaching the role when any one does", async () => {
        const condition = {
            StringLike: { "aws:PrincipalArn": ["arn:aws:iam::*:role/uploader-*", "arn:aws:iam::*:role/cloudglue-*"] },
        };
        assert.deepStrictEqual(await refusal(anyoneIf(condition)), [
            THROUGH_ROLE(`a StringLike condition on aws:PrincipalArn that could match the role ${NAME}`),
        ]);
    });

    it("reads a pattern's other characters literally: a colon, a plus", async () => {
        for (const condition of [
            { StringLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/cloudglue:*" } },
            { StringLike: { "aws:PrincipalAccount": "99238263401+1*" } },
        ]) {
            assert.deepStrictEqual(await refusal(anyoneIf(condition)), [], JSON.stringify(condition));
        }
    });

    for (const key of ["aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner"]) {
        it(`takes ${key} like 99238263401? as letting Cloudglue's account in`, async () => {
            const condition = { StringLike: { [key]: ["111122223333", "99238263401?"] } };
            assert.deepStrictEqual(await refusal(anyoneIf(condition)), [
                LETS_IN(`a StringLike condition on ${key} that could match Cloudglue's account`),
            ]);
        });
    }

    for (const key of ["aws:PrincipalArn", "aws:SourceArn", "aws:SourceIdentity"]) {
        it(`takes ${key} like arn:aws:iam::*:root as letting Cloudglue's account in`, async () => {
            const condition = { ArnLike: { [key]: ["arn:aws:s3:::uploads", "arn:aws:iam::*:root"] } };
            assert.deepStrictEqual(await refusal(anyoneIf(condition)), [
                LETS_IN(`a ArnLike condition on ${key} that could match Cloudglue's account`),
            ]);
        });
    }

    it("takes a negated condition on the account as letting in every account it does not list", async () => {
        const condition = { StringNotEquals: { "aws:PrincipalAccount": "111122223333" } };
        assert.deepStrictEqual(await refusal(anyoneIf(condition)), [
            LETS_IN("a StringNotEquals condition on aws:PrincipalAccount that could match Cloudglue's account"),
        ]);
    });

    it("does not take a negated condition on something other than the principal as being about it", async () => {
        assert.deepStrictEqual(await refusal(anyoneIf({ StringNotEquals: { "aws:SourceVpc": "vpc-1" } })), []);
    });

    it("judges nothing in a Deny, however it is worded", async () => {
        const deny = {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: "arn:aws:s3:::secrets/*",
            Condition: { StringNotLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin" } },
        };
        assert.deepStrictEqual(await refusal(bucketPolicy(deny)), []);
    });
});

describe("policy pack reach: which trusts count as trusting Cloudglue's account", () => {
    /** A role of another name, so cloudglue-role-name refuses it exactly when it is judged as Cloudglue's. */
    const judgedAsCloudglue = async (statement: object) => {
        const role: ResourceSpec = {
            type: ROLE,
            name: "media-reader",
            props: { name: "media-reader", assumeRolePolicy: JSON.stringify(doc(statement)) },
        };
        return (await violations(roleName, role)).length === 1;
    };
    const anyoneIf = (condition: unknown) => ({
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "sts:AssumeRole",
        Condition: condition,
    });

    it("trusts only the accounts, ARNs or organisation a positive condition holds the principal to", async () => {
        for (const condition of [
            { StringEquals: { "aws:PrincipalAccount": "111122223333" } },
            { StringEqualsIgnoreCase: { "aws:PrincipalAccount": "111122223333" } },
            { StringLike: { "aws:PrincipalAccount": "1111222233??" } },
            { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::111122223333:root" } },
            { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:*" } },
            { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
            // No account ID is an ARN: this holds the principal to no account at all.
            { StringLike: { "aws:PrincipalAccount": "arn:aws:iam::*:root" } },
        ]) {
            assert.strictEqual(await judgedAsCloudglue(anyoneIf(condition)), false, JSON.stringify(condition));
        }
    });

    it("trusts everyone under a condition that holds nothing: IfExists, another key, no value, a pattern", async () => {
        for (const condition of [
            { StringEqualsIfExists: { "aws:PrincipalAccount": "111122223333" } },
            { StringEquals: { "aws:SourceVpc": "vpc-1" } },
            { StringEquals: { "aws:PrincipalAccount": [] } },
            { StringEquals: { "aws:PrincipalAccount": null } },
            { StringLike: { "aws:PrincipalOrgID": ["o-abc123", "o-*"] } },
        ]) {
            assert.strictEqual(await judgedAsCloudglue(anyoneIf(condition)), true, JSON.stringify(condition));
        }
    });

    it("trusts Cloudglue's account through a source condition that could match it, whatever the principal", async () => {
        const statement = {
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { ArnLike: { "aws:SourceArn": "arn:aws:iam::*:root" } },
        };
        assert.strictEqual(await judgedAsCloudglue(statement), true);
    });

    it("waits for the update while part of an aws-native role's trust is unknown", async () => {
        const role: ResourceSpec = {
            type: NATIVE_ROLE,
            name: "media-reader",
            props: {
                roleName: "media-reader",
                assumeRolePolicyDocument: doc({
                    Effect: "Allow",
                    Principal: { AWS: UNKNOWN },
                    Action: "sts:AssumeRole",
                }),
            },
        };
        assert.deepStrictEqual(await violations(roleName, role), []);
    });
});

describe("policy pack reach: what a resource's values mention", () => {
    const PARAMETER = "aws:ssm/parameter:Parameter";
    const parameter = (props: Record<string, unknown>): ResourceSpec => ({ type: PARAMETER, props });
    const ROLE_ARN = `arn:aws:iam::111122223333:role/${NAME}`;

    it("reads JSON text that starts after white space", async () => {
        const escaped =
            '\n  {"Principal":{"AWS":"arn:aws:iam::111122223333:role/\\u0063loudglue-external-s3-access-role"}}';
        assert.deepStrictEqual(await refusal(parameter({ value: escaped })), [`names the role ${NAME}`]);
    });

    it("finds the account in text that only looks like JSON or a number, and in a number", async () => {
        for (const value of ["{ not json 992382634011", "99238263401100000000001", 992382634011]) {
            assert.deepStrictEqual(
                await refusal(parameter({ empty: null, value })),
                ["mentions Cloudglue's account 992382634011"],
                String(value),
            );
        }
        assert.deepStrictEqual(await refusal(parameter({ empty: null, value: 5 })), []);
    });

    it("searches a policy document kept inside a statement's own fields", async () => {
        const inner = {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::*:role/cloudglue-*" },
            Action: "s3:GetObject",
        };
        const outer = { Effect: "Allow", Action: "ssm:GetParameter", Resource: "*", Note: { Statement: [inner] } };
        assert.deepStrictEqual(await refusal(parameter({ value: JSON.stringify({ Statement: [outer] }) })), [
            THROUGH_ROLE('the principal "arn:aws:iam::*:role/cloudglue-*", which could match the role'),
        ]);
    });

    it("reads JSON nested in JSON 8 deep, and refuses it 9 deep", async () => {
        const nested = (depth: number) => {
            let value: unknown = { Principal: { AWS: ROLE_ARN } };
            for (let i = 0; i < depth; i++) {
                value = JSON.stringify(value);
            }
            return value;
        };
        assert.deepStrictEqual(await refusal(parameter({ value: nested(8) })), [`names the role ${NAME}`]);
        assert.deepStrictEqual(await refusal(parameter({ value: nested(9) })), [
            "holds JSON text nested in JSON text more than 8 deep, which the pack does not read",
        ]);
    });

    it("skips what is not a statement, a principal or an action, and reads the rest", async () => {
        const policy = {
            Statement: [
                null,
                "text",
                { Effect: "Allow", Principal: null, Action: [7, "s3:GetObject"], Resource: "*" },
                { Effect: "Allow", Principal: { AWS: "*" }, Action: [null, "sts:AssumeRole"] },
            ],
        };
        assert.deepStrictEqual(await refusal(parameter({ value: JSON.stringify(policy) })), [
            LETS_IN(`the principal "*", which Cloudglue's account matches`),
        ]);
    });
});

describe("policy pack reach: the resource types it reads", () => {
    it("reads an aws-native Role by its roleName, and says so in its messages", async () => {
        const role: ResourceSpec = {
            type: NATIVE_ROLE,
            name: "native",
            props: { roleName: "Cloudglue-External-S3-Access-Role", assumeRolePolicyDocument: lambdaTrust },
        };
        assert.deepStrictEqual(await violations(roleName, role), [
            'The Cloudglue access role (aws-native:iam:Role) has the name "Cloudglue-External-S3-Access-Role"; ' +
                `Cloudglue only finds a role named exactly "${NAME}". Set name "${NAME}" (the S3AccessRole component ` +
                "does; a transformation or an edit has changed it).",
        ]);
    });

    it("reads an aws-native Role's own policies: their documents and their names", async () => {
        const role: ResourceSpec = {
            type: NATIVE_ROLE,
            name: "native",
            props: {
                roleName: NAME,
                assumeRolePolicyDocument: cloudglueTrust,
                policies: [{ policyName: "Reads", policyDocument: reads }],
            },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, role), []);
        const exclusive = (names: string[]): ResourceSpec => ({
            type: EXCLUSIVE,
            props: { roleName: NAME, policyNames: names },
        });
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, [role, exclusive(["Reads"])]), []);
        const loose = { ...role, props: { ...role.props, policies: [{ policyName: "Admin", policyDocument: admin }] } };
        assert.strictEqual((await violations(leastPrivilege, loose)).length, 1);
    });

    it("reads the grants of aws-native RolePolicy and ManagedPolicy, naming the role from outside the component", async () => {
        const rolePolicy: ResourceSpec = {
            type: "aws-native:iam:RolePolicy",
            props: { roleName: NAME, policyName: "Admin", policyDocument: admin },
        };
        const managed: ResourceSpec = {
            type: "aws-native:iam:ManagedPolicy",
            props: { roles: [NAME], policyDocument: admin },
        };
        for (const spec of [rolePolicy, managed]) {
            assert.strictEqual((await violations(leastPrivilege, spec)).length, 1, spec.type);
            assert.deepStrictEqual(await violations(recognisedResources, spec), [], spec.type);
        }
        const named = { ...rolePolicy, props: { ...rolePolicy.props, policyName: "Reads", policyDocument: reads } };
        const role: ResourceSpec = {
            type: ROLE,
            props: { name: NAME, assumeRolePolicy: JSON.stringify(cloudglueTrust) },
        };
        const exclusive: ResourceSpec = { type: EXCLUSIVE, props: { roleName: NAME, policyNames: ["Reads"] } };
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, [role, named, exclusive]), []);
    });

    it("reads RolePolicyAttachmentsExclusive's ARNs, and an attachment's ARN unknown at preview", async () => {
        const exclusive: ResourceSpec = {
            type: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            props: { roleName: NAME, policyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, exclusive), [
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive attaches the managed policy " +
                "arn:aws:iam::aws:policy/AdministratorAccess to the Cloudglue access role; it may only have its inline " +
                "policy, whose contents this pack can check. Remove it from the resource.",
        ]);
        assert.deepStrictEqual(await violations(recognisedResources, exclusive), []);
        const attachment: ResourceSpec = {
            type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            props: { role: NAME, policyArn: UNKNOWN },
        };
        const [unknown] = await violations(leastPrivilege, attachment);
        assert.ok(unknown?.includes("attaches the managed policy (unknown at preview) to the Cloudglue"), unknown);
    });

    it("names only the managed policy ARNs that are text", async () => {
        const role: ResourceSpec = {
            type: ROLE,
            props: {
                name: NAME,
                assumeRolePolicy: JSON.stringify(cloudglueTrust),
                managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", null],
            },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, role), [
            'The Cloudglue access role (aws:iam/role:Role) has managed policies ["arn:aws:iam::aws:policy/ReadOnlyAccess"]; ' +
                "it may only have its inline policy, whose contents this pack can check. Remove managedPolicyArns.",
        ]);
    });

    it("takes inlinePolicies [{}], Pulumi's way to remove them all, as no inline policy", async () => {
        for (const inlinePolicies of [[{}], [{ name: "", policy: "" }]]) {
            const role: ResourceSpec = {
                type: ROLE,
                typeChain: IN_COMPONENT(ROLE),
                props: { name: NAME, assumeRolePolicy: JSON.stringify(cloudglueTrust), inlinePolicies },
            };
            const exclusive: ResourceSpec = { type: EXCLUSIVE, props: { roleName: NAME, policyNames: [] } };
            assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, [role, exclusive]), []);
            assert.deepStrictEqual(await violations(leastPrivilege, role), []);
        }
    });

    it("passes the component resource itself, and finds a role inside the component nested in another", async () => {
        const component: ResourceSpec = { type: "cloudglue:aws:S3AccessRole", props: { roleName: NAME } };
        for (const policy of [recognisedResources, roleName, leastPrivilege, trustRequiresExternalId]) {
            assert.deepStrictEqual(await violations(policy, component), [], policy.name);
        }
        const nested: ResourceSpec = {
            type: ROLE,
            typeChain: `acme:platform:Media$${IN_COMPONENT(ROLE)}`,
            props: { name: "lambda-exec", assumeRolePolicy: JSON.stringify(lambdaTrust) },
        };
        const [found] = await violations(roleName, nested);
        assert.ok(found?.startsWith('The Cloudglue access role (aws:iam/role:Role) has the name "lambda-exec"'), found);
    });

    it("refuses a type it does not know inside the component, saying so", async () => {
        const profile = "aws:iam/instanceProfile:InstanceProfile";
        assert.deepStrictEqual(await refusal({ type: profile, typeChain: IN_COMPONENT(profile), props: {} }), [
            "is declared inside the Cloudglue component",
        ]);
    });

    it("skips a Command's triggers, which only decide when it runs, and refuses any script it runs", async () => {
        const COMMAND = "command:local:Command";
        const trigger = `arn:aws:iam::111122223333:role/${NAME}`;
        assert.deepStrictEqual(await refusal({ type: COMMAND, props: { triggers: [trigger] } }), []);
        assert.deepStrictEqual(await refusal({ type: COMMAND, props: { dir: trigger } }), [`names the role ${NAME}`]);
        const found = await violations(recognisedResources, { type: COMMAND, props: { create: "true" } });
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.match(found[0], /^command:local:Command resource runs a script \(create\) that the pack cannot read/);
    });
});

describe("policy pack reach: reading values", () => {
    it("takes only an unknown as unknown: any other error stops the policy", () => {
        const props = unknownCheckingProxy({ arn: UNKNOWN }) as { arn?: string };
        assert.strictEqual(
            known(() => props.arn),
            undefined,
        );
        assert.throws(
            () =>
                known(() => {
                    throw new TypeError("not a value");
                }),
            /not a value/,
        );
    });

    it("reads no statement from a document of JSON null", async () => {
        assert.deepStrictEqual(parseStatements("null"), []);
        const policy: ResourceSpec = { type: ROLE_POLICY, props: { role: NAME, policy: "null" } };
        assert.deepStrictEqual(await violations(leastPrivilege, policy), []);
    });

    it("takes a read only on an S3 ARN it reads whole: no prefix, no wildcard before the name, no line break", async () => {
        const readOn = (resource: string): ResourceSpec => ({
            type: ROLE_POLICY,
            props: {
                role: NAME,
                policy: JSON.stringify(doc({ Effect: "Allow", Action: "s3:GetObject", Resource: resource })),
            },
        });
        assert.deepStrictEqual(await violations(leastPrivilege, readOn("arn:aws:s3:::acme-raw/reports/*")), []);
        for (const resource of ["xarn:aws:s3:::acme-raw/*", "arn:aws:s3:::*-raw/*", "arn:aws:s3:::acme-raw/a\nb"]) {
            assert.deepStrictEqual(
                await violations(leastPrivilege, readOn(resource)),
                [
                    `A statement grants s3:GetObject on "${resource}"; reads are allowed only on named buckets. ` +
                        "List the buckets by name in cloudglue:buckets; the S3AccessRole component builds the policy from them.",
                ],
                resource,
            );
        }
    });

    it("names the role only by an ARN that is whole", () => {
        assert.strictEqual(namesTheRole(`arn:aws:iam::111122223333:role/${NAME}`), true);
        assert.strictEqual(namesTheRole(`xarn:aws:iam::111122223333:role/${NAME}`), false);
        assert.strictEqual(namesTheRole(`arn:aws:iam::111122223333:role/${NAME}/`), false);
    });

    it("says which Effect it cannot read and what to write", async () => {
        const policy: ResourceSpec = {
            type: ROLE_POLICY,
            props: {
                role: NAME,
                policy: JSON.stringify(
                    doc({ Effect: "allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-raw/*" }),
                ),
            },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, policy), [
            'A statement has the Effect "allow"; IAM knows only "Allow" and "Deny" (exactly so spelt), and the pack ' +
                'refuses a statement it cannot read. Write "Allow" or "Deny".',
        ]);
    });
});
