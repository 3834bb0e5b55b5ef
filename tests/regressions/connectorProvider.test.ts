/**
 * Lifecycle rules of the connector provider that a mutation run showed no test would notice
 * breaking (issue 15). The provider runs as the engine runs it (the program's serialized provider
 * in the SDK's provider host, over gRPC), against the emulator; each test asserts what the
 * emulator received and holds.
 */
import * as assert from "assert";
import { CloudglueEmulator } from "../../emulator/cloudglueEmulator";
import { apiModeConnectorInputs, Props, ProviderHost } from "../helpers/providerHost";

const API_KEY = "cg-regression-provider-key-2b8d0e4f6a1c3957";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const OTHER_ROLE_ARN = "arn:aws:iam::444455556666:role/cloudglue-external-s3-access-role";
const OWN_NAME = "pulumi:organization/cloudglue/dev#0123456789abcdef0123456789abcdef";
const BUCKETS = ["acme-media-dev-raw", "acme-media-dev-published"];

describe("provider regressions: create, take over, adopt, update", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let host: ProviderHost;
    let inputs: Props;

    const calls = () => emulator.log.map((r) => `${r.method} ${r.path.split("?")[0]}`);
    const create = (props: Props = inputs) => host.checkedCreate(props);

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        inputs = await apiModeConnectorInputs(emulator.url, API_KEY);
        assert.strictEqual(inputs.roleArn, ROLE_ARN);
        assert.deepStrictEqual(inputs.buckets, BUCKETS);
        host = await ProviderHost.start();
        await host.configure({
            "cloudglue:apiKey": API_KEY,
            "cloudglue:apiUrl": emulator.url,
            "cloudglue:propagationTimeoutSeconds": "4",
            "cloudglue:registration": "api",
        });
    });
    beforeEach(() => emulator.reset());
    after(async () => {
        host?.stop();
        await emulator?.stop();
    });

    it("takes over only its own: connectors of other roles, or of another type, are left alone", async () => {
        const others = [
            emulator.seed({ type: "s3", metadata: { role_arn: OTHER_ROLE_ARN, name: OWN_NAME }, external_id: "x" }),
            emulator.seed({ type: "s3", metadata: { role_arn: OTHER_ROLE_ARN }, external_id: "y" }),
            emulator.seed({ type: "gcs", metadata: { role_arn: ROLE_ARN, name: OWN_NAME }, external_id: "z" }),
        ];
        const created = await create();
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", "POST /v1/data-connectors"]);
        const stored = emulator.stored();
        assert.deepStrictEqual(stored.slice(0, 3), others, "the others are as they were");
        assert.strictEqual(stored.length, 4);
        assert.strictEqual(created.id, stored[3].id);
        assert.ok(!others.some((o) => o.id === created.id));
    });

    it("takes over no earlier registration of this stack: only its own lost POST carries this create's token", async () => {
        const earlier = emulator.seed({
            type: "s3",
            metadata: { role_arn: ROLE_ARN, name: OWN_NAME, buckets: ["old-bucket"] },
            external_id: "an-older-external-id-0001",
        });
        const created = await create();
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", "POST /v1/data-connectors"]);
        assert.notStrictEqual(created.id, earlier.id);
        const [kept, made] = emulator.stored();
        assert.deepStrictEqual(kept, earlier, "the earlier one is neither PATCHed nor deleted");
        assert.match(String(made.metadata.name), /^pulumi:organization\/cloudglue\/dev#[0-9a-f]{32}$/);
        assert.notStrictEqual(made.metadata.name, OWN_NAME);
        assert.deepStrictEqual(made.metadata.buckets, BUCKETS);
        assert.strictEqual(made.external_id, inputs.externalId);
    });

    it("does not retry a POST that Cloudglue refused with a 4xx, and says what it said", async () => {
        emulator.inject({ kind: "status", status: 400, error: "bucket list rejected" }, { method: "POST" });
        await assert.rejects(
            create(),
            /POST http:\/\/127\.0\.0\.1:\d+\/v1\/data-connectors answered 400\. Cloudglue said: "bucket list rejected"/,
        );
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", "POST /v1/data-connectors"]);
        assert.deepStrictEqual(emulator.stored(), []);
    });

    it("adopts the connector named by connectorId, not the first in the list", async () => {
        const first = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN }, external_id: "first-one-0000001" });
        const named = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN }, external_id: "named-one-000001" });
        const adopted = await create({ ...inputs, connectorId: named.id.toUpperCase() });
        assert.strictEqual(adopted.id, named.id);
        assert.strictEqual(adopted.outputs.connectorId, named.id);
        assert.strictEqual(adopted.outputs.adopted, true);
        assert.deepStrictEqual(emulator.stored(), [first, named], "adopting changes nothing in Cloudglue");
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"]);
    });

    it("counts one bucket swapped for another as a change, and PATCHes the new buckets", async () => {
        const created = await create();
        const news = { ...inputs, buckets: ["acme-media-dev-raw", "acme-media-dev-archive"] };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, news), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        assert.deepStrictEqual(
            await host.diff(created.id, created.outputs, { ...inputs, buckets: [...BUCKETS].reverse() }),
            {
                changes: "none",
                replaces: [],
                deleteBeforeReplace: false,
            },
        );
        emulator.log.length = 0;
        const updated = await host.update(created.id, created.outputs, news);
        // Read back first: the stack PATCHes only a connector that still carries its name and role.
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", `PATCH /v1/data-connectors/${created.id}`]);
        assert.deepStrictEqual(emulator.stored()[0].metadata.buckets, news.buckets);
        assert.deepStrictEqual(updated.buckets, news.buckets);
    });

    it("counts a changed roleArn as a change, and PATCHes Cloudglue with the new one", async () => {
        const created = await create();
        const movedArn = "arn:aws:iam::111122223333:role/moved/cloudglue-external-s3-access-role";
        const news = { ...inputs, roleArn: movedArn };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, news), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        emulator.log.length = 0;
        const updated = await host.update(created.id, created.outputs, news);
        // Read back first: the stack PATCHes only a connector that still carries its name and role.
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", `PATCH /v1/data-connectors/${created.id}`]);
        assert.strictEqual(emulator.stored()[0].metadata.role_arn, movedArn);
        assert.strictEqual(updated.roleArn, movedArn);
    });

    it("counts a rotated external ID as a change and sends the new one, and an unchanged input as none", async () => {
        const created = await create();
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, inputs), {
            changes: "none",
            replaces: [],
            deleteBeforeReplace: false,
        });
        const news = { ...inputs, externalId: "a-rotated-external-id-00000000001" };
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, news), {
            changes: "some",
            replaces: [],
            deleteBeforeReplace: false,
        });
        emulator.log.length = 0;
        await host.update(created.id, created.outputs, news);
        // Read back first: the stack PATCHes only a connector that still carries its name and role.
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors", `PATCH /v1/data-connectors/${created.id}`]);
        assert.strictEqual(emulator.stored()[0].external_id, "a-rotated-external-id-00000000001");
    });
});
