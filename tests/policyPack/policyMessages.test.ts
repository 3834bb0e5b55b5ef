/**
 * What each policy says and publishes, word for word, and the corner cases a mutation run showed
 * no test would notice (issue 15): the settings a policy declares (the CLI validates the config
 * file against that schema), the messages a user reads, and the resources that must NOT be
 * flagged. Expected texts are written here, not read from the pack.
 */
import * as assert from "assert";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allowedBuckets } from "../../policy-pack/policies/allowedBuckets";
import { exclusivePolicyNames } from "../../policy-pack/policies/exclusivePolicyNames";
import { noRoleChaining } from "../../policy-pack/policies/noRoleChaining";
import { recognisedResources } from "../../policy-pack/policies/recognisedResources";
import { roleName } from "../../policy-pack/policies/roleName";
import { policies } from "../../policy-pack/policies";
import { strictConfig } from "../../policy-pack/policies/strictConfig";
import { ResourceSpec, stackViolations, violations } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const EXCLUSIVE = "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive";
const CFN_STACK = "aws:cloudformation/stack:Stack";
const NAME = "cloudglue-external-s3-access-role";
const IN_COMPONENT = (type: string) => `cloudglue:aws:S3AccessRole$${type}`;
const TRUST = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
        {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::992382634011:root" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": "a-long-external-id-0001" } },
        },
    ],
});
const FIX = "(the S3AccessRole component does; a transformation or an edit has changed it)";

const componentRole = (props: Record<string, unknown> = {}): ResourceSpec => ({
    type: ROLE,
    typeChain: IN_COMPONENT(ROLE),
    name: "cloudglue-s3-access-role",
    props: { name: NAME, assumeRolePolicy: TRUST, ...props },
});
const document = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const read = (...buckets: string[]) => ({
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`),
});
const grant = (policy: string, name = "CloudglueExternalS3AccessPolicy"): ResourceSpec => ({
    type: ROLE_POLICY,
    typeChain: IN_COMPONENT(ROLE_POLICY),
    name: "access-policy",
    props: { name, role: NAME, policy },
});

describe("policy pack: what each policy publishes", () => {
    const published = (policy: ResourceValidationPolicy | StackValidationPolicy) => ({
        name: policy.name,
        enforcementLevel: policy.enforcementLevel,
        description: policy.description,
        configSchema: policy.configSchema,
    });

    it("the pack serves every policy, in the order the README lists them", () => {
        assert.deepStrictEqual(
            policies.map((p) => p.name),
            [
                "cloudglue-role-name",
                "cloudglue-trust-requires-external-id",
                "cloudglue-least-privilege",
                "cloudglue-no-role-chaining",
                "cloudglue-recognised-resources",
                "cloudglue-allowed-buckets",
                "cloudglue-one-role-one-connector",
                "cloudglue-exclusive-policy-names",
            ],
        );
    });

    it("cloudglue-allowed-buckets: advisory, with a list of bucket patterns", () => {
        assert.deepStrictEqual(published(allowedBuckets), {
            name: "cloudglue-allowed-buckets",
            enforcementLevel: "advisory",
            description: "Cloudglue may only be granted buckets that match the organisation's allowedBucketPatterns.",
            configSchema: {
                properties: {
                    allowedBucketPatterns: {
                        type: "array",
                        items: { type: "string" },
                        description:
                            'Glob patterns of bucket names Cloudglue may read, e.g. ["acme-media-*"]; unset allows all.',
                    },
                },
            },
        });
    });

    it("cloudglue-recognised-resources: mandatory, with lists of reviewed types and stacks", () => {
        assert.deepStrictEqual(published(recognisedResources), {
            name: "cloudglue-recognised-resources",
            enforcementLevel: "mandatory",
            description:
                "A resource that names the Cloudglue role or Cloudglue's account is of a type the pack understands, " +
                "or one the organisation has reviewed and listed in allowedResourceTypes.",
            configSchema: {
                properties: {
                    allowedResourceTypes: {
                        type: "array",
                        items: { type: "string" },
                        description:
                            'Resource types reviewed to grant the Cloudglue role nothing, e.g. ["aws:sns/topic:Topic"]; ' +
                            "a CloudFormation template's types as AWS::Service::Type.",
                    },
                    allowedUnreadableStacks: {
                        type: "array",
                        items: { type: "string" },
                        description:
                            "Names (as in the URN) of CloudFormation stack resources whose template the pack cannot " +
                            "read (templateUrl, Transform, nested stacks) and that were reviewed to grant the Cloudglue " +
                            "role nothing.",
                    },
                    allowedUnreadableCode: {
                        type: "array",
                        items: { type: "string" },
                        description:
                            "Names (as in the URN) of resources that run code the pack cannot read (command:local:Command " +
                            "with a script, command:remote:Command, dynamic resources) and that were reviewed to grant the " +
                            "Cloudglue role nothing.",
                    },
                },
            },
        });
    });

    it("cloudglue-no-role-chaining: mandatory, with a list of reviewed roles", () => {
        assert.deepStrictEqual(published(noRoleChaining), {
            name: "cloudglue-no-role-chaining",
            enforcementLevel: "mandatory",
            description:
                "No other role trusts the Cloudglue role cloudglue-external-s3-access-role (by its ARN, a pattern, " +
                "its unique id or a * principal), or one the organisation has reviewed and listed in allowedRoles.",
            configSchema: {
                properties: {
                    allowedRoles: {
                        type: "array",
                        items: { type: "string" },
                        description:
                            "Roles reviewed to hold nothing Cloudglue may not have, though the Cloudglue role can assume " +
                            'them: a role resource by its name (as in the URN), a role in a CloudFormation template as "<stack ' +
                            'name>/<LogicalId>".',
                    },
                },
            },
        });
    });

    it("cloudglue-exclusive-policy-names and cloudglue-role-name: mandatory, without settings", () => {
        assert.deepStrictEqual(published(exclusivePolicyNames), {
            name: "cloudglue-exclusive-policy-names",
            enforcementLevel: "mandatory",
            description:
                "A RolePoliciesExclusive for the Cloudglue role lists exactly the names of the inline policies " +
                "the stack declares for it.",
            configSchema: { properties: {} },
        });
        assert.deepStrictEqual(published(roleName), {
            name: "cloudglue-role-name",
            enforcementLevel: "mandatory",
            description:
                'The Cloudglue access role must be named exactly "cloudglue-external-s3-access-role", under the path "/".',
            configSchema: { properties: {} },
        });
    });
});

describe("policy pack: settings a policy does not declare", () => {
    const TAIL = ". Fix the name in the --policy-pack-config file.";

    it("names every unknown setting and every known one of a resource policy", async () => {
        const topic: ResourceSpec = {
            type: "aws:sns/topic:Topic",
            props: {},
            config: { allowedResourceType: [], allowedStacks: [] },
        };
        await assert.rejects(violations(recognisedResources, topic), {
            message:
                'the policy pack config gives cloudglue-recognised-resources the unknown setting(s) "allowedResourceType", ' +
                '"allowedStacks"; its settings are "allowedResourceTypes", "allowedUnreadableStacks", "allowedUnreadableCode" and ' +
                '"enforcementLevel"' +
                TAIL,
        });
    });

    it("stops a stack policy too, before it judges anything", async () => {
        await assert.rejects(stackViolations(exclusivePolicyNames, [componentRole()], { policyNames: [] }), {
            message:
                'the policy pack config gives cloudglue-exclusive-policy-names the unknown setting(s) "policyNames"; ' +
                `it has no setting but "enforcementLevel"${TAIL}`,
        });
    });

    it("refuses every setting of a policy that declares no schema, and wraps no validation it lacks", async () => {
        const bare = strictConfig<ResourceValidationPolicy>({
            name: "bare",
            description: "A policy without a schema.",
            enforcementLevel: "advisory",
            remediateResource: () => undefined,
        });
        assert.deepStrictEqual(await violations(bare, { type: ROLE, props: {} }), []);
        const checked = strictConfig<ResourceValidationPolicy>({
            name: "bare",
            description: "A policy without a schema.",
            enforcementLevel: "advisory",
            validateResource: () => undefined,
        });
        await assert.rejects(violations(checked, { type: ROLE, props: {}, config: { level: "x" } }), {
            message: `the policy pack config gives bare the unknown setting(s) "level"; it has no setting but "enforcementLevel"${TAIL}`,
        });
    });
});

describe("policy pack: cloudglue-role-name's messages", () => {
    it("says what namePrefix does and how to fix it", async () => {
        assert.deepStrictEqual(await violations(roleName, componentRole({ name: undefined, namePrefix: "cg-" })), [
            'The Cloudglue access role (aws:iam/role:Role) sets namePrefix "cg-", so AWS would add a random suffix; ' +
                `Cloudglue only finds a role named exactly "${NAME}". Remove namePrefix and set name "${NAME}" ${FIX}.`,
        ]);
    });

    it("says a role without a name, or with a null name, would be auto-named", async () => {
        for (const name of [undefined, null]) {
            assert.deepStrictEqual(await violations(roleName, componentRole({ name })), [
                "The Cloudglue access role (aws:iam/role:Role) has no name (Pulumi would auto-name it); Cloudglue only " +
                    `finds a role named exactly "${NAME}". Set name "${NAME}" ${FIX}.`,
            ]);
        }
    });

    it("quotes another name, and the path that moves the role's ARN", async () => {
        assert.deepStrictEqual(await violations(roleName, componentRole({ name: "cloudglue-s3", path: "/team/" })), [
            'The Cloudglue access role (aws:iam/role:Role) has the name "cloudglue-s3"; Cloudglue only finds a role ' +
                `named exactly "${NAME}". Set name "${NAME}" ${FIX}.`,
            'The Cloudglue access role (aws:iam/role:Role) has the path "/team/", so its ARN is ' +
                `role/team/${NAME}, not the role/${NAME} Cloudglue assumes. Remove path (it defaults to "/").`,
        ]);
    });

    it("takes a null namePrefix or path as unset, as Pulumi does", async () => {
        assert.deepStrictEqual(await violations(roleName, componentRole({ namePrefix: null, path: null })), []);
    });
});

describe("policy pack: cloudglue-recognised-resources' messages", () => {
    it("names the unknown type, what it names, and the config that allows it", async () => {
        const topic: ResourceSpec = {
            type: "aws:sns/topic:Topic",
            props: { policy: document({ Effect: "Allow", Principal: { AWS: NAME }, Action: "sns:Publish" }) },
        };
        assert.deepStrictEqual(await violations(recognisedResources, topic), [
            `aws:sns/topic:Topic names the role ${NAME}, and the policy pack does not know what this type grants or ` +
                "trusts, so it refuses it. If it grants the Cloudglue role nothing, allow the type in the policy pack " +
                'config: {"cloudglue-recognised-resources":{"allowedResourceTypes":["aws:sns/topic:Topic"]}}',
        ]);
        const allowed = { ...topic, config: { allowedResourceTypes: ["aws:sns/topic:Topic"] } };
        assert.deepStrictEqual(await violations(recognisedResources, allowed), []);
    });

    it("says why a stack's template is unreadable, how to make it readable, and how to allow it", async () => {
        const legacy: ResourceSpec = { type: CFN_STACK, name: "legacy", props: { templateUrl: "https://e.com/t" } };
        assert.deepStrictEqual(await violations(recognisedResources, legacy), [
            `${CFN_STACK} legacy takes its template from templateUrl "https://e.com/t", which the pack cannot read, ` +
                "so the pack cannot tell whether it grants the Cloudglue role more or trusts Cloudglue's account, and " +
                "refuses it. Give the template inline as templateBody (no Transform, no nested stack) so the pack " +
                "checks it; or, once the template has been reviewed to grant the Cloudglue role nothing, allow this " +
                'stack in the policy pack config: {"cloudglue-recognised-resources":{"allowedUnreadableStacks":["legacy"]}}',
        ]);
    });
});

describe("policy pack: cloudglue-allowed-buckets, corner cases", () => {
    const withPatterns = (spec: ResourceSpec, allowedBucketPatterns: string[]) => ({
        ...spec,
        config: { allowedBucketPatterns },
    });

    it("says which bucket is outside which patterns, and how to fix it", async () => {
        assert.deepStrictEqual(
            await violations(allowedBuckets, withPatterns(grant(document(read("hr-videos"))), ["acme-*", "media"])),
            [
                'Bucket "hr-videos" is not in the organisation\'s allowed buckets ["acme-*","media"]. Remove it from ' +
                    "cloudglue:buckets, or ask for the allow-list (policy config allowedBucketPatterns) to include it.",
            ],
        );
    });

    it("allows a bucket that matches any one of the patterns", async () => {
        const spec = withPatterns(grant(document(read("acme-raw", "media"))), ["acme-*", "media"]);
        assert.deepStrictEqual(await violations(allowedBuckets, spec), []);
    });

    it("takes a dot in a pattern literally, and ? as one character", async () => {
        const spec = (bucket: string) => withPatterns(grant(document(read(bucket))), ["acme.media-*", "raw-?"]);
        for (const bucket of ["acme.media-videos", "raw-1"]) {
            assert.deepStrictEqual(await violations(allowedBuckets, spec(bucket)), [], bucket);
        }
        for (const bucket of ["acmexmedia-videos", "raw-12"]) {
            assert.strictEqual((await violations(allowedBuckets, spec(bucket))).length, 1, bucket);
        }
    });

    it("allows every bucket when the pattern list is empty, as when it is unset", async () => {
        assert.deepStrictEqual(await violations(allowedBuckets, withPatterns(grant(document(read("x-y-z"))), [])), []);
    });

    it("reads the buckets granted by the role's own inline policies", async () => {
        const role = componentRole({
            inlinePolicies: [{ name: "reads", policy: document(read("acme-raw", "finance")) }],
        });
        const found = await violations(allowedBuckets, withPatterns(role, ["acme-*"]));
        assert.strictEqual(found.length, 1, found.join("\n"));
        assert.ok(found[0].startsWith('Bucket "finance" is not'), found[0]);
    });

    it("reads no bucket from a managed-policy attachment, whose contents it cannot see", async () => {
        const attachment: ResourceSpec = {
            type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            props: { role: NAME, policyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" },
        };
        assert.deepStrictEqual(await violations(allowedBuckets, withPatterns(attachment, ["acme-*"])), []);
    });

    it("counts only what a statement may grant: not a Deny, not a wildcard, not a document it cannot read", async () => {
        const deny = { ...read("finance"), Effect: "Deny" };
        const wildcard = read("finance-*");
        for (const policy of [document(deny), document(wildcard), "{not json"]) {
            assert.deepStrictEqual(
                await violations(allowedBuckets, withPatterns(grant(policy), ["acme-*"])),
                [],
                policy,
            );
        }
    });
});

describe("policy pack: cloudglue-exclusive-policy-names, corner cases", () => {
    const exclusive = (policyNames: string[]): ResourceSpec => ({
        type: EXCLUSIVE,
        typeChain: IN_COMPONENT(EXCLUSIVE),
        name: "inline-policies",
        props: { roleName: NAME, policyNames },
    });
    const URN = "urn:pulumi:dev::cloudglue::cloudglue:aws:S3AccessRole$" + EXCLUSIVE + "::inline-policies";

    it("counts the role's own inlinePolicies as declared, and says what a set leaves out", async () => {
        const role = componentRole({ inlinePolicies: [{ name: "Reads", policy: document(read("acme-raw")) }] });
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, [role, exclusive(["Reads"])]), []);
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, [role, exclusive([])]), [
            {
                message:
                    `${EXCLUSIVE} does not list the stack's inline policies ["Reads"], so it would delete them from ` +
                    'the Cloudglue access role and Cloudglue would lose access. List exactly ["Reads"] in policyNames.',
                urn: URN,
            },
        ]);
    });

    it("names an inline policy without a name as the empty name", async () => {
        const role = componentRole({ inlinePolicies: [{ policy: document(read("acme-raw")) }] });
        const [found] = await stackViolations(exclusivePolicyNames, [role, exclusive([])]);
        assert.ok(
            found?.message.startsWith(`${EXCLUSIVE} does not list the stack's inline policies [""]`),
            found?.message,
        );
    });

    it("says what a set keeps that the stack does not declare", async () => {
        const stack = [componentRole(), grant(document(read("acme-raw")), "Reads"), exclusive(["Reads", "Legacy"])];
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, stack), [
            {
                message:
                    `${EXCLUSIVE} keeps the inline policies ["Legacy"] on the Cloudglue access role, but the stack ` +
                    "declares no such policy, so whatever it grants is kept without this pack seeing it. List only " +
                    `the stack's own inline policies ["Reads"] in policyNames.`,
                urn: URN,
            },
        ]);
    });

    it("does not count a managed policy, which has no inline name, as an inline policy", async () => {
        const managed: ResourceSpec = {
            type: "aws-native:iam:ManagedPolicy",
            name: "managed",
            props: { roles: [NAME], policyDocument: JSON.parse(document(read("acme-raw"))) },
        };
        const stack = [componentRole(), grant(document(read("acme-raw")), "Reads"), managed, exclusive(["Legacy"])];
        const found = await stackViolations(exclusivePolicyNames, stack);
        assert.deepStrictEqual(
            found.map((v) => v.message.split(" on the Cloudglue")[0].split(", so")[0]),
            [
                `${EXCLUSIVE} keeps the inline policies ["Legacy"]`,
                `${EXCLUSIVE} does not list the stack's inline policies ["Reads"]`,
            ],
        );
    });

    it("does not judge a set while a declared policy's name is not a literal", async () => {
        const template = JSON.stringify({
            Resources: {
                Extra: {
                    Type: "AWS::IAM::RolePolicy",
                    Properties: {
                        RoleName: NAME,
                        PolicyName: { Ref: "PolicyName" },
                        PolicyDocument: JSON.parse(document(read("acme-raw"))),
                    },
                },
            },
        });
        const stack = [
            componentRole(),
            grant(document(read("acme-raw")), "Reads"),
            { type: CFN_STACK, name: "cfn", props: { templateBody: template } },
            exclusive(["Reads"]),
        ];
        assert.deepStrictEqual(await stackViolations(exclusivePolicyNames, stack), []);
        // The template's policy is refused on its own: what it grants cannot be read.
        const [found] = await violations(recognisedResources, stack[2]);
        assert.match(found, /grants the Cloudglue role through Ref "PolicyName", which the pack cannot resolve/);
    });
});
