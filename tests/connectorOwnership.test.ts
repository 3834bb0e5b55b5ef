/**
 * Whose connector is it? The provider, run by the SDK's provider host over gRPC against the
 * emulator, must never change, take over or delete a connector the stack did not register, in
 * whatever order the engine calls create and delete; and a slow POST must not leave two.
 */
import * as assert from "assert";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { onlyOfType, runProgram, stackConfig } from "../scripts/lib/programRun";
import { Props, ProviderHost } from "./helpers/providerHost";

const API_KEY = "cg-ownership-test-key-7c1d9e2a4b6f8031";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const OWN_NAME = "pulumi:cloudglue/dev";
const WEB_APP_EXTERNAL_ID = "typed-into-the-web-app-by-a-person";

/** The host's stderr reaches us apart from its gRPC answers: wait a little for a line to arrive. */
async function printedEventually(host: ProviderHost, pattern: RegExp): Promise<void> {
    for (let waited = 0; !pattern.test(host.printed) && waited < 3000; waited += 50) {
        await new Promise((done) => setTimeout(done, 50));
    }
    assert.match(host.printed, pattern);
}

describe("the connector provider touches only what is its own", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let inputs: Props;
    const hosts: ProviderHost[] = [];

    const calls = () => emulator.log.map((r) => `${r.method} ${r.path.split("?")[0]}${r.dropped ? " (dropped)" : ""}`);
    const deletes = () => emulator.log.filter((r) => r.method === "DELETE");
    /** A host configured as the engine configures it from the stack's config. */
    const startHost = async (config: Record<string, string> = {}, env: Record<string, string> = {}) => {
        const host = await ProviderHost.start(env);
        hosts.push(host);
        await host.configure({
            "cloudglue:apiKey": API_KEY,
            "cloudglue:apiUrl": emulator.url,
            "cloudglue:propagationTimeoutSeconds": "8",
            "cloudglue:registration": "api",
            ...config,
        });
        return host;
    };
    const create = async (host: ProviderHost, props: Props = inputs) => {
        const checked = await host.check({}, props);
        assert.deepStrictEqual(checked.failures, []);
        return host.create(checked.inputs);
    };
    const seedWebAppConnector = () =>
        emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN }, external_id: WEB_APP_EXTERNAL_ID });

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        const run = await runProgram({
            config: {
                ...stackConfig("dev"),
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:registration": "api",
            },
            secretKeys: ["cloudglue:apiKey"],
        });
        inputs = onlyOfType(run, "pulumi-nodejs:dynamic/cloudglue:S3Connector").inputs;
        assert.strictEqual(inputs.name, OWN_NAME, "the program names the connector after the project and stack");
    });
    beforeEach(() => emulator.reset());
    afterEach(() => {
        hosts.splice(0).forEach((h) => h.stop());
    });
    after(() => emulator.stop());

    it("1. refuses a connector someone made in the web app for the same role, with its id and the two ways on", async () => {
        const theirs = seedWebAppConnector();
        const host = await startHost();
        await assert.rejects(create(host), (error: Error) => {
            assert.ok(error.message.includes(`Cloudglue already has connector ${theirs.id} for ${ROLE_ARN}`));
            assert.match(
                error.message,
                /it carries no name, while this stack registers its own as "pulumi:cloudglue\/dev"/,
            );
            assert.ok(error.message.includes(`pulumi config set cloudglue:connectorId ${theirs.id}`));
            assert.match(error.message, /or delete it in Cloudglue's web app/);
            return true;
        });
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"], "no PATCH, no POST, no DELETE");
        assert.deepStrictEqual(emulator.stored(), [theirs], "the user's connector is as they made it");
    });

    it("1. refuses a connector another stack registered for the same role (another name)", async () => {
        const other = emulator.seed({
            type: "s3",
            metadata: { role_arn: ROLE_ARN, name: "pulumi:cloudglue/prod" },
            external_id: "other",
        });
        const host = await startHost();
        await assert.rejects(create(host), /carries the name "pulumi:cloudglue\/prod"/);
        assert.deepStrictEqual(emulator.stored(), [other]);
    });

    it("1. destroy does not DELETE a connector that no longer carries the stack's name and role", async () => {
        const host = await startHost();
        const created = await create(host);
        // Someone re-registered the id under their own name (or the state points at a connector not ours).
        const stored = emulator.stored()[0];
        emulator.reset();
        emulator.seed({ ...stored, metadata: { role_arn: ROLE_ARN, name: "made-by-hand" } });
        await host.delete(created.id, created.outputs);
        assert.deepStrictEqual(deletes(), []);
        assert.strictEqual(emulator.stored().length, 1);
        await printedEventually(host, /Kept Cloudglue connector .* no longer carries this stack's name and role/);
    });

    it("2. adopting its own connector by id: no replace, no API call, no DELETE in either order", async () => {
        const registering = await startHost();
        const created = await create(registering);
        const ownId = created.id;
        const adoptingInputs = { ...inputs, connectorId: ownId };

        const adopting = await startHost({ "cloudglue:connectorId": ownId });
        emulator.log.length = 0;
        assert.deepStrictEqual(await adopting.diff(ownId, created.outputs, adoptingInputs), {
            changes: "some",
            replaces: [],
        });
        const updated = await adopting.update(ownId, created.outputs, adoptingInputs);
        assert.strictEqual(updated.adopted, true);
        assert.deepStrictEqual(calls(), [], "turning it into an adopted one needs no API call");

        // Were the engine to replace it anyway: create-before-delete, then delete-before-create.
        const adopted = await create(adopting, adoptingInputs);
        assert.strictEqual(adopted.id, ownId);
        await adopting.delete(ownId, created.outputs);
        await adopting.delete(ownId, updated);
        assert.deepStrictEqual(deletes(), []);
        assert.deepStrictEqual(
            emulator.stored().map((c) => c.id),
            [ownId],
        );
        await printedEventually(adopting, /Kept Cloudglue connector .* cloudglue:connectorId is set/);
    });

    it("switching to web mode keeps the connector the stack registered in api mode", async () => {
        const created = await create(await startHost());
        const web = await startHost({ "cloudglue:registration": "web" });
        await web.delete(created.id, created.outputs);
        const defaults = await startHost({ "cloudglue:registration": "" });
        await defaults.delete(created.id, created.outputs);
        assert.deepStrictEqual(deletes(), []);
        assert.strictEqual(emulator.stored().length, 1);
        await printedEventually(web, /Kept Cloudglue connector .* cloudglue:registration is web, not api/);
    });

    it("refresh in web mode reads the stack's own connector through the published list, never as gone", async () => {
        const created = await create(await startHost());
        emulator.registrationApi = false; // the public API: no GET by id
        const web = await startHost({ "cloudglue:registration": "web" });
        emulator.log.length = 0;
        const read = await web.read(created.id, created.outputs);
        assert.strictEqual(read.id, created.id);
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"]);
    });

    it("refuses to register without a name, which is how it knows its own", async () => {
        const host = await startHost();
        const unnamed = { ...inputs };
        delete unnamed.name;
        const checked = await host.check({}, unnamed);
        assert.deepStrictEqual(
            checked.failures.map((f) => f.property),
            ["name"],
        );
    });

    it("3. a POST carried out after the client gave up leaves one connector, not two", async () => {
        // The POST times out after 1 s; Cloudglue carries it out after 2 s.
        emulator.inject({ kind: "delay", ms: 2000 }, { method: "POST" });
        const host = await startHost({}, { CLOUDGLUE_REQUEST_TIMEOUT_SECONDS: "1" });
        const created = await create(host);
        await new Promise((done) => setTimeout(done, 300));
        assert.deepStrictEqual(
            emulator.stored().map((c) => c.id),
            [created.id],
        );
        assert.strictEqual(emulator.log.filter((r) => r.method === "POST").length, 1, "never sent a second POST");
    });

    it("3. removes duplicates of its own making (its name, its role) and says so; leaves others' alone", async () => {
        const own = { type: "s3", metadata: { role_arn: ROLE_ARN, buckets: ["x"], name: OWN_NAME }, external_id: "e" };
        const first = emulator.seed(own);
        const second = emulator.seed(own);
        const elsewhere = emulator.seed({
            ...own,
            metadata: { ...own.metadata, role_arn: ROLE_ARN.replace("1111", "9999") },
        });
        const host = await startHost();
        const created = await create(host);
        assert.strictEqual(created.id, first.id);
        assert.deepStrictEqual(
            emulator
                .stored()
                .map((c) => c.id)
                .sort(),
            [first.id, elsewhere.id].sort(),
        );
        assert.deepStrictEqual(
            deletes().map((r) => r.path),
            [`/v1/data-connectors/${second.id}`],
        );
        await printedEventually(
            host,
            new RegExp(`Removed Cloudglue connector ${second.id}: a duplicate of connector ${first.id}`),
        );
    });
});
