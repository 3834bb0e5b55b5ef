/**
 * Whose connector is it? The provider, run by the SDK's provider host over gRPC against the
 * emulator, must never change, take over or delete a connector the stack did not register, in
 * whatever order the engine calls create and delete; and a slow POST must not leave two.
 */
import * as assert from "assert";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { apiModeConnectorInputs, Props, ProviderHost } from "./helpers/providerHost";

const API_KEY = "cg-ownership-test-key-7c1d9e2a4b6f8031";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
/** The stack's name prefix; each registration adds `#` and a token of its own. */
const OWN_PREFIX = "pulumi:organization/cloudglue/dev";
const OTHER_ROLE_ARN = "arn:aws:iam::444455556666:role/cloudglue-external-s3-access-role";
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

    const calls = () => emulator.calls();
    const deletes = () => emulator.log.filter((r) => r.method === "DELETE");
    /** A host configured as the engine configures it from the stack's config. */
    const startHost = async (config: Record<string, string> = {}, env: Record<string, string> = {}) => {
        const host = await ProviderHost.configured(
            {
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:propagationTimeoutSeconds": "8",
                "cloudglue:registration": "api",
                ...config,
            },
            env,
        );
        hosts.push(host);
        return host;
    };
    const create = (host: ProviderHost, props: Props = inputs) => host.checkedCreate(props);
    const seedWebAppConnector = () =>
        emulator.seed({ type: "s3", metadata: { role_arn: ROLE_ARN }, external_id: WEB_APP_EXTERNAL_ID });

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        inputs = await apiModeConnectorInputs(emulator.url, API_KEY);
        assert.strictEqual(inputs.name, OWN_PREFIX, "the program names the connector after org, project and stack");
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
                /it carries no name, while this stack registers its own as "pulumi:organization\/cloudglue\/dev#<a token/,
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
            deleteBeforeReplace: false,
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

    it("refuses a name prefix that leaves no room for the registration token in Cloudglue's 256 characters", async () => {
        const host = await startHost();
        const fits = await host.check({}, { ...inputs, name: `pulumi:${"o".repeat(216)}` });
        assert.deepStrictEqual(fits.failures, []);
        const tooLong = await host.check({}, { ...inputs, name: `pulumi:${"o".repeat(217)}` });
        assert.deepStrictEqual(tooLong.failures, [
            {
                property: "name",
                reason:
                    "the connector's name prefix (pulumi:<org>/<project>/<stack>) must be 1 to 223 characters, " +
                    "not 224: shorten the project or stack name",
            },
        ]);
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

    it("3. a lost POST carried out after it sent again: removes that duplicate of its own making, says so", async () => {
        // The first POST times out after 1 s and is carried out at 3.5 s, after the stack has looked
        // for it (twice the timeout) and sent the second POST, which answers at once.
        emulator.inject({ kind: "delay", ms: 3500 }, { method: "POST" });
        emulator.inject({ kind: "delay", ms: 800 }, { method: "POST" });
        const someoneElses = emulator.seed({ type: "s3", metadata: { role_arn: OTHER_ROLE_ARN, name: OWN_PREFIX } });
        const host = await startHost({}, { CLOUDGLUE_REQUEST_TIMEOUT_SECONDS: "1" });
        const created = await create(host);
        const posts = emulator.log.filter((r) => r.method === "POST");
        assert.strictEqual(posts.length, 2);
        assert.deepStrictEqual(
            emulator
                .stored()
                .map((c) => c.id)
                .sort(),
            [created.id, someoneElses.id].sort(),
        );
        assert.strictEqual(deletes().length, 1, "one DELETE: the late first POST's connector");
        await printedEventually(
            host,
            new RegExp(
                `Removed Cloudglue connector [0-9a-f-]{36}: a duplicate of connector ${created.id}, registered by this ` +
                    "very create under the same name and token for the same role \\(a POST whose answer was lost, " +
                    "carried out late\\)\\.",
            ),
        );
    });

    it("a connector someone names after the stack is never taken over, PATCHed or deleted as a duplicate", async () => {
        // Another organization's `cloudglue/dev` stack (the name before tokens), or a person who typed it.
        const lookalike = {
            type: "s3",
            metadata: { role_arn: ROLE_ARN, buckets: ["x"], name: "pulumi:cloudglue/dev" },
        };
        const first = emulator.seed({ ...lookalike, external_id: "another-orgs-id-1" });
        const second = emulator.seed({ ...lookalike, external_id: "another-orgs-id-2" });
        const host = await startHost();
        await assert.rejects(create(host), (error: Error) => {
            assert.ok(error.message.includes(`pulumi config set cloudglue:connectorId ${first.id}`));
            assert.match(error.message, /carries the name "pulumi:cloudglue\/dev"/);
            return true;
        });
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"], "no PATCH, no POST, no DELETE");
        assert.deepStrictEqual(emulator.stored(), [first, second], "both are as they were");
        assert.doesNotMatch(host.printed, /Removed Cloudglue connector|answer was lost/);

        // Another organization's stack of the same project and stack name: its prefix differs.
        emulator.reset();
        const otherOrg = emulator.seed({
            ...lookalike,
            metadata: {
                ...lookalike.metadata,
                name: "pulumi:another-org/cloudglue/dev#00112233445566778899aabbccddeeff",
            },
            external_id: "another-orgs-id-3",
        });
        await assert.rejects(create(host), /carries the name "pulumi:another-org\/cloudglue\/dev#/);
        assert.deepStrictEqual(emulator.stored(), [otherOrg]);
    });

    it("refresh keeps what the stack registered: a re-pointed connector is neither PATCHed back nor deleted", async () => {
        const host = await startHost();
        const created = await create(host);
        // Someone re-points the stack's connector at another account's role, in the web app or another tool.
        const repointed = await fetch(`${emulator.url}/v1/data-connectors/${created.id}`, {
            method: "PATCH",
            headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
            body: JSON.stringify({ role_arn: OTHER_ROLE_ARN }),
        });
        assert.strictEqual(repointed.status, 200);
        emulator.log.length = 0;

        const refreshed = await host.read(created.id, created.outputs); // pulumi refresh
        assert.strictEqual(refreshed.id, created.id);
        assert.strictEqual(refreshed.outputs.roleArn, ROLE_ARN, "the role the stack registered, not the server's");
        assert.strictEqual(refreshed.outputs.name, created.outputs.name);
        await printedEventually(
            host,
            new RegExp(`connector ${created.id} was registered by this stack, but it no longer`),
        );
        assert.match(host.printed, /The stack leaves it as it is: it will neither change nor delete it/);

        // The next `pulumi up` with the same inputs: nothing to do, so no PATCH of the role back.
        assert.deepStrictEqual(await host.diff(created.id, refreshed.outputs, inputs), {
            changes: "none",
            replaces: [],
            deleteBeforeReplace: false,
        });
        // A change of buckets: refused, not sent.
        const grown = { ...inputs, buckets: [...(inputs.buckets as string[]), "acme-media-dev-archive"] };
        await assert.rejects(host.update(created.id, refreshed.outputs, grown), /The stack will not change it/);
        // `pulumi destroy`, after the refresh and without it.
        await host.delete(created.id, refreshed.outputs);
        await host.delete(created.id, created.outputs);

        assert.deepStrictEqual(
            emulator.log.filter((r) => r.method !== "GET"),
            [],
            "no PATCH, no DELETE",
        );
        assert.deepStrictEqual(
            emulator.stored().map((c) => [c.id, c.metadata.role_arn]),
            [[created.id, OTHER_ROLE_ARN]],
        );
    });

    it("a forced replace (create before delete) registers a new connector and deletes only the old one", async () => {
        const host = await startHost();
        const old = await create(host);
        // `pulumi up --replace`: the engine creates the replacement, then deletes the old one.
        const replacement = await create(host);
        assert.notStrictEqual(replacement.id, old.id, "never takes over the old one");
        assert.notStrictEqual(replacement.outputs.name, old.outputs.name, "a token of its own");
        await printedEventually(
            host,
            new RegExp(`Left Cloudglue connector ${old.id} as it is: an earlier registration`),
        );
        await host.delete(old.id, old.outputs);
        assert.deepStrictEqual(
            deletes().map((r) => r.path),
            [`/v1/data-connectors/${old.id}`],
        );
        assert.deepStrictEqual(
            emulator.stored().map((c) => c.id),
            [replacement.id],
        );
        assert.strictEqual((await host.read(replacement.id, replacement.outputs)).id, replacement.id);

        // Delete before create (deleteBeforeReplace), then create again: one connector, the new one.
        await host.delete(replacement.id, replacement.outputs);
        const again = await create(host);
        assert.deepStrictEqual(
            emulator.stored().map((c) => c.id),
            [again.id],
        );
        assert.strictEqual(emulator.log.filter((r) => r.method === "PATCH").length, 0);
    });

    it("import (a read with the inputs, no state) makes an adopted connector, which destroy keeps", async () => {
        const host = await startHost();
        const created = await create(host);
        emulator.log.length = 0;
        // On import the engine has no state: the host hands read the program's inputs instead.
        const imported = await host.read(created.id, inputs);
        assert.strictEqual(imported.id, created.id);
        assert.strictEqual(imported.outputs.adopted, true);
        assert.strictEqual(imported.outputs.externalId, undefined, "the external ID stays out of the state");
        await host.delete(created.id, imported.outputs);
        assert.deepStrictEqual(calls(), ["GET /v1/data-connectors"], "read through the published list; no DELETE");
        assert.strictEqual(emulator.stored().length, 1);
    });

    it("state written before tokens (version 2) stays the stack's by its name and role", async () => {
        const host = await startHost();
        const legacy = emulator.seed({
            type: "s3",
            metadata: { role_arn: ROLE_ARN, buckets: ["acme-media-dev-raw"], name: "pulumi:cloudglue/dev" },
            external_id: "e",
        });
        await assert.rejects(create(host), /carries the name "pulumi:cloudglue\/dev"/, "a fresh create leaves it be");
        const versionTwo: Props = {
            stateVersion: 2,
            connectorId: legacy.id,
            type: "s3",
            createdAt: legacy.created_at,
            updatedAt: legacy.updated_at,
            roleArn: ROLE_ARN,
            buckets: ["acme-media-dev-raw"],
            externalIdHash: "0".repeat(64),
            adopted: false,
            name: "pulumi:cloudglue/dev",
            __provider: inputs.__provider,
        };
        emulator.log.length = 0;
        const read = await host.read(legacy.id, versionTwo);
        assert.strictEqual(read.outputs.stateVersion, 3);
        assert.strictEqual(read.outputs.name, "pulumi:cloudglue/dev");
        await host.delete(legacy.id, read.outputs);
        assert.deepStrictEqual(
            deletes().map((r) => r.path),
            [`/v1/data-connectors/${legacy.id}`],
        );
    });
});
