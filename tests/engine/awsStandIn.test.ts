/**
 * The AWS stand-in (engine/providers/aws.ts) over moto_server's IAM: its provider object driven as
 * the SDK's server drives it (the wire forms of secrets and unknowns in, the raw results out), and
 * once as the plugin process the engine starts, over gRPC.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import {
    AttachRolePolicyCommand,
    CreateRoleCommand,
    DeleteRolePolicyCommand,
    GetPolicyVersionCommand,
    GetPolicyVersionCommandOutput,
    GetRoleCommand,
    GetRolePolicyCommand,
    IAMClient,
    ListAttachedRolePoliciesCommand,
    ListRolePoliciesCommand,
    PutRolePolicyCommand,
    UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { INLINE_POLICY_NAME, MAX_SESSION_DURATION_SECONDS, ROLE_NAME } from "../../components/constants";
import { buildAccessPolicy, buildTrustPolicy } from "../../components/iamDocuments";
import { AWS_VERSION, AwsStandIn } from "../../engine/providers/aws";
import {
    GET_ROLE,
    GET_ROLE_POLICIES,
    GET_ROLE_POLICY_ATTACHMENTS,
    iamSettings,
    POLICY,
    regionOfConfigure,
    ROLE,
    ROLE_POLICIES_EXCLUSIVE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    sameDocument,
} from "../../engine/providers/awsResources";
import { isSecret, Props, reveal, secret } from "../../engine/providers/launch";
import { Message, PluginProcess, toStruct } from "../../scripts/lib/pluginProcess";
import {
    MOTO_ACCOUNT_ID,
    MOTO_INSTALL_HINT,
    motoClientConfig,
    MotoServer,
    motoServerPath,
    skipOrFail,
    startMoto,
} from "../helpers/moto";

/* eslint-disable @typescript-eslint/no-require-imports */
const providerPb = require("@pulumi/pulumi/proto/provider_pb");
const { ResourceProviderClient } = require("@pulumi/pulumi/proto/provider_grpc_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const urnOf = (type: string, name: string) =>
    `urn:pulumi:dev::cloudglue-s3-connector::cloudglue:aws:S3AccessRole$${type}::${name}`;
const ROLE_URN = urnOf(ROLE, "cloudglue-s3-access-role");
const POLICY_URN = urnOf(ROLE_POLICY, "cloudglue-s3-access-policy");
const INLINE_URN = urnOf(ROLE_POLICIES_EXCLUSIVE, "cloudglue-s3-access-inline-policies");
const MANAGED_URN = urnOf(ROLE_POLICY_ATTACHMENTS_EXCLUSIVE, "cloudglue-s3-access-managed-policies");
const ATTACHMENT_URN = urnOf(ROLE_POLICY_ATTACHMENT, "admin");
const MANAGED_POLICY_URN = urnOf(POLICY, "extra");

const EXTERNAL_ID = "Stand-In-External-Id-+=,.@:/-0123456789";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const DESCRIPTION = "IAM role for Cloudglue external S3 access with cross-account permissions";
const TRUST = JSON.stringify(buildTrustPolicy(EXTERNAL_ID));
const ACCESS = JSON.stringify(buildAccessPolicy([{ name: "acme-videos" }]));
const OTHER_ACCESS = JSON.stringify(buildAccessPolicy([{ name: "acme-videos" }, { name: "acme-trailers" }]));
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The role's inputs as components/s3AccessRole.ts sends them: the trust policy a secret. */
const roleInputs = (extra: Props = {}): Props => ({
    name: ROLE_NAME,
    description: DESCRIPTION,
    assumeRolePolicy: secret(TRUST),
    maxSessionDuration: MAX_SESSION_DURATION_SECONDS,
    ...extra,
});
const policyInputs = (policy = ACCESS): Props => ({ name: INLINE_POLICY_NAME, role: ROLE_NAME, policy });

/** A document with the same meaning as the text: other key order, other whitespace. */
const reformatted = (document: string): string => {
    const reverse = (value: unknown): unknown =>
        Array.isArray(value)
            ? value.map(reverse)
            : typeof value === "object" && value !== null
              ? Object.fromEntries(
                    Object.entries(value)
                        .reverse()
                        .map(([k, v]) => [k, reverse(v)]),
                )
              : value;
    return JSON.stringify(reverse(JSON.parse(document)), null, 2);
};

describe("AWS stand-in provider (engine/providers/aws.ts)", function () {
    let moto: MotoServer;
    let iam: IAMClient;
    let aws: AwsStandIn;

    before(async function () {
        if (!motoServerPath()) {
            skipOrFail(this, MOTO_INSTALL_HINT);
        }
        // AWS's managed policies (AdministratorAccess, ...) exist in moto only when it is asked to load them.
        moto = await startMoto({ loadManagedPolicies: true });
        iam = new IAMClient(motoClientConfig(moto.endpoint));
        aws = new AwsStandIn({ AWS_ENDPOINT_URL: moto.endpoint });
    });
    beforeEach(() => moto?.reset());
    after(async () => {
        iam?.destroy();
        await moto?.stop();
    });

    /** Check then create, as the engine does. */
    async function create(urn: string, inputs: Props) {
        const checked = await aws.check(urn, {}, inputs);
        assert.deepStrictEqual(checked.failures, []);
        return aws.create(urn, checked.inputs);
    }

    const inlineNames = async (role = ROLE_NAME) =>
        (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
    const attachedArns = async (role = ROLE_NAME) =>
        ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? []).map(
            (p) => p.PolicyArn,
        );
    const roleInIam = async (role = ROLE_NAME) => (await iam.send(new GetRoleCommand({ RoleName: role }))).Role!;

    it("reports the @pulumi/aws version of package-lock.json, which the engine asks the plugin for", () => {
        const lock = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package-lock.json"), "utf8"));
        assert.strictEqual(aws.version, "7.48.0");
        assert.strictEqual(AWS_VERSION, lock.packages["node_modules/@pulumi/aws"].version);
    });

    describe("the emulator it talks to", () => {
        it("refuses every operation without AWS_ENDPOINT_URL, saying it talks only to an emulator", async () => {
            const unset = new AwsStandIn({ AWS_REGION: "us-east-1" });
            const expected =
                /talks only to an AWS emulator and needs AWS_ENDPOINT_URL, e\.g\. http:\/\/127\.0\.0\.1:5000 for moto_server/;
            await assert.rejects(unset.check(ROLE_URN, {}, roleInputs()), expected);
            await assert.rejects(unset.diff(ROLE_NAME, ROLE_URN, roleInputs(), roleInputs()), expected);
            await assert.rejects(unset.create(ROLE_URN, roleInputs()), expected);
            await assert.rejects(unset.read(ROLE_NAME, ROLE_URN, {}), expected);
            await assert.rejects(unset.update(ROLE_NAME, ROLE_URN, roleInputs(), roleInputs()), expected);
            await assert.rejects(unset.delete(ROLE_NAME, ROLE_URN, {}), expected);
            await assert.rejects(unset.invoke(GET_ROLE, { name: ROLE_NAME }), expected);
        });

        it("refuses an AWS_ENDPOINT_URL of AWS itself, and one that is not an http URL", () => {
            for (const endpoint of ["https://iam.amazonaws.com", "https://iam.cn-north-1.amazonaws.com.cn"]) {
                assert.throws(() => iamSettings({ AWS_ENDPOINT_URL: endpoint }), /which is AWS itself/);
            }
            assert.throws(() => iamSettings({ AWS_ENDPOINT_URL: "127.0.0.1:5000" }), /http or https URL|not a URL/);
            assert.throws(() => iamSettings({ AWS_ENDPOINT_URL: "not a url" }), /not a URL/);
        });

        it("takes the region from aws:region, else AWS_REGION, else us-east-1; dummy credentials unless given", () => {
            const endpoint = "http://127.0.0.1:5000";
            assert.strictEqual(
                iamSettings({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: "eu-west-1" }, "ap-south-1").region,
                "ap-south-1",
            );
            assert.strictEqual(
                iamSettings({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: "eu-west-1" }).region,
                "eu-west-1",
            );
            assert.deepStrictEqual(iamSettings({ AWS_ENDPOINT_URL: endpoint }), {
                endpoint,
                region: "us-east-1",
                credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
            });
            const given = iamSettings({
                AWS_ENDPOINT_URL: endpoint,
                AWS_ACCESS_KEY_ID: "AKID",
                AWS_SECRET_ACCESS_KEY: "SK",
            });
            assert.deepStrictEqual(given.credentials, { accessKeyId: "AKID", secretAccessKey: "SK" });
        });

        it("reads aws:region from Configure's args, or from its variables as older engines send it", () => {
            const none = new Map<string, string>();
            assert.strictEqual(regionOfConfigure(none, { region: "eu-west-3" }), "eu-west-3");
            assert.strictEqual(regionOfConfigure(none, { region: secret("eu-west-3") }), "eu-west-3");
            assert.strictEqual(regionOfConfigure(new Map([["aws:config:region", "eu-north-1"]]), {}), "eu-north-1");
            assert.strictEqual(regionOfConfigure(none, undefined), undefined);
        });
    });

    describe("refusals of what it does not serve", () => {
        const served = /it serves only: aws:iam\/role:Role, .*aws:iam\/getRole:getRole/;

        it("refuses another resource type at check already, so that a preview stops, naming the token", async () => {
            const bucket = urnOf("aws:s3/bucket:Bucket", "b");
            for (const attempt of [
                aws.check(bucket, {}, { bucket: "b" }),
                aws.diff("b", bucket, {}, {}),
                aws.create(bucket, { bucket: "b" }),
                aws.read("b", bucket, {}),
                aws.update("b", bucket, {}, {}),
                aws.delete("b", bucket, {}),
            ]) {
                await assert.rejects(attempt, (error: Error) => {
                    assert.match(
                        error.message,
                        /engine\/providers\/aws\.ts\) does not implement aws:s3\/bucket:Bucket;/,
                    );
                    assert.match(error.message, served);
                    return true;
                });
            }
        });

        it("refuses another function, method or component by its token", async () => {
            await assert.rejects(
                aws.invoke("aws:s3/getBucket:getBucket", { bucket: "b" }),
                /does not implement aws:s3\/getBucket:getBucket;/,
            );
            await assert.rejects(aws.call("aws:iam/role:Role/m"), /does not implement aws:iam\/role:Role\/m;/);
            await assert.rejects(aws.construct("c", "aws:x:Component"), /does not implement aws:x:Component;/);
        });

        it("fails check on an input of a served type that it does not implement, and on broken ones, never quoting a value", async () => {
            const { failures } = await aws.check(
                ROLE_URN,
                {},
                {
                    name: "bad name!",
                    assumeRolePolicy: secret(`{"Statement": "${EXTERNAL_ID}"`),
                    maxSessionDuration: 60,
                    inlinePolicies: [{ name: "x", policy: "{}" }],
                    tags: { team: 7 },
                },
            );
            const byProperty = Object.fromEntries((failures ?? []).map((f) => [f.property, f.reason]));
            assert.deepStrictEqual(Object.keys(byProperty).sort(), [
                "assumeRolePolicy",
                "inlinePolicies",
                "maxSessionDuration",
                "name",
                "tags",
            ]);
            assert.match(
                byProperty.inlinePolicies,
                /inlinePolicies is an input of aws:iam\/role:Role that .* does not implement; it takes only name, namePrefix, path/,
            );
            assert.match(byProperty.assumeRolePolicy, /not valid JSON/);
            assert.match(byProperty.maxSessionDuration, /3600 to 43200/);
            assert.ok(!JSON.stringify(failures).includes(EXTERNAL_ID), "no failure quotes the secret");
            assert.deepStrictEqual((await aws.check(ROLE_URN, {}, { name: ROLE_NAME })).failures, [
                { property: "assumeRolePolicy", reason: "assumeRolePolicy is required" },
            ]);
        });
    });

    describe(ROLE, () => {
        it("checks the program's inputs without a failure and returns them as they came, the secret still wrapped", async () => {
            const checked = await aws.check(ROLE_URN, {}, roleInputs());
            assert.deepStrictEqual(checked, { inputs: roleInputs(), failures: [] });
            const preview = await aws.check(ROLE_URN, {}, roleInputs({ assumeRolePolicy: unknownValue }));
            assert.deepStrictEqual(preview.failures, [], "an unknown is checked once it is known");
        });

        it("names a role without a name as pulumi-aws does, and keeps that name on the next check", async () => {
            const first = await aws.check(ROLE_URN, {}, { assumeRolePolicy: TRUST });
            assert.match(first.inputs.name, /^cloudglue-s3-access-role-[0-9a-f]{7}$/);
            const again = await aws.check(ROLE_URN, first.inputs, { assumeRolePolicy: TRUST });
            assert.strictEqual(again.inputs.name, first.inputs.name);
            const prefixed = await aws.check(ROLE_URN, {}, { namePrefix: "cg-", assumeRolePolicy: TRUST });
            assert.match(prefixed.inputs.name, /^cg-[0-9a-f]{26}$/);
            assert.deepStrictEqual([first.failures, again.failures, prefixed.failures], [[], [], []]);
            const both = await aws.check(ROLE_URN, {}, { name: "a", namePrefix: "cg-", assumeRolePolicy: TRUST });
            assert.deepStrictEqual(both.failures, [
                { property: "namePrefix", reason: "name and namePrefix cannot both be given" },
            ]);
        });

        it("creates the role in IAM with every input, and outputs them with arn, uniqueId, id, tagsAll and createDate", async () => {
            const inputs = roleInputs({ tags: { team: "data" }, permissionsBoundary: READ_ONLY });
            const { id, outs } = await create(ROLE_URN, inputs);
            assert.strictEqual(id, ROLE_NAME);
            assert.ok(isSecret(outs.assumeRolePolicy), "the trust policy stays a secret in the state");
            assert.strictEqual(outs.arn, `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${ROLE_NAME}`);
            assert.match(outs.uniqueId, /^AROA[A-Z0-9]+$/);
            assert.match(outs.createDate, RFC3339);
            assert.deepStrictEqual(
                { ...outs, uniqueId: "", createDate: "" },
                {
                    ...inputs,
                    id: ROLE_NAME,
                    arn: outs.arn,
                    uniqueId: "",
                    createDate: "",
                    tagsAll: { team: "data" },
                },
            );

            const held = await roleInIam();
            assert.strictEqual(decodeURIComponent(held.AssumeRolePolicyDocument!), TRUST);
            assert.strictEqual(held.Description, DESCRIPTION);
            assert.strictEqual(held.MaxSessionDuration, MAX_SESSION_DURATION_SECONDS);
            assert.strictEqual(held.PermissionsBoundary?.PermissionsBoundaryArn, READ_ONLY);
            assert.deepStrictEqual(held.Tags, [{ Key: "team", Value: "data" }]);
        });

        it("finds no change in the same inputs, in a reformatted document, or in absent inputs IAM defaults", async () => {
            const { outs } = await create(ROLE_URN, roleInputs());
            assert.deepStrictEqual(await aws.diff(ROLE_NAME, ROLE_URN, outs, roleInputs()), {
                changes: false,
                replaces: [],
                deleteBeforeReplace: false,
            });
            const same = roleInputs({
                assumeRolePolicy: reformatted(TRUST),
                path: "/",
                tags: {},
                permissionsBoundary: "",
            });
            assert.strictEqual((await aws.diff(ROLE_NAME, ROLE_URN, outs, same)).changes, false);
        });

        it("reports changes in place, a new name as a replacement, and an unknown (preview) as a change", async () => {
            const { outs } = await create(ROLE_URN, roleInputs());
            const diff = (news: Props) => aws.diff(ROLE_NAME, ROLE_URN, outs, news);
            assert.deepStrictEqual(await diff(roleInputs({ description: "other" })), {
                changes: true,
                replaces: [],
                deleteBeforeReplace: false,
            });
            const otherTrust = secret(JSON.stringify(buildTrustPolicy("Another-External-Id-000")));
            assert.deepStrictEqual((await diff(roleInputs({ assumeRolePolicy: otherTrust }))).replaces, []);
            assert.strictEqual((await diff(roleInputs({ maxSessionDuration: 7200 }))).changes, true);
            assert.strictEqual((await diff(roleInputs({ tags: { team: "data" } }))).changes, true);
            assert.deepStrictEqual((await diff(roleInputs({ name: "renamed" }))).replaces, ["name"]);
            assert.deepStrictEqual((await diff(roleInputs({ path: "/cloudglue/" }))).replaces, ["path"]);
            const unknown = await diff(roleInputs({ assumeRolePolicy: unknownValue }));
            assert.deepStrictEqual([unknown.changes, unknown.replaces], [true, []]);
            assert.deepStrictEqual((await diff(roleInputs({ name: unknownValue }))).replaces, ["name"]);
        });

        it("updates the trust policy, description, session duration, boundary and tags in place", async () => {
            const { outs } = await create(ROLE_URN, roleInputs({ tags: { team: "data", old: "x" } }));
            const newTrust = JSON.stringify(buildTrustPolicy("Rotated-External-Id-111"));
            const news = roleInputs({
                description: "changed",
                assumeRolePolicy: secret(newTrust),
                maxSessionDuration: 7200,
                permissionsBoundary: READ_ONLY,
                tags: { team: "video" },
            });
            const updated = await aws.update(ROLE_NAME, ROLE_URN, outs, news);
            let held = await roleInIam();
            assert.strictEqual(decodeURIComponent(held.AssumeRolePolicyDocument!), newTrust);
            assert.strictEqual(held.Description, "changed");
            assert.strictEqual(held.MaxSessionDuration, 7200);
            assert.strictEqual(held.PermissionsBoundary?.PermissionsBoundaryArn, READ_ONLY);
            assert.deepStrictEqual(held.Tags, [{ Key: "team", Value: "video" }]);
            assert.ok(isSecret(updated.outs.assumeRolePolicy));
            assert.deepStrictEqual(updated.outs.tagsAll, { team: "video" });
            assert.strictEqual(updated.outs.arn, outs.arn);
            assert.strictEqual((await aws.diff(ROLE_NAME, ROLE_URN, updated.outs, news)).changes, false);

            // Left out again: the boundary removed, the tags none, the description empty.
            await aws.update(ROLE_NAME, ROLE_URN, updated.outs, roleInputs({ description: undefined }));
            held = await roleInIam();
            assert.strictEqual(held.PermissionsBoundary, undefined);
            assert.deepStrictEqual(held.Tags ?? [], []);
            assert.ok(!held.Description);
            assert.strictEqual(held.MaxSessionDuration, MAX_SESSION_DURATION_SECONDS);
        });

        it("refuses to update what only a replacement can change", async () => {
            const { outs } = await create(ROLE_URN, roleInputs());
            await assert.rejects(
                aws.update(ROLE_NAME, ROLE_URN, outs, roleInputs({ name: "renamed" })),
                /cannot change name in place/,
            );
        });

        it("reads a change made outside the stack on refresh, the trust policy still secret, as a diff", async () => {
            const { outs } = await create(ROLE_URN, roleInputs());
            await iam.send(new UpdateRoleCommand({ RoleName: ROLE_NAME, Description: "edited in the console" }));
            const read = await aws.read(ROLE_NAME, ROLE_URN, outs);
            assert.strictEqual(read.id, ROLE_NAME);
            assert.strictEqual(read.props.description, "edited in the console");
            assert.ok(isSecret(read.props.assumeRolePolicy) && isSecret(read.inputs.assumeRolePolicy));
            assert.strictEqual(
                reveal(read.props.assumeRolePolicy),
                TRUST,
                "the state's text where IAM's says the same",
            );
            assert.deepStrictEqual(await aws.diff(ROLE_NAME, ROLE_URN, read.props, roleInputs()), {
                changes: true,
                replaces: [],
                deleteBeforeReplace: false,
            });
            const unchanged = await aws.read(
                ROLE_NAME,
                ROLE_URN,
                (await aws.update(ROLE_NAME, ROLE_URN, read.props, roleInputs())).outs,
            );
            assert.strictEqual((await aws.diff(ROLE_NAME, ROLE_URN, unchanged.props, roleInputs())).changes, false);
        });

        it("reads on refresh the inputs the state had, neither adding IAM's defaults nor dropping empty ones", async () => {
            // The engine shows a refresh's change of inputs: `+path` or `-tags` would be noise on every up.
            for (const inputs of [roleInputs(), roleInputs({ tags: {}, description: "", path: "/" })]) {
                const { outs } = await create(ROLE_URN, inputs);
                const read = await aws.read(ROLE_NAME, ROLE_URN, outs);
                assert.deepStrictEqual(read.inputs, inputs);
                await aws.delete(ROLE_NAME, ROLE_URN, outs);
            }
        });

        it("imports an existing role by its name: the inputs read are the program's, so the import diff is none", async () => {
            await iam.send(
                new CreateRoleCommand({
                    RoleName: ROLE_NAME,
                    AssumeRolePolicyDocument: TRUST,
                    Description: DESCRIPTION,
                    MaxSessionDuration: MAX_SESSION_DURATION_SECONDS,
                }),
            );
            const read = await aws.read(ROLE_NAME, ROLE_URN, {});
            assert.strictEqual(read.id, ROLE_NAME);
            assert.deepStrictEqual(reveal(read.inputs), reveal(roleInputs()));
            assert.ok(isSecret(read.inputs.assumeRolePolicy), "secret even with no state to take it from");
            assert.strictEqual((await aws.diff(ROLE_NAME, ROLE_URN, read.props, roleInputs())).changes, false);
            assert.strictEqual(read.props.arn, `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${ROLE_NAME}`);
        });

        it("reads a role deleted outside the stack as gone (empty id), so that refresh drops it", async () => {
            assert.deepStrictEqual(await aws.read(ROLE_NAME, ROLE_URN, roleInputs()), { id: "", props: {} });
        });

        it("deletes the role; a role already gone is no failure; IAM's DeleteConflict comes through by name", async () => {
            await create(ROLE_URN, roleInputs());
            await iam.send(
                new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: "extra", PolicyDocument: ACCESS }),
            );
            await assert.rejects(aws.delete(ROLE_NAME, ROLE_URN, {}), (error: Error) => {
                assert.match(
                    error.message,
                    new RegExp(
                        `deleting the IAM role ${ROLE_NAME} failed at the emulator http://127\\.0\\.0\\.1:\\d+: DeleteConflict:`,
                    ),
                );
                return true;
            });
            await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: "extra" }));
            await aws.delete(ROLE_NAME, ROLE_URN, {});
            await assert.rejects(roleInIam(), /not found/);
            await aws.delete(ROLE_NAME, ROLE_URN, {});
        });
    });

    describe(ROLE_POLICY, () => {
        beforeEach(() => create(ROLE_URN, roleInputs()));
        const id = `${ROLE_NAME}:${INLINE_POLICY_NAME}`;

        it("puts the inline policy, with the real provider's id role:name, and finds no change after", async () => {
            const { id: made, outs } = await create(POLICY_URN, policyInputs());
            assert.strictEqual(made, id);
            assert.deepStrictEqual(outs, { ...policyInputs(), id });
            const held = await iam.send(
                new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: INLINE_POLICY_NAME }),
            );
            assert.strictEqual(decodeURIComponent(held.PolicyDocument!), ACCESS);
            assert.strictEqual(
                (await aws.diff(id, POLICY_URN, outs, policyInputs(reformatted(ACCESS)))).changes,
                false,
            );
        });

        it("updates the document in place; a new name or role replaces it", async () => {
            const { outs } = await create(POLICY_URN, policyInputs());
            assert.deepStrictEqual(await aws.diff(id, POLICY_URN, outs, policyInputs(OTHER_ACCESS)), {
                changes: true,
                replaces: [],
                deleteBeforeReplace: false,
            });
            await aws.update(id, POLICY_URN, outs, policyInputs(OTHER_ACCESS));
            const held = await iam.send(
                new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: INLINE_POLICY_NAME }),
            );
            assert.strictEqual(decodeURIComponent(held.PolicyDocument!), OTHER_ACCESS);
            assert.deepStrictEqual(
                (await aws.diff(id, POLICY_URN, outs, { ...policyInputs(), name: "Other" })).replaces,
                ["name"],
            );
            assert.deepStrictEqual(
                (await aws.diff(id, POLICY_URN, outs, { ...policyInputs(), role: "other-role" })).replaces,
                ["role"],
            );
        });

        it("imports by role:name with the program's inputs, reads a deleted one as gone, and refuses another id form", async () => {
            await iam.send(
                new PutRolePolicyCommand({
                    RoleName: ROLE_NAME,
                    PolicyName: INLINE_POLICY_NAME,
                    PolicyDocument: ACCESS,
                }),
            );
            const read = await aws.read(id, POLICY_URN, {});
            assert.deepStrictEqual(read.inputs, policyInputs());
            assert.strictEqual((await aws.diff(id, POLICY_URN, read.props, policyInputs())).changes, false);
            await aws.delete(id, POLICY_URN, read.props);
            assert.deepStrictEqual(await inlineNames(), []);
            assert.deepStrictEqual(await aws.read(id, POLICY_URN, read.props), { id: "", props: {} });
            await aws.delete(id, POLICY_URN, read.props);
            await assert.rejects(aws.read(INLINE_POLICY_NAME, POLICY_URN, {}), /is ROLE_NAME:POLICY_NAME/);
        });
    });

    describe(ROLE_POLICIES_EXCLUSIVE, () => {
        const inputs = { roleName: ROLE_NAME, policyNames: [INLINE_POLICY_NAME] };
        beforeEach(async () => {
            await create(ROLE_URN, roleInputs());
            await create(POLICY_URN, policyInputs());
        });

        it("deletes every inline policy the list does not name on create, and leaves them all on delete", async () => {
            await iam.send(
                new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: "console-added", PolicyDocument: ACCESS }),
            );
            const { id, outs } = await create(INLINE_URN, inputs);
            assert.strictEqual(id, ROLE_NAME);
            assert.deepStrictEqual(outs, { ...inputs, id: ROLE_NAME });
            assert.deepStrictEqual(await inlineNames(), [INLINE_POLICY_NAME]);
            await aws.delete(id, INLINE_URN, outs);
            assert.deepStrictEqual(await inlineNames(), [INLINE_POLICY_NAME]);
        });

        it("shows a policy added outside the stack after refresh as a diff, and removes it on update", async () => {
            const { outs } = await create(INLINE_URN, inputs);
            assert.strictEqual((await aws.diff(ROLE_NAME, INLINE_URN, outs, inputs)).changes, false);
            await iam.send(
                new PutRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: "console-added", PolicyDocument: ACCESS }),
            );
            const read = await aws.read(ROLE_NAME, INLINE_URN, outs);
            assert.deepStrictEqual([...(read.props.policyNames as string[])].sort(), [
                "CloudglueExternalS3AccessPolicy",
                "console-added",
            ]);
            assert.deepStrictEqual(await aws.diff(ROLE_NAME, INLINE_URN, read.props, inputs), {
                changes: true,
                replaces: [],
                deleteBeforeReplace: false,
            });
            await aws.update(ROLE_NAME, INLINE_URN, read.props, inputs);
            assert.deepStrictEqual(await inlineNames(), [INLINE_POLICY_NAME]);
        });

        it("takes the names as a set, replaces on another role, and reads a deleted role as gone", async () => {
            const { outs } = await create(INLINE_URN, { roleName: ROLE_NAME, policyNames: ["b", "a"] });
            assert.strictEqual(
                (await aws.diff(ROLE_NAME, INLINE_URN, outs, { roleName: ROLE_NAME, policyNames: ["a", "b"] })).changes,
                false,
            );
            assert.deepStrictEqual(
                (await aws.diff(ROLE_NAME, INLINE_URN, outs, { ...outs, roleName: "other" })).replaces,
                ["roleName"],
            );
            assert.deepStrictEqual(await aws.read("no-such-role", INLINE_URN, {}), { id: "", props: {} });
        });
    });

    describe(ROLE_POLICY_ATTACHMENTS_EXCLUSIVE, () => {
        beforeEach(() => create(ROLE_URN, roleInputs()));

        it("detaches every managed policy not listed; refresh shows one attached outside; update detaches it", async () => {
            await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: ADMIN }));
            const inputs = { roleName: ROLE_NAME, policyArns: [] };
            const { id, outs } = await create(MANAGED_URN, inputs);
            assert.strictEqual(id, ROLE_NAME);
            assert.deepStrictEqual(await attachedArns(), []);

            await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: ADMIN }));
            await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: READ_ONLY }));
            const read = await aws.read(ROLE_NAME, MANAGED_URN, outs);
            assert.deepStrictEqual([...(read.props.policyArns as string[])].sort(), [ADMIN, READ_ONLY]);
            assert.strictEqual((await aws.diff(ROLE_NAME, MANAGED_URN, read.props, inputs)).changes, true);
            await aws.update(ROLE_NAME, MANAGED_URN, read.props, { roleName: ROLE_NAME, policyArns: [READ_ONLY] });
            assert.deepStrictEqual(await attachedArns(), [READ_ONLY]);
            await aws.delete(ROLE_NAME, MANAGED_URN, read.props);
            assert.deepStrictEqual(await attachedArns(), [READ_ONLY]);
        });
    });

    describe(ROLE_POLICY_ATTACHMENT, () => {
        beforeEach(() => create(ROLE_URN, roleInputs()));

        it("attaches, reads, and detaches a managed policy; any change replaces it", async () => {
            const inputs = { role: ROLE_NAME, policyArn: ADMIN };
            const { id, outs } = await create(ATTACHMENT_URN, inputs);
            assert.strictEqual(id, `${ROLE_NAME}/${ADMIN}`);
            assert.deepStrictEqual(await attachedArns(), [ADMIN]);
            const read = await aws.read(id, ATTACHMENT_URN, {});
            assert.deepStrictEqual(read.inputs, inputs);
            assert.strictEqual((await aws.diff(id, ATTACHMENT_URN, outs, inputs)).changes, false);
            assert.deepStrictEqual(
                (await aws.diff(id, ATTACHMENT_URN, outs, { ...inputs, policyArn: READ_ONLY })).replaces,
                ["policyArn"],
            );
            await aws.delete(id, ATTACHMENT_URN, outs);
            assert.deepStrictEqual(await attachedArns(), []);
            assert.deepStrictEqual(await aws.read(id, ATTACHMENT_URN, outs), { id: "", props: {} });
            await aws.delete(id, ATTACHMENT_URN, outs);
        });

        it("passes IAM's refusal of a policy that does not exist, by name", async () => {
            const missing = `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/none`;
            await assert.rejects(
                create(ATTACHMENT_URN, { role: ROLE_NAME, policyArn: missing }),
                /attaching .*policy\/none to the IAM role .* failed .*NoSuchEntity/,
            );
        });
    });

    describe(POLICY, () => {
        it("creates, reads, updates (a new default version) and deletes a managed policy", async () => {
            const inputs = { name: "extra", policy: ACCESS, tags: { team: "data" } };
            const { id, outs } = await create(MANAGED_POLICY_URN, inputs);
            assert.strictEqual(id, `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/extra`);
            assert.deepStrictEqual(
                { ...outs, policyId: "" },
                {
                    ...inputs,
                    id,
                    arn: id,
                    policyId: "",
                    attachmentCount: 0,
                    tagsAll: { team: "data" },
                },
            );
            const read = await aws.read(id, MANAGED_POLICY_URN, outs);
            assert.deepStrictEqual(read.inputs, inputs);
            assert.strictEqual((await aws.diff(id, MANAGED_POLICY_URN, read.props, inputs)).changes, false);
            assert.deepStrictEqual((await aws.read(id, MANAGED_POLICY_URN, {})).inputs, inputs);
            assert.deepStrictEqual(
                (await aws.diff(id, MANAGED_POLICY_URN, outs, { ...inputs, description: "d" })).replaces,
                ["description"],
            );

            for (let i = 0; i < 6; i++) {
                const document = JSON.stringify(buildAccessPolicy([{ name: `acme-${i}` }]));
                await aws.update(id, MANAGED_POLICY_URN, outs, { ...inputs, policy: document });
                const held: GetPolicyVersionCommandOutput = await iam.send(
                    new GetPolicyVersionCommand({ PolicyArn: id, VersionId: `v${i + 2}` }),
                );
                assert.strictEqual(decodeURIComponent(held.PolicyVersion!.Document!), document);
            }
            await aws.delete(id, MANAGED_POLICY_URN, outs);
            assert.deepStrictEqual(await aws.read(id, MANAGED_POLICY_URN, outs), { id: "", props: {} });
        });
    });

    describe("functions", () => {
        it(`${GET_ROLE} returns @pulumi/aws's GetRoleResult, the trust policy as JSON`, async () => {
            await create(ROLE_URN, roleInputs({ tags: { team: "data" } }));
            const { outputs, failures } = await aws.invoke(GET_ROLE, { name: ROLE_NAME });
            assert.strictEqual(failures, undefined);
            assert.deepStrictEqual(Object.keys(outputs).sort(), [
                "arn",
                "assumeRolePolicy",
                "createDate",
                "description",
                "id",
                "maxSessionDuration",
                "name",
                "path",
                "permissionsBoundary",
                "roleLastUseds",
                "tags",
                "uniqueId",
            ]);
            assert.ok(sameDocument(outputs.assumeRolePolicy, TRUST));
            assert.deepStrictEqual(
                { ...outputs, assumeRolePolicy: "", createDate: "", uniqueId: "" },
                {
                    arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${ROLE_NAME}`,
                    assumeRolePolicy: "",
                    createDate: "",
                    description: DESCRIPTION,
                    id: ROLE_NAME,
                    maxSessionDuration: MAX_SESSION_DURATION_SECONDS,
                    name: ROLE_NAME,
                    path: "/",
                    permissionsBoundary: "",
                    roleLastUseds: [{ lastUsedDate: "", region: "" }],
                    tags: { team: "data" },
                    uniqueId: "",
                },
            );
            assert.match(outputs.createDate, RFC3339);
        });

        it(`${GET_ROLE} fails for a missing role with IAM's NoSuchEntity, which the program catches`, async () => {
            await assert.rejects(aws.invoke(GET_ROLE, { name: ROLE_NAME }), (error: Error) => {
                assert.match(
                    error.message,
                    new RegExp(`reading the IAM role ${ROLE_NAME} .* NoSuchEntity: Role ${ROLE_NAME} not found`),
                );
                return true;
            });
            assert.deepStrictEqual(await aws.invoke(GET_ROLE, {}), {
                failures: [{ property: "name", reason: `${GET_ROLE} needs name, a non-empty string` }],
            });
        });

        it(`${GET_ROLE_POLICIES} and ${GET_ROLE_POLICY_ATTACHMENTS} list the role's policies`, async () => {
            await create(ROLE_URN, roleInputs());
            await create(POLICY_URN, policyInputs());
            await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: ADMIN }));
            assert.deepStrictEqual(await aws.invoke(GET_ROLE_POLICIES, { roleName: ROLE_NAME }), {
                outputs: { id: ROLE_NAME, roleName: ROLE_NAME, policyNames: [INLINE_POLICY_NAME] },
            });
            assert.deepStrictEqual(await aws.invoke(GET_ROLE_POLICY_ATTACHMENTS, { roleName: ROLE_NAME }), {
                outputs: {
                    id: ROLE_NAME,
                    roleName: ROLE_NAME,
                    attachedPolicies: [{ policyArn: ADMIN, policyName: "AdministratorAccess" }],
                },
            });
            await assert.rejects(aws.invoke(GET_ROLE_POLICIES, { roleName: "none" }), /NoSuchEntity/);
        });
    });

    describe("as the plugin the engine starts", () => {
        it("serves over gRPC: its version, aws:region from Configure in the requests it signs, IAM's answers and refusals", async () => {
            const recorder = await regionRecorder(moto.endpoint);
            const env = { ...process.env, AWS_ENDPOINT_URL: recorder.endpoint, AWS_REGION: "" };
            const plugin = await PluginProcess.start(
                [
                    "--require",
                    require.resolve("ts-node/register/transpile-only"),
                    path.resolve(__dirname, "../../engine/providers/aws.ts"),
                ],
                { cwd: path.resolve(__dirname, "../.."), env },
                ResourceProviderClient,
            );
            try {
                assert.strictEqual((await plugin.call("getPluginInfo", new Empty())).getVersion(), AWS_VERSION);
                const configure = new providerPb.ConfigureRequest();
                configure.getVariablesMap().set("aws:config:region", "eu-west-3");
                configure.setArgs(toStruct({ region: "eu-west-3" }));
                assert.strictEqual((await plugin.call("configure", configure)).getAcceptsecrets(), true);

                await create(ROLE_URN, roleInputs());
                const invoke = (tok: string, args: Props): Promise<Message> => {
                    const request = new providerPb.InvokeRequest();
                    request.setTok(tok);
                    request.setArgs(toStruct(args));
                    return plugin.call("invoke", request);
                };
                const answer = await invoke(GET_ROLE, { name: ROLE_NAME });
                assert.strictEqual(
                    answer.getReturn().toJavaScript().arn,
                    `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${ROLE_NAME}`,
                );
                assert.deepStrictEqual(recorder.regions, ["eu-west-3"]);
                await assert.rejects(invoke(GET_ROLE, { name: "none" }), /NoSuchEntity: Role none not found/);
                await assert.rejects(
                    invoke("aws:s3/getBucket:getBucket", {}),
                    /does not implement aws:s3\/getBucket:getBucket/,
                );
                assert.ok(!plugin.printed.includes(EXTERNAL_ID));
            } finally {
                plugin.stop();
                await recorder.stop();
            }
        });
    });
});

/** A pass-through to moto that notes the region each request is signed for (its SigV4 credential scope). */
async function regionRecorder(target: string) {
    const regions: string[] = [];
    const server = http.createServer((req, res) => {
        regions.push(/Credential=[^/]+\/\d{8}\/([^/]+)\/iam\//.exec(req.headers.authorization ?? "")?.[1] ?? "none");
        const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
        });
        upstream.on("error", () => res.destroy());
        req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        regions,
        stop: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
