/**
 * `npm run mutation` drives the provider in this process (PROVIDER_IN_PROCESS=1), mirroring the SDK's
 * provider host, because Stryker's mutants cannot run from the serialized provider. The mirror is
 * only worth its scores if it answers as the SDK's host does: the same engine calls, through both,
 * against the same emulator, must give the same answers, errors, requests and printed lines.
 */
import * as assert from "assert";
import { CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { apiModeConnectorInputs, Props, ProviderHost } from "./helpers/providerHost";

const API_KEY = "cg-mirror-test-key-5e2a9c4d7b1f3068";

describe("the in-process provider host used by mutation runs answers as the SDK's host", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let inputs: Props;

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        inputs = await apiModeConnectorInputs(emulator.url, API_KEY);
    });
    after(() => emulator.stop());

    /** One pass through the engine's calls; ids, times and tokens written as placeholders. */
    async function lifecycle(start: (env?: Record<string, string>) => Promise<ProviderHost>) {
        emulator.reset();
        const host = await start();
        const webHost = await start({ CLOUDGLUE_API_KEY: "cg-wrong-key-000000000000" });
        const seen: unknown[] = [];
        const settled = async (step: string, call: () => Promise<unknown>) => {
            try {
                seen.push([step, await call()]);
            } catch (e) {
                seen.push([step, "rejected", (e as Error).message]);
            }
        };
        try {
            await host.configure({
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:registration": "api",
                "cloudglue:propagationTimeoutSeconds": "2",
            });
            await webHost.configure({ "cloudglue:apiUrl": emulator.url, "cloudglue:buckets": "[]" });
            const grown = { ...inputs, buckets: [...(inputs.buckets as string[]), "acme-media-dev-archive"] };
            await settled("check malformed", () =>
                host.check({}, { ...inputs, roleArn: "arn:aws:iam::1:role/x", buckets: [] }),
            );
            const created = await host.checkedCreate(inputs);
            seen.push(["create", created]);
            await settled("diff same", () => host.diff(created.id, created.outputs, inputs));
            await settled("diff grown", () => host.diff(created.id, created.outputs, grown));
            const updated = await host.update(created.id, created.outputs, grown);
            seen.push(["update", updated]);
            await settled("read", () => host.read(created.id, updated));
            await settled("create with a wrong key", () => webHost.create(inputs));
            await settled("delete in web mode", () => webHost.delete(created.id, updated));
            await settled("delete", () => host.delete(created.id, updated));
            await settled("read gone", () => host.read(created.id, updated));
            await settled("read garbage state", () => host.read(created.id, { ...updated, stateVersion: 99 }));
            const requests = emulator.log.map((r) => `${r.method} ${r.path.split("?")[0]} ${r.status}`);
            const printed = host.printed + webHost.printed;
            return { seen: placeholders(seen, created.id), requests: placeholders(requests, created.id), printed };
        } finally {
            host.stop();
            webHost.stop();
        }
    }

    function placeholders(value: unknown, id: string): unknown {
        return JSON.parse(
            JSON.stringify(value)
                .split(id)
                .join("<id>")
                .replace(/"(createdAt|updatedAt)":\d+/g, '"$1":"<time>"')
                .replace(/#[0-9a-f]{32}/g, "#<token>"),
        );
    }

    it("gives the same answers, errors and requests for create, diff, update, read and delete", async () => {
        const sdk = await lifecycle(ProviderHost.startSdk);
        const mirror = await lifecycle(ProviderHost.startInProcess);
        assert.deepStrictEqual(mirror.seen, sdk.seen);
        assert.deepStrictEqual(mirror.requests, sdk.requests);
        for (const printed of [sdk.printed, mirror.printed]) {
            assert.match(
                printed,
                /Kept Cloudglue connector \S+, which this stack registered, because cloudglue:registration is web/,
            );
            assert.match(
                printed,
                /Error: [^\n]*newer version[^\n]*: Error: [^\n]*\n\s+at /,
                "read prints its error and stack",
            );
        }
    });
});
