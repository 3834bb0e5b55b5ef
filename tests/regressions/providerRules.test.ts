/**
 * The connector provider's rules that a mutation run of `connectorProvider.ts` showed no test would
 * notice breaking (issue 15): what check accepts and refuses, what diff asks the engine for, the
 * exact words of each error, what refresh keeps, and the settings that fall back. The provider runs
 * in the SDK's provider host against the emulator (in-process under `npm run mutation`); every
 * expected text is written out here.
 */
import * as assert from "assert";
import { CloudglueClient } from "../../components/cloudglueApi";
import { backoffMs } from "../../components/connectorProvider";
import { CloudglueEmulator } from "../../emulator/cloudglueEmulator";
import { apiModeConnectorInputs, Props, ProviderHost } from "../helpers/providerHost";

const API_KEY = "cg-provider-rules-key-4f1a8c2e6b9d0357";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const PREFIX = "pulumi:organization/cloudglue/dev";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const CONNECTOR_ID = "0d1e2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6";
const WAYS_ON =
    "To manage one again: adopt one (`pulumi config set cloudglue:connectorId <id>`), or `pulumi state delete` " +
    "this one and `pulumi up` registers a new one.";

describe("provider rules pinned by the mutation run", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let inputs: Props;
    let host: ProviderHost;
    const hosts: ProviderHost[] = [];
    /** Cloudglue's side: what its web app or another client does to a connector. */
    let cloudglue: CloudglueClient;

    const apiConfig = { "cloudglue:apiKey": API_KEY, "cloudglue:registration": "api" };
    const startHost = async (config: Record<string, string>, env: Record<string, string> = {}) => {
        const started = await ProviderHost.configured({ "cloudglue:apiUrl": emulator.url, ...config }, env);
        hosts.push(started);
        return started;
    };
    const posts = () => emulator.log.filter((r) => r.method === "POST");
    const rejection = async (promise: Promise<unknown>): Promise<string> => {
        try {
            await promise;
        } catch (e) {
            return (e as Error).message;
        }
        assert.fail("expected the call to fail");
    };

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        inputs = await apiModeConnectorInputs(emulator.url, API_KEY);
        assert.strictEqual(inputs.roleArn, ROLE_ARN);
        assert.strictEqual(inputs.name, PREFIX);
        cloudglue = new CloudglueClient({ apiUrl: emulator.url, apiKey: API_KEY, requestTimeoutMs: 5000, secrets: [] });
        host = await startHost({ ...apiConfig, "cloudglue:propagationTimeoutSeconds": "6" });
    });
    beforeEach(() => emulator.reset());
    after(async () => {
        hosts.forEach((h) => h.stop());
        await emulator?.stop();
    });

    describe("check", () => {
        const failures = async (news: Props) => (await host.check({}, { ...inputs, ...news })).failures;

        it("lets values the engine does not know yet through", async () => {
            assert.deepStrictEqual(
                await failures({ roleArn: UNKNOWN, externalId: UNKNOWN, name: UNKNOWN, connectorId: UNKNOWN }),
                [],
            );
            assert.deepStrictEqual(await failures({ buckets: [UNKNOWN, "acme-media-dev-raw"] }), []);
            assert.deepStrictEqual(await failures({ buckets: UNKNOWN }), []);
        });

        it("takes a role ARN with a path, and refuses anything before or after an ARN", async () => {
            const withPath = "arn:aws:iam::111122223333:role/service-role/team/cloudglue-external-s3-access-role";
            assert.deepStrictEqual(await failures({ roleArn: withPath }), []);
            for (const roleArn of [`x${ROLE_ARN}`, `${ROLE_ARN} x`, "arn:aws:iam::1111:role/short-account"]) {
                assert.deepStrictEqual(await failures({ roleArn }), [
                    { property: "roleArn", reason: `"${roleArn}" is not an IAM role ARN` },
                ]);
            }
        });

        it("takes a UUID connector id, and refuses one with anything before or after it", async () => {
            assert.deepStrictEqual(await failures({ connectorId: CONNECTOR_ID.toUpperCase() }), []);
            for (const connectorId of [`x${CONNECTOR_ID}`, `${CONNECTOR_ID}-0`]) {
                assert.deepStrictEqual(await failures({ connectorId }), [
                    {
                        property: "connectorId",
                        reason: `cloudglue:connectorId "${connectorId}" is not a Cloudglue connector id`,
                    },
                ]);
            }
        });

        it("refuses an external ID of one character, or one that is not text", async () => {
            assert.deepStrictEqual(await failures({ externalId: "ab" }), []);
            for (const externalId of ["a", 1234567890123456]) {
                assert.deepStrictEqual(await failures({ externalId }), [
                    { property: "externalId", reason: "the external ID is missing or shorter than 2 characters" },
                ]);
            }
        });

        it("refuses a bucket list that is empty or holds something other than names", async () => {
            for (const buckets of [[], ["acme-media-dev-raw", 7]]) {
                assert.deepStrictEqual(await failures({ buckets }), [
                    { property: "buckets", reason: "buckets must be a non-empty list of bucket names" },
                ]);
            }
        });

        it("needs a name prefix of 1 to 223 characters to register, and none to adopt", async () => {
            const reason = (length: number) =>
                "the connector's name prefix (pulumi:<org>/<project>/<stack>) must be 1 to 223 characters, " +
                `not ${length}: shorten the project or stack name`;
            assert.deepStrictEqual(await failures({ name: "" }), [{ property: "name", reason: reason(0) }]);
            assert.deepStrictEqual(await failures({ name: 42 }), [{ property: "name", reason: reason(2) }]);
            assert.deepStrictEqual(await failures({ name: "p".repeat(224) }), [
                { property: "name", reason: reason(224) },
            ]);
            assert.deepStrictEqual(await failures({ name: "p".repeat(223) }), []);

            const { name: _name, ...unnamed } = inputs;
            void _name;
            assert.deepStrictEqual((await host.check({}, unnamed)).failures, [
                { property: "name", reason: "the connector's name is required to register one" },
            ]);
            const adopting = await host.check({}, { ...unnamed, connectorId: CONNECTOR_ID });
            assert.deepStrictEqual(adopting.failures, []);
            assert.ok(!("name" in adopting.inputs), "no name is made up");
            assert.strictEqual(adopting.inputs.connectorId, CONNECTOR_ID);
            assert.ok(!("connectorId" in (await host.check({}, inputs)).inputs), "no connector id is made up");
        });
    });

    describe("diff", () => {
        it("asks for create-before-delete on a replace, and rewrites an older state in place", async () => {
            const created = await host.checkedCreate(inputs);
            assert.deepStrictEqual(
                await host.diff(created.id, created.outputs, { ...inputs, connectorId: CONNECTOR_ID }),
                {
                    changes: "some",
                    replaces: ["connectorId"],
                    deleteBeforeReplace: false,
                },
            );
            assert.deepStrictEqual(await host.diff(created.id, { ...created.outputs, stateVersion: 2 }, inputs), {
                changes: "some",
                replaces: [],
                deleteBeforeReplace: false,
            });
            assert.strictEqual(
                (await host.diff(created.id, created.outputs, { ...inputs, externalId: UNKNOWN })).changes,
                "some",
            );
        });

        it("an adopted connector: its id in other letters is no change, another id is a replace", async () => {
            const seeded = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN } });
            const adopting = { ...inputs, connectorId: seeded.id };
            const adopted = await host.checkedCreate(adopting);
            const upper = { ...adopting, connectorId: seeded.id.toUpperCase() };
            assert.deepStrictEqual(await host.diff(adopted.id, adopted.outputs, upper), {
                changes: "none",
                replaces: [],
                deleteBeforeReplace: false,
            });
            assert.deepStrictEqual(
                (await host.diff(adopted.id, adopted.outputs, { ...inputs, connectorId: CONNECTOR_ID })).replaces,
                ["connectorId"],
            );
        });
    });

    describe("create", () => {
        it("leaves connectors of another type for the role alone, whatever they are named", async () => {
            const gcs = emulator.seed({ type: "gcs", metadata: { role_arn: ROLE_ARN, name: "someone-else" } });
            const created = await host.checkedCreate(inputs);
            assert.deepStrictEqual(
                emulator.stored().map((c) => c.id),
                [gcs.id, created.id],
            );
        });

        it("says whose connector it found, quoting at most 200 characters of its name", async () => {
            const expected = (id: string, carries: string) =>
                `Cloudglue already has connector ${id} for ${ROLE_ARN}, and it is not this stack's: it ${carries}, ` +
                `while this stack registers its own as "${PREFIX}#<a token of its own>". The stack will not change or ` +
                `delete it. Either adopt it: \`pulumi config set cloudglue:connectorId ${id}\`, then \`pulumi up\`; or ` +
                "delete it in Cloudglue's web app (Data connectors), then `pulumi up` again to register the stack's own.";
            const cases: [string | undefined, string][] = [
                [undefined, "carries no name"],
                ["team-x", 'carries the name "team-x"'],
                ["n".repeat(200), `carries the name "${"n".repeat(200)}"`],
                ["n".repeat(201), `carries the name "${"n".repeat(200)}..."`],
            ];
            for (const [name, carries] of cases) {
                emulator.reset();
                const other = emulator.seed({
                    type: "s3",
                    metadata: { role_arn: ROLE_ARN, ...(name === undefined ? {} : { name }) },
                });
                assert.strictEqual(await rejection(host.checkedCreate(inputs)), expected(other.id, carries));
                assert.strictEqual(posts().length, 0);
            }
        });

        it("puts someone else's connector id in the adopt command only when it is a UUID", async () => {
            // The client takes ids of [A-Za-z0-9_-]; one from a hostile server could be a flag: -sprod is --stack prod.
            emulator.seed({ id: "-sprod", type: "s3", metadata: { role_arn: ROLE_ARN, name: "team-x" } });
            const message = await rejection(host.checkedCreate(inputs));
            assert.match(
                message,
                /Either adopt it: `pulumi config set cloudglue:connectorId <its id>`, then `pulumi up`/,
            );
            assert.strictEqual(posts().length, 0);
        });

        it("after a lost POST, refuses a connector someone else registered for the role meanwhile", async () => {
            emulator.inject({ kind: "drop", after: false }, { method: "POST" });
            const creating = rejection(host.checkedCreate(inputs));
            while (!emulator.log.some((r) => r.method === "POST" && r.dropped)) {
                await new Promise((done) => setTimeout(done, 10));
            }
            const someoneElses = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN, name: "team-x" } });
            assert.match(await creating, new RegExp(`^Cloudglue already has connector ${someoneElses.id} for `));
            assert.deepStrictEqual(emulator.stored(), [someoneElses], "not taken over, not deleted");
        });

        it("takes over its own POST whose answer was lost as its own registration, not as an adopted one", async () => {
            emulator.inject({ kind: "drop", after: true }, { method: "POST" });
            const created = await host.checkedCreate(inputs);
            assert.strictEqual(created.outputs.adopted, false);
            assert.match(String(created.outputs.name), new RegExp(`^${PREFIX}#[0-9a-f]{32}$`));
            assert.strictEqual(emulator.stored()[0].metadata.name, created.outputs.name);
        });

        it("tells of an earlier registration once, and keeps it, when its POST is answered 500 and sent again", async () => {
            const earlier = emulator.seed({
                type: "s3",
                metadata: { role_arn: ROLE_ARN, name: `${PREFIX}#${"e".repeat(32)}` },
            });
            emulator.inject({ kind: "status", status: 500 }, { method: "POST" });
            const printedBefore = host.printed.length;
            const created = await host.checkedCreate(inputs);
            assert.strictEqual(posts().length, 2);
            assert.deepStrictEqual(
                emulator.stored().map((c) => c.id),
                [earlier.id, created.id],
                "the earlier registration is not a duplicate of this create",
            );
            const told =
                `Left Cloudglue connector ${earlier.id} as it is: an earlier registration of this stack ` +
                `(${PREFIX}#${"e".repeat(32)}); the stack registers a new one for ${ROLE_ARN}. In a replace, ` +
                "Pulumi deletes the old one next; else delete it in Cloudglue's web app.";
            assert.strictEqual(host.printed.slice(printedBefore).split(told).length - 1, 1, "said once");
        });

        it("gives up on a POST answered 500 each time at cloudglue:propagationTimeoutSeconds, after a few tries", async () => {
            const impatient = await startHost({ ...apiConfig, "cloudglue:propagationTimeoutSeconds": "2" });
            emulator.inject(
                { kind: "status", status: 500, error: "Internal trouble" },
                { method: "POST", times: Infinity },
            );
            const message = await rejection(impatient.checkedCreate(inputs));
            assert.match(message, /POST .*\/v1\/data-connectors answered 500\. Cloudglue said: "Internal trouble"/);
            assert.ok(posts().length >= 2 && posts().length <= 5, `${posts().length} POSTs in 2 s, backing off`);
        });

        it("while IAM propagates, sends its POST again only a few times, backing off", async () => {
            emulator.propagationWindowMs = 2500;
            await host.checkedCreate(inputs);
            assert.ok(posts().length >= 2 && posts().length <= 5, `${posts().length} POSTs in 2.5 s`);
        });

        it("names the role, the setting and the likely causes when Cloudglue cannot assume the role in time", async () => {
            const impatient = await startHost({ ...apiConfig, "cloudglue:propagationTimeoutSeconds": "1" });
            emulator.propagationWindowMs = 60_000;
            assert.strictEqual(
                await rejection(impatient.checkedCreate(inputs)),
                `Cloudglue could not assume ${ROLE_ARN} within 1 s (cloudglue:propagationTimeoutSeconds). Cloudglue ` +
                    `said: "Unable to assume role ${ROLE_ARN}: AccessDenied". Likely causes: IAM has not finished ` +
                    "propagating a new or changed role (run `pulumi up` again in a minute, or raise " +
                    "cloudglue:propagationTimeoutSeconds); the external ID Cloudglue was given differs from the one in " +
                    "the role's trust policy; or the role's trust policy was changed outside Pulumi.",
            );
        });

        it("propagationTimeoutSeconds 0 gives up at the first 502; a negative one is taken as the default 120", async () => {
            emulator.propagationWindowMs = 1500;
            const now = await startHost({ ...apiConfig, "cloudglue:propagationTimeoutSeconds": "0" });
            assert.match(await rejection(now.checkedCreate(inputs)), /could not assume .* within 0 s/);
            assert.strictEqual(posts().length, 1);
            emulator.reset();
            emulator.propagationWindowMs = 1500;
            const negative = await startHost({ ...apiConfig, "cloudglue:propagationTimeoutSeconds": "-5" });
            await negative.checkedCreate(inputs);
            assert.strictEqual(emulator.stored().length, 1, "waited through propagation");
        });

        it("a CLOUDGLUE_REQUEST_TIMEOUT_SECONDS of 0 or below is taken as the default 15 s", async () => {
            for (const seconds of ["0", "-1"]) {
                emulator.reset();
                const odd = await startHost(apiConfig, { CLOUDGLUE_REQUEST_TIMEOUT_SECONDS: seconds });
                emulator.inject({ kind: "delay", ms: 300 }, { method: "GET" });
                await odd.checkedCreate(inputs);
                assert.strictEqual(emulator.stored().length, 1, `registered with ${seconds}`);
            }
        });

        it("without an API key anywhere, says where to set one", async () => {
            const keyless = await startHost({ "cloudglue:registration": "api" });
            assert.strictEqual(
                await rejection(keyless.checkedCreate(inputs)),
                "No Cloudglue API key: set one with `pulumi config set --secret cloudglue:apiKey <key>`, or export " +
                    "CLOUDGLUE_API_KEY.",
            );
            assert.deepStrictEqual(emulator.log, []);
        });

        it("against an API without registration endpoints, says to use the web path", async () => {
            const published = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
            try {
                const web = await startHost({ ...apiConfig, "cloudglue:apiUrl": published.url });
                assert.strictEqual(
                    await rejection(web.checkedCreate(inputs)),
                    "This Cloudglue API cannot register connectors (POST /v1/data-connectors answered 405), and " +
                        "cloudglue:registration is api. Cloudglue's public API makes connectors only in its web app: run " +
                        "`pulumi config set cloudglue:registration web` (the default) and `pulumi up` again; the stack " +
                        "then finishes with the role, and its nextStep output says what to enter in the web app.",
                );
            } finally {
                await published.stop();
            }
        });

        it("adopting: names the id it cannot find, and the role of a connector made for another", async () => {
            assert.strictEqual(
                await rejection(host.checkedCreate({ ...inputs, connectorId: CONNECTOR_ID })),
                `cloudglue:connectorId "${CONNECTOR_ID}": the Cloudglue account of this API key has no such connector. ` +
                    "Copy the id from Cloudglue's web app (Data connectors), or remove the setting to let the stack create one.",
            );
            const otherRole = "arn:aws:iam::444455556666:role/cloudglue-external-s3-access-role";
            const theirs = emulator.seed({ type: "s3", metadata: { role_arn: otherRole } });
            assert.strictEqual(
                await rejection(host.checkedCreate({ ...inputs, connectorId: theirs.id })),
                `cloudglue:connectorId "${theirs.id}" is the S3 connector for the role ${otherRole}, but this stack's ` +
                    `role is ${ROLE_ARN}. Give the id of the connector made with this stack's role ARN (the stack's ` +
                    "roleArn output), or make one in Cloudglue's web app with it.",
            );
            const roleless = emulator.seed({ type: "s3", metadata: {} });
            const adopted = await host.checkedCreate({ ...inputs, connectorId: roleless.id });
            assert.strictEqual(
                adopted.outputs.adopted,
                true,
                "a connector that shows no role is taken on the user's word",
            );
        });
    });

    describe("read (refresh and import)", () => {
        it("refresh of its own connector takes Cloudglue's buckets and times, and keeps it the stack's", async () => {
            const created = await host.checkedCreate(inputs);
            await new Promise((done) => setTimeout(done, 5));
            await cloudglue.updateConnector(created.id, { buckets: ["acme-media-dev-raw"] }, []);
            const read = await host.read(created.id, created.outputs);
            const onServer = emulator.stored()[0];
            assert.deepStrictEqual(read.outputs.buckets, ["acme-media-dev-raw"]);
            assert.strictEqual(read.outputs.updatedAt, onServer.updated_at);
            assert.ok(onServer.updated_at > Number(created.outputs.updatedAt));
            assert.strictEqual(read.outputs.adopted, false);
            assert.strictEqual(read.outputs.name, created.outputs.name);
        });

        it("refresh of an adopted connector takes its times and keeps the configured buckets", async () => {
            const seeded = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN, buckets: ["web-app-bucket"] } });
            const adopted = await host.checkedCreate({ ...inputs, connectorId: seeded.id });
            await new Promise((done) => setTimeout(done, 5));
            await cloudglue.updateConnector(seeded.id, { buckets: ["changed-in-the-web-app"] }, []);
            const read = await host.read(seeded.id, adopted.outputs);
            assert.strictEqual(read.outputs.updatedAt, emulator.stored()[0].updated_at);
            assert.ok(Number(read.outputs.updatedAt) > Number(adopted.outputs.updatedAt));
            assert.deepStrictEqual(read.outputs.buckets, inputs.buckets);
            assert.strictEqual(read.outputs.adopted, true);
        });

        it("import (`pulumi import`, read with inputs) makes the connector an adopted one", async () => {
            const seeded = emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN } });
            const imported = await host.read(seeded.id, inputs);
            assert.strictEqual(imported.id, seeded.id);
            assert.strictEqual(imported.outputs.connectorId, seeded.id);
            assert.strictEqual(imported.outputs.adopted, true);
            assert.ok(!("name" in imported.outputs));
        });

        it("a connector of another type is never the stack's, though it carries the stack's name and role", async () => {
            const created = await host.checkedCreate(inputs);
            const gcs = emulator.seed({
                type: "gcs",
                metadata: { role_arn: ROLE_ARN, name: String(created.outputs.name) },
            });
            const state = { ...created.outputs, connectorId: gcs.id };
            const printedBefore = host.printed.length;
            const read = await host.read(gcs.id, state);
            assert.strictEqual(read.outputs.type, "s3", "the state is kept as it was, not refreshed from the gcs one");
            assert.match(host.printed.slice(printedBefore), /The stack leaves it as it is/);
            await host.delete(gcs.id, state);
            // The s3 one that carries this create's name and token is its own, not in this state: a duplicate.
            assert.deepStrictEqual(
                emulator.stored().map((c) => c.id),
                [gcs.id],
                "the gcs one is not deleted",
            );
        });

        it("a connector no longer the stack's: refresh keeps the state and says what it has instead", async () => {
            const created = await host.checkedCreate(inputs);
            const nameless = emulator.seed({ type: "s3", metadata: {} });
            const printedBefore = host.printed.length;
            const read = await host.read(nameless.id, { ...created.outputs, connectorId: nameless.id });
            assert.strictEqual(read.outputs.connectorId, nameless.id);
            assert.strictEqual(read.outputs.adopted, false);
            assert.ok(
                host.printed
                    .slice(printedBefore)
                    .includes(
                        `Cloudglue connector ${nameless.id} was registered by this stack, but it no longer carries this ` +
                            `stack's name and role (${created.outputs.name} and ${ROLE_ARN}: its name and role differ; what ` +
                            "it carries now is not shown, as the server's text could hold the external ID). " +
                            `The stack leaves it as it is: it will neither change nor delete it. ${WAYS_ON}`,
                    ),
                host.printed.slice(printedBefore),
            );
        });
    });

    describe("update", () => {
        const grown = () => ({ ...inputs, buckets: [...(inputs.buckets as string[]), "acme-media-dev-archive"] });

        it("refuses to change a connector that is no longer the stack's, saying why and what to do", async () => {
            const created = await host.checkedCreate(inputs);
            await cloudglue.updateConnector(created.id, { role_arn: "arn:aws:iam::444455556666:role/elsewhere" }, []);
            assert.strictEqual(
                await rejection(host.update(created.id, created.outputs, grown())),
                `Cloudglue connector ${created.id} was registered by this stack, but it no longer carries this stack's ` +
                    `name and role (${created.outputs.name} and ${ROLE_ARN}: its role differs; what it carries now is not ` +
                    `shown, as the server's text could hold the external ID). The stack will not change it. ${WAYS_ON}`,
            );
        });

        it("of a connector deleted in Cloudglue, says to refresh", async () => {
            const created = await host.checkedCreate(inputs);
            await cloudglue.deleteConnector(created.id);
            assert.strictEqual(
                await rejection(host.update(created.id, created.outputs, grown())),
                `Cloudglue has no connector ${created.id} any more (deleted outside Pulumi). Run \`pulumi refresh\`, ` +
                    "then `pulumi up` to register it again.",
            );
        });

        it("keeps a new external ID out of Cloudglue's error", async () => {
            const created = await host.checkedCreate(inputs);
            const rotated = "Rotated.External.Id=Never-Shown-9";
            emulator.inject(
                { kind: "status", status: 400, error: `external_id ${rotated} is not accepted` },
                { method: "PATCH" },
            );
            const message = await rejection(
                host.update(created.id, created.outputs, { ...inputs, externalId: rotated }),
            );
            assert.match(message, /Cloudglue said: "external_id \[redacted\] is not accepted"/);
            assert.ok(!message.includes(rotated));
        });
    });

    describe("delete and settings", () => {
        const kept = (id: string, because: string) =>
            `Kept Cloudglue connector ${id}, which this stack registered, because ${because}. ` +
            "Delete it in Cloudglue's web app if it is no longer wanted.";

        for (const [setting, config, env] of [
            ["cloudglue:buckets", { "cloudglue:buckets": '["acme-media-dev-raw"]' }, { CLOUDGLUE_API_URL: "" }],
            ["cloudglue:apiUrl", { "cloudglue:apiUrl": "" }, {}],
        ] as const) {
            it(`a stack config with ${setting} but no cloudglue:registration is in web mode: it keeps what it registered`, async () => {
                const created = await host.checkedCreate(inputs);
                const web = await ProviderHost.configured(
                    {
                        "cloudglue:apiKey": API_KEY,
                        ...Object.fromEntries(
                            Object.entries(config).map(([key, value]) => [key, value || emulator.url]),
                        ),
                    },
                    Object.fromEntries(Object.entries(env).map(([key]) => [key, emulator.url])),
                );
                hosts.push(web);
                await web.delete(created.id, created.outputs);
                assert.strictEqual(emulator.stored().length, 1);
                assert.ok(
                    web.printed.includes(
                        kept(created.id, "cloudglue:registration is web, not api: the stack registers no connectors"),
                    ),
                    web.printed,
                );
            });
        }

        it("an empty cloudglue:connectorId is no connector id: in api mode it deletes what it registered", async () => {
            const created = await host.checkedCreate(inputs);
            const blank = await startHost({ ...apiConfig, "cloudglue:connectorId": "" });
            await blank.delete(created.id, created.outputs);
            assert.deepStrictEqual(emulator.stored(), []);
            assert.doesNotMatch(blank.printed, /Kept Cloudglue connector/);
        });

        it("an empty cloudglue:apiKey in the config leaves CLOUDGLUE_API_KEY to be used", async () => {
            const fromEnv = await startHost({ ...apiConfig, "cloudglue:apiKey": "" }, { CLOUDGLUE_API_KEY: API_KEY });
            await fromEnv.checkedCreate(inputs);
            assert.strictEqual(emulator.stored().length, 1);
        });
    });

    describe("backoff between tries", () => {
        const withRandom = <T>(value: number, body: () => T): T => {
            const random = Math.random;
            Math.random = () => value;
            try {
                return body();
            } finally {
                Math.random = random;
            }
        };

        it("waits half to all of 1 s, then 2 s, 4 s, and at most 8 s, never past the deadline", () => {
            const waits = (random: number) =>
                [1, 2, 3, 4, 5, 9].map((attempt) => withRandom(random, () => backoffMs(attempt, 60_000)));
            assert.deepStrictEqual(waits(0), [500, 1000, 2000, 4000, 4000, 4000]);
            assert.deepStrictEqual(waits(0.5), [750, 1500, 3000, 6000, 6000, 6000]);
            assert.deepStrictEqual(waits(0.999), [999.5, 1999, 3998, 7996, 7996, 7996]);
            assert.strictEqual(
                withRandom(0.5, () => backoffMs(3, 1200)),
                1200,
            );
            assert.strictEqual(
                withRandom(0.5, () => backoffMs(3, -5)),
                0,
            );
        });
    });
});
