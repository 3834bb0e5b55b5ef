/**
 * A second role the Cloudglue role can assume (issue 23, high 1), and a trust the pack cannot read
 * (high 2), through the Analyzer protocol as the CLI drives the pack.
 */
import * as assert from "assert";
import { AnalyzedResource, Diagnostic, PolicyPackServer } from "../../scripts/lib/policyAnalyzer";
import { doc, UNKNOWN } from "./helpers";

const ROLE = "aws:iam/role:Role";
const NATIVE_ROLE = "aws-native:iam:Role";
const CFN_STACK = "aws:cloudformation/stack:Stack";
const NAME = "cloudglue-external-s3-access-role";
const ROLE_ARN = `arn:aws:iam::111122223333:role/${NAME}`;
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const CHAINING = "cloudglue-no-role-chaining";

const resource = (type: string, name: string, props: Record<string, unknown>): AnalyzedResource => ({
    type,
    name,
    urn: `urn:pulumi:dev::cloudglue::${type}::${name}`,
    props,
});
const assume = (principal: unknown, condition?: object) => ({
    Effect: "Allow",
    Principal: principal,
    Action: "sts:AssumeRole",
    ...(condition ? { Condition: condition } : {}),
});
/** A role of another team, holding admin, that trusts what it is given. */
const hop = (statement: object, type = ROLE) =>
    type === ROLE
        ? resource(ROLE, "hop", {
              name: "ops-admin",
              assumeRolePolicy: JSON.stringify(doc(statement)),
              managedPolicyArns: [ADMIN],
          })
        : resource(NATIVE_ROLE, "hop", {
              roleName: "ops-admin",
              assumeRolePolicyDocument: doc(statement),
              managedPolicyArns: [ADMIN],
          });
/** The SDK starts each message with the policy's description, on a line of its own. */
const mandatory = (ds: Diagnostic[]) =>
    ds
        .filter((d) => d.level === "mandatory")
        .map((d) => ({ ...d, message: d.message.split("\n").slice(1).join("\n") }));
const allow = (id: string) => `{"${CHAINING}":{"allowedRoles":["${id}"]}}`;

describe("policy pack: a second role the Cloudglue role can assume, over the Analyzer protocol", function () {
    this.timeout(60000);
    let server: PolicyPackServer;
    before(async () => {
        server = await PolicyPackServer.start();
        await server.configure({});
    });
    after(() => server?.stop());

    const refused: [string, AnalyzedResource, RegExp][] = [
        ["trusting the role's ARN", hop(assume({ AWS: ROLE_ARN })), /names the role cloudglue-external-s3-access-role/],
        [
            "trusting * under ArnLike aws:PrincipalArn matching the role",
            hop(assume({ AWS: "*" }, { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/cloudglue-*" } })),
            /through a ArnLike condition on aws:PrincipalArn that could match the role/,
        ],
        [
            "trusting * from the stack's own account",
            hop(assume({ AWS: "*" }, { StringEquals: { "aws:PrincipalAccount": "111122223333" } })),
            /through the principal "\*", held by no condition on aws:PrincipalArn or aws:userid/,
        ],
        [
            "trusting * from the organisation",
            hop(assume("*", { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } })),
            /through the principal "\*"/,
        ],
        [
            "trusting * under a pattern on aws:userid a role's unique id matches",
            hop(
                assume(
                    { AWS: "*" },
                    {
                        StringEquals: { "aws:PrincipalAccount": "111122223333" },
                        StringLike: { "aws:userid": "AROA*:*" },
                    },
                ),
            ),
            /StringLike condition on aws:userid that could match the role's unique id/,
        ],
        [
            "trusting a role's unique id",
            hop(assume({ AWS: "AROAEXAMPLEID1234567" })),
            /trusts the unique id "AROAEXAMPLEID1234567", which may be the role's/,
        ],
        [
            "as aws-native:iam:Role, trusting the role's ARN",
            hop(assume({ AWS: ROLE_ARN }), NATIVE_ROLE),
            /^aws-native:iam:Role hop has a trust policy that names the role/,
        ],
    ];
    for (const [label, role, says] of refused) {
        it(`refuses a role ${label}, saying how to allow it once reviewed`, async () => {
            const found = mandatory(await server.analyze(role));
            assert.deepStrictEqual(
                found.map((d) => d.policyName),
                [CHAINING],
                found.map((d) => d.message).join("\n"),
            );
            assert.match(found[0].message, says);
            assert.ok(found[0].message.endsWith(allow("hop")), found[0].message);
        });
    }

    it("refuses, in a CloudFormation template, a role trusting the template's Cloudglue role or its ARN", async () => {
        const template = {
            Resources: {
                CloudglueRole: {
                    Type: "AWS::IAM::Role",
                    Properties: {
                        RoleName: NAME,
                        AssumeRolePolicyDocument: doc({
                            Effect: "Allow",
                            Principal: { AWS: "arn:aws:iam::992382634011:root" },
                            Action: "sts:AssumeRole",
                            Condition: { StringEquals: { "sts:ExternalId": "a-long-external-id-0001" } },
                        }),
                    },
                },
                Hop: {
                    Type: "AWS::IAM::Role",
                    Properties: {
                        AssumeRolePolicyDocument: doc(assume({ AWS: { "Fn::GetAtt": ["CloudglueRole", "Arn"] } })),
                        ManagedPolicyArns: [ADMIN],
                    },
                },
                Literal: {
                    Type: "AWS::IAM::Role",
                    Properties: {
                        AssumeRolePolicyDocument: doc(
                            assume({ AWS: { "Fn::Sub": `arn:aws:iam::\${AWS::AccountId}:role/${NAME}` } }),
                        ),
                    },
                },
            },
        };
        const stack = resource(CFN_STACK, "legacy", { templateBody: JSON.stringify(template) });
        const found = mandatory(await server.analyze(stack)).filter((d) => d.policyName === CHAINING);
        assert.deepStrictEqual(
            found.map((d) => d.message.split(" has a trust policy that ")[0]),
            [
                "AWS::IAM::Role Literal in the template of aws:cloudformation/stack:Stack legacy",
                "AWS::IAM::Role Hop in the template of aws:cloudformation/stack:Stack legacy",
            ],
        );
        assert.ok(found.some((d) => d.message.endsWith(allow("legacy/Hop"))));
    });

    it("passes a role so trusting once the config lists it as reviewed, and no other", async () => {
        await server.configure({ [CHAINING]: { allowedRoles: ["hop"] } });
        try {
            assert.deepStrictEqual(await server.analyze(hop(assume({ AWS: ROLE_ARN }))), []);
            const other = {
                ...hop(assume({ AWS: ROLE_ARN })),
                name: "other",
                urn: "urn:pulumi:dev::cloudglue::aws:iam/role:Role::other",
            };
            assert.deepStrictEqual(
                mandatory(await server.analyze(other)).map((d) => d.policyName),
                [CHAINING],
            );
        } finally {
            await server.configure({});
        }
    });

    it("leaves alone a role trusting a service, an account root, or * held to other ARNs", async () => {
        for (const statement of [
            assume({ Service: "lambda.amazonaws.com" }),
            assume({ AWS: "arn:aws:iam::111122223333:root" }),
            assume({ AWS: "*" }, { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/deployer" } }),
        ]) {
            assert.deepStrictEqual(await server.analyze(hop(statement)), [], JSON.stringify(statement));
        }
    });

    it("at preview, reports a role whose trust is unknown as waiting for the update", async () => {
        for (const role of [
            resource(ROLE, "hop", { name: "ops-admin", assumeRolePolicy: UNKNOWN }),
            hop(assume({ AWS: UNKNOWN }), NATIVE_ROLE),
        ]) {
            const found = await server.analyze(role);
            assert.deepStrictEqual(
                found.map((d) => [d.policyName, d.level]),
                [[CHAINING, "advisory"]],
            );
            assert.match(found[0].message, /can't run policy 'cloudglue-no-role-chaining' .* during preview/);
        }
    });
});

describe("policy pack: a trust it cannot read, over the Analyzer protocol", function () {
    this.timeout(60000);
    let server: PolicyPackServer;
    before(async () => {
        server = await PolicyPackServer.start();
        await server.configure({});
    });
    after(() => server?.stop());

    it("refuses a role trusting Cloudglue's account with a condition value hidden in JSON past the depth limit", async () => {
        let hidden: unknown = "x";
        for (let i = 0; i < 12; i++) {
            hidden = JSON.stringify([hidden]);
        }
        const role = resource(ROLE, "deputy", {
            name: "media-reader",
            assumeRolePolicy: JSON.stringify(
                doc(
                    assume({ AWS: "arn:aws:iam::992382634011:root" }, { StringEquals: { "aws:RequestTag/x": hidden } }),
                ),
            ),
        });
        const found = mandatory(await server.analyze(role));
        const policies = [...new Set(found.map((d) => d.policyName))];
        assert.deepStrictEqual(policies, [
            "cloudglue-role-name",
            "cloudglue-trust-requires-external-id",
            "cloudglue-recognised-resources",
        ]);
        const unreadable = found.find((d) => d.policyName === "cloudglue-recognised-resources");
        assert.match(
            unreadable?.message ?? "",
            /aws:iam\/role:Role has a trust policy the pack cannot read \(it holds JSON text nested in JSON text more than 8 deep\)/,
        );
    });

    it("refuses such a role even when it names no account the pack can find", async () => {
        let hidden: unknown = { Principal: { AWS: "arn:aws:iam::992382634011:root" } };
        for (let i = 0; i < 12; i++) {
            hidden = JSON.stringify(hidden);
        }
        const role = resource(ROLE, "deputy", { name: "media-reader", assumeRolePolicy: hidden });
        const found = mandatory(await server.analyze(role));
        assert.ok(
            found.some((d) => d.policyName === "cloudglue-recognised-resources" && /cannot read/.test(d.message)),
            JSON.stringify(found, null, 1),
        );
    });
});
