/**
 * The connector's dynamic provider, as the engine runs it: the serialized provider and inputs
 * come from the program under mocks, the SDK's own provider host runs them, and the test drives
 * the host over gRPC against the local Cloudglue emulator, asserting on what the emulator saw.
 */
import * as assert from "assert";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { runAccessCheck } from "./helpers/processes";
import { apiModeConnectorInputs, Props, ProviderHost } from "./helpers/providerHost";
import { onlyOfType, runProgram, stackConfig } from "../scripts/lib/programRun";

const API_KEY = "cg-connector-test-key-5f3a9c1e7b2d4086";
const CONNECTOR = "pulumi-nodejs:dynamic/cloudglue:S3Connector";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const EXTERNAL_ID = "M0ck+External.Id=For/Tests:only@x,y-z";
/** The stack's prefix, then `#` and a token made for each registration. */
const OWN_NAME = /^pulumi:organization\/cloudglue\/dev#[0-9a-f]{32}$/;
const WEB_APP_ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";

describe("the connector provider in the SDK's provider host, against the emulator", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let host: ProviderHost;
    /** The inputs the program registers, `__provider` included, as the engine passes them on. */
    let inputs: Props;
    const printed: string[] = [];

    const calls = () => emulator.calls();
    const startHost = (config: Record<string, string>) => ProviderHost.configured(config);
    const configFor = (url: string, timeoutSeconds = 6) => ({
        "cloudglue:apiKey": API_KEY,
        "cloudglue:apiUrl": url,
        "cloudglue:propagationTimeoutSeconds": String(timeoutSeconds),
        "cloudglue:registration": "api",
    });
    const create = (props = inputs) => host.checkedCreate(props);

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        inputs = await apiModeConnectorInputs(emulator.url, API_KEY);
        host = await startHost(configFor(emulator.url));
    });
    beforeEach(() => emulator.reset());
    after(async () => {
        printed.push(host.printed);
        host.stop();
        await emulator.stop();
    });

    it("creates, leaves alone, reads, updates and deletes, with the fewest API calls", async () => {
        const created = await create();
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", "POST /v1/data-connectors"]);
        const [stored] = emulator.stored();
        assert.match(String(stored.metadata.name), OWN_NAME);
        assert.deepStrictEqual(stored.metadata, {
            role_arn: ROLE_ARN,
            buckets: ["acme-media-dev-raw", "acme-media-dev-published"],
            name: stored.metadata.name,
        });
        assert.strictEqual(stored.external_id, EXTERNAL_ID);
        assert.strictEqual(created.id, stored.id);
        assert.strictEqual(created.outputs.connectorId, stored.id);
        assert.strictEqual(created.outputs.type, "s3");
        assert.strictEqual(created.outputs.stateVersion, 3);
        assert.strictEqual(created.outputs.name, stored.metadata.name, "the state holds the name it registered");

        emulator.log.length = 0;
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, inputs), {
            changes: "none",
            replaces: [],
            deleteBeforeReplace: false,
        });
        assert.deepStrictEqual(calls(), [], "identical inputs make no API call");

        const read = await host.read(created.id, created.outputs);
        assert.strictEqual(read.id, created.id);
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"]);

        emulator.log.length = 0;
        const grown = { ...inputs, buckets: [...(inputs.buckets as string[]), "acme-media-dev-archive"] };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, grown), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        const updated = await host.update(created.id, created.outputs, grown);
        assert.deepStrictEqual(
            calls(),
            ["GET /v1/data-connectors", `PATCH /v1/data-connectors/${created.id}`],
            "it reads the connector back (still its own?) before it changes it",
        );
        assert.deepStrictEqual(emulator.stored()[0].metadata.buckets, grown.buckets);
        assert.strictEqual(emulator.stored()[0].external_id, EXTERNAL_ID, "only the buckets were sent");

        emulator.log.length = 0;
        await host.delete(created.id, updated);
        await host.delete(created.id, updated);
        assert.deepStrictEqual(
            calls(),
            ["GET /v1/data-connectors", `DELETE /v1/data-connectors/${created.id}`, "GET /v1/data-connectors"],
            "it reads the connector back (still its own?) before it deletes; a gone one is not deleted again",
        );
        assert.deepStrictEqual(emulator.stored(), [], "a second delete of a gone connector counts as done");
    });

    it("destroy with no stack config (CLOUDGLUE_* only) deletes what the state says the stack registered", async () => {
        const created = await create();
        const web = await startHost({ ...configFor(emulator.url), "cloudglue:registration": "web" });
        const bare = await ProviderHost.start({ CLOUDGLUE_API_KEY: API_KEY, CLOUDGLUE_API_URL: emulator.url });
        try {
            await web.delete(created.id, created.outputs);
            assert.strictEqual(emulator.stored().length, 1, "a stack switched to web keeps the connector");
            assert.match(
                web.printed,
                /Kept Cloudglue connector \S+, which this stack registered, because cloudglue:registration is web/,
            );

            emulator.log.length = 0;
            await bare.configure({});
            await bare.delete(created.id, created.outputs);
            assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", `DELETE /v1/data-connectors/${created.id}`]);
            assert.deepStrictEqual(emulator.stored(), []);
        } finally {
            printed.push(web.printed, bare.printed);
            web.stop();
            bare.stop();
        }
    });

    it("updates in place for a new external ID or role, and replaces for another adopted connector", async () => {
        const created = await create();
        const rotated = { ...inputs, externalId: "Rotated.External.Id=2" };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, rotated), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        const moved = { ...inputs, roleArn: "arn:aws:iam::444455556666:role/cloudglue-external-s3-access-role" };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, moved), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        const reordered = { ...inputs, buckets: [...(inputs.buckets as string[])].reverse() };
        assert.strictEqual((await host.diff(created.id, created.outputs, reordered)).changes, "none");
        const adopting = { ...inputs, connectorId: WEB_APP_ID };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, adopting), {
            changes: "some",
            replaces: ["connectorId"],
            deleteBeforeReplace: false,
        });
        emulator.log.length = 0;
        await host.update(created.id, created.outputs, rotated);
        assert.strictEqual(emulator.stored()[0].external_id, "Rotated.External.Id=2");
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", `PATCH /v1/data-connectors/${created.id}`]);
    });

    it("reports a connector deleted in Cloudglue as gone, so the next up creates it again", async () => {
        const created = await create();
        emulator.reset();
        const read = await host.read(created.id, created.outputs);
        assert.strictEqual(read.id, "");
    });

    it("retries 429 after the Retry-After the API asks for", async () => {
        emulator.inject({ kind: "status", status: 429, retryAfterSeconds: 1 }, { method: "GET" });
        const started = Date.now();
        await create();
        assert.ok(Date.now() - started >= 1000, "waited for Retry-After");
        assert.deepStrictEqual(calls(), [
            "GET /v1/data-connectors",
            "GET /v1/data-connectors",
            "POST /v1/data-connectors",
        ]);
        assert.strictEqual(emulator.log[0].status, 429);
    });

    it("retries a 500 and a dropped connection on reads", async () => {
        emulator.inject({ kind: "status", status: 500 }, { method: "GET" });
        emulator.inject({ kind: "drop", after: false }, { method: "GET" });
        await create();
        assert.deepStrictEqual(calls(), [
            "GET /v1/data-connectors",
            "GET /v1/data-connectors (dropped)",
            "GET /v1/data-connectors",
            "POST /v1/data-connectors",
        ]);
    });

    it("waits out a slow answer", async () => {
        emulator.inject({ kind: "delay", ms: 1500 }, { method: "POST" });
        await create();
        assert.strictEqual(emulator.stored().length, 1);
    });

    it("does not make a duplicate when the answer to its POST is lost", async () => {
        emulator.inject({ kind: "drop", after: true }, { method: "POST" });
        const created = await create();
        assert.strictEqual(emulator.stored().length, 1, "exactly one connector");
        assert.strictEqual(created.id, emulator.stored()[0].id);
        assert.deepStrictEqual(calls(), [
            "GET /v1/data-connectors",
            "POST /v1/data-connectors (dropped)",
            "GET /v1/data-connectors",
        ]);
    });

    it("does not send a POST again after a 500, before it has looked for what the first one made", async () => {
        emulator.inject({ kind: "status", status: 500 }, { method: "POST" });
        await create();
        assert.deepStrictEqual(calls(), [
            "GET /v1/data-connectors",
            "POST /v1/data-connectors",
            "GET /v1/data-connectors",
            "POST /v1/data-connectors",
            "GET /v1/data-connectors", // any duplicate the first POST made is removed
        ]);
        assert.strictEqual(emulator.stored().length, 1);
    });

    it("waits through IAM propagation (502) after the role is created", async () => {
        emulator.propagationWindowMs = 2000;
        await create();
        const posts = emulator.log.filter((r) => r.method === "POST");
        assert.ok(posts.length >= 2, "retried the POST");
        assert.ok(posts.slice(0, -1).every((r) => r.status === 502));
        assert.strictEqual(posts[posts.length - 1].status, 201);
        assert.strictEqual(emulator.stored().length, 1);
    });

    it("gives up after cloudglue:propagationTimeoutSeconds, naming the role and the likely causes", async () => {
        emulator.propagationWindowMs = 60_000;
        const impatient = await startHost(configFor(emulator.url, 1));
        try {
            const checked = await impatient.check({}, inputs);
            await assert.rejects(impatient.create(checked.inputs), (error: Error) => {
                assert.match(
                    error.message,
                    /could not assume arn:aws:iam::111122223333:role\/cloudglue-external-s3-access-role within 1 s/,
                );
                assert.match(error.message, /cloudglue:propagationTimeoutSeconds/);
                assert.match(error.message, /external ID/);
                return true;
            });
            assert.strictEqual(emulator.stored().length, 0);
        } finally {
            printed.push(impatient.printed);
            impatient.stop();
        }
    });

    it("waits through propagation on a PATCH after the external ID rotates", async () => {
        const created = await create();
        emulator.propagationWindowMs = 1500;
        const rotated = { ...inputs, externalId: "Rotated.External.Id=3" };
        await host.update(created.id, created.outputs, rotated);
        const patches = emulator.log.filter((r) => r.method === "PATCH");
        assert.deepStrictEqual(patches[0].status, 502);
        assert.strictEqual(patches[patches.length - 1].status, 200);
    });

    it("fails at once on a wrong key, with what to do and without the key", async () => {
        const wrongKey = "cg-wrong-key-0000000000000000";
        const wrong = await startHost({ ...configFor(emulator.url), "cloudglue:apiKey": wrongKey });
        try {
            const checked = await wrong.check({}, inputs);
            await assert.rejects(wrong.create(checked.inputs), (error: Error) => {
                assert.match(error.message, /answered 401/);
                assert.match(error.message, /pulumi config set --secret cloudglue:apiKey/);
                assert.ok(!error.message.includes(wrongKey) && !error.message.includes(API_KEY));
                return true;
            });
            assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"], "nothing retried");
            assert.ok(!wrong.printed.includes(wrongKey));
        } finally {
            wrong.stop();
        }
    });

    it("explains 402 (credits) without retrying", async () => {
        emulator.inject({ kind: "status", status: 402 }, { method: "GET" });
        await assert.rejects(create(), /402.*Insufficient credits.*add credits/s);
        assert.strictEqual(emulator.log.length, 1);
    });

    it("in api mode against an API without registration endpoints, points to web mode and creates nothing", async () => {
        emulator.registrationApi = false;
        await assert.rejects(create(), (error: Error) => {
            assert.match(
                error.message,
                /This Cloudglue API cannot register connectors \(POST \/v1\/data-connectors answered 405\)/,
            );
            assert.match(error.message, /pulumi config set cloudglue:registration web` \(the default\)/);
            assert.match(error.message, /nextStep output/);
            return true;
        });
        assert.deepStrictEqual(emulator.stored(), []);
    });

    describe("adopting a connector made in Cloudglue's web app (cloudglue:connectorId)", () => {
        const adoptInputs = () => ({ ...inputs, connectorId: WEB_APP_ID });
        const seed = (type = "s3", roleArn = ROLE_ARN) =>
            emulator.seed({ id: WEB_APP_ID, type, metadata: { role_arn: roleArn } });

        it("reads it through the published list, and never PATCHes or DELETEs it", async () => {
            emulator.registrationApi = false;
            seed();
            const adopted = await create(adoptInputs());
            assert.strictEqual(adopted.id, WEB_APP_ID);
            assert.strictEqual(adopted.outputs.adopted, true);

            const read = await host.read(adopted.id, adopted.outputs);
            assert.strictEqual(read.id, WEB_APP_ID);

            const grown = { ...adoptInputs(), buckets: [...(inputs.buckets as string[]), "acme-more"] };
            await host.update(adopted.id, adopted.outputs, grown);
            await host.delete(adopted.id, adopted.outputs);
            assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", "GET /v1/data-connectors"]);
            assert.strictEqual(emulator.stored().length, 1, "the user's connector outlives the stack");
        });

        it("refuses a connector of another type", async () => {
            seed("gcs");
            await assert.rejects(create(adoptInputs()), /is a gcs connector; this stack manages an S3 connector/);
        });

        it("refuses an id the account does not have", async () => {
            await assert.rejects(
                create(adoptInputs()),
                new RegExp(
                    `cloudglue:connectorId "${WEB_APP_ID}": the Cloudglue account of this API key has no such connector`,
                ),
            );
        });

        it("refuses a connector made for another role, naming both roles", async () => {
            const otherRole = "arn:aws:iam::999988887777:role/cloudglue-external-s3-access-role";
            seed("s3", otherRole);
            await assert.rejects(create(adoptInputs()), (error: Error) => {
                assert.ok(error.message.includes(`is the S3 connector for the role ${otherRole}`), error.message);
                assert.ok(error.message.includes(`this stack's role is ${ROLE_ARN}`), error.message);
                return true;
            });
        });

        it("refuses a connector id that is not a UUID at check", async () => {
            const checked = await host.check({}, { ...inputs, connectorId: "dc_webapp" });
            assert.deepStrictEqual(
                checked.failures.map((f) => f.property),
                ["connectorId"],
            );
        });
    });

    it("never takes over an earlier registration of the stack (its prefix, another token): registers anew", async () => {
        const earlier = emulator.seed({
            type: "s3",
            metadata: {
                role_arn: ROLE_ARN,
                buckets: ["old-bucket"],
                name: "pulumi:organization/cloudglue/dev#0123456789abcdef0123456789abcdef",
            },
            external_id: "old-id",
        });
        const created = await create();
        assert.notStrictEqual(created.id, earlier.id);
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", "POST /v1/data-connectors"], "no PATCH, no DELETE");
        assert.deepStrictEqual(
            emulator.stored().find((c) => c.id === earlier.id),
            earlier,
            "the earlier one is as it was",
        );
        assert.strictEqual(created.outputs.adopted, false);
    });

    it("check refuses malformed inputs", async () => {
        const checked = await host.check({}, { ...inputs, roleArn: "arn:aws:iam::1:user/x", buckets: [] });
        assert.deepStrictEqual(
            checked.failures.map((f) => f.property),
            ["roleArn", "buckets"],
        );
    });

    it("reads state of every version it wrote, and refuses state from a newer version", async () => {
        const created = await create();
        assert.strictEqual((await host.diff(created.id, created.outputs, inputs)).changes, "none");
        // State version 1 carried no name; its connectors were registered without one.
        const versionOne: Props = { ...created.outputs, stateVersion: 1 };
        delete versionOne.name;
        // The engine deletes with the provider code stored in the outputs: older state is rewritten in
        // place, without an API call, so that a later delete runs this version's rules.
        assert.deepStrictEqual(await host.diff(created.id, versionOne, inputs), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        emulator.log.length = 0;
        const rewritten = await host.update(created.id, versionOne, inputs);
        assert.strictEqual(rewritten.stateVersion, 3);
        assert.strictEqual(rewritten.__provider, inputs.__provider);
        assert.deepStrictEqual(emulator.log, []);
        const future = { ...created.outputs, stateVersion: 4 };
        await assert.rejects(
            host.diff(created.id, future, inputs),
            /newer version of this project \(state version 4\)/,
        );
    });

    it("keeps the API key and the external ID out of outputs, the serialized provider, and the logs", async () => {
        const created = await create();
        const rotated = { ...inputs, externalId: "Rotated.External.Id=4" };
        const updated = await host.update(created.id, created.outputs, rotated);
        const read = await host.read(created.id, updated);
        await host.delete(created.id, read.outputs);

        const check = await runAccessCheck({
            CLOUDGLUE_API_KEY: API_KEY,
            CLOUDGLUE_API_URL: emulator.url,
            CLOUDGLUE_CONNECTOR_ID: "00000000-0000-4000-8000-000000000000",
            CLOUDGLUE_BUCKETS: "acme-media-dev-raw",
        });
        const places = {
            outputs: JSON.stringify([created.outputs, updated, read.outputs]),
            "serialized provider": String(inputs.__provider),
            "emulator log": JSON.stringify(emulator.log),
            "provider host output": host.printed + printed.join(""),
            "access check output": check.stdout + check.stderr,
        };
        for (const [place, text] of Object.entries(places)) {
            for (const secret of [API_KEY, EXTERNAL_ID, "Rotated.External.Id=4"]) {
                assert.ok(!text.includes(secret), `${place} holds a secret`);
            }
        }
    });
});

describe("the post-deploy access check (scripts/verify-access.ts)", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let connectorId: string;
    const env = () => ({
        CLOUDGLUE_API_KEY: API_KEY,
        CLOUDGLUE_API_URL: emulator.url,
        CLOUDGLUE_CONNECTOR_ID: connectorId,
        CLOUDGLUE_BUCKETS: "acme-media-dev-raw,acme-media-dev-published",
        CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "10",
    });

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
    });
    beforeEach(() => {
        emulator.reset();
        connectorId = emulator.seed({
            type: "s3",
            metadata: { role_arn: ROLE_ARN, buckets: ["acme-media-dev-raw", "acme-media-dev-published"] },
            external_id: EXTERNAL_ID,
        }).id;
    });
    after(() => emulator.stop());

    it("lists each bucket once through Cloudglue and prints a table", async () => {
        const result = await runAccessCheck(env());
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^BUCKET\s+PREFIX\s+RESULT\s+REASON$/m);
        assert.match(result.stdout, /^acme-media-dev-raw\s+-\s+ok\s+listed$/m);
        assert.match(result.stdout, /^acme-media-dev-published\s+-\s+ok\s+listed$/m);
        assert.deepStrictEqual(emulator.log.map((r) => r.path).sort(), [
            `/v1/data-connectors/${connectorId}/files?bucket=acme-media-dev-published&limit=1`,
            `/v1/data-connectors/${connectorId}/files?bucket=acme-media-dev-raw&limit=1`,
        ]);
    });

    it("fails with a readable report when Cloudglue cannot read a bucket", async () => {
        emulator.unreadableBuckets.add("acme-media-dev-published");
        const result = await runAccessCheck({ ...env(), CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "0" });
        assert.strictEqual(result.code, 1);
        assert.match(result.stdout, /^acme-media-dev-raw\s+-\s+ok/m);
        assert.match(result.stdout, /^acme-media-dev-published\s+-\s+FAILED\s+see \(1\) below$/m);
        assert.match(
            result.stdout,
            /^\(1\) acme-media-dev-published -: 502: Cloudglue cannot assume the role or list the bucket/m,
        );
        assert.match(result.stdout, /cannot make 1 of 2 listing\(s\) of 2 bucket\(s\)/);
        assert.ok(!(result.stdout + result.stderr).includes(API_KEY));
    });

    it("waits through IAM propagation before it judges", async () => {
        emulator.propagationWindowMs = 2500;
        const result = await runAccessCheck(env());
        assert.strictEqual(result.code, 0, result.stdout);
        assert.ok(emulator.log.some((r) => r.status === 502));
    });

    it("says what it is missing when run by hand without settings", async () => {
        const result = await runAccessCheck({
            CLOUDGLUE_API_KEY: "",
            CLOUDGLUE_CONNECTOR_ID: "",
            CLOUDGLUE_BUCKETS: "",
        });
        assert.strictEqual(result.code, 2);
        assert.match(result.stderr, /needs an API key .*a connector id .*buckets/);
    });

    it("after a create, the stack has made 1 list, 1 POST and 1 files call per bucket", async () => {
        emulator.reset();
        const run = await runProgram({
            config: {
                ...stackConfig("dev"),
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:registration": "api",
            },
            secretKeys: ["cloudglue:apiKey"],
        });
        const host = await ProviderHost.start();
        try {
            await host.configure({ "cloudglue:apiKey": API_KEY, "cloudglue:apiUrl": emulator.url });
            const checked = await host.check({}, onlyOfType(run, CONNECTOR).inputs);
            connectorId = (await host.create(checked.inputs)).id;
            const result = await runAccessCheck(env());
            assert.strictEqual(result.code, 0);
            assert.deepStrictEqual(
                emulator.log.map((r) => `${r.method} ${r.path.split("?")[0]}`),
                [
                    "GET /v1/data-connectors",
                    "POST /v1/data-connectors",
                    `GET /v1/data-connectors/${connectorId}/files`,
                    `GET /v1/data-connectors/${connectorId}/files`,
                ],
            );
        } finally {
            host.stop();
        }
    });
});
