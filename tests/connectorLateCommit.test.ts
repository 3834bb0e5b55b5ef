/**
 * A POST that Cloudglue carries out after the provider stopped looking for it (issue 23, a): the
 * emulator drops the connection at once and commits the request seconds later. The provider runs
 * in the SDK's own provider host, driven over gRPC as the engine drives it for up, refresh and
 * destroy; each test asserts on what the emulator holds and on what the host printed.
 */
import * as assert from "assert";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { apiModeConnectorInputs, Props, ProviderHost } from "./helpers/providerHost";

const API_KEY = "cg-late-commit-test-key-8c2e4a6b0d1f3957";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const OTHER_ROLE_ARN = "arn:aws:iam::444455556666:role/cloudglue-external-s3-access-role";
/** Longer than the provider looks for a lost POST (twice the request timeout of 1 s). */
const LATE_MS = 3000;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe("a POST that Cloudglue carries out after the create gave up on it", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let inputs: Props;
    const hosts: ProviderHost[] = [];

    const startHost = async (config: Record<string, string> = {}) => {
        const host = await ProviderHost.configured(
            {
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:propagationTimeoutSeconds": "8",
                "cloudglue:registration": "api",
                ...config,
            },
            { CLOUDGLUE_REQUEST_TIMEOUT_SECONDS: "1" },
        );
        hosts.push(host);
        return host;
    };
    /** A create whose first POST is committed late, so that its second POST made the connector in state. */
    const createWithLateDuplicate = async (host: ProviderHost) => {
        emulator.inject({ kind: "late", ms: LATE_MS }, { method: "POST" });
        const created = await host.checkedCreate(inputs);
        await waitFor(() => emulator.stored().length === 2);
        const [duplicate] = emulator.stored().filter((c) => c.id !== created.id);
        assert.strictEqual(duplicate.metadata.name, created.outputs.name, "the late one carries this create's token");
        assert.strictEqual(duplicate.metadata.role_arn, ROLE_ARN);
        return { created, duplicate };
    };
    const waitFor = async (done: () => boolean) => {
        for (let i = 0; i < 100 && !done(); i++) {
            await sleep(100);
        }
        assert.ok(done(), "the late commit did not arrive");
    };

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        inputs = await apiModeConnectorInputs(emulator.url, API_KEY);
    });
    beforeEach(() => emulator.reset());
    afterEach(() => {
        for (const host of hosts.splice(0)) {
            for (const secret of [API_KEY, String(inputs.externalId)]) {
                assert.ok(!host.printed.includes(secret), "the provider host printed a secret");
            }
            host.stop();
        }
    });
    after(() => emulator.stop());

    it("refresh names the late duplicate and how to remove it, and changes nothing", async () => {
        const host = await startHost();
        const { created, duplicate } = await createWithLateDuplicate(host);
        const read = await host.read(created.id, created.outputs);
        assert.strictEqual(read.id, created.id);
        assert.strictEqual(read.outputs.name, created.outputs.name);
        assert.strictEqual(emulator.stored().length, 2, "refresh deletes nothing");
        assert.ok(!emulator.calls().some((c) => c.startsWith("DELETE")));
        assert.match(
            host.printed,
            new RegExp(
                `Cloudglue connector ${duplicate.id} duplicates connector ${created.id}: the same create's name and ` +
                    "token, a POST carried out late\\. Delete it in Cloudglue's web app; in api mode `pulumi destroy` deletes it\\.",
            ),
        );
    });

    it("an update in api mode deletes the late duplicate, and only it", async () => {
        const host = await startHost();
        const { created, duplicate } = await createWithLateDuplicate(host);
        const grown = { ...inputs, buckets: [...(inputs.buckets as string[]), "acme-media-dev-archive"] };
        await host.update(created.id, created.outputs, grown);
        const [kept] = emulator.stored();
        assert.deepStrictEqual(
            emulator.stored().map((c) => c.id),
            [created.id],
        );
        assert.deepStrictEqual(kept.metadata.buckets, grown.buckets);
        assert.match(host.printed, new RegExp(`Removed Cloudglue connector ${duplicate.id}: a duplicate of connector`));
    });

    it("an update in web mode leaves the late duplicate and says so", async () => {
        const host = await startHost();
        const { created, duplicate } = await createWithLateDuplicate(host);
        const web = await startHost({ "cloudglue:registration": "web" });
        const grown = { ...inputs, buckets: [...(inputs.buckets as string[]), "acme-media-dev-archive"] };
        await web.update(created.id, created.outputs, grown);
        assert.strictEqual(emulator.stored().length, 2);
        assert.match(web.printed, new RegExp(`Cloudglue connector ${duplicate.id} duplicates connector ${created.id}`));
    });

    it("destroy deletes the connector and its late duplicate, and no connector that is not provably its own", async () => {
        const host = await startHost();
        const { created, duplicate } = await createWithLateDuplicate(host);
        const name = String(created.outputs.name);
        const others = [
            emulator.seed({ type: "s3", metadata: { role_arn: OTHER_ROLE_ARN, name }, external_id: "other-role-01" }),
            emulator.seed({ type: "gcs", metadata: { role_arn: ROLE_ARN, name }, external_id: "other-type-001" }),
        ];
        await host.delete(created.id, created.outputs);
        assert.deepStrictEqual(emulator.stored(), others, "another role or type with the same name is left");
        assert.match(host.printed, new RegExp(`Removed Cloudglue connector ${duplicate.id}: a duplicate of connector`));
    });

    it("a create that gives up says a connector may appear late, and how the next up treats it", async () => {
        const host = await startHost({ "cloudglue:propagationTimeoutSeconds": "1" });
        emulator.inject({ kind: "late", ms: LATE_MS }, { method: "POST", times: Infinity });
        const checked = await host.check({}, inputs);
        let name = "";
        await assert.rejects(host.create(checked.inputs), (error: Error) => {
            const said =
                /A POST got no answer and may still be carried out: connector "([^"]+)" may appear late\./.exec(
                    error.message,
                );
            assert.ok(said, error.message);
            name = said[1];
            assert.match(name, /^pulumi:organization\/cloudglue\/dev#[0-9a-f]{32}$/);
            assert.match(
                error.message,
                /The next `pulumi up` leaves it as an earlier registration of this stack and says so: delete it in Cloudglue's web app\.$/,
            );
            return true;
        });
        await waitFor(() => emulator.stored().length > 0);
        assert.ok(emulator.stored().every((c) => c.metadata.name === name));
    });
});
