import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { INLINE_POLICY_SIZE_LIMIT } from "../components/constants";
import { buildAccessPolicy, bucketsThatFit, policySize } from "../components/iamDocuments";
import { AWS_PARTITION_REGIONS, parseSettings } from "../components/settings";
import { runProgram } from "../scripts/lib/programRun";
import { expectRefusal } from "./helpers/processes";

interface Case {
    rule: string;
    config: Record<string, string>;
    /** Fragments the message must contain: the key, the value, the rule. */
    says: (string | RegExp)[];
}

const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const buckets = (list: unknown) => ({ "cloudglue:buckets": JSON.stringify(list) });

const cases: Case[] = [
    { rule: "buckets is required", config: {}, says: ["cloudglue:buckets is not set", "pulumi config set --path"] },
    { rule: "an empty list", config: buckets([]), says: ["cloudglue:buckets", "the list is empty"] },
    {
        rule: "a plain string that is not one bucket name",
        config: { "cloudglue:buckets": "my videos, more" },
        says: ["cloudglue:buckets", '"my videos, more" is not a list', "--path"],
    },
    {
        rule: "the hole the CLI leaves of a one-name value when a later entry is set with --path",
        config: { "cloudglue:buckets": '[null,"second-bucket"]' },
        says: ["cloudglue:buckets[0] is empty", "pulumi new", "pulumi config set --path 'cloudglue:buckets[0]'"],
    },
    { rule: "too short", config: buckets(["ab"]), says: ["cloudglue:buckets[0]", '"ab"', "3 to 63 characters"] },
    {
        rule: "too long",
        config: buckets(["a".repeat(64)]),
        says: ["cloudglue:buckets[0]", "3 to 63 characters (this one has 64)"],
    },
    {
        rule: "uppercase",
        config: buckets(["My-Videos"]),
        says: ['"My-Videos"', "lowercase letters, digits, dots and hyphens"],
    },
    { rule: "underscore", config: buckets(["my_videos"]), says: ['"my_videos"', "lowercase letters"] },
    {
        rule: "leading hyphen",
        config: buckets(["-videos"]),
        says: ['"-videos"', "starts and ends with a letter or digit"],
    },
    {
        rule: "trailing dot",
        config: buckets(["videos."]),
        says: ['"videos."', "starts and ends with a letter or digit"],
    },
    { rule: "adjacent dots", config: buckets(["my..videos"]), says: ['"my..videos"', "no two adjacent dots"] },
    { rule: "IP-shaped", config: buckets(["192.168.5.4"]), says: ['"192.168.5.4"', "IP address"] },
    { rule: "xn-- prefix", config: buckets(["xn--videos"]), says: ['"xn--videos"', '"xn--"', "S3 reserves"] },
    { rule: "sthree- prefix", config: buckets(["sthree-videos"]), says: ['"sthree-"'] },
    { rule: "amzn-s3-demo- prefix", config: buckets(["amzn-s3-demo-videos"]), says: ['"amzn-s3-demo-"'] },
    { rule: "-s3alias suffix", config: buckets(["videos-s3alias"]), says: ['"-s3alias"'] },
    { rule: "--ol-s3 suffix", config: buckets(["videos--ol-s3"]), says: ['"--ol-s3"'] },
    { rule: "--x-s3 suffix", config: buckets(["videos--x-s3"]), says: ['"--x-s3"'] },
    { rule: "a wildcard", config: buckets(["acme-*"]), says: ['"acme-*"', "wildcards are not allowed"] },
    { rule: "a bare wildcard", config: buckets(["*"]), says: ['"*"', "wildcards are not allowed"] },
    { rule: "an S3 URI", config: buckets(["s3://my-videos"]), says: ["bare bucket name, not an S3 URI or ARN"] },
    { rule: "an ARN", config: buckets(["arn:aws:s3:::my-videos"]), says: ["bare bucket name"] },
    {
        rule: "Cloudglue's transfer bucket",
        config: buckets(["cloudglue-external-transfer"]),
        says: ["Cloudglue's own transfer bucket"],
    },
    {
        rule: "a duplicate, plain and as an object",
        config: buckets(["my-videos", { name: "my-videos", prefixes: ["a/"] }]),
        says: ["cloudglue:buckets[1]", '"my-videos" is listed twice (also at cloudglue:buckets[0])'],
    },
    { rule: "an item that is a number", config: buckets([42]), says: ["cloudglue:buckets[0]", "42 is neither"] },
    { rule: "an object without a name", config: buckets([{ prefixes: ["a/"] }]), says: ["cloudglue:buckets[0].name"] },
    {
        rule: "an unknown field",
        config: buckets([{ name: "my-videos", prefix: ["a/"] }]),
        says: ["cloudglue:buckets[0].prefix: unknown field", "name, prefixes, kmsKeyArn"],
    },
    {
        rule: "prefixes that are not a list",
        config: buckets([{ name: "my-videos", prefixes: "videos/" }]),
        says: ["cloudglue:buckets[0].prefixes", '"videos/"', "non-empty list"],
    },
    {
        rule: "an empty prefix list",
        config: buckets([{ name: "my-videos", prefixes: [] }]),
        says: ["cloudglue:buckets[0].prefixes", "non-empty list"],
    },
    {
        rule: "an empty prefix",
        config: buckets([{ name: "my-videos", prefixes: [""] }]),
        says: ["cloudglue:buckets[0].prefixes[0]", "non-empty string"],
    },
    {
        rule: "a wildcard prefix",
        config: buckets([{ name: "my-videos", prefixes: ["videos/*"] }]),
        says: ["cloudglue:buckets[0].prefixes[0]", '"videos/*"', "wildcards are not allowed"],
    },
    {
        rule: "a policy variable in a prefix",
        config: buckets([{ name: "my-videos", prefixes: ["${aws:username}/"] }]),
        says: ["cloudglue:buckets[0].prefixes[0]", "policy variable"],
    },
    {
        rule: "a leading slash",
        config: buckets([{ name: "my-videos", prefixes: ["/videos/"] }]),
        says: ['"/videos/"', 'do not start with "/"'],
    },
    {
        rule: "a duplicate prefix",
        config: buckets([{ name: "my-videos", prefixes: ["a/", "a/"] }]),
        says: ["cloudglue:buckets[0].prefixes[1]", "listed twice"],
    },
    {
        rule: "an over-long prefix",
        config: buckets([{ name: "my-videos", prefixes: ["v".repeat(1025)] }]),
        says: ["cloudglue:buckets[0].prefixes[0]", "at most 1024 bytes"],
    },
    {
        rule: "a malformed KMS ARN",
        config: buckets([{ name: "my-videos", kmsKeyArn: "arn:aws:kms:eu-west-1:1111:key/abc" }]),
        says: ["cloudglue:buckets[0].kmsKeyArn", '"arn:aws:kms:eu-west-1:1111:key/abc"', "arn:aws:kms:<region>"],
    },
    {
        rule: "a KMS alias",
        config: buckets([{ name: "my-videos", kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:alias/media" }]),
        says: ["cloudglue:buckets[0].kmsKeyArn", "an alias cannot grant kms:Decrypt"],
    },
    {
        rule: "a KMS wildcard",
        config: buckets([{ name: "my-videos", kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/*" }]),
        says: ["cloudglue:buckets[0].kmsKeyArn", "wildcards are not allowed"],
    },
    {
        rule: "an external ID length out of range",
        config: { ...buckets(["my-videos"]), "cloudglue:externalIdLength": "1225" },
        says: ["cloudglue:externalIdLength", '"1225"', "from 16 to 1224"],
    },
    {
        rule: "an external ID length that could be guessed",
        config: { ...buckets(["my-videos"]), "cloudglue:externalIdLength": "15" },
        says: [
            "cloudglue:externalIdLength",
            '"15"',
            "from 16 to 1224",
            "pulumi config set cloudglue:externalIdLength 48",
        ],
    },
    {
        rule: "an external ID length that is not a number",
        config: { ...buckets(["my-videos"]), "cloudglue:externalIdLength": "long" },
        says: ["cloudglue:externalIdLength", '"long"', "whole number"],
    },
    {
        rule: "a grace window longer than 720 hours",
        config: { ...buckets(["my-videos"]), "cloudglue:externalIdGraceHours": "721" },
        says: ["cloudglue:externalIdGraceHours", '"721"', "whole number of hours from 0 to 720"],
    },
    {
        rule: "a grace window that is not whole hours",
        config: { ...buckets(["my-videos"]), "cloudglue:externalIdGraceHours": "1.5" },
        says: ["cloudglue:externalIdGraceHours", '"1.5"', "whole number of hours from 0 to 720"],
    },
    {
        rule: "a negative grace window",
        config: { ...buckets(["my-videos"]), "cloudglue:externalIdGraceHours": "-1" },
        says: [
            "cloudglue:externalIdGraceHours",
            '"-1"',
            "whole number of hours from 0 to 720",
            "pulumi config set cloudglue:externalIdGraceHours 72",
        ],
    },
    {
        rule: "tags that are not a map",
        config: { ...buckets(["my-videos"]), "cloudglue:tags": '["team"]' },
        says: ["cloudglue:tags", "not a map of tag names to values"],
    },
    {
        rule: "a reserved tag name",
        config: { ...buckets(["my-videos"]), "cloudglue:tags": '{"aws:team":"x"}' },
        says: ["cloudglue:tags.aws:team", 'start with "aws:" are reserved'],
    },
    {
        rule: "a malformed permissions boundary",
        config: { ...buckets(["my-videos"]), "cloudglue:permissionsBoundaryArn": "arn:aws:iam::1:role/x" },
        says: ["cloudglue:permissionsBoundaryArn", '"arn:aws:iam::1:role/x"', "managed policy ARN"],
    },
    {
        rule: "an API URL that is not https",
        config: { ...buckets(["my-videos"]), "cloudglue:apiUrl": "http://api.cloudglue.dev" },
        says: ["cloudglue:apiUrl", '"http://api.cloudglue.dev"', "plain http only to 127.0.0.1, ::1 or localhost"],
    },
    {
        rule: "an API URL to 0.0.0.0, which is not loopback",
        config: { ...buckets(["my-videos"]), "cloudglue:apiUrl": "http://0.0.0.0:8787" },
        says: ["cloudglue:apiUrl", '"http://0.0.0.0:8787"', "plain http only to 127.0.0.1, ::1 or localhost"],
    },
    {
        rule: "an API URL with /v1",
        config: { ...buckets(["my-videos"]), "cloudglue:apiUrl": "https://api.cloudglue.dev/v1" },
        says: ["cloudglue:apiUrl", "ends in /v1"],
    },
    {
        rule: "a propagation timeout that is not a number of seconds",
        config: { ...buckets(["my-videos"]), "cloudglue:propagationTimeoutSeconds": "2m" },
        says: ["cloudglue:propagationTimeoutSeconds", '"2m"', "0 to 3600"],
    },
    {
        rule: "verifyAccess that is not a boolean",
        config: { ...buckets(["my-videos"]), "cloudglue:verifyAccess": "yes" },
        says: ["cloudglue:verifyAccess", '"yes" is not true or false'],
    },
    {
        rule: "a malformed connector id",
        config: { ...buckets(["my-videos"]), "cloudglue:connectorId": "dc 1/2" },
        says: ["cloudglue:connectorId", '"dc 1/2"', "not a Cloudglue connector id"],
    },
    {
        rule: "adoptExistingRole that is not a boolean",
        config: { ...buckets(["my-videos"]), "cloudglue:adoptExistingRole": "1" },
        says: ["cloudglue:adoptExistingRole", '"1" is not true or false'],
    },
    {
        rule: "an existingPolicyName IAM would refuse",
        config: { ...buckets(["my-videos"]), "cloudglue:existingPolicyName": "my policy" },
        says: ["cloudglue:existingPolicyName", '"my policy"', "not an IAM policy name"],
    },
    {
        rule: "a KMS key in a region that does not exist",
        config: buckets([{ name: "my-videos", kmsKeyArn: `arn:aws:kms:eu-wst-1:111122223333:key/${KEY_ID}` }]),
        says: ["cloudglue:buckets[0].kmsKeyArn", 'names the region "eu-wst-1"', "not a region of the aws partition"],
    },
    {
        rule: "a KMS key in another partition's region",
        config: buckets([{ name: "my-videos", kmsKeyArn: `arn:aws:kms:us-gov-west-1:111122223333:key/${KEY_ID}` }]),
        says: ['names the region "us-gov-west-1"', "not a region of the aws partition (af-south-1, "],
    },
    {
        rule: "a near miss of the namespace (letters swapped)",
        config: { ...buckets(["my-videos"]), "cloudgleu:buckets": '["other"]' },
        says: [
            'cloudgleu:buckets: the namespace "cloudgleu" is not "cloudglue", so the program would ignore this setting',
            "did you mean cloudglue:buckets? Move it: pulumi config rm cloudgleu:buckets, then pulumi config set cloudglue:buckets",
        ],
    },
    {
        rule: "a near miss of the namespace (a capital I for an l)",
        config: { ...buckets(["my-videos"]), "cloudgIue:apiKey": "cg-0123456789" },
        says: ['cloudgIue:apiKey: the namespace "cloudgIue"', "pulumi config set --secret cloudglue:apiKey <value>"],
    },
    {
        rule: "a misspelt setting",
        config: { ...buckets(["my-videos"]), "cloudglue:bucket": '["other"]' },
        says: [
            "cloudglue:bucket: unknown setting; did you mean cloudglue:buckets? Move it: pulumi config rm " +
                "cloudglue:bucket, then pulumi config set cloudglue:buckets <value>",
            "cloudglue:buckets, cloudglue:externalId",
        ],
    },
    {
        rule: "a misspelt secret setting (case and a letter off)",
        config: { ...buckets(["my-videos"]), "cloudglue:apikye": "cg-0123456789" },
        says: ["did you mean cloudglue:apiKey?", "pulumi config set --secret cloudglue:apiKey <value>"],
    },
    {
        rule: "a bucket and a prefix written as one path",
        config: buckets(["my-videos", "acme-media-raw/videos/"]),
        says: [
            'cloudglue:buckets[1]: "acme-media-raw/videos/" is a bucket and a key prefix in one',
            '{"name": "acme-media-raw", "prefixes": ["videos/"]} ({name, prefixes})',
            "pulumi config set --path 'cloudglue:buckets[1].name' acme-media-raw and " +
                "pulumi config set --path 'cloudglue:buckets[1].prefixes[0]' videos/",
        ],
    },
];

/** The program's refusal of a raw config, and its message. */
const refusalOf = (config: Record<string, string>, secretKeys: string[] = []) => expectRefusal({ config, secretKeys });

describe("stack config validation", () => {
    for (const c of cases) {
        it(`refuses ${c.rule}, naming key, value and rule, and registers nothing`, async () => {
            const message = await refusalOf(c.config);
            for (const fragment of c.says) {
                if (typeof fragment === "string") {
                    assert.ok(message.includes(fragment), `message lacks ${JSON.stringify(fragment)}:\n${message}`);
                } else {
                    assert.match(message, fragment);
                }
            }
        });
    }

    it("takes one plain bucket name, as pulumi new writes it, as a list of that one bucket", async () => {
        const run = await runProgram({ config: { "cloudglue:buckets": "my-videos" } });
        assert.deepStrictEqual(run.outputs.buckets, ["my-videos"]);
    });

    it("reports every problem of a config at once", async () => {
        const message = await refusalOf(buckets(["Bad_Name", "ok-bucket", "ok-bucket", { name: "x" }]));
        assert.match(message, /3 problems/);
        for (const at of ["[0]", "[2]", "[3].name"]) {
            assert.ok(message.includes(`cloudglue:buckets${at}`), `missing ${at} in:\n${message}`);
        }
    });

    it("describes a bad cloudglue:externalId without echoing the secret", async () => {
        const secret = "has spaces and ! marks";
        const message = await refusalOf({ ...buckets(["my-videos"]), "cloudglue:externalId": secret }, [
            "cloudglue:externalId",
        ]);
        assert.ok(message.includes("cloudglue:externalId"));
        assert.ok(message.includes("characters outside letters, digits and + = , . @ : / -"));
        assert.ok(!message.includes(secret) && !message.includes("spaces"), message);
    });

    it("refuses the API key or the external ID stored in plain text, without echoing them", async () => {
        const message = await refusalOf({
            ...buckets(["my-videos"]),
            "cloudglue:apiKey": "cg-plain-text-key-0123456789",
            "cloudglue:externalId": "Plain.External.Id",
        });
        assert.match(
            message,
            /cloudglue:externalId is stored in plain text .* pulumi config set --secret cloudglue:externalId <value>/,
        );
        assert.match(
            message,
            /cloudglue:apiKey is stored in plain text .* pulumi config set --secret cloudglue:apiKey <value>/,
        );
        assert.ok(!message.includes("cg-plain-text-key-0123456789") && !message.includes("Plain.External.Id"));
    });

    it("refuses a guessable cloudglue:externalId with its length and how to rotate it, not its value", async () => {
        for (const [secret, length] of [
            ["x", 1],
            ["Short.Id-2026:a", 15],
        ] as const) {
            const message = await refusalOf({ ...buckets(["my-videos"]), "cloudglue:externalId": secret }, [
                "cloudglue:externalId",
            ]);
            assert.ok(message.includes(`it has ${length} characters, and the stack needs at least 16`), message);
            assert.ok(message.includes("pulumi config set --secret cloudglue:externalId <id of 16 to 1224"), message);
            assert.ok(message.includes("pulumi config rm cloudglue:externalId"), message);
            assert.ok(!message.includes(secret === "x" ? '"x"' : secret), message);
        }
    });

    it("accepts a 16-character external ID, and the namespaces of other packages", async () => {
        const run = await runProgram({
            config: {
                ...buckets(["my-videos"]),
                "cloudglue:externalId": "Sixteen.Chars=ok",
                "cloudflare:apiToken": "not ours",
                "aws:region": "eu-west-1",
            },
            secretKeys: ["cloudglue:externalId"],
        });
        assert.deepStrictEqual(run.outputs.buckets, ["my-videos"]);
    });

    it("takes cloudglue:externalIdGraceHours as whole hours from 0 to 720, 72 unless set", () => {
        const graceOf = (hours?: string) =>
            parseSettings((key) =>
                key === "buckets" ? '["my-videos"]' : key === "externalIdGraceHours" ? hours : undefined,
            ).externalIdGraceHours;
        assert.strictEqual(graceOf(), 72);
        assert.strictEqual(graceOf("0"), 0);
        assert.strictEqual(graceOf("720"), 720);
        assert.strictEqual(graceOf("24"), 24);
    });

    it("refuses an API URL with user info without echoing it", async () => {
        const message = await refusalOf({
            ...buckets(["my-videos"]),
            "cloudglue:apiUrl": "https://admin:hunter2-pw@api.cloudglue.dev",
        });
        assert.ok(
            message.includes(
                'cloudglue:apiUrl: the URL "https://api.cloudglue.dev/" (user info not shown) is not an API base URL',
            ),
            message,
        );
        assert.ok(message.includes("it has user info (user:password@) in it"), message);
        assert.ok(!message.includes("hunter2-pw"), message);
    });

    it("knows every region of the aws partition that the pinned @pulumi/aws knows", () => {
        // China, GovCloud, the ISO partitions and the European Sovereign Cloud have partitions of their own.
        const otherPartitions = /^(cn-|us-gov-|us-iso|eu-isoe-|eusc-)/;
        const known = Object.values(aws.Region).filter((r) => !otherPartitions.test(r));
        assert.deepStrictEqual([...AWS_PARTITION_REGIONS].sort(), known.sort());
        assert.ok(AWS_PARTITION_REGIONS.includes("us-east-1" as never) && known.length >= 30);
    });
});

describe("the inline-policy size limit", () => {
    const manyBuckets = (n: number) =>
        Array.from({ length: n }, (_, i) => `acme-media-archive-${String(i).padStart(4, "0")}`);

    it("refuses a config over IAM's limit and says how many buckets fit", async () => {
        const names = manyBuckets(200);
        const fit = bucketsThatFit(names.map((name) => ({ name })));
        assert.ok(fit > 50 && fit < 200, `unexpected fit ${fit}`);
        const message = await refusalOf(buckets(names));
        assert.ok(message.includes(`over IAM's limit of ${INLINE_POLICY_SIZE_LIMIT}`), message);
        assert.ok(message.includes(`the first ${fit} buckets of the list fit`), message);
    });

    it("counts exactly: the reported number fits and one more does not", () => {
        const grants = manyBuckets(200).map((name, i) => (i % 3 === 0 ? { name, prefixes: ["videos/"] } : { name }));
        const fit = bucketsThatFit(grants);
        assert.ok(policySize(buildAccessPolicy(grants.slice(0, fit))) <= INLINE_POLICY_SIZE_LIMIT);
        assert.ok(policySize(buildAccessPolicy(grants.slice(0, fit + 1))) > INLINE_POLICY_SIZE_LIMIT);
    });

    it("accepts the largest config that fits", async () => {
        const names = manyBuckets(200);
        const fit = bucketsThatFit(names.map((name) => ({ name })));
        const run = await runProgram({ config: buckets(names.slice(0, fit)) });
        assert.strictEqual((run.outputs.buckets as string[]).length, fit);
    });
});

describe("what a refusal quotes of a value", () => {
    const SECRET_TOKEN = "tok-3f9a1c7e5b2d";
    const notIn = (message: string, ...secrets: string[]) =>
        secrets.forEach((secret) => assert.ok(!message.includes(secret), `the message holds ${secret}:\n${message}`));

    it("shows an API URL without its query, fragment or user info, and says what it left out", async () => {
        const query = await refusalOf({
            ...buckets(["my-videos"]),
            "cloudglue:apiUrl": `https://api.example.com/v1?token=${SECRET_TOKEN}#${SECRET_TOKEN}-frag`,
        });
        assert.ok(
            query.includes(
                'cloudglue:apiUrl: the URL "https://api.example.com/v1" (query, fragment not shown) is not an API base URL',
            ),
            query,
        );
        assert.ok(query.includes("it has a query or fragment"), query);
        notIn(query, SECRET_TOKEN, "token=");
        const userInfo = await refusalOf({
            ...buckets(["my-videos"]),
            "cloudglue:apiUrl": `https://alice-admin:${SECRET_TOKEN}@host.example.com/`,
        });
        assert.ok(userInfo.includes('the URL "https://host.example.com/" (user info not shown)'), userInfo);
        notIn(userInfo, SECRET_TOKEN, "alice-admin");
    });

    it("never quotes a value stored as a secret, only its length, even a URL's host", async () => {
        const url = `https://api.example.com/v1?token=${SECRET_TOKEN}`;
        const message = await refusalOf({ ...buckets(["my-videos"]), "cloudglue:apiUrl": url }, ["cloudglue:apiUrl"]);
        assert.ok(message.includes(`cloudglue:apiUrl: (secret, ${url.length} characters) is not an API base URL`));
        assert.ok(message.includes("it has a query or fragment"), message);
        notIn(message, SECRET_TOKEN, "api.example.com");
        const bucket = "Secret_Project_Bucket";
        const list = await refusalOf(buckets([bucket, { name: "ok-bucket", prefixes: ["*"] }]), ["cloudglue:buckets"]);
        assert.ok(list.includes(`cloudglue:buckets[0]: (secret, ${bucket.length} characters) is not a valid bucket`));
        assert.ok(list.includes("cloudglue:buckets[1].prefixes[0]: (secret, 1 characters) is not a valid prefix"));
        notIn(list, bucket, '"*"');
        const tags = await refusalOf({ ...buckets(["my-videos"]), "cloudglue:tags": '{"project!": "x"}' }, [
            "cloudglue:tags",
        ]);
        assert.ok(tags.includes("cloudglue:tags: (secret, 8 characters) is not a valid tag name"), tags);
        notIn(tags, "project!");
    });

    it("does not echo an API key pasted into cloudglue:apiUrl, and says where it belongs", async () => {
        const key = "cg-live-0123456789abcdef0123";
        for (const value of [key, `${key.slice(0, 7)}:${key.slice(8)}`]) {
            const message = await refusalOf({ ...buckets(["my-videos"]), "cloudglue:apiUrl": value });
            assert.ok(message.includes(`cloudglue:apiUrl: the value (${value.length} characters; not shown`), message);
            assert.ok(
                message.includes("it looks like a Cloudglue API key, which belongs in cloudglue:apiKey"),
                message,
            );
            notIn(message, "0123456789abcdef", "cg-live");
        }
    });

    it("cuts a long value and says its length", async () => {
        const long = "a".repeat(5000);
        const message = await refusalOf(buckets([long]));
        assert.ok(message.includes(`cloudglue:buckets[0]: "${"a".repeat(60)}…" (cut; 5000 characters)`), message);
        assert.ok(message.length < 500, `${message.length} characters`);
    });

    it("refuses a value nested 10,000 deep with the key and the limit, not a RangeError", async () => {
        const deep = "[".repeat(10_000) + "]".repeat(10_000);
        const list = await refusalOf({ "cloudglue:buckets": deep });
        assert.ok(
            list.includes(
                "cloudglue:buckets: the value is nested too deeply: more than 10 levels of lists and objects",
            ),
            list,
        );
        assert.ok(list.includes("the limit is 10"), list);
        const tags = await refusalOf({ ...buckets(["my-videos"]), "cloudglue:tags": `{"team":${deep}}` });
        assert.ok(tags.includes("cloudglue:tags: the value is nested too deeply"), tags);
    });
});

/** The problems parseSettings reports of a raw config (keys without namespace), one a line. */
function refusalOfSettings(config: Record<string, string>, presentKeys: string[] = []): string {
    try {
        parseSettings((k) => config[k], presentKeys);
    } catch (error) {
        return (error as Error).message;
    }
    assert.fail(`parseSettings took ${JSON.stringify(config)}`);
}

describe("the commands a refusal gives to paste", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "pasted-config-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** The arguments pulumi gets of each command pasted into bash, with pulumi a function that prints them. */
    function pasteIntoBash(commands: string[]): string[][] {
        const stub = "pulumi() { printf '%s\\0' \"$@\"; printf '\\n'; }\n";
        const run = spawnSync("bash", ["-c", stub + commands.join("\n")], { cwd: dir, encoding: "utf8" });
        assert.strictEqual(run.status, 0, `bash refused:\n${commands.join("\n")}\n${run.stderr}`);
        return run.stdout
            .split("\n")
            .filter(Boolean)
            .map((line) => line.split("\0").slice(0, -1));
    }

    it("a bucket and a prefix in one, the prefix holding $(...) or a quote: pasting the commands runs nothing", () => {
        const ran = path.join(dir, "ran");
        for (const prefix of [`$(touch ${ran})`, `x';touch ${ran};'`, `\`touch ${ran}\``, `a b"c`]) {
            const message = refusalOfSettings({ buckets: JSON.stringify([`acme-media/${prefix}`]) });
            const pasted = message.slice(message.indexOf("({name, prefixes}): ") + 20).split(" and ");
            assert.strictEqual(pasted.length, 2, message);
            assert.deepStrictEqual(pasteIntoBash(pasted), [
                ["config", "set", "--path", "cloudglue:buckets[0].name", "acme-media"],
                ["config", "set", "--path", "cloudglue:buckets[0].prefixes[0]", `${prefix}/`],
            ]);
            assert.ok(!fs.existsSync(ran), `pasting ran a command:\n${message}`);
        }
    });

    it("a misspelt key holding a quote: pasting the command that removes it runs nothing", () => {
        const message = refusalOfSettings({ buckets: '["my-videos"]' }, ["cloudglue:bucket's"]);
        const rm = /pulumi config rm (.*), then/.exec(message)?.[1];
        assert.deepStrictEqual(pasteIntoBash([`pulumi config rm ${rm}`]), [["config", "rm", "cloudglue:bucket's"]]);
    });

    it("prints a placeholder, not the value, where a paste could not carry it: a flag, a line break, a long one", () => {
        for (const prefix of ["-rf", "--secret", "two\nlines", "v".repeat(100)]) {
            const message = refusalOfSettings({ buckets: JSON.stringify([`acme-media/${prefix}`]) });
            assert.ok(
                message.includes(
                    `'cloudglue:buckets[0].name' acme-media and pulumi config set --path ` +
                        "'cloudglue:buckets[0].prefixes[0]' <prefix>/",
                ),
                message,
            );
            assert.ok(message.includes('{"name": "acme-media", "prefixes": ["<prefix>/"]}'), message);
            assert.ok(!message.slice(message.indexOf("write the entry")).includes(prefix), message);
        }
    });
});

describe("a credential pasted into the wrong setting", () => {
    const apiKey = "cg-live-9f8e7d6c5b4a3f2e1d0cb1a0";
    const externalId = "Xk3+q9Lm=2Rt,Vb7@Wn4Yz8Pq1Hs6Jd0";
    const keyText = `(looks like an API key, ${apiKey.length} characters: not shown; it belongs in cloudglue:apiKey, stored with --secret)`;
    const assertHidden = (message: string, ...values: string[]) => {
        for (const value of values) {
            assert.ok(!message.includes(value), `the message holds ${value}:\n${message}`);
        }
        assert.ok(!/9f8e7d|Xk3|Wn4Yz8/.test(message), message);
    };

    it("is described, never echoed, whichever setting it is in", () => {
        for (const setting of [
            "connectorId",
            "registration",
            "permissionsBoundaryArn",
            "existingPolicyName",
            "verifyAccess",
            "propagationTimeoutSeconds",
            "externalIdLength",
        ]) {
            const message = refusalOfSettings({ buckets: '["my-videos"]', [setting]: `${apiKey}!` });
            assert.ok(
                message.includes(`cloudglue:${setting}: (looks like an API key, ${apiKey.length + 1} characters`),
                message,
            );
            assertHidden(message, apiKey);
        }
        const connector = refusalOfSettings({ buckets: '["my-videos"]', connectorId: apiKey });
        assert.ok(connector.includes(`cloudglue:connectorId: ${keyText} is not a Cloudglue connector id`), connector);
    });

    it("in tag names and values, and in the bucket list, is described, never echoed", () => {
        const tags = refusalOfSettings({
            buckets: '["my-videos"]',
            tags: JSON.stringify({ [`${apiKey}!`]: "x", team: `${apiKey}!`, owner: `${externalId}!` }),
        });
        assert.ok(tags.includes("cloudglue:tags: (looks like an API key"), tags);
        assert.ok(tags.includes("cloudglue:tags.team: (looks like an API key"), tags);
        assert.ok(
            tags.includes(
                `cloudglue:tags.owner: (looks like a random token, ${externalId.length + 1} characters: not shown; ` +
                    "if it is the external ID, it belongs in cloudglue:externalId, stored with --secret)",
            ),
            tags,
        );
        assertHidden(tags, apiKey, externalId);
        for (const list of [
            [externalId],
            [`acme-media/${apiKey}`],
            [{ name: "my-videos", prefixes: [`${externalId}*`] }],
            [{ name: "my-videos", kmsKeyArn: apiKey }],
            `{"name": "${apiKey}"}`,
        ]) {
            const message = refusalOfSettings({ buckets: typeof list === "string" ? list : JSON.stringify(list) });
            assert.ok(/\((holds what )?looks like (an API key|a random token), \d+ characters/.test(message), message);
            assertHidden(message, apiKey, externalId, apiKey.slice(8));
        }
    });

    it("leaves ordinary bucket names, ARNs, tags and prefixes shown", () => {
        const arn = "arn:aws:iam::111122223333:policy/Boundaries/MediaTeamBoundary2024v2";
        const message = refusalOfSettings({
            buckets: JSON.stringify([
                "Acme-Media-Raw-2024-Q3",
                { name: "ok-bucket", prefixes: ["Raw-Footage/2024/ProjectAlpha2024Launch/*"] },
            ]),
            permissionsBoundaryArn: `${arn}!`,
            tags: JSON.stringify({ CostCenter: "CC-1234-Media!" }),
        });
        for (const shown of [
            "Acme-Media-Raw-2024-Q3",
            "Raw-Footage/2024/ProjectAlpha2024Launch/*",
            arn,
            "CC-1234-Media!",
        ]) {
            assert.ok(message.includes(JSON.stringify(shown).slice(0, -1)), `${shown} not shown:\n${message}`);
        }
    });
});
