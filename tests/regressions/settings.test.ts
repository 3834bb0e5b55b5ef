/**
 * Config rules a mutation run showed no test would notice breaking (issue 15). parseSettings is
 * what the program calls on the stack's config before it registers anything; its error is what
 * `pulumi preview` prints. Limits are written here as numbers, never read from the code.
 */
import * as assert from "assert";
import { ConfigValidationError, parseSettings } from "../../components/settings";

type Config = Record<string, string>;
const BASE: Config = { buckets: '["acme-media"]' };

function parse(config: Config) {
    return parseSettings((name) => ({ ...BASE, ...config })[name]);
}

/** The problems the stack's config is refused with; fails the test when it is accepted. */
function problemsOf(config: Config): string[] {
    try {
        parse(config);
    } catch (error) {
        assert.ok(error instanceof ConfigValidationError, String(error));
        return error.problems;
    }
    assert.fail(`config ${JSON.stringify(config)} was accepted`);
}

const accepted = (config: Config) => assert.doesNotThrow(() => parse(config));

describe("config regressions: tags", () => {
    it("accepts the tags it is given, as given", () => {
        const tags = { team: "media", "cost-center": "42", "a b_c.d:e/f=g+h-i@j": "é value" };
        assert.deepStrictEqual(parse({ tags: JSON.stringify(tags) }).tags, tags);
    });

    it("has no tags when none are set", () => {
        assert.deepStrictEqual(parse({}).tags, {});
    });

    for (const raw of ['"team"', "[]", "null", "{not json"]) {
        it(`refuses ${raw}, which is not a map`, () => {
            assert.deepStrictEqual(problemsOf({ tags: raw }), [
                `cloudglue:tags: ${JSON.stringify(raw)} is not a map of tag names to values; ` +
                    "set each tag with: pulumi config set --path 'cloudglue:tags.team' media",
            ]);
        });
    }

    it("accepts 50 tags and refuses 51", () => {
        const many = (n: number) => JSON.stringify(Object.fromEntries([...Array(n).keys()].map((i) => [`t${i}`, "v"])));
        accepted({ tags: many(50) });
        assert.deepStrictEqual(problemsOf({ tags: many(51) }), [
            "cloudglue:tags: 51 tags, and an IAM role takes at most 50",
        ]);
    });

    it("accepts a 128-character name and a 256-character value, and refuses one more of each", () => {
        accepted({ tags: JSON.stringify({ ["n".repeat(128)]: "v".repeat(256) }) });
        const longName = "n".repeat(129);
        assert.deepStrictEqual(problemsOf({ tags: JSON.stringify({ [longName]: "v" }) }), [
            // A name too long to be one is quoted cut, with its length, and not repeated as the path.
            `cloudglue:tags: "${"n".repeat(60)}…" (cut; 129 characters) is not a valid tag name: ` +
                "1 to 128 letters, digits, spaces and _ . : / = + - @",
        ]);
        const longValue = "v".repeat(257);
        assert.deepStrictEqual(problemsOf({ tags: JSON.stringify({ team: longValue }) }), [
            `cloudglue:tags.team: "${"v".repeat(60)}…" (cut; 257 characters) is not a valid tag value: ` +
                "a string of at most 256 letters, digits, spaces and _ . : / = + - @",
        ]);
    });

    it("refuses an empty tag name, and characters IAM does not allow in a name or a value", () => {
        assert.deepStrictEqual(problemsOf({ tags: '{"":"v"}' }), [
            'cloudglue:tags.: "" is not a valid tag name: 1 to 128 letters, digits, spaces and _ . : / = + - @',
        ]);
        assert.deepStrictEqual(problemsOf({ tags: '{"team!":"v"}' }), [
            'cloudglue:tags.team!: "team!" is not a valid tag name: 1 to 128 letters, digits, spaces and _ . : / = + - @',
        ]);
        assert.deepStrictEqual(problemsOf({ tags: '{"team":"a;b"}' }), [
            'cloudglue:tags.team: "a;b" is not a valid tag value: ' +
                "a string of at most 256 letters, digits, spaces and _ . : / = + - @",
        ]);
    });

    it("refuses a value that is not a string, and an empty value is fine", () => {
        assert.deepStrictEqual(problemsOf({ tags: '{"team":7}' }), [
            "cloudglue:tags.team: 7 is not a valid tag value: " +
                "a string of at most 256 letters, digits, spaces and _ . : / = + - @",
        ]);
        accepted({ tags: '{"team":""}' });
    });

    it("refuses names that start with aws: in any case, and allows aws elsewhere in a name", () => {
        assert.deepStrictEqual(problemsOf({ tags: '{"AWS:team":"x"}' }), [
            'cloudglue:tags.AWS:team: tag names that start with "aws:" are reserved by AWS',
        ]);
        accepted({ tags: '{"team-aws:x":"v","aws":"v"}' });
    });
});

describe("config regressions: external ID and its generated length", () => {
    const id = (length: number) => "a".repeat(length);

    it("accepts external IDs of 16 and of 1224 characters", () => {
        assert.strictEqual(parse({ externalId: id(16) }).externalId, id(16));
        assert.strictEqual(parse({ externalId: id(1224) }).externalId, id(1224));
    });

    it("refuses 15 characters and 1225 characters, saying the length and the rule", () => {
        const [short] = problemsOf({ externalId: id(15) });
        assert.ok(
            short.startsWith(
                "cloudglue:externalId: the secret value is not a valid external ID: it has 15 characters, " +
                    "and the stack needs at least 16",
            ),
            short,
        );
        const [long] = problemsOf({ externalId: id(1225) });
        assert.ok(long.includes("it has 1225 characters, and AWS accepts 2 to 1224"), long);
        for (const message of [short, long]) {
            assert.ok(message.includes("<id of 16 to 1224 characters>"), message);
            assert.ok(!message.includes(id(15)), "the value is a secret");
        }
    });

    it("refuses characters outside AWS's set, and an empty ID once, for its length", () => {
        const [bad] = problemsOf({ externalId: `${id(20)}!` });
        assert.ok(bad.includes("it has characters outside letters, digits and + = , . @ : / -"), bad);
        assert.ok(!bad.includes("characters, and"), "a 21-character ID has no length problem");
        const [empty] = problemsOf({ externalId: "" });
        assert.ok(empty.includes("it has 0 characters") && !empty.includes("outside letters"), empty);
        accepted({ externalId: "Az09+=,.@:/-Az09+=,.@:/-" });
    });

    it("generates 48 characters unless set; accepts 16 and 1224; refuses 15, 1225 and what is not a whole number", () => {
        assert.strictEqual(parse({}).externalIdLength, 48);
        assert.strictEqual(parse({ externalIdLength: "16" }).externalIdLength, 16);
        assert.strictEqual(parse({ externalIdLength: "1224" }).externalIdLength, 1224);
        for (const raw of ["15", "1225", "20.5", "-20", "twenty", ""]) {
            assert.deepStrictEqual(problemsOf({ externalIdLength: raw }), [
                `cloudglue:externalIdLength: ${JSON.stringify(raw)} is not a whole number from 16 to 1224: AWS accepts ` +
                    "at most 1224 characters, and a shorter ID than 16 could be guessed by another Cloudglue customer. " +
                    "Set it with: pulumi config set cloudglue:externalIdLength 48 (a new length generates a new ID, " +
                    "which the next pulumi up rotates in)",
            ]);
        }
    });
});

describe("config regressions: propagation timeout", () => {
    it("defaults to 120 seconds, accepts 0 and 3600, and refuses 3601", () => {
        assert.strictEqual(parse({}).propagationTimeoutSeconds, 120);
        assert.strictEqual(parse({ propagationTimeoutSeconds: "0" }).propagationTimeoutSeconds, 0);
        assert.strictEqual(parse({ propagationTimeoutSeconds: "3600" }).propagationTimeoutSeconds, 3600);
        for (const raw of ["3601", "-1", "1.5", "soon"]) {
            assert.deepStrictEqual(problemsOf({ propagationTimeoutSeconds: raw }), [
                `cloudglue:propagationTimeoutSeconds: ${JSON.stringify(raw)} is not a whole number of seconds from 0 to 3600`,
            ]);
        }
    });
});

describe("config regressions: IAM's inline-policy size limit of 10240 characters", () => {
    /**
     * Bucket names of 63 characters, numbered from 0. Each whole bucket adds its ARN and its /* ARN,
     * quoted, with commas: 2 * (2 + 13 + 63) + 2 + 2 = 160 characters; the rest of the document is
     * 362. So 61 buckets make 10122 characters and 62 make 10282; with the 62nd name shortened to
     * 42 characters the policy has exactly 10240 (each character less counts twice), to 43, 10242.
     */
    const names = (n: number, lastLength = 63) =>
        [...Array(n).keys()].map((i) => `b${String(i).padStart(3, "0")}`.padEnd(i === n - 1 ? lastLength : 63, "x"));

    it("accepts a policy of exactly 10240 characters", () => {
        assert.strictEqual(parse({ buckets: JSON.stringify(names(62, 42)) }).buckets.length, 62);
    });

    it("refuses 10242 characters, with the size, the limit and how many fit", () => {
        assert.deepStrictEqual(problemsOf({ buckets: JSON.stringify(names(62, 43)) }), [
            "cloudglue:buckets: the inline policy for these 62 buckets would have 10242 characters, over IAM's limit " +
                "of 10240 for a role's inline policies (whitespace not counted); the first 61 buckets of the list fit. " +
                "Remove buckets or prefixes until the list fits",
        ]);
    });

    it("counts a list whose first 62 buckets make exactly 10240 characters as 62 that fit", () => {
        const [message] = problemsOf({ buckets: JSON.stringify([...names(62, 42), "acme-one-more"]) });
        assert.ok(message.includes("the first 62 buckets of the list fit"), message);
    });

    it("says how many fit when far over the limit", () => {
        const [message] = problemsOf({ buckets: JSON.stringify(names(200)) });
        assert.ok(message.includes("these 200 buckets would have 32362 characters"), message);
        assert.ok(message.includes("the first 61 buckets of the list fit"), message);
    });
});

describe("config regressions: how problems are reported", () => {
    it("says 'a problem' for one and counts two, one per line", () => {
        assert.throws(
            () => parse({ verifyAccess: "yes" }),
            (error: Error) =>
                error.name === "ConfigValidationError" &&
                error.message ===
                    'The stack config has a problem:\n  - cloudglue:verifyAccess: "yes" is not true or false',
        );
        assert.throws(
            () => parse({ verifyAccess: "yes", adoptExistingRole: "no" }),
            (error: Error) =>
                error.message ===
                "The stack config has 2 problems:\n" +
                    '  - cloudglue:verifyAccess: "yes" is not true or false\n' +
                    '  - cloudglue:adoptExistingRole: "no" is not true or false',
        );
    });

    it("reads exclusivePolicies and verifyAccess as set", () => {
        assert.strictEqual(parse({}).exclusivePolicies, true);
        assert.strictEqual(parse({ exclusivePolicies: "false" }).exclusivePolicies, false);
        assert.strictEqual(parse({ verifyAccess: "false" }).verifyAccess, false);
    });

    it("asks for the external ID of an adopted role, once, and not when the given one is refused", () => {
        assert.deepStrictEqual(problemsOf({ adoptExistingRole: "true" }), [
            "cloudglue:adoptExistingRole is true but cloudglue:externalId is not set: an existing role's trust policy " +
                "names the external ID Cloudglue already holds, and the stack must use the same one. Set it with: " +
                "pulumi config set --secret cloudglue:externalId <id> (the CloudFormation stack's ExternalId parameter, " +
                "or the ID entered in Cloudglue's web app)",
        ]);
        const problems = problemsOf({ adoptExistingRole: "true", externalId: "short" });
        assert.strictEqual(problems.length, 1);
        assert.ok(problems[0].startsWith("cloudglue:externalId: the secret value is not a valid external ID"));
    });

    it("checks the policy size only when everything else is valid", () => {
        const big = [...Array(100).keys()].map((i) => `b${String(i).padStart(3, "0")}`.padEnd(63, "x"));
        assert.deepStrictEqual(problemsOf({ buckets: JSON.stringify(big), tags: '{"team":7}' }), [
            "cloudglue:tags.team: 7 is not a valid tag value: " +
                "a string of at most 256 letters, digits, spaces and _ . : / = + - @",
        ]);
    });

    it("ignores a present key without a namespace, which Pulumi never sends, and flags a near-miss namespace", () => {
        const read = (name: string) => BASE[name];
        assert.doesNotThrow(() => parseSettings(read, ["cloudglu"]));
        assert.throws(() => parseSettings(read, ["cloudglu:tags"]), /cloudglu:tags: the namespace "cloudglu" is not/);
    });
});

describe("config regressions: the bucket list", () => {
    const example = "pulumi config set --path 'cloudglue:buckets[0]' my-video-bucket";

    it("says how to set it when it is missing, blank, not a list or empty", () => {
        for (const raw of [undefined, "  "]) {
            assert.deepStrictEqual(
                problemsOf({ buckets: raw as unknown as string }),
                [`cloudglue:buckets is not set; name at least one bucket: ${example}`],
                String(raw),
            );
        }
        // One plain bucket name is a list of one (pulumi new writes it so); other text is not a list.
        accepted({ buckets: "acme-media" });
        assert.deepStrictEqual(problemsOf({ buckets: "acme media" }), [
            `cloudglue:buckets: "acme media" is not a list; set it with --path so that it is one: ${example}`,
        ]);
        assert.deepStrictEqual(problemsOf({ buckets: "[]" }), [
            `cloudglue:buckets: the list is empty; name at least one bucket: ${example}`,
        ]);
    });

    it("names both places of a bucket listed twice", () => {
        assert.deepStrictEqual(problemsOf({ buckets: '["acme-a","acme-b","acme-a"]' }), [
            'cloudglue:buckets[2]: bucket "acme-a" is listed twice (also at cloudglue:buckets[0]); ' +
                "list each bucket once, with all of its prefixes in one entry",
        ]);
    });

    it("refuses an entry that is neither a name nor an object", () => {
        assert.deepStrictEqual(problemsOf({ buckets: "[7]" }), [
            "cloudglue:buckets[0]: 7 is neither a bucket name nor an object {name, prefixes, kmsKeyArn}",
        ]);
    });

    it("does not also call an entry refused for its own fields 'listed twice'", () => {
        for (const entry of [
            { name: "acme-a", extra: 1 },
            { name: "Acme_A" },
            { name: "acme-a", prefixes: [] },
            { name: "acme-a", kmsKeyArn: "alias/x" },
        ]) {
            const problems = problemsOf({ buckets: JSON.stringify([entry, entry]) });
            assert.strictEqual(problems.length, 2, problems.join("\n"));
            assert.ok(!problems.some((p) => p.includes("listed twice")), problems.join("\n"));
        }
    });

    it("says 'lowercase letters' of a name with arn: inside it, and 'bare name' only of one that starts so", () => {
        assert.deepStrictEqual(problemsOf({ buckets: '["acme-arn:videos"]' }), [
            'cloudglue:buckets[0]: "acme-arn:videos" is not a valid bucket name: a bucket name has only lowercase ' +
                "letters, digits, dots and hyphens",
        ]);
    });

    it("takes a KMS key ARN whole: nothing before or after it, and a multi-Region key id of 32 hex digits", () => {
        const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const mrk = "arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef";
        assert.strictEqual(
            parse({ buckets: JSON.stringify([{ name: "acme-a", kmsKeyArn: mrk }]) }).buckets[0].kmsKeyArn,
            mrk,
        );
        for (const bad of [`x${key}`, `${key}/x`, "arn:aws:kms:us-east-1:111122223333:key/mrk-a"]) {
            assert.deepStrictEqual(problemsOf({ buckets: JSON.stringify([{ name: "acme-a", kmsKeyArn: bad }]) }), [
                `cloudglue:buckets[0].kmsKeyArn: ${JSON.stringify(bad)} is not a KMS key ARN: ` +
                    "expected arn:aws:kms:<region>:<12-digit account>:key/<key id>",
            ]);
        }
    });

    it("takes a permissions boundary ARN whole, with or without a path", () => {
        for (const good of [
            "arn:aws:iam::111122223333:policy/Boundary",
            "arn:aws:iam::111122223333:policy/team/media/Boundary",
            "arn:aws:iam::aws:policy/PowerUserAccess",
        ]) {
            assert.strictEqual(parse({ permissionsBoundaryArn: good }).permissionsBoundaryArn, good);
        }
        for (const bad of [
            "xarn:aws:iam::111122223333:policy/Boundary",
            "arn:aws:iam::111122223333:policy/Boundary!",
        ]) {
            assert.deepStrictEqual(problemsOf({ permissionsBoundaryArn: bad }), [
                `cloudglue:permissionsBoundaryArn: ${JSON.stringify(bad)} is not an IAM managed policy ARN: ` +
                    "expected arn:aws:iam::<12-digit account>:policy/<name> or arn:aws:iam::aws:policy/<name>",
            ]);
        }
    });
});

describe("config regressions: bucket names, prefixes and keys at their edges", () => {
    const one = (entry: unknown) => JSON.stringify([entry]);

    it("accepts names of 3 characters, names only partly like an IP address, and refuses reserved suffixes", () => {
        for (const name of ["abc", "x192.168.5.4", "192.168.5.4x"]) {
            assert.deepStrictEqual(parse({ buckets: one(name) }).buckets, [{ name }]);
        }
        for (const suffix of [".mrap", "--table-s3"]) {
            assert.deepStrictEqual(problemsOf({ buckets: one(`videos${suffix}`) }), [
                `cloudglue:buckets[0]: "videos${suffix}" is not a valid bucket name: a bucket name does not end with ` +
                    `"${suffix}", which S3 reserves`,
            ]);
        }
    });

    it("does not also call a refused name, prefix list or key 'listed twice'", () => {
        const key = "arn:aws:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        for (const entry of [
            "Acme_A",
            { name: "acme-a", prefixes: ["videos/*"] },
            { name: "acme-a", kmsKeyArn: key },
            { name: "acme-a", kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/*" },
        ]) {
            const problems = problemsOf({ buckets: JSON.stringify([entry, entry]) });
            assert.strictEqual(problems.length, 2, problems.join("\n"));
            assert.ok(!problems.some((p) => p.includes("listed twice")), problems.join("\n"));
        }
    });

    it("refuses empty and non-string prefixes, control characters, and prefixes over 1024 bytes", () => {
        const says = (prefix: unknown, rule: string, shown = JSON.stringify(prefix)) =>
            assert.deepStrictEqual(problemsOf({ buckets: one({ name: "acme-a", prefixes: [prefix] }) }), [
                `cloudglue:buckets[0].prefixes[0]: ${shown} is not a valid prefix: ${rule}`,
            ]);
        says("", 'a prefix is a non-empty string such as "videos/"');
        says(7, 'a prefix is a non-empty string such as "videos/"');
        says("videos/\u0001", "control characters are not allowed");
        says(
            "é".repeat(512) + "a",
            "an S3 key, and so a prefix, has at most 1024 bytes",
            `"${"é".repeat(60)}…" (cut; 513 characters)`,
        );
        const longest = "é".repeat(512);
        assert.deepStrictEqual(parse({ buckets: one({ name: "acme-a", prefixes: [longest] }) }).buckets, [
            { name: "acme-a", prefixes: [longest] },
        ]);
    });

    it("says which KMS rule a key breaks: the region, an alias, a wildcard", () => {
        const at = "cloudglue:buckets[0].kmsKeyArn";
        const rule = "expected arn:aws:kms:<region>:<12-digit account>:key/<key id>";
        const china = "arn:aws:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const [region] = problemsOf({ buckets: one({ name: "acme-a", kmsKeyArn: china }) });
        assert.ok(
            region.startsWith(`${at}: "${china}" names the region "cn-north-1", which is not a region of the aws`),
        );
        const alias = "arn:aws:kms:eu-west-1:111122223333:alias/media";
        assert.deepStrictEqual(problemsOf({ buckets: one({ name: "acme-a", kmsKeyArn: alias }) }), [
            `${at}: "${alias}" is not a KMS key ARN: an alias cannot grant kms:Decrypt in IAM; use the key's ARN (${rule})`,
        ]);
        const wildcard = "arn:aws:kms:eu-west-1:111122223333:key/*";
        assert.deepStrictEqual(problemsOf({ buckets: one({ name: "acme-a", kmsKeyArn: wildcard }) }), [
            `${at}: "${wildcard}" is not a KMS key ARN: wildcards are not allowed; name the bucket's key (${rule})`,
        ]);
        assert.deepStrictEqual(problemsOf({ buckets: one({ name: "acme-a", kmsKeyArn: 7 }) }), [
            `${at}: 7 is not a KMS key ARN: ${rule}`,
        ]);
    });
});

describe("config regressions: the whole external ID message, and numbers with spaces", () => {
    it("says how to rotate a refused external ID, without its value", () => {
        assert.deepStrictEqual(problemsOf({ externalId: "0123456789abcde" }), [
            "cloudglue:externalId: the secret value is not a valid external ID: it has 15 characters, and the stack " +
                "needs at least 16: the role ARN is predictable, so the external ID's length is what keeps another " +
                "Cloudglue customer from guessing it. Rotate it: pulumi config set --secret cloudglue:externalId " +
                "<id of 16 to 1224 characters>, or pulumi config rm cloudglue:externalId to let the stack generate one " +
                "of cloudglue:externalIdLength characters (48 unless set); the next pulumi up puts the new ID in the " +
                "role's trust policy and gives it to Cloudglue (for a connector made in Cloudglue's web app, enter it " +
                "there too; for a role you adopt, put the new ID in its trust policy and in Cloudglue's web app first)",
        ]);
    });

    it("reads whole numbers with spaces around them", () => {
        assert.strictEqual(parse({ externalIdLength: " 20 " }).externalIdLength, 20);
        assert.strictEqual(parse({ propagationTimeoutSeconds: " 30 " }).propagationTimeoutSeconds, 30);
    });

    it("accepts a one-character tag name", () => {
        assert.deepStrictEqual(parse({ tags: '{"a":"b"}' }).tags, { a: "b" });
    });
});

describe("config regressions: empty strings mean the default", () => {
    it("for the boundary, the API URL, the connector id, the registration and the policy name", () => {
        const settings = parse({
            permissionsBoundaryArn: "",
            apiUrl: "",
            connectorId: "",
            registration: "",
            existingPolicyName: "",
        });
        assert.strictEqual(settings.permissionsBoundaryArn, undefined);
        assert.strictEqual(settings.apiUrl, "https://api.cloudglue.dev");
        assert.strictEqual(settings.connectorId, undefined);
        assert.strictEqual(settings.registration, "web");
        assert.strictEqual(settings.existingPolicyName, "CloudglueExternalS3AccessPolicy");
    });
});

describe("config regressions: API URL, connector id and registration", () => {
    it("refuses a base URL ending in /v1 and keeps one with /v1 inside its path; drops trailing slashes", () => {
        assert.deepStrictEqual(problemsOf({ apiUrl: "https://api.cloudglue.dev/v1/" }), [
            'cloudglue:apiUrl: "https://api.cloudglue.dev/v1/" ends in /v1; give the base URL, such as https://api.cloudglue.dev',
        ]);
        assert.strictEqual(
            parse({ apiUrl: "https://proxy.example.com/v1/cloudglue" }).apiUrl,
            "https://proxy.example.com/v1/cloudglue",
        );
        assert.strictEqual(
            parse({ apiUrl: "https://proxy.example.com/base//" }).apiUrl,
            "https://proxy.example.com/base",
        );
    });

    it("takes a connector id whole and lowercases it", () => {
        const id = "3F1C2B9E-8D7A-4C6B-9E5F-1A2B3C4D5E6F";
        assert.strictEqual(parse({ connectorId: id }).connectorId, id.toLowerCase());
        for (const bad of [`x${id}`, `${id}x`]) {
            assert.deepStrictEqual(problemsOf({ connectorId: bad }), [
                `cloudglue:connectorId: ${JSON.stringify(bad)} is not a Cloudglue connector id (a UUID such as ` +
                    "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f, as shown in Cloudglue's web app)",
            ]);
        }
    });

    it("names the two registration modes", () => {
        assert.strictEqual(parse({ registration: "api" }).registration, "api");
        assert.deepStrictEqual(problemsOf({ registration: "cli" }), [
            'cloudglue:registration: "cli" is not a registration mode: web (the connector is made in Cloudglue\'s web ' +
                "app, then adopted with cloudglue:connectorId; the default) or api (the stack registers it, for an API " +
                "with registration endpoints)",
        ]);
    });
});

describe("config regressions: a namespace one or two keystrokes from cloudglue", () => {
    const flagged = (namespace: string) => {
        try {
            parseSettings((name) => BASE[name], [`${namespace}:tags`]);
            return false;
        } catch (error) {
            return (error as ConfigValidationError).problems.some((p) => p.includes("did you mean cloudglue:tags?"));
        }
    };

    it("flags look-alikes, one or two edits (a swap counts as one), and leaves three edits alone", () => {
        const verdicts = Object.fromEntries(
            [
                "cloudgiue",
                "c1oudg1u1",
                "c000dglue",
                "cloudglu",
                "clouglu",
                "cloudgleu",
                "lcoudgleu",
                "abccloudglue",
                "cloudglueabc",
                "cloudxxxx",
                "aws",
                "glue",
                "culdglue",
                "eclougolue",
                "ludlgxue",
                "louydgluce",
            ].map((n) => [n, flagged(n)]),
        );
        assert.deepStrictEqual(verdicts, {
            cloudgiue: true,
            c1oudg1u1: true,
            c000dglue: true,
            cloudglu: true,
            clouglu: true,
            cloudgleu: true,
            lcoudgleu: true,
            abccloudglue: false,
            cloudglueabc: false,
            cloudxxxx: false,
            aws: false,
            glue: false,
            culdglue: false,
            eclougolue: false,
            ludlgxue: false,
            louydgluce: false,
        });
    });
});

describe("config regressions: the last few rules", () => {
    it("names every rule an external ID breaks, separated by semicolons", () => {
        const [message] = problemsOf({ externalId: "short!" });
        assert.ok(
            message.includes(
                "from guessing it; it has characters outside letters, digits and + = , . @ : / -. Rotate it:",
            ),
            message,
        );
    });

    it("refuses a KMS key given as a list, even of one valid ARN", () => {
        const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        for (const value of [[key], ["*"]]) {
            assert.deepStrictEqual(problemsOf({ buckets: JSON.stringify([{ name: "acme-a", kmsKeyArn: value }]) }), [
                `cloudglue:buckets[0].kmsKeyArn: ${JSON.stringify(value)} is not a KMS key ARN: ` +
                    "expected arn:aws:kms:<region>:<12-digit account>:key/<key id>",
            ]);
        }
    });

    it("names exclusivePolicies when it is not true or false", () => {
        assert.deepStrictEqual(problemsOf({ exclusivePolicies: "yes" }), [
            'cloudglue:exclusivePolicies: "yes" is not true or false',
        ]);
    });

    it("still asks for the adopted role's external ID when another setting is wrong", () => {
        const problems = problemsOf({ adoptExistingRole: "true", verifyAccess: "yes" });
        assert.strictEqual(problems.length, 2, problems.join("\n"));
        assert.ok(problems[1].startsWith("cloudglue:adoptExistingRole is true but cloudglue:externalId is not set"));
    });

    it("refuses null in the bucket list as the hole the CLI leaves of a one-name value, with the command that fills it", () => {
        assert.deepStrictEqual(problemsOf({ buckets: "[null]" }), [
            "cloudglue:buckets[0] is empty: setting a later entry with --path on a cloudglue:buckets of one plain " +
                "name (as pulumi new writes it) makes the CLI drop that name; set it again: " +
                "pulumi config set --path 'cloudglue:buckets[0]' <bucket>",
        ]);
    });
});
