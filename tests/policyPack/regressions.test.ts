/**
 * Rules of the policy pack that a mutation run showed no test would notice breaking (issue 15):
 * each test pins one violation, or one resource that must NOT be flagged, with the expected text
 * written here rather than read from the pack.
 */
import * as assert from "assert";
import { allowedBuckets } from "../../policy-pack/policies/allowedBuckets";
import { leastPrivilege } from "../../policy-pack/policies/leastPrivilege";
import { oneRoleOneConnector } from "../../policy-pack/policies/oneRoleOneConnector";
import { recognisedResources } from "../../policy-pack/policies/recognisedResources";
import { roleName } from "../../policy-pack/policies/roleName";
import { trustRequiresExternalId } from "../../policy-pack/policies/trustRequiresExternalId";
import { ResourceSpec, stackViolations, violations } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const NAME = "cloudglue-external-s3-access-role";
const ARN = `arn:aws:iam::111122223333:role/${NAME}`;
const CLOUDGLUE_ROOT = "arn:aws:iam::992382634011:root";

const trustWith = (statement: object) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
const trustDocument = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const goodTrust = (externalId: string, action: unknown = "sts:AssumeRole") => ({
    Effect: "Allow",
    Principal: { AWS: CLOUDGLUE_ROOT },
    Action: action,
    Condition: { StringEquals: { "sts:ExternalId": externalId } },
});
const document = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });
const read = (resource: string) => ({ Effect: "Allow", Action: "s3:GetObject", Resource: resource });

/** A role declared outside the component, as another stack or a hand-written program would. */
const role = (props: Record<string, unknown>): ResourceSpec => ({ type: ROLE, name: "role", props });
const cloudglueRole = (props: Record<string, unknown> = {}): ResourceSpec =>
    role({ name: NAME, arn: ARN, assumeRolePolicy: trustWith(goodTrust("a-long-external-id-0001")), ...props });

describe("policy pack regressions: cloudglue-least-privilege", () => {
    it("refuses a session longer than the vendor's one hour, and passes one hour or unset", async () => {
        assert.deepStrictEqual(await violations(leastPrivilege, cloudglueRole({ maxSessionDuration: 43200 })), [
            "The Cloudglue access role (aws:iam/role:Role) has maxSessionDuration 43200; Cloudglue's template keeps " +
                "IAM's default of 3600 seconds (one hour). Remove it or set 3600.",
        ]);
        for (const duration of [3600, undefined]) {
            assert.deepStrictEqual(
                await violations(leastPrivilege, cloudglueRole({ maxSessionDuration: duration })),
                [],
            );
        }
    });

    it("refuses an Allow with NotResource, which grants every other resource", async () => {
        const policy = {
            type: ROLE_POLICY,
            props: {
                role: NAME,
                policy: JSON.stringify(
                    document({ Sid: "Loose", Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::x" }),
                ),
            },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, policy), [
            'Statement "Loose" uses NotAction or NotResource, which grants everything else.',
        ]);
    });

    it("refuses an Allow with NotAction, without a Sid", async () => {
        const policy = {
            type: ROLE_POLICY,
            props: { role: NAME, policy: JSON.stringify(document({ Effect: "Allow", NotAction: "s3:DeleteObject" })) },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, policy), [
            "A statement uses NotAction or NotResource, which grants everything else.",
        ]);
    });

    it("checks the documents of the role's own inlinePolicies", async () => {
        const found = await violations(
            leastPrivilege,
            cloudglueRole({
                inlinePolicies: [
                    { name: "fine", policy: JSON.stringify(document(read("arn:aws:s3:::acme-raw/*"))) },
                    { name: "loose", policy: JSON.stringify(document(read("*"))) },
                ],
            }),
        );
        assert.deepStrictEqual(found, [
            'A statement grants s3:GetObject on "*"; reads are allowed only on named buckets. ' +
                "List the buckets by name in cloudglue:buckets; the S3AccessRole component builds the policy from them.",
        ]);
    });

    it("refuses managed policies on the role itself, naming them", async () => {
        const found = await violations(
            leastPrivilege,
            cloudglueRole({ managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] }),
        );
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].includes('["arn:aws:iam::aws:policy/AmazonS3FullAccess"]'), found[0]);
        assert.ok(found[0].includes("Remove managedPolicyArns"), found[0]);
    });

    it("refuses a PolicyAttachment that lists the role among its roles", async () => {
        const found = await violations(leastPrivilege, {
            type: "aws:iam/policyAttachment:PolicyAttachment",
            props: { roles: ["some-other-role", NAME], policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
        });
        assert.deepStrictEqual(found, [
            "aws:iam/policyAttachment:PolicyAttachment attaches the managed policy arn:aws:iam::aws:policy/ReadOnlyAccess " +
                "to the Cloudglue access role; it may only have its inline policy, whose contents this pack can check. " +
                "Remove it from the resource.",
        ]);
    });

    it("refuses an exclusive inline-policy set of two names, and passes one of one name", async () => {
        const set = (names: string[]) => ({
            type: "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
            props: { roleName: NAME, policyNames: names },
        });
        const found = await violations(leastPrivilege, set(["CloudglueExternalS3AccessPolicy", "extra"]));
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].includes('["CloudglueExternalS3AccessPolicy","extra"]'), found[0]);
        assert.deepStrictEqual(await violations(leastPrivilege, set(["CloudglueExternalS3AccessPolicy"])), []);
    });

    it("refuses s3:PutObject outside the transfer bucket and kms:Decrypt on a non-key", async () => {
        const found = await violations(leastPrivilege, {
            type: ROLE_POLICY,
            props: {
                role: NAME,
                policy: JSON.stringify(
                    document(
                        { Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::acme-raw/*" },
                        {
                            Effect: "Allow",
                            Action: "kms:Decrypt",
                            Resource: "arn:aws:kms:eu-west-1:111122223333:alias/x",
                        },
                    ),
                ),
            },
        });
        assert.deepStrictEqual(found, [
            'A statement grants s3:PutObject on "arn:aws:s3:::acme-raw/*"; Cloudglue may write only to ' +
                "cloudglue-external-transfer.",
            'A statement grants kms:Decrypt on "arn:aws:kms:eu-west-1:111122223333:alias/x"; decryption is allowed only ' +
                "with named keys. Set the key's ARN as kmsKeyArn of the bucket in cloudglue:buckets.",
            'A statement grants kms:Decrypt without the condition StringEquals kms:ViaService "s3.<region>.amazonaws.com", ' +
                "so Cloudglue could decrypt with the key directly, not only through S3 reads of your buckets. Set the " +
                "key's ARN as kmsKeyArn of the bucket in cloudglue:buckets; the S3AccessRole component adds the condition.",
        ]);
    });

    it("says a policy variable is not a bucket name", async () => {
        const found = await violations(leastPrivilege, {
            type: ROLE_POLICY,
            props: { role: NAME, policy: JSON.stringify(document(read("arn:aws:s3:::${aws:username}/*"))) },
        });
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].includes("(a policy variable is not a bucket name)"), found[0]);
    });

    it("does not judge a Deny statement", async () => {
        const policy = {
            type: ROLE_POLICY,
            props: { role: NAME, policy: JSON.stringify(document({ Effect: "Deny", Action: "s3:*", Resource: "*" })) },
        };
        assert.deepStrictEqual(await violations(leastPrivilege, policy), []);
    });

    describe("leaves alone what is not the Cloudglue role", () => {
        const loose = JSON.stringify(document({ Effect: "Allow", Action: "s3:*", Resource: "*" }));
        for (const name of ["media-s3-reader", "data-access-role", "s3-access", "cloudglue-uploader"]) {
            it(`a role named ${name} with a broad inline policy`, async () => {
                const found = await violations(
                    leastPrivilege,
                    role({
                        name,
                        assumeRolePolicy: trustWith({
                            Effect: "Allow",
                            Principal: { Service: "ec2.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        }),
                        inlinePolicies: [{ name: "all", policy: loose }],
                        managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
                    }),
                );
                assert.deepStrictEqual(found, []);
            });
        }

        it("another role's inline policy, attachment and exclusive sets", async () => {
            for (const spec of [
                { type: ROLE_POLICY, props: { role: "media-s3-access", policy: loose } },
                { type: ROLE_POLICY, props: { role: "arn:aws:iam::111122223333:role/other-s3-role", policy: loose } },
                {
                    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    props: { role: "media-s3-access", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
                },
                {
                    type: "aws:iam/policyAttachment:PolicyAttachment",
                    props: { roles: ["a-s3-role"], policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
                },
                {
                    type: "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
                    props: { roleName: "media-s3-access", policyNames: ["a", "b"] },
                },
            ]) {
                assert.deepStrictEqual(await violations(leastPrivilege, spec), [], spec.type);
            }
        });
    });

    it("recognises the role by its exact name whatever the case, not by a name like it", async () => {
        const broad = { inlinePolicies: [{ name: "all", policy: JSON.stringify(document(read("*"))) }] };
        for (const name of ["CLOUDGLUE-EXTERNAL-S3-ACCESS-ROLE", "Cloudglue-External-S3-Access-Role"]) {
            assert.strictEqual((await violations(leastPrivilege, role({ name, ...broad }))).length, 1, name);
        }
        for (const name of ["Cloudglue_S3_Reader", "cloudglue-access"]) {
            assert.deepStrictEqual(await violations(leastPrivilege, role({ name, ...broad })), [], name);
        }
    });
});

describe("policy pack regressions: cloudglue-trust-requires-external-id", () => {
    const withTrust = (statement: object) => cloudglueRole({ assumeRolePolicy: trustWith(statement) });

    it("refuses the action sts:*", async () => {
        assert.deepStrictEqual(
            await violations(trustRequiresExternalId, withTrust(goodTrust("a-long-external-id-0001", "sts:*"))),
            [
                'A trust statement allows ["sts:*"]; only "sts:AssumeRole" is allowed. ' +
                    "The S3AccessRole component builds this trust policy from cloudglue:externalId or the generated external ID.",
            ],
        );
    });

    it("refuses a list of one other action", async () => {
        const found = await violations(
            trustRequiresExternalId,
            withTrust(goodTrust("a-long-external-id-0001", ["sts:TagSession"])),
        );
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].includes('allows ["sts:TagSession"]'), found[0]);
    });

    for (const [label, externalId, length] of [
        ["an empty", "", 0],
        ["a 1-character", "x", 1],
        ["a 15-character", "a".repeat(15), 15],
    ] as const) {
        it(`refuses ${label} external ID, giving its length and not its value`, async () => {
            const found = await violations(trustRequiresExternalId, withTrust(goodTrust(externalId)));
            assert.deepStrictEqual(found, [
                `A trust statement has an external ID of ${length} characters; it must have at least 16 so that it ` +
                    "cannot be guessed. Let the stack generate one (unset cloudglue:externalId). " +
                    "The S3AccessRole component builds this trust policy from cloudglue:externalId or the generated external ID.",
            ]);
        });
    }

    it("passes a 16-character external ID and Cloudglue's account given by its id", async () => {
        const statement = { ...goodTrust("b".repeat(16)), Principal: { AWS: "992382634011" } };
        assert.deepStrictEqual(await violations(trustRequiresExternalId, withTrust(statement)), []);
    });

    it("refuses a second Allow statement and a trust with none", async () => {
        const two = cloudglueRole({
            assumeRolePolicy: JSON.stringify(
                document(goodTrust("a-long-external-id-0001"), goodTrust("a-long-external-id-0002")),
            ),
        });
        const found = await violations(trustRequiresExternalId, two);
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].startsWith("The trust policy has 2 Allow statements; it must have exactly one"), found[0]);

        const none = cloudglueRole({
            assumeRolePolicy: JSON.stringify(document({ ...goodTrust("a-long-external-id-0001"), Effect: "Deny" })),
        });
        const nobody = await violations(trustRequiresExternalId, none);
        assert.strictEqual(nobody.length, 1);
        assert.ok(nobody[0].startsWith("The trust policy allows nobody to assume the role"), nobody[0]);
    });

    it("labels a statement by its Sid", async () => {
        const found = await violations(
            trustRequiresExternalId,
            withTrust({ ...goodTrust("a-long-external-id-0001", "sts:*"), Sid: "Trust" }),
        );
        assert.ok(found.length === 1 && found[0].startsWith('Statement "Trust" allows ["sts:*"]'), found.join("\n"));
    });

    it("names a statement of an unreadable Effect by its Sid, else by its place in the policy", async () => {
        const good = goodTrust("a-long-external-id-0001");
        const effectOf = (statement: object) =>
            violations(trustRequiresExternalId, cloudglueRole({ assumeRolePolicy: trustDocument(good, statement) }));
        const [bySid] = await effectOf({ ...good, Effect: "allow", Sid: "Old" });
        assert.ok(bySid.startsWith('Statement "Old" has the Effect "allow"; IAM knows only'), bySid);
        const [byPlace] = await effectOf({ ...good, Effect: "allow" });
        assert.ok(byPlace.startsWith('Trust statement 2 has the Effect "allow"; IAM knows only'), byPlace);
    });

    it("leaves alone roles named like *s3* or *access* that trust someone else", async () => {
        for (const name of ["media-s3-reader", "data-access-role"]) {
            const other = role({
                name,
                assumeRolePolicy: trustWith({
                    Effect: "Allow",
                    Principal: { Service: "ec2.amazonaws.com" },
                    Action: "sts:*",
                }),
            });
            assert.deepStrictEqual(await violations(trustRequiresExternalId, other), [], name);
        }
    });
});

describe("policy pack regressions: cloudglue-role-name", () => {
    it("leaves alone roles named like *s3* or *access* that are not the Cloudglue role", async () => {
        for (const name of ["media-s3-reader", "data-access-role", "s3-access-role"]) {
            assert.deepStrictEqual(await violations(roleName, role({ name })), [], name);
        }
    });
});

describe("policy pack regressions: cloudglue-one-role-one-connector", () => {
    it("counts only the Cloudglue role, not other roles named like *s3* or *access*", async () => {
        const found = await stackViolations(oneRoleOneConnector, [
            cloudglueRole(),
            { ...role({ name: "media-s3-reader" }), name: "media" },
            { ...role({ name: "data-access-role" }), name: "data" },
            { type: ROLE_POLICY, name: "p", props: { role: "media-s3-reader", policy: "{}" } },
            { type: "pulumi-nodejs:dynamic/cloudglue:S3Connector", name: "connector", props: { roleArn: ARN } },
        ]);
        assert.deepStrictEqual(found, []);
    });

    it("names both roles and says how many there are", async () => {
        const found = await stackViolations(oneRoleOneConnector, [
            { ...cloudglueRole(), name: "first" },
            { ...role({ name: "CLOUDGLUE-EXTERNAL-S3-ACCESS-ROLE" }), name: "second" },
        ]);
        assert.strictEqual(found.length, 1);
        assert.ok(
            found[0].message.startsWith(
                "The stack has 2 Cloudglue access roles (urn:pulumi:dev::cloudglue::aws:iam/role:Role::first, " +
                    "urn:pulumi:dev::cloudglue::aws:iam/role:Role::second); " +
                    'it must have exactly one, named "cloudglue-external-s3-access-role".',
            ),
            found[0].message,
        );
    });

    it("says none for a stack without a role", async () => {
        const found = await stackViolations(oneRoleOneConnector, []);
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].message.startsWith("The stack has 0 Cloudglue access roles (none);"), found[0].message);
    });

    it("reports the connector that registers another role at the connector's URN", async () => {
        const other = "arn:aws:iam::111122223333:role/other";
        const found = await stackViolations(oneRoleOneConnector, [
            cloudglueRole(),
            { type: "pulumi-nodejs:dynamic/cloudglue:S3Connector", name: "connector", props: { roleArn: other } },
        ]);
        assert.deepStrictEqual(found, [
            {
                message:
                    `The Cloudglue connector registers role "${other}", but the stack's role is "${ARN}". ` +
                    "Pass the S3AccessRole component's roleArn to the connector.",
                urn: "urn:pulumi:dev::cloudglue::pulumi-nodejs:dynamic/cloudglue:S3Connector::connector",
            },
        ]);
    });
});

describe("policy pack regressions: the trust policy's messages", () => {
    const FIX =
        "The S3AccessRole component builds this trust policy from cloudglue:externalId or the generated external ID.";
    const withTrust = (statement: object) => cloudglueRole({ assumeRolePolicy: trustWith(statement) });

    it("publishes its name, level, description and empty settings", () => {
        assert.strictEqual(trustRequiresExternalId.name, "cloudglue-trust-requires-external-id");
        assert.strictEqual(trustRequiresExternalId.enforcementLevel, "mandatory");
        assert.strictEqual(
            trustRequiresExternalId.description,
            "The Cloudglue role trusts only arn:aws:iam::992382634011:root, in one statement, only for sts:AssumeRole, " +
                "and only with StringEquals on an sts:ExternalId of at least 16 characters.",
        );
        assert.deepStrictEqual(trustRequiresExternalId.configSchema, { properties: {} });
    });

    it("says a second Allow statement keeps another ID working", async () => {
        const two = cloudglueRole({
            assumeRolePolicy: JSON.stringify(
                document(goodTrust("a-long-external-id-0001"), goodTrust("a-long-external-id-0002")),
            ),
        });
        assert.deepStrictEqual(await violations(trustRequiresExternalId, two), [
            "The trust policy has 2 Allow statements; it must have exactly one, for Cloudglue's account with one " +
                "external ID, and during a rotation at most one more for the previous ID that ends with DateLessThan " +
                "aws:CurrentTime. Another statement keeps another (old or leaked) external ID, or another principal, " +
                `working. ${FIX}`,
        ]);
    });

    it("refuses NotAction in a trust statement", async () => {
        const statement = { ...goodTrust("a-long-external-id-0001"), Action: undefined, NotAction: "sts:TagSession" };
        assert.deepStrictEqual(await violations(trustRequiresExternalId, withTrust(statement)), [
            `A trust statement uses NotPrincipal or NotAction, which trusts everyone else. ${FIX}`,
        ]);
    });

    for (const principal of ["arn:aws:iam::992382634011:root", null]) {
        it(`reads a Principal of ${JSON.stringify(principal)} as trusting no principal`, async () => {
            const statement = { ...goodTrust("a-long-external-id-0001"), Principal: principal };
            assert.deepStrictEqual(await violations(trustRequiresExternalId, withTrust(statement)), [
                `A trust statement trusts no principal; only arn:aws:iam::992382634011:root may be trusted. ${FIX}`,
            ]);
        });
    }

    it("names each principal it does not trust", async () => {
        const statement = {
            ...goodTrust("a-long-external-id-0001"),
            Principal: { AWS: ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"] },
        };
        assert.deepStrictEqual(await violations(trustRequiresExternalId, withTrust(statement)), [
            'A trust statement trusts "AWS:arn:aws:iam::111122223333:root", "AWS:arn:aws:iam::444455556666:root"; ' +
                `only arn:aws:iam::992382634011:root may be trusted. ${FIX}`,
        ]);
    });

    it("describes a condition by its operators and keys only, or says there is none", async () => {
        const twoOperators = {
            ...goodTrust("x"),
            Condition: {
                StringLike: { "sts:ExternalId": "a-long-external-id-0001", "aws:PrincipalAccount": "992382634011" },
                Bool: { "aws:SecureTransport": "true" },
            },
        };
        assert.deepStrictEqual(await violations(trustRequiresExternalId, withTrust(twoOperators)), [
            "A trust statement has no StringEquals condition on sts:ExternalId with one value (its Condition has " +
                "StringLike on sts:ExternalId, aws:PrincipalAccount; Bool on aws:SecureTransport); without it any AWS customer of Cloudglue " +
                `could make Cloudglue read your buckets. ${FIX}`,
        ]);
        const none = { ...goodTrust("x"), Condition: undefined };
        assert.deepStrictEqual(await violations(trustRequiresExternalId, withTrust(none)), [
            "A trust statement has no StringEquals condition on sts:ExternalId with one value (it has no Condition); " +
                `without it any AWS customer of Cloudglue could make Cloudglue read your buckets. ${FIX}`,
        ]);
    });
});

describe("policy pack regressions: what each policy publishes", () => {
    it("names, levels and settings as the pack's README and config file use them", () => {
        assert.deepStrictEqual(
            [
                leastPrivilege,
                trustRequiresExternalId,
                oneRoleOneConnector,
                roleName,
                recognisedResources,
                allowedBuckets,
            ].map((p) => [p.name, p.enforcementLevel, Object.keys(p.configSchema?.properties ?? { missing: 1 })]),
            [
                ["cloudglue-least-privilege", "mandatory", []],
                ["cloudglue-trust-requires-external-id", "mandatory", []],
                ["cloudglue-one-role-one-connector", "mandatory", []],
                ["cloudglue-role-name", "mandatory", []],
                [
                    "cloudglue-recognised-resources",
                    "mandatory",
                    ["allowedResourceTypes", "allowedUnreadableStacks", "allowedUnreadableCode"],
                ],
                ["cloudglue-allowed-buckets", "advisory", ["allowedBucketPatterns"]],
            ],
        );
        assert.strictEqual(
            leastPrivilege.description,
            "The Cloudglue role may only read named buckets, write to cloudglue-external-transfer and decrypt with " +
                "named KMS keys; no managed policies, one inline policy.",
        );
        assert.strictEqual(
            oneRoleOneConnector.description,
            "The stack has exactly one Cloudglue access role, and the Cloudglue connector registers that role's ARN.",
        );
    });
});

describe("policy pack regressions: least privilege's messages", () => {
    const policyOf = (...statements: object[]) => ({
        type: ROLE_POLICY,
        props: { role: NAME, policy: JSON.stringify(document(...statements)) },
    });

    it("names the managed policies on the role and the role's type", async () => {
        const found = await violations(
            leastPrivilege,
            cloudglueRole({ managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }),
        );
        assert.deepStrictEqual(found, [
            'The Cloudglue access role (aws:iam/role:Role) has managed policies ["arn:aws:iam::aws:policy/ReadOnlyAccess"]; ' +
                "it may only have its inline policy, whose contents this pack can check. Remove managedPolicyArns.",
        ]);
    });

    it("says why an exclusive set must list exactly one policy", async () => {
        const found = await violations(leastPrivilege, {
            type: "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
            props: { roleName: NAME, policyNames: [] },
        });
        assert.deepStrictEqual(found, [
            "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive holds the Cloudglue access role to the inline policies []; " +
                "it must list exactly the stack's one inline policy. A policy listed here but not declared in the stack " +
                "is kept on the role without this pack seeing it.",
        ]);
    });

    it("refuses a policy document that is not JSON", async () => {
        const found = await violations(leastPrivilege, {
            type: ROLE_POLICY,
            props: { role: NAME, policy: "{not json" },
        });
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].startsWith("A policy document of the Cloudglue role is not valid JSON ("), found[0]);
    });

    it("lists the allowed actions, and every read action granted on a resource that is not a named bucket", async () => {
        assert.deepStrictEqual(
            await violations(leastPrivilege, policyOf({ Effect: "Allow", Action: "s3:DeleteObject", Resource: "*" })),
            [
                'A statement grants "s3:DeleteObject", which Cloudglue\'s connector does not need; allowed are ' +
                    "s3:GetObject, s3:ListBucket, s3:GetBucketLocation, s3:PutObject, kms:Decrypt.",
            ],
        );
        const [reads] = await violations(
            leastPrivilege,
            policyOf({ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: "*" }),
        );
        assert.ok(reads.startsWith('A statement grants s3:GetObject, s3:ListBucket on "*"; reads are allowed'), reads);
    });

    it("takes kms:ViaService only as S3 in a region, every value of it, nothing around it", async () => {
        const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const decryptVia = (via: unknown) =>
            violations(
                leastPrivilege,
                policyOf({
                    Effect: "Allow",
                    Action: "kms:Decrypt",
                    Resource: key,
                    Condition: { StringEquals: { "kms:ViaService": via } },
                }),
            );
        assert.deepStrictEqual(await decryptVia("s3.eu-west-1.amazonaws.com"), []);
        for (const via of [
            ["s3.eu-west-1.amazonaws.com", "ec2.eu-west-1.amazonaws.com"],
            [["s3.eu-west-1.amazonaws.com"]],
            "evil-s3.eu-west-1.amazonaws.com",
            "xs3.eu-west-1.amazonaws.com",
            "s3.eu-west-1.amazonaws.com.evil",
        ]) {
            const found = await decryptVia(via);
            assert.strictEqual(found.length, 1, JSON.stringify(via));
            assert.match(found[0], /without the condition StringEquals kms:ViaService/, JSON.stringify(via));
        }
    });

    it("takes a KMS key ARN whole", async () => {
        const viaS3 = { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } };
        for (const key of [
            "xarn:aws:kms:eu-west-1:111122223333:key/1234abcd",
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd*",
        ]) {
            const found = await violations(
                leastPrivilege,
                policyOf({ Effect: "Allow", Action: "kms:Decrypt", Resource: key, Condition: viaS3 }),
            );
            assert.strictEqual(found.length, 1, key);
            assert.ok(found[0].startsWith(`A statement grants kms:Decrypt on "${key}"`), found[0]);
        }
        const named = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert.deepStrictEqual(
            await violations(
                leastPrivilege,
                policyOf({ Effect: "Allow", Action: "kms:Decrypt", Resource: named, Condition: viaS3 }),
            ),
            [],
        );
    });
});

describe("policy pack regressions: one role, one connector, at preview and in templates", () => {
    const connector = (roleArn: string): ResourceSpec => ({
        type: "pulumi-nodejs:dynamic/cloudglue:S3Connector",
        name: "connector",
        props: { roleArn },
    });
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

    it("cannot compare while either ARN is unknown, and does not guess", async () => {
        assert.deepStrictEqual(
            await stackViolations(oneRoleOneConnector, [cloudglueRole({ arn: UNKNOWN }), connector(ARN)]),
            [],
        );
        assert.deepStrictEqual(await stackViolations(oneRoleOneConnector, [cloudglueRole(), connector(UNKNOWN)]), []);
    });

    it("compares only the connector's roleArn, not another resource's", async () => {
        const lambda: ResourceSpec = {
            type: "aws:lambda/function:Function",
            name: "fn",
            props: { roleArn: "arn:aws:iam::111122223333:role/lambda-exec" },
        };
        assert.deepStrictEqual(
            await stackViolations(oneRoleOneConnector, [cloudglueRole(), lambda, connector(ARN)]),
            [],
        );
    });

    it("says where a role inside a CloudFormation template is", async () => {
        const template = JSON.stringify({
            Resources: {
                Reader: {
                    Type: "AWS::IAM::Role",
                    Properties: {
                        RoleName: NAME,
                        AssumeRolePolicyDocument: { Statement: [goodTrust("a-long-external-id-0001")] },
                    },
                },
            },
        });
        const found = await stackViolations(oneRoleOneConnector, [
            cloudglueRole(),
            { type: "aws:cloudformation/stack:Stack", name: "cfn", props: { templateBody: template } },
        ]);
        assert.strictEqual(found.length, 1);
        assert.ok(
            found[0].message.startsWith(
                "The stack has 2 Cloudglue access roles (urn:pulumi:dev::cloudglue::aws:iam/role:Role::role, " +
                    "AWS::IAM::Role Reader in the template of aws:cloudformation/stack:Stack " +
                    "(urn:pulumi:dev::cloudglue::aws:cloudformation/stack:Stack::cfn));",
            ),
            found[0].message,
        );
    });
});
