/**
 * The stand-ins for the command and random plugins (engine/providers), driven as the SDK's
 * provider server drives them: the wire forms of secrets and unknowns in, their results out.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { commandProvider, commandRun, LOCAL_COMMAND } from "../../engine/providers/command";
import { engineAddress, isSecret, Props, reveal, ResourceLog, secret } from "../../engine/providers/launch";
import { generate, RANDOM_PASSWORD, RANDOM_STRING, randomProvider, settingsOf } from "../../engine/providers/random";

const urnOf = (type: string, name: string) => `urn:pulumi:dev::cloudglue-s3-connector::${type}::${name}`;
const COMMAND_URN = urnOf(LOCAL_COMMAND, "cloudglue-access-check");
const PASSWORD_URN = urnOf(RANDOM_PASSWORD, "cloudglue-external-id");
const EXTERNAL_ID_ALPHABET = /^[A-Za-z0-9+=,.@:/-]+$/;

function installedVersion(name: string): string {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
}

function collectingLog(): ResourceLog & { lines: { urn: string; line: string }[] } {
    const lines: { urn: string; line: string }[] = [];
    return { lines, write: (urn, line) => lines.push({ urn, line }), flush: async () => undefined };
}

describe("stand-in random provider", () => {
    const random = randomProvider();
    const passwordInputs: Props = {
        length: 48,
        special: true,
        overrideSpecial: "+=,.@:/-",
        keepers: { rotation: "1" },
    };

    it("reports the installed @pulumi/random version", () => {
        assert.strictEqual(random.version, installedVersion("@pulumi/random"));
    });

    it("makes a secret password of the length and alphabet asked for, id none", async () => {
        const { id, outs } = await random.create!(PASSWORD_URN, passwordInputs);
        assert.strictEqual(id, "none");
        assert.ok(isSecret(outs.result), "result is wrapped as a secret");
        const result = reveal(outs.result) as string;
        assert.strictEqual(result.length, 48);
        assert.match(result, EXTERNAL_ID_ALPHABET);
        assert.deepStrictEqual(outs.keepers, { rotation: "1" });
        assert.strictEqual(outs.upper, true);
        assert.strictEqual(outs.minSpecial, 0);
    });

    it("makes a different password on each create", async () => {
        const results = await Promise.all(
            [1, 2, 3].map(async () => reveal((await random.create!(PASSWORD_URN, passwordInputs)).outs.result)),
        );
        assert.strictEqual(new Set(results).size, 3);
    });

    it("draws the min* counts, even from classes turned off, as Terraform's random does", async () => {
        const inputs = {
            length: 6,
            minUpper: 3,
            minNumeric: 3,
            upper: false,
            lower: false,
            numeric: false,
            special: false,
        };
        const result = reveal((await random.create!(PASSWORD_URN, inputs)).outs.result) as string;
        assert.strictEqual(result.replace(/[^A-Z]/g, "").length, 3);
        assert.strictEqual(result.replace(/[^0-9]/g, "").length, 3);
    });

    it("uses the whole alphabet with the defaults", () => {
        // A counter for a generator: the first 83 characters drawn are the whole alphabet, in order.
        let counter = 0;
        const every = generate(settingsOf({ length: 88 }), (below) => counter++ % below);
        assert.match(every, /^[A-Za-z0-9!@#$%&*()\-_=+[\]{}<>:?]{88}$/);
        assert.strictEqual(new Set(every).size, 26 + 26 + 10 + 21);
    });

    it("sees no change in the inputs it was created with, defaults given or not", async () => {
        const { outs } = await random.create!(PASSWORD_URN, passwordInputs);
        assert.deepStrictEqual(await random.diff!("none", PASSWORD_URN, outs, passwordInputs), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
        const explicit = { ...passwordInputs, upper: true, lower: true, number: true, minUpper: 0 };
        assert.strictEqual((await random.diff!("none", PASSWORD_URN, outs, explicit)).changes, false);
    });

    it("replaces on a change of keepers, length, special or overrideSpecial", async () => {
        const { outs } = await random.create!(PASSWORD_URN, passwordInputs);
        for (const [key, value] of Object.entries({
            keepers: { rotation: "2" },
            length: 50,
            special: false,
            overrideSpecial: "-",
        })) {
            const diff = await random.diff!("none", PASSWORD_URN, outs, { ...passwordInputs, [key]: value });
            assert.deepStrictEqual([diff.changes, diff.replaces], [true, [key]], key);
        }
        const unknown = await random.diff!("none", PASSWORD_URN, outs, { ...passwordInputs, keepers: unknownValue });
        assert.deepStrictEqual(unknown.replaces, ["keepers"]);
    });

    it("compares secrets by their values", async () => {
        const { outs } = await random.create!(PASSWORD_URN, { ...passwordInputs, keepers: secret({ rotation: "1" }) });
        assert.strictEqual((await random.diff!("none", PASSWORD_URN, outs, passwordInputs)).changes, false);
    });

    it("fails the check of lengths the Terraform resource rejects", async () => {
        const zero = await random.check!(PASSWORD_URN, {}, { length: 0 });
        assert.deepStrictEqual(
            zero.failures?.map((f) => f.property),
            ["length"],
        );
        const short = await random.check!(PASSWORD_URN, {}, { length: 2, minUpper: 2, minNumeric: 1 });
        assert.match(
            short.failures?.[0]?.reason ?? "",
            /at least minUpper \+ minLower \+ minNumeric \+ minSpecial \(3\)/,
        );
        const preview = await random.check!(PASSWORD_URN, {}, { length: unknownValue });
        assert.deepStrictEqual(preview.failures, []);
    });

    it("serves RandomString, public, its id the result", async () => {
        const { id, outs } = await random.create!(urnOf(RANDOM_STRING, "suffix"), { length: 8, special: false });
        assert.strictEqual(typeof outs.result, "string");
        assert.strictEqual(id, outs.result);
        assert.match(outs.result, /^[A-Za-z0-9]{8}$/);
    });

    it("refuses any other token, naming it and itself", async () => {
        const uuid = urnOf("random:index/randomUuid:RandomUuid", "id");
        await assert.rejects(
            random.check!(uuid, {}, {}),
            /random:index\/randomUuid:RandomUuid is not served here: .*stand-in.*engine\/providers\/random\.ts/,
        );
        await assert.rejects(random.create!(uuid, {}), /randomUuid:RandomUuid is not served here/);
        await assert.rejects(
            random.invoke!("random:index/getThing:getThing", {}),
            /getThing:getThing is not served here/,
        );
    });
});

describe("stand-in command provider", () => {
    let dir: string;
    let log: ReturnType<typeof collectingLog>;
    let command: ReturnType<typeof commandProvider>;

    beforeEach(() => {
        dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "stand-in-command-")));
        log = collectingLog();
        command = commandProvider({ log, cwd: () => dir });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const checkInputs = (extra: Props = {}): Props => ({
        create: 'printf "%s\\n" "$GREETING" && pwd && echo warning >&2',
        environment: { GREETING: secret("hello"), PLAIN: "plain" },
        triggers: ["arn:aws:iam::123:role/r", ["bucket-a"]],
        logging: "stdoutAndStderr",
        ...extra,
    });

    it("reports the installed @pulumi/command version", () => {
        assert.strictEqual(command.version, installedVersion("@pulumi/command"));
    });

    it("runs create with /bin/sh in the working directory with the environment, logging each line", async () => {
        const inputs = checkInputs();
        const { id, outs } = await command.create!(COMMAND_URN, inputs);
        assert.match(id, /^cloudglue-access-check[0-9a-f]{8}$/);
        assert.strictEqual(outs.stdout, `hello\n${dir}`);
        assert.strictEqual(outs.stderr, "warning");
        // Outputs repeat the inputs as they came, secrets still wrapped.
        assert.deepStrictEqual(outs.environment, inputs.environment);
        assert.deepStrictEqual(outs.triggers, inputs.triggers);
        assert.deepStrictEqual(
            log.lines.map((l) => l.urn),
            [COMMAND_URN, COMMAND_URN, COMMAND_URN],
        );
        assert.deepStrictEqual(log.lines.map((l) => l.line).sort(), ["hello", dir, "warning"].sort());
    });

    it("runs in the plugin's working directory by default, in dir when given", async () => {
        const plain = commandProvider({ log });
        assert.strictEqual(
            (await plain.create!(COMMAND_URN, { create: "pwd" })).outs.stdout,
            fs.realpathSync(process.cwd()),
        );
        const sub = path.join(dir, "sub");
        fs.mkdirSync(sub);
        assert.strictEqual((await command.create!(COMMAND_URN, { create: "pwd", dir: sub })).outs.stdout, sub);
        await assert.rejects(
            command.create!(COMMAND_URN, { create: "pwd", dir: path.join(dir, "missing") }),
            /^Error: chdir .*missing: no such file or directory: running "pwd"/,
        );
    });

    it("logs only what logging asks for", async () => {
        await command.create!(COMMAND_URN, { create: "echo out; echo err >&2", logging: "stdout" });
        await command.create!(COMMAND_URN, { create: "echo quiet; echo quieter >&2", logging: "none" });
        assert.deepStrictEqual(
            log.lines.map((l) => l.line),
            ["out"],
        );
    });

    it("fails a non-zero exit with the command's output, as pulumi-command words it", async () => {
        const failing = "echo checking; echo 'Cloudglue cannot read bucket-a' >&2; exit 3";
        await assert.rejects(command.create!(COMMAND_URN, { create: failing }), (error: Error) => {
            assert.match(
                error.message,
                /^exit status 3: running "echo checking; echo 'Cloudglue cannot read bucket-a' >&2; exit 3":\n/,
            );
            assert.match(error.message, /checking\n/);
            assert.match(error.message, /Cloudglue cannot read bucket-a\n/);
            return true;
        });
    });

    it("never puts environment values in its errors or check failures", async () => {
        const inputs = { create: "exit 1", environment: { CLOUDGLUE_API_KEY: secret("cg-live-key") } };
        await assert.rejects(
            command.create!(COMMAND_URN, inputs),
            (error: Error) => !error.message.includes("cg-live-key"),
        );
        const checked = await command.check!(COMMAND_URN, {}, { environment: { CLOUDGLUE_API_KEY: secret(12345) } });
        assert.deepStrictEqual(checked.failures, [
            { property: "environment.CLOUDGLUE_API_KEY", reason: "environment.CLOUDGLUE_API_KEY must be a string" },
        ]);
    });

    it("sees no change in identical inputs, though the state holds the environment as one secret", async () => {
        const inputs = checkInputs();
        const { outs } = await command.create!(COMMAND_URN, inputs);
        // What additionalSecretOutputs: ["environment"] makes of the state the engine sends back.
        const state = { ...outs, environment: secret(reveal(outs.environment)) };
        assert.deepStrictEqual(await command.diff!("id", COMMAND_URN, state, inputs), {
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
    });

    it("replaces on a change of triggers, updates on any other change", async () => {
        const { outs } = await command.create!(COMMAND_URN, checkInputs());
        const trigger = await command.diff!(
            "id",
            COMMAND_URN,
            outs,
            checkInputs({ triggers: ["arn:aws:iam::123:role/r", ["bucket-b"]] }),
        );
        assert.deepStrictEqual([trigger.changes, trigger.replaces], [true, ["triggers"]]);
        const unknown = await command.diff!("id", COMMAND_URN, outs, checkInputs({ triggers: [unknownValue] }));
        assert.deepStrictEqual(unknown.replaces, ["triggers"]);
        const environment = await command.diff!(
            "id",
            COMMAND_URN,
            outs,
            checkInputs({ environment: { GREETING: "bye" } }),
        );
        assert.deepStrictEqual([environment.changes, environment.replaces], [true, []]);
        const create = await command.diff!("id", COMMAND_URN, outs, checkInputs({ create: "true" }));
        assert.deepStrictEqual([create.changes, create.replaces], [true, []]);
    });

    it("runs create again on update without an update command, the previous output in PULUMI_COMMAND_STDOUT", async () => {
        const inputs = { create: 'echo "run after [$PULUMI_COMMAND_STDOUT]"' };
        const { outs } = await command.create!(COMMAND_URN, inputs);
        assert.strictEqual(outs.stdout, "run after []");
        const updated = await command.update!("id", COMMAND_URN, outs, inputs);
        assert.strictEqual(updated.outs.stdout, "run after [run after []]");
        const withUpdate = await command.update!("id", COMMAND_URN, outs, { ...inputs, update: "echo updated" });
        assert.strictEqual(withUpdate.outs.stdout, "updated");
    });

    it("runs delete when given, nothing otherwise", async () => {
        const { id, outs } = await command.create!(COMMAND_URN, {
            create: "echo made",
            delete: "echo gone > deleted.txt",
        });
        await command.delete!(id, COMMAND_URN, outs);
        assert.strictEqual(fs.readFileSync(path.join(dir, "deleted.txt"), "utf8"), "gone\n");
        await command.delete!(id, COMMAND_URN, { create: "echo made", stdout: "made", stderr: "" });
    });

    it("runs nothing while an input is unknown", async () => {
        const inputs = { create: "touch ran.txt", environment: { CLOUDGLUE_CONNECTOR_ID: unknownValue } };
        await assert.rejects(command.create!(COMMAND_URN, inputs), /not all known; not run/);
        assert.strictEqual(fs.existsSync(path.join(dir, "ran.txt")), false);
    });

    it("refuses inputs it does not imitate, and any other token", async () => {
        const checked = await command.check!(COMMAND_URN, {}, { create: "true", assetPaths: ["*.txt"] });
        assert.deepStrictEqual(
            checked.failures?.map((f) => f.property),
            ["assetPaths"],
        );
        const remote = urnOf("command:remote:Command", "ssh");
        const refusal =
            /command:remote:Command is not served here: this is a stand-in for pulumi-command \(engine\/providers\/command\.ts\) that serves only command:local:Command/;
        await assert.rejects(command.check!(remote, {}, {}), refusal);
        await assert.rejects(command.create!(remote, {}), refusal);
        await assert.rejects(command.diff!("id", remote, {}, {}), refusal);
        await assert.rejects(command.delete!("id", remote, {}), refusal);
        await assert.rejects(command.invoke!("command:local:run", {}), /command:local:run is not served here/);
    });

    it("builds the run as pulumi-command does: interpreter, stdin, previous output", () => {
        const run = commandRun(
            "echo hi",
            { interpreter: ["/bin/bash", "-c"], stdin: "in", addPreviousOutputInEnv: false },
            { stdout: "old", stderr: "" },
            "/tmp",
            { PATH: "/bin" },
        );
        assert.deepStrictEqual(
            [run.argv, run.stdin, run.env],
            [["/bin/bash", "-c", "echo hi"], "in", { PATH: "/bin" }],
        );
        const withPrevious = commandRun(
            "echo hi",
            { environment: { A: "1" } },
            { stdout: "old", stderr: "" },
            "/tmp",
            {},
        );
        assert.deepStrictEqual(withPrevious.env, { A: "1", PULUMI_COMMAND_STDOUT: "old" });
    });

    it("finds the engine's address among the plugin's arguments", () => {
        assert.strictEqual(
            engineAddress(["--logtostderr", "-v=9", "--tracing", "x", "127.0.0.1:1234"]),
            "127.0.0.1:1234",
        );
        assert.strictEqual(engineAddress([]), undefined);
    });
});
