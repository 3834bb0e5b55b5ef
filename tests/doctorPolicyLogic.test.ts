/** The doctor's policy logic and documents, as pure functions: what catches the role, and what it prints. */
import * as assert from "assert";
import { parse as parseYaml } from "yaml";
import { buildAccessPolicy, buildTrustPolicy } from "../components/iamDocuments";
import { graceNote, printable } from "../scripts/lib/doctor/diagnose";
import {
    crossAccountBucketStatements,
    diffStatements,
    isPlainArgument,
    readAreas,
    shellCommand,
    shellQuote,
    trustPolicyProblems,
    yamlScalar,
} from "../scripts/lib/doctor/documents";
import {
    AnyStatement,
    denyMayOverlap,
    identityPolicyAllows,
    keyPolicyDenies,
    keyPolicyLetsRoleDecrypt,
    patternsOverlap,
    RoleRequest,
    statementApplies,
    wildcardMatch,
} from "../scripts/lib/doctor/policyLogic";

const who = { roleArn: "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role", accountId: "111122223333" };
const getObject: RoleRequest = { action: "s3:GetObject", resource: "arn:aws:s3:::media/videos/a.mp4" };
const deny = (extra: Partial<AnyStatement>): AnyStatement => ({
    Sid: "D",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: "arn:aws:s3:::media/*",
    ...extra,
});
const verdict = (statement: AnyStatement, request = getObject) =>
    statementApplies(statement, request, who, { resourcePolicy: true }).verdict;

describe("the doctor's policy logic", () => {
    it("matches IAM wildcards, actions without regard to case", () => {
        assert.ok(wildcardMatch("s3:Get*", "s3:getobject", true));
        assert.ok(!wildcardMatch("s3:Get*", "s3:getobject"));
        assert.ok(wildcardMatch("arn:aws:s3:::media/vid?os/*", "arn:aws:s3:::media/videos/a.mp4"));
        assert.ok(!wildcardMatch("arn:aws:s3:::media", "arn:aws:s3:::media/a"));
        assert.ok(
            wildcardMatch("arn:aws:s3:::a.b", "arn:aws:s3:::a.b") &&
                !wildcardMatch("arn:aws:s3:::a.b", "arn:aws:s3:::axb"),
        );
    });

    it("a Deny outside a VPC endpoint or VPC catches the role; one on plain HTTP does not", () => {
        assert.strictEqual(verdict(deny({ Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-1" } } })), "yes");
        assert.strictEqual(
            verdict(deny({ Condition: { StringNotEqualsIfExists: { "aws:sourcevpc": "vpc-1" } } })),
            "yes",
        );
        assert.strictEqual(verdict(deny({ Condition: { Bool: { "aws:SecureTransport": "false" } } })), "no");
        assert.strictEqual(verdict(deny({ Condition: { Null: { "aws:SourceVpce": "true" } } })), "yes");
        assert.strictEqual(verdict(deny({ Condition: { StringEquals: { "aws:SourceVpce": "vpce-1" } } })), "no");
    });

    it("the exemption the doctor suggests takes the role out of the Deny", () => {
        const vpce = { StringNotEquals: { "aws:SourceVpce": "vpce-1" } };
        const exempted = deny({ Condition: { ...vpce, ArnNotEquals: { "aws:PrincipalArn": who.roleArn } } });
        assert.strictEqual(verdict(exempted), "no");
        const wildcardExempt = deny({
            Condition: { ...vpce, ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/cloudglue-*" } },
        });
        assert.strictEqual(verdict(wildcardExempt), "no");
    });

    it("what it cannot judge is unknown, never no", () => {
        const org = statementApplies(
            deny({ Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-1" } } }),
            getObject,
            who,
            { resourcePolicy: true },
        );
        assert.deepStrictEqual(org, { verdict: "unknown", unknownKeys: ["StringNotEquals aws:PrincipalOrgID"] });
        assert.strictEqual(verdict(deny({ Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })), "unknown");
        assert.strictEqual(
            verdict(deny({ Condition: { "ForAnyValue:StringLike": { "aws:TagKeys": "x" } } })),
            "unknown",
        );
        // One condition known false is enough: all must hold for the Deny to apply.
        const mixed = { StringNotEquals: { "aws:PrincipalOrgID": "o-1", "aws:PrincipalAccount": "111122223333" } };
        assert.strictEqual(verdict(deny({ Condition: mixed })), "no");
    });

    it("principals: a Deny for other principals passes the role by; NotPrincipal naming the role is unknown", () => {
        assert.strictEqual(verdict(deny({ Principal: { AWS: "arn:aws:iam::999988887777:root" } })), "no");
        assert.strictEqual(verdict(deny({ Principal: { AWS: who.roleArn } })), "yes");
        assert.strictEqual(
            verdict(deny({ Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::999988887777:root" } })),
            "yes",
        );
        assert.strictEqual(verdict(deny({ Principal: undefined, NotPrincipal: { AWS: [who.roleArn] } })), "unknown");
    });

    it("a Deny on a session of the role: unknown for a session name or a pattern that may match, yes for every session", () => {
        const sessions = "arn:aws:sts::111122223333:assumed-role/cloudglue-external-s3-access-role/";
        const onSession = (aws: string) => deny({ Principal: { AWS: aws } });
        assert.strictEqual(verdict(onSession(`${sessions}cloudglue`)), "unknown", "Cloudglue picks the session name");
        assert.strictEqual(verdict(onSession(`${sessions}cg-*`)), "unknown");
        assert.strictEqual(verdict(onSession("arn:aws:sts::111122223333:assumed-role/cloudglue-*/x")), "unknown");
        assert.strictEqual(verdict(onSession("arn:aws:iam::111122223333:role/cloudglue-*")), "unknown");
        assert.strictEqual(verdict(onSession(`${sessions}*`)), "yes");
        assert.strictEqual(verdict(onSession("arn:aws:sts::111122223333:assumed-role/*")), "yes");
        assert.strictEqual(verdict(onSession("arn:aws:sts::111122223333:assumed-role/other-role/*")), "no");
        assert.strictEqual(
            verdict(onSession("arn:aws:sts::999988887777:assumed-role/cloudglue-external-s3-access-role/x")),
            "no",
        );
        // A condition that surely fails still takes the Deny out.
        const httpOnly = { Condition: { Bool: { "aws:SecureTransport": "false" } } };
        assert.strictEqual(verdict({ ...onSession(`${sessions}cloudglue`), ...httpOnly }), "no");
        const key = "arn:aws:kms:us-east-1:111122223333:key/k";
        const keyDeny = (aws: string) => [{ ...onSession(aws), Action: "kms:*", Resource: "*" }];
        assert.deepStrictEqual(
            keyPolicyDenies(keyDeny(`${sessions}cloudglue`), who, key, "us-east-1").map((d) => d.verdict),
            ["unknown"],
        );
        assert.deepStrictEqual(
            keyPolicyDenies(keyDeny(`${sessions}*`), who, key, "us-east-1").map((d) => d.verdict),
            ["yes"],
        );
        assert.deepStrictEqual(
            denyMayOverlap(
                onSession(`${sessions}cloudglue`),
                [{ action: "s3:GetObject", resources: ["arn:aws:s3:::media/*"] }],
                who,
            ).length,
            1,
        );
    });

    it("S3's kms:Decrypt on the role's behalf comes via an AWS service; the role's own S3 requests do not", () => {
        const key = "arn:aws:kms:us-east-1:111122223333:key/k";
        const via = (value: string): AnyStatement[] => [
            {
                Effect: "Deny",
                Principal: "*",
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: { Bool: { "aws:ViaAWSService": value } },
            },
        ];
        assert.deepStrictEqual(
            keyPolicyDenies(via("true"), who, key, "us-east-1").map((d) => d.verdict),
            ["yes"],
        );
        assert.deepStrictEqual(keyPolicyDenies(via("false"), who, key, "us-east-1"), []);
        assert.strictEqual(verdict(deny({ Condition: { Bool: { "aws:ViaAWSService": "false" } } })), "yes");
        assert.strictEqual(verdict(deny({ Condition: { Bool: { "aws:ViaAWSService": "true" } } })), "no");
        const allowViaService: AnyStatement = {
            Effect: "Allow",
            Principal: { AWS: who.roleArn },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { Bool: { "aws:ViaAWSService": "true" } },
        };
        assert.strictEqual(keyPolicyLetsRoleDecrypt([allowViaService], who, "us-east-1"), "role");
        const calledVia = {
            ...allowViaService,
            Condition: { "ForAnyValue:StringEquals": { "aws:CalledVia": "s3.amazonaws.com" } },
        };
        assert.strictEqual(keyPolicyLetsRoleDecrypt([calledVia], who, "us-east-1"), undefined, "unknown is not let");
    });

    it("actions and resources: NotAction, other buckets, write actions", () => {
        assert.strictEqual(verdict(deny({ Action: "s3:PutObject" })), "no");
        assert.strictEqual(verdict(deny({ Action: undefined, NotAction: "s3:GetObject" })), "no");
        assert.strictEqual(verdict(deny({ Action: undefined, NotAction: "s3:PutObject" })), "yes");
        assert.strictEqual(verdict(deny({ Resource: "arn:aws:s3:::other/*" })), "no");
        assert.strictEqual(verdict(deny({ Resource: undefined, NotResource: "arn:aws:s3:::media/public/*" })), "yes");
    });

    it("a listing under a granted prefix meets an s3:prefix condition", () => {
        const list: RoleRequest = {
            action: "s3:ListBucket",
            resource: "arn:aws:s3:::media",
            context: { "s3:prefix": "videos/" },
        };
        const onlyPublic = deny({
            Resource: "arn:aws:s3:::media",
            Condition: { StringNotLike: { "s3:prefix": "public/*" } },
        });
        assert.strictEqual(verdict(onlyPublic, list), "yes");
        const videosOk = deny({
            Resource: "arn:aws:s3:::media",
            Condition: { StringNotLike: { "s3:prefix": "videos/*" } },
        });
        assert.strictEqual(verdict(videosOk, list), "no");
    });

    it("a boundary allows, denies, or cannot tell", () => {
        const allowMedia: AnyStatement = { Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::media/*" };
        assert.strictEqual(identityPolicyAllows([allowMedia], getObject, who), "yes");
        assert.strictEqual(
            identityPolicyAllows([{ ...allowMedia, Resource: "arn:aws:s3:::other/*" }], getObject, who),
            "no",
        );
        const denyGet: AnyStatement = { Effect: "Deny", Action: "s3:GetObject", Resource: "*" };
        assert.strictEqual(identityPolicyAllows([allowMedia, denyGet], getObject, who), "no");
        const onlyOrg = { ...allowMedia, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-1" } } };
        assert.strictEqual(identityPolicyAllows([onlyOrg], getObject, who), "unknown");
    });

    it("a key policy delegates to the account, names the role, or neither", () => {
        const root = {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::111122223333:root" },
            Action: "kms:*",
            Resource: "*",
        };
        assert.strictEqual(keyPolicyLetsRoleDecrypt([root], who, "us-east-1"), "account");
        const viaS3 = {
            Effect: "Allow",
            Principal: { AWS: who.roleArn },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
        };
        assert.strictEqual(keyPolicyLetsRoleDecrypt([viaS3], who, "eu-west-1"), "role");
        assert.strictEqual(keyPolicyLetsRoleDecrypt([viaS3], who, "us-east-1"), undefined, "another region's S3");
        const adminOnly = { ...root, Principal: { AWS: "arn:aws:iam::111122223333:role/key-admin" } };
        assert.strictEqual(keyPolicyLetsRoleDecrypt([adminOnly], who, "us-east-1"), undefined);
    });
});

describe("the doctor's documents", () => {
    it("judges a trust policy without ever showing its external ID", () => {
        const secret = "Trust-Secret-0123456789";
        assert.deepStrictEqual(trustPolicyProblems(buildTrustPolicy(secret).Statement, secret), []);
        const problems = trustPolicyProblems(buildTrustPolicy(secret).Statement, "Another-Secret-0123456789");
        assert.deepStrictEqual(problems, [
            "its external ID differs from the stack's (compared by SHA-256; neither is shown)",
        ]);
        const extra = buildTrustPolicy(secret).Statement[0];
        const widened = [{ ...extra, Condition: { ...extra.Condition, IpAddress: { "aws:SourceIp": "1.2.3.4/32" } } }];
        const text = trustPolicyProblems(widened, secret).join(" ");
        assert.strictEqual(text, "it has conditions the stack's has not: IpAddress aws:SourceIp");
        assert.ok(!text.includes(secret));
        const lowercaseKey = [{ ...extra, Condition: { StringEquals: { "sts:externalid": secret } } }];
        assert.deepStrictEqual(trustPolicyProblems(lowercaseKey, secret), [], "condition keys are case-insensitive");
    });

    it("takes a rotation's grace statement as the stack's, judges its principal, and nothing near it", () => {
        const secret = "Trust-Secret-0123456789";
        const until = "2026-12-05T14:00:00Z";
        const rotated = buildTrustPolicy(secret, { externalId: "Previous-Secret-0123456789", until }).Statement;
        assert.deepStrictEqual(trustPolicyProblems(rotated, secret), []);
        assert.match(
            graceNote(rotated, Date.parse(until) - 1),
            /also accepts the previous external ID until 2026-12-05T14:00:00Z/,
        );
        assert.match(graceNote(rotated, Date.parse(until)), /expired at 2026-12-05T14:00:00Z: harmless/);
        assert.strictEqual(graceNote(buildTrustPolicy(secret).Statement), "");
        const otherPrincipal = [rotated[0], { ...rotated[1], Principal: { AWS: "arn:aws:iam::444455556666:root" } }];
        assert.deepStrictEqual(trustPolicyProblems(otherPrincipal, secret), [
            "the grace statement: it trusts arn:aws:iam::444455556666:root, not only Cloudglue's account arn:aws:iam::992382634011:root",
        ]);
        const noDeadline = [rotated[0], buildTrustPolicy("Previous-Secret-0123456789").Statement[0]];
        assert.ok(trustPolicyProblems(noDeadline, secret).includes("it has 2 statements; the stack's has one"));
        const three = [...rotated, rotated[1]];
        assert.ok(trustPolicyProblems(three, secret).includes("it has 3 statements; the stack's has one"));
    });

    it("counts a Service or Federated principal beside Cloudglue's account, and NotAction, as the stack's trust widened", () => {
        const secret = "Trust-Secret-0123456789";
        const stack = buildTrustPolicy(secret).Statement[0];
        const withService = [
            {
                ...stack,
                Principal: {
                    AWS: "arn:aws:iam::992382634011:root",
                    Service: "ec2.amazonaws.com",
                    Federated: "cognito-identity.amazonaws.com",
                },
            },
        ];
        assert.deepStrictEqual(trustPolicyProblems(withService, secret), [
            "it trusts Service ec2.amazonaws.com, Federated cognito-identity.amazonaws.com, " +
                "not only Cloudglue's account arn:aws:iam::992382634011:root",
        ]);
        const notAction = [{ ...stack, NotAction: "iam:*" }];
        assert.strictEqual(trustPolicyProblems(notAction, secret).length, 1);
    });

    it("diffs policies statement by statement, ignoring key order and one-element lists", () => {
        const intended = buildAccessPolicy([{ name: "media" }]).Statement as AnyStatement[];
        const reordered = intended.map((s) => Object.fromEntries(Object.entries(s).reverse()) as AnyStatement);
        assert.deepStrictEqual(diffStatements(reordered, intended), []);
        const live = [{ ...intended[0], Resource: "arn:aws:s3:::media" }];
        assert.deepStrictEqual(diffStatements(live, intended), [
            "~ AllowCrossAccountRoleReadAccess: Resource lacks arn:aws:s3:::media/*",
            `- AllowCrossAccountRoleWriteAccess: missing (the stack grants ${JSON.stringify(intended[1])})`,
        ]);
    });

    it("a cross-account bucket gets one statement, or three for prefixes", () => {
        assert.strictEqual(crossAccountBucketStatements({ name: "b" }, who.roleArn).length, 1);
        const prefixed = crossAccountBucketStatements({ name: "b", prefixes: ["v/"] }, who.roleArn);
        assert.deepStrictEqual(
            prefixed.map((s) => s.Action),
            [["s3:GetBucketLocation"], ["s3:ListBucket"], ["s3:GetObject"]],
        );
    });

    it("breaks a long command with a backslash, and drops control characters from what servers say", () => {
        assert.strictEqual(shellCommand(["aws iam x", "--a b"]), "aws iam x --a b");
        assert.strictEqual(
            shellCommand(["a".repeat(60), "b".repeat(60)]),
            `${"a".repeat(60)} \\\n    ${"b".repeat(60)}`,
        );
        assert.strictEqual(printable("denied\u001b[2J\u0007 by\tS3\nnext"), "denied[2J by\tS3\nnext");
    });

    it("quotes for the shell what is not a plain ARN or id, a quote as '\\''", () => {
        assert.strictEqual(shellQuote("arn:aws:kms:us-east-1:1:key/ab-12"), "arn:aws:kms:us-east-1:1:key/ab-12");
        assert.strictEqual(shellQuote("a/$(x)/it's"), "'a/$(x)/it'\\''s'");
        assert.strictEqual(shellQuote(""), "''");
    });

    it("quotes a value starting with - as one word, unchanged, and tells callers it is no plain argument", () => {
        assert.strictEqual(shellQuote("-rf"), "-rf");
        assert.strictEqual(shellQuote("--secret x"), "'--secret x'");
        for (const flag of ["-rf", "--help", "-", "--"]) {
            assert.strictEqual(isPlainArgument(flag), false, flag);
        }
        for (const odd of ["a b", "$(x)", "it's", "", "a\nb", "x;y"]) {
            assert.strictEqual(isPlainArgument(odd), false, JSON.stringify(odd));
        }
        for (const plain of ["arn:aws:kms:us-east-1:1:key/ab-12", "videos/", "a-b", "0x1F"]) {
            assert.strictEqual(isPlainArgument(plain), true, plain);
        }
    });

    it("quotes for YAML every value that YAML 1.1 or 1.2 would read as other than that string", () => {
        const typed = ["true", "null", "yes", "Off", "y", "N", "NaN", "0x1F", "1e3", "007", "2001-01-01", "~", ""];
        for (const value of [...typed, "-1", ".inf", "1:20", "a b", "x:", "@at", "key: v", "it's"]) {
            const scalar = yamlScalar(value);
            assert.strictEqual(scalar, JSON.stringify(value), `${value} left bare`);
            for (const version of ["1.1", "1.2"] as const) {
                assert.strictEqual(parseYaml(`k: ${scalar}`, { version }).k, value, `${value} in YAML ${version}`);
            }
        }
        for (const value of ["arn:aws:kms:us-east-1:111122223333:key/ab-12", "media", "yesterday", "Nope", "a1"]) {
            assert.strictEqual(yamlScalar(value), value);
            for (const version of ["1.1", "1.2"] as const) {
                assert.strictEqual(parseYaml(`k: ${value}`, { version }).k, value, `${value} in YAML ${version}`);
            }
        }
    });

    it("tells whether a Deny's resource may overlap what the role reads, beyond the sampled key", () => {
        assert.ok(patternsOverlap("arn:aws:s3:::media/private/*", "arn:aws:s3:::media/*"));
        assert.ok(patternsOverlap("arn:aws:s3:::media/*.mov", "arn:aws:s3:::media/videos/*"));
        assert.ok(patternsOverlap("arn:aws:s3:::med?a/x", "arn:aws:s3:::media/*"));
        assert.ok(!patternsOverlap("arn:aws:s3:::other/*", "arn:aws:s3:::media/*"));
        assert.ok(!patternsOverlap("arn:aws:s3:::media/audio/*", "arn:aws:s3:::media/videos/*"));
        const areas = readAreas({ name: "media", prefixes: ["videos/"] });
        const on = (extra: Partial<AnyStatement>) => denyMayOverlap(deny(extra), areas, who).map((a) => a.action);
        assert.deepStrictEqual(on({ Action: "s3:GetObject", Resource: "arn:aws:s3:::media/videos/raw/*" }), [
            "s3:GetObject",
        ]);
        assert.deepStrictEqual(on({ Action: "s3:GetObject", Resource: "arn:aws:s3:::media/audio/*" }), []);
        assert.deepStrictEqual(on({ Action: "s3:PutObject" }), []);
        assert.deepStrictEqual(on({ Condition: { Bool: { "aws:SecureTransport": "false" } } }), []);
        assert.deepStrictEqual(on({ Principal: { AWS: "arn:aws:iam::999988887777:root" } }), []);
        // Unknown to the doctor: a listing's prefix; and a NotResource that leaves part of the grant uncovered.
        assert.deepStrictEqual(
            on({ Resource: "arn:aws:s3:::media", Condition: { StringLike: { "s3:prefix": "videos/x*" } } }),
            ["s3:ListBucket", "s3:GetBucketLocation"],
        );
        assert.deepStrictEqual(on({ Resource: undefined, NotResource: "arn:aws:s3:::media/videos/*" }), [
            "s3:ListBucket",
            "s3:GetBucketLocation",
        ]);
    });
});
