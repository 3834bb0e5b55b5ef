/**
 * Code the pack cannot read (issue 23, medium 4): a script, a remote command or a dynamic
 * provider may call IAM with the role's name built at run time, so the pack refuses it unless the
 * config allows it by name; the program's own access check is known by its exact command. Driven
 * over the Analyzer protocol, as the CLI drives the pack.
 */
import * as assert from "assert";
import { RegisteredResource, runProgram, stackConfig } from "../../scripts/lib/programRun";
import { AnalyzedResource, Diagnostic, PolicyPackServer } from "../../scripts/lib/policyAnalyzer";

const LOCAL = "command:local:Command";
const REMOTE = "command:remote:Command";
const RECOGNISED = "cloudglue-recognised-resources";

const resource = (type: string, name: string, props: Record<string, unknown>): AnalyzedResource => ({
    type,
    name,
    urn: `urn:pulumi:dev::cloudglue::${type}::${name}`,
    props,
});
const analyzed = (r: RegisteredResource): AnalyzedResource => ({
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: r.inputs,
    parentUrn: r.parentUrn,
});
/** The SDK starts each message with the policy's description, on a line of its own. */
const mandatory = (ds: Diagnostic[]) =>
    ds
        .filter((d) => d.level === "mandatory")
        .map((d) => ({ ...d, message: d.message.split("\n").slice(1).join("\n") }));
const allow = (name: string) => `{"${RECOGNISED}":{"allowedUnreadableCode":["${name}"]}}`;

describe("policy pack: code it cannot read, over the Analyzer protocol", function () {
    this.timeout(60000);
    let server: PolicyPackServer;
    let stack: AnalyzedResource[];
    let previewed: AnalyzedResource[];
    let check: AnalyzedResource;

    before(async () => {
        const starting = PolicyPackServer.start();
        const config = { ...stackConfig("dev"), "cloudglue:connectorId": "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f" };
        stack = (await runProgram({ config })).resources.map(analyzed);
        previewed = (await runProgram({ config, preview: true })).resources.map(analyzed);
        const found = stack.find((r) => r.type === LOCAL);
        assert.ok(found, "the stack runs the access check");
        check = found;
        server = await starting;
        await server.configure({});
    });
    after(() => server?.stop());

    it("passes the program's own access check and connector, at preview and at the update", async () => {
        for (const r of [...stack, ...previewed]) {
            assert.deepStrictEqual(mandatory(await server.analyze(r)), [], r.urn);
        }
    });

    const refused: [string, () => AnalyzedResource, RegExp][] = [
        [
            "a local script",
            () => resource(LOCAL, "setup", { create: "./scripts/setup-iam.sh" }),
            /^command:local:Command setup runs a script \(create\) that the pack cannot read/,
        ],
        [
            "a local script that builds the role's name in base64",
            () =>
                resource(LOCAL, "setup", {
                    create: 'aws iam attach-role-policy --role-name "$(echo Y2xvdWRnbHVl | base64 -d)-external-s3-access-role"',
                    delete: "true",
                }),
            /runs a script \(create, delete\) that the pack cannot read/,
        ],
        [
            "a remote command",
            () => resource(REMOTE, "setup", { connection: { host: "10.0.0.1" }, create: "./setup.sh" }),
            /^command:remote:Command setup runs a script on another machine that the pack cannot read/,
        ],
        [
            "a dynamic resource other than the connector",
            () => resource("pulumi-nodejs:dynamic:Resource", "setup", { __provider: "exports.handler = ..." }),
            /is a dynamic resource, whose provider's code the pack cannot read/,
        ],
        [
            "a named dynamic resource type",
            () => resource("pulumi-python:dynamic/acme:Attach", "setup", { __provider: "..." }),
            /is a dynamic resource/,
        ],
        [
            "the access check with its command rewritten",
            () => ({ ...check, name: "setup", props: { ...check.props, create: "./scripts/setup-iam.sh" } }),
            /runs a script \(create\)/,
        ],
        [
            "the access check with an update script",
            () => ({ ...check, name: "setup", props: { ...check.props, update: "./scripts/setup-iam.sh" } }),
            /runs a script \(create, update\)/,
        ],
        [
            "the access check with a variable the program does not pass it (an older version's ID hash)",
            () => ({
                ...check,
                name: "setup",
                props: {
                    ...check.props,
                    environment: {
                        ...(check.props.environment as object),
                        CLOUDGLUE_EXTERNAL_ID_SHA256: "0".repeat(64),
                    },
                },
            }),
            /runs a script \(create\)/,
        ],
        [
            "the access check loading code through its environment",
            () => ({
                ...check,
                name: "setup",
                props: {
                    ...check.props,
                    environment: { ...(check.props.environment as object), NODE_OPTIONS: "--require ./x.js" },
                },
            }),
            /runs a script \(create\)/,
        ],
    ];
    for (const [label, make, says] of refused) {
        it(`refuses ${label}, saying how to allow it once reviewed`, async () => {
            const found = mandatory(await server.analyze(make()));
            assert.deepStrictEqual(
                found.map((d) => d.policyName),
                [RECOGNISED],
                found.map((d) => d.message).join("\n"),
            );
            assert.match(found[0].message, says);
            assert.ok(found[0].message.endsWith(allow("setup")), found[0].message);
        });
    }

    it("passes such a resource once the config lists it by name, and no other", async () => {
        await server.configure({ [RECOGNISED]: { allowedUnreadableCode: ["setup"] } });
        try {
            const script = { create: "./scripts/setup-iam.sh" };
            assert.deepStrictEqual(await server.analyze(resource(LOCAL, "setup", script)), []);
            assert.deepStrictEqual(
                mandatory(await server.analyze(resource(LOCAL, "other", script))).map((d) => d.policyName),
                [RECOGNISED],
            );
        } finally {
            await server.configure({});
        }
    });

    it("leaves alone a local Command that runs nothing", async () => {
        assert.deepStrictEqual(await server.analyze(resource(LOCAL, "noop", { triggers: ["x"] })), []);
    });
});
