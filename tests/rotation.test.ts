/**
 * Rotating the external ID without an outage (issue 21): the rotation's state as its provider
 * keeps it, the program's documents and words during a grace window, and in api mode the order
 * of the trust change and the PATCH, against the emulator judging assumptions by the trust policy.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import { CloudglueEmulator, trustAccepts } from "../emulator/cloudglueEmulator";
import { buildTrustPolicy } from "../components/iamDocuments";
import { isoDeadline, nextRotationState, ROTATION_TYPE, RotationState } from "../components/externalIdRotation";
import { runAccessCheck } from "./helpers/processes";
import { apiModeConnectorInputs, Props, ProviderHost } from "./helpers/providerHost";
import { onlyOfType, ProgramRun, runProgram, stackConfig } from "../scripts/lib/programRun";

const OLD_ID = "Old+External.Id=2026@acme:previous-one";
const NEW_ID = "M0ck+External.Id=For/Tests:only@x,y-z"; // what the mocks' RandomPassword answers
const HOUR = 3_600_000;
const T0 = Date.parse("2026-12-02T14:00:00Z");
const API_KEY = "cg-rotation-test-key-5f3a9c1e7b2d4086";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const WEB_APP_ID = "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f";

describe("rotating the external ID: the rotation's state", () => {
    const first = nextRotationState(undefined, { externalId: OLD_ID, graceHours: 72 }, T0);

    it("starts with the current ID only", () => {
        assert.deepStrictEqual(first, { stateVersion: 1, current: OLD_ID });
    });

    it("on a new ID keeps the previous one until graceHours after the rotation, in ISO 8601 UTC", () => {
        const rotated = nextRotationState(first, { externalId: NEW_ID, graceHours: 72 }, T0 + 1234);
        assert.deepStrictEqual(rotated, {
            stateVersion: 1,
            current: NEW_ID,
            previous: OLD_ID,
            previousUntil: "2026-12-05T14:00:01Z",
        });
    });

    it("does not move the deadline at a later run inside the window, whatever graceHours says then", () => {
        const rotated = nextRotationState(first, { externalId: NEW_ID, graceHours: 72 }, T0);
        for (const graceHours of [72, 24, 720]) {
            assert.deepStrictEqual(
                nextRotationState(rotated, { externalId: NEW_ID, graceHours }, T0 + 71 * HOUR),
                rotated,
            );
        }
    });

    it("drops the previous ID at the first run at or after the deadline, and when graceHours becomes 0", () => {
        const rotated = nextRotationState(first, { externalId: NEW_ID, graceHours: 72 }, T0);
        const plain = { stateVersion: 1, current: NEW_ID };
        assert.deepStrictEqual(
            nextRotationState(rotated, { externalId: NEW_ID, graceHours: 72 }, T0 + 72 * HOUR),
            plain,
        );
        assert.deepStrictEqual(nextRotationState(rotated, { externalId: NEW_ID, graceHours: 0 }, T0 + HOUR), plain);
    });

    it("keeps no previous ID with graceHours 0 (the behaviour before the grace window)", () => {
        assert.deepStrictEqual(nextRotationState(first, { externalId: NEW_ID, graceHours: 0 }, T0), {
            stateVersion: 1,
            current: NEW_ID,
        });
    });

    it("holds at most two IDs: a second rotation inside the window drops the oldest", () => {
        const rotated = nextRotationState(first, { externalId: NEW_ID, graceHours: 72 }, T0);
        const again = nextRotationState(
            rotated,
            { externalId: "Third-External-Id-0123456789", graceHours: 72 },
            T0 + HOUR,
        );
        assert.strictEqual(again.previous, NEW_ID);
        assert.strictEqual(again.previousUntil, isoDeadline(T0 + 73 * HOUR));
    });
});

describe("rotating the external ID: the rotation provider in the SDK's provider host", function () {
    this.timeout(60000);
    let host: ProviderHost;
    let inputs: Props;

    before(async () => {
        const run = await runProgram({ config: stackConfig("dev") });
        inputs = onlyOfType(run, ROTATION_TYPE).inputs;
        host = await ProviderHost.startSdk();
        await host.configure({});
    });
    after(() => host.stop());

    const withId = (externalId: string, graceHours = 72) => ({ ...inputs, externalId, graceHours });

    it("records a rotation once, changes nothing at a later run in the window, and drops the expired ID in place", async () => {
        const created = await host.checkedCreate(withId(OLD_ID));
        assert.strictEqual(created.outputs.current, OLD_ID);
        // "" rather than absent: an output missing from the state is unknown at every preview.
        assert.strictEqual(created.outputs.previous, "");
        assert.strictEqual(created.outputs.previousUntil, "");
        assert.deepStrictEqual(await host.diff(created.id, created.outputs, withId(OLD_ID)), {
            changes: "none",
            replaces: [],
            deleteBeforeReplace: false,
        });

        const rotatedDiff = await host.diff(created.id, created.outputs, withId(NEW_ID));
        assert.deepStrictEqual([rotatedDiff.changes, rotatedDiff.replaces], ["some", []], "an update in place");
        const before = Date.now();
        const rotated = await host.update(created.id, created.outputs, withId(NEW_ID));
        assert.strictEqual(rotated.current, NEW_ID);
        assert.strictEqual(rotated.previous, OLD_ID);
        assert.match(String(rotated.previousUntil), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const until = Date.parse(String(rotated.previousUntil));
        assert.ok(until >= Math.floor(before / 1000) * 1000 + 72 * HOUR && until <= Date.now() + 72 * HOUR);

        // A later `up` in the window: no change, so the deadline stays as the rotation fixed it.
        assert.strictEqual((await host.diff(created.id, rotated, withId(NEW_ID))).changes, "none");
        assert.strictEqual((await host.diff(created.id, rotated, withId(NEW_ID, 24))).changes, "none");

        // The deadline moved into the past (as an edited state would hold it): the next up drops it.
        const expired = { ...rotated, previousUntil: isoDeadline(Date.now() - 1000) };
        const expiredDiff = await host.diff(created.id, expired, withId(NEW_ID));
        assert.deepStrictEqual([expiredDiff.changes, expiredDiff.replaces], ["some", []]);
        const dropped = await host.update(created.id, expired, withId(NEW_ID));
        assert.strictEqual(dropped.current, NEW_ID);
        assert.deepStrictEqual([dropped.previous, dropped.previousUntil], ["", ""]);
        assert.strictEqual((await host.diff(created.id, dropped, withId(NEW_ID))).changes, "none");
        assert.ok(!host.printed.includes(OLD_ID) && !host.printed.includes(NEW_ID), "the host printed an ID");
    });

    it("refuses a grace window the settings would refuse", async () => {
        const { failures } = await host.check({}, withId(NEW_ID, 721));
        assert.deepStrictEqual(
            failures.map((f) => f.property),
            ["graceHours"],
        );
    });
});

describe("rotating the external ID: the program", () => {
    const until = "2026-12-05T14:00:00Z";
    const webAdopted = { ...stackConfig("dev"), "cloudglue:connectorId": WEB_APP_ID, "cloudglue:apiKey": API_KEY };
    const api = { ...stackConfig("dev"), "cloudglue:registration": "api", "cloudglue:apiKey": API_KEY };
    const rotation = { previous: OLD_ID, previousUntil: until };
    const trustOf = (run: ProgramRun) =>
        JSON.parse(String(onlyOfType(run, "aws:iam/role:Role").inputs.assumeRolePolicy));

    it("declares the rotation with the current ID and graceHours, its IDs kept secret in the state", async () => {
        const run = await runProgram({ config: { ...stackConfig("dev"), "cloudglue:externalIdGraceHours": "24" } });
        const declared = onlyOfType(run, ROTATION_TYPE);
        assert.strictEqual(declared.inputs.externalId, NEW_ID);
        assert.strictEqual(declared.inputs.graceHours, 24);
        assert.ok(declared.secretInputs.includes("externalId"));
        assert.deepStrictEqual([...declared.additionalSecretOutputs].sort(), ["current", "previous"]);
        assert.deepStrictEqual(trustOf(run), buildTrustPolicy(NEW_ID), "no rotation under way: one statement");
    });

    it("builds the trust from the rotation's state, and the role waits for it", async () => {
        const run = await runProgram({ config: api, secretKeys: ["cloudglue:apiKey"], rotation });
        assert.deepStrictEqual(trustOf(run), buildTrustPolicy(NEW_ID, { externalId: OLD_ID, until }));
        const role = onlyOfType(run, "aws:iam/role:Role");
        assert.ok(role.secretInputs.includes("assumeRolePolicy"));
        assert.ok(role.dependencies.includes(onlyOfType(run, ROTATION_TYPE).urn), "the role waits for the rotation");
        const connector = onlyOfType(run, "pulumi-nodejs:dynamic/cloudglue:S3Connector");
        assert.ok(connector.dependencies.includes(role.urn), "the PATCH waits for the trust");
    });

    it("keeps the serialized rotation provider the same from run to run, and free of secrets", async () => {
        const one = await runProgram({ config: stackConfig("dev") });
        const two = await runProgram({
            config: { ...api, "cloudglue:externalId": OLD_ID, "cloudglue:externalIdGraceHours": "0" },
            secretKeys: ["cloudglue:apiKey", "cloudglue:externalId"],
            rotation,
        });
        const text = String(onlyOfType(one, ROTATION_TYPE).inputs.__provider);
        assert.strictEqual(String(onlyOfType(two, ROTATION_TYPE).inputs.__provider), text);
        for (const secret of [OLD_ID, NEW_ID, API_KEY]) {
            assert.ok(!text.includes(secret));
        }
        assert.ok(text.length < 16 * 1024, `the serialized provider should stay small (${text.length})`);
    });

    it("on the web path says to enter the new ID in the web app before the deadline, and how to read it", async () => {
        const run = await runProgram({ config: webAdopted, secretKeys: ["cloudglue:apiKey"], rotation });
        const text = String(run.outputs.nextStep);
        assert.match(text, new RegExp(`Before ${until}, enter the new external ID in Cloudglue's web app`));
        assert.match(text, /pulumi stack output --show-secrets externalId/);
        assert.match(text, /cannot read the buckets until it is/);
        assert.match(text, /first `pulumi up` after the\s+deadline removes/);
        assert.ok(run.logs.includes(text), "the run's log says it too");
        for (const place of [
            JSON.stringify(run.outputs.nextStep),
            run.logs.join("\n"),
            JSON.stringify(run.outputs.buckets),
        ]) {
            assert.ok(!place.includes(OLD_ID) && !place.includes(NEW_ID));
        }
        assert.ok(run.secretOutputs.includes("externalId"));
        assert.ok(!Object.keys(run.outputs).some((k) => /previous/i.test(k)), "no output holds the previous ID");
    });

    it("in api mode says the stack gave Cloudglue the new ID and until when the old one works", async () => {
        const run = await runProgram({ config: api, secretKeys: ["cloudglue:apiKey"], rotation });
        const text = String(run.outputs.nextStep);
        assert.match(text, /the stack gave connector dc_mock the new one and the access check proved/);
        assert.match(text, new RegExp(`accepts the previous external ID until ${until}`));
    });

    it("gives the access check no form of either ID, and runs it again when the window opens or closes", async () => {
        const run = await runProgram({ config: api, secretKeys: ["cloudglue:apiKey"], rotation });
        const check = onlyOfType(run, "command:local:Command");
        const inputs = JSON.stringify(check.inputs);
        assert.ok(!inputs.includes(OLD_ID), "not the previous ID");
        assert.ok(!inputs.includes(createHash("sha256").update(OLD_ID).digest("hex")), "nor its hash");
        assert.ok((check.inputs.triggers as unknown[]).includes(until));
    });
});

describe("rotating the external ID in api mode: the PATCH comes once the trust accepts both IDs", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    let connectorHost: ProviderHost;
    let rotationHost: ProviderHost;
    let connectorInputs: Props;
    let rotationInputs: Props;

    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY], registrationApi: true }).start();
        connectorInputs = await apiModeConnectorInputs(emulator.url, API_KEY);
        rotationInputs = onlyOfType(await runProgram({ config: stackConfig("dev") }), ROTATION_TYPE).inputs;
        const config = {
            "cloudglue:apiKey": API_KEY,
            "cloudglue:apiUrl": emulator.url,
            "cloudglue:propagationTimeoutSeconds": "3",
            "cloudglue:registration": "api",
        };
        connectorHost = await ProviderHost.configured(config);
        rotationHost = await ProviderHost.startSdk();
        await rotationHost.configure(config);
    });
    beforeEach(() => emulator.reset());
    after(async () => {
        connectorHost.stop();
        rotationHost.stop();
        await emulator.stop();
    });

    /** What the engine does for a rotation, in the order of the program's dependencies. */
    async function rotate(trustOnRotation: (state: RotationState) => ReturnType<typeof buildTrustPolicy>) {
        emulator.trustPolicies.set(ROLE_ARN, buildTrustPolicy(OLD_ID));
        const oldConnector = { ...connectorInputs, externalId: OLD_ID };
        const registered = await connectorHost.checkedCreate(oldConnector);
        const rotationCreated = await rotationHost.checkedCreate({
            ...rotationInputs,
            externalId: OLD_ID,
            graceHours: 72,
        });
        emulator.log.length = 0;

        // 1. The rotation records the previous ID and its deadline.
        const state = (await rotationHost.update(rotationCreated.id, rotationCreated.outputs, {
            ...rotationInputs,
            externalId: NEW_ID,
            graceHours: 72,
        })) as unknown as RotationState;
        // 2. The role's trust policy is updated from it (the AWS provider's in-place update).
        emulator.trustPolicies.set(ROLE_ARN, trustOnRotation(state));
        const trustChangedAt = emulator.log.length;
        // Meanwhile Cloudglue still holds the old ID and reads with it.
        const meanwhile = await accessCheck(registered.id);
        // 3. The connector PATCHes the new ID; 4. the access check runs again.
        const patchedAt = emulator.log.length;
        const patched = await connectorHost
            .update(registered.id, registered.outputs, { ...connectorInputs, externalId: NEW_ID })
            .then(
                () => undefined,
                (error: Error) => error,
            );
        const after = await accessCheck(registered.id);
        return { state, trustChangedAt, patchedAt, meanwhile, patched, after };
    }

    const accessCheck = (connectorId: string) =>
        runAccessCheck({
            CLOUDGLUE_API_KEY: API_KEY,
            CLOUDGLUE_API_URL: emulator.url,
            CLOUDGLUE_CONNECTOR_ID: connectorId,
            CLOUDGLUE_BUCKETS: "acme-media-dev-raw",
            CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: "0",
        });

    it("keeps Cloudglue reading throughout: no call fails between the trust change and the PATCH", async () => {
        const run = await rotate((state) =>
            buildTrustPolicy(state.current, { externalId: String(state.previous), until: String(state.previousUntil) }),
        );
        assert.strictEqual(run.patched, undefined, String(run.patched));
        assert.strictEqual(run.meanwhile.code, 0, run.meanwhile.stdout + run.meanwhile.stderr);
        assert.strictEqual(run.after.code, 0, run.after.stdout + run.after.stderr);
        const calls = emulator.log.map((r) => `${r.method} ${r.path.split("?")[0]} ${r.status}`);
        const patch = emulator.log.findIndex((r) => r.method === "PATCH");
        assert.ok(patch >= run.patchedAt && run.patchedAt >= run.trustChangedAt, calls.join("\n"));
        assert.strictEqual(emulator.log[patch].status, 200, calls.join("\n"));
        assert.deepStrictEqual(
            emulator.log.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`),
            [],
            "no call fails",
        );
        assert.strictEqual(emulator.stored()[0].external_id, NEW_ID);
    });

    it("without the grace statement (graceHours 0), Cloudglue cannot read between the trust change and the PATCH", async () => {
        const run = await rotate((state) => buildTrustPolicy(state.current));
        assert.notStrictEqual(run.meanwhile.code, 0, "the old ID was refused, as before this issue");
        assert.ok(emulator.log.some((r) => r.status === 502));
    });

    it("after the deadline the emulator's IAM, like AWS's, refuses the previous ID", () => {
        const trust = buildTrustPolicy(NEW_ID, { externalId: OLD_ID, until: "2026-12-05T14:00:00Z" });
        assert.ok(trustAccepts(trust, OLD_ID, new Date("2026-12-05T13:59:59Z")));
        assert.ok(!trustAccepts(trust, OLD_ID, new Date("2026-12-05T14:00:00Z")));
        assert.ok(trustAccepts(trust, NEW_ID, new Date("2027-01-01T00:00:00Z")));
    });
});
