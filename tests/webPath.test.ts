/**
 * The path every user of today's Cloudglue takes (cloudglue:registration web, the default), end to
 * end against the emulator serving only the published API: a first run that finishes with the
 * role and a nextStep, the connector made in the (stand-in) web app, then a second run that
 * adopts it through the SDK's provider host and checks access through it.
 */
import * as assert from "assert";
import { accessModelFromPolicy, CloudglueEmulator } from "../emulator/cloudglueEmulator";
import { byType, onlyOfType, runProgram, stackConfig } from "../scripts/lib/programRun";
import { expectRefusal, runAccessCheck, runScript } from "./helpers/processes";
import { ProviderHost } from "./helpers/providerHost";

const API_KEY = "cg-web-path-test-key-9d2e4c6a8b0f1357";
const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
/** What the mocks answer for the generated external ID. */
const GENERATED_ID = "M0ck+External.Id=For/Tests:only@x,y-z";
const CONNECTOR = "pulumi-nodejs:dynamic/cloudglue:S3Connector";
const ACCESS_CHECK = "command:local:Command";

describe("the web path (cloudglue:registration web, the default)", function () {
    this.timeout(60000);
    let emulator: CloudglueEmulator;
    before(async () => {
        emulator = await new CloudglueEmulator({ apiKeys: [API_KEY] }).start();
    });
    after(() => emulator.stop());

    it("finishes green twice, with one web-app step between, and never logs the external ID", async () => {
        const config = { ...stackConfig("dev"), "cloudglue:apiKey": API_KEY, "cloudglue:apiUrl": emulator.url };

        // First `pulumi up`: the role and its policy, no connector, no access check, a next step.
        const first = await runProgram({ config, secretKeys: ["cloudglue:apiKey"] });
        assert.deepStrictEqual(byType(first, CONNECTOR), []);
        assert.deepStrictEqual(byType(first, ACCESS_CHECK), []);
        assert.deepStrictEqual(Object.keys(first.outputs).sort(), [
            "buckets",
            "externalId",
            "nextStep",
            "roleArn",
            "roleName",
        ]);
        assert.deepStrictEqual(first.secretOutputs, ["externalId"]);
        const nextStep = String(first.outputs.nextStep);
        assert.strictEqual(
            nextStep,
            [
                "Cloudglue is not connected yet. In Cloudglue's web app (Data connectors, AWS S3), enter:",
                `  Role ARN:    ${ROLE_ARN}`,
                "  External ID: what `pulumi stack output --show-secrets externalId` prints",
                "Save, copy the new connector's id, then run:",
                "  pulumi config set cloudglue:connectorId <the connector's id>",
                "and `pulumi up` again: the stack adopts the connector and checks that Cloudglue can read every bucket.",
            ].join("\n"),
        );
        assert.deepStrictEqual(first.logs, [nextStep], "the person running `pulumi up` sees the same text");
        assert.strictEqual(emulator.log.length, 0, "nothing was asked of Cloudglue");

        // The web app: what the person enters, from the stack's outputs.
        const made = await runScript(
            "emulator/main.ts",
            [
                "web-connector",
                "--url",
                emulator.url,
                "--role-arn",
                String(first.outputs.roleArn),
                "--external-id",
                String(first.outputs.externalId),
            ],
            { CLOUDGLUE_API_KEY: API_KEY },
        );
        assert.strictEqual(made.code, 0, made.stderr);
        const connectorId = /^Created S3 connector (\S+)$/m.exec(made.stdout)?.[1] ?? "";

        // `pulumi config set cloudglue:connectorId <id>`, then the second `pulumi up`.
        const second = await runProgram({
            config: { ...config, "cloudglue:connectorId": connectorId },
            secretKeys: ["cloudglue:apiKey"],
        });
        const connector = onlyOfType(second, CONNECTOR);
        assert.strictEqual(connector.inputs.connectorId, connectorId);
        assert.strictEqual(second.outputs.connectorId, connectorId);
        assert.strictEqual(
            second.outputs.nextStep,
            `Cloudglue is connected: connector ${connectorId} (adopted from Cloudglue's web app) reads the buckets ` +
                `through ${ROLE_ARN}.`,
        );

        const host = await ProviderHost.start();
        try {
            await host.configure({
                "cloudglue:apiKey": API_KEY,
                "cloudglue:apiUrl": emulator.url,
                "cloudglue:connectorId": connectorId,
            });
            const checked = await host.check({}, connector.inputs);
            assert.deepStrictEqual(checked.failures, []);
            emulator.log.length = 0;
            const adopted = await host.create(checked.inputs);
            assert.strictEqual(adopted.id, connectorId);
            assert.strictEqual(adopted.outputs.adopted, true);
            assert.deepStrictEqual(
                emulator.log.map((r) => `${r.method} ${r.path}`),
                ["GET /v1/data-connectors?limit=100&offset=0"],
                "adoption reads the published list, and registers nothing",
            );

            // The access check, as the stack's Command runs it, with S3 judging the stack's own policy.
            emulator.access = accessModelFromPolicy(
                JSON.parse(String(onlyOfType(second, "aws:iam/rolePolicy:RolePolicy").inputs.policy)),
            );
            const check = await runAccessCheck(
                onlyOfType(second, ACCESS_CHECK).inputs.environment as Record<string, string>,
            );
            assert.strictEqual(check.code, 0, check.stdout + check.stderr);
            assert.match(check.stdout, /Cloudglue can make all 3 listing\(s\) of 2 bucket\(s\)/);

            const everythingPrinted = [
                nextStep,
                ...first.logs,
                ...second.logs,
                made.stdout,
                made.stderr,
                host.printed,
                check.stdout,
                check.stderr,
                JSON.stringify(emulator.log),
            ].join("\n");
            assert.ok(!everythingPrinted.includes(GENERATED_ID), "the external ID reached a log");
            assert.ok(!everythingPrinted.includes(API_KEY), "the API key reached a log");
        } finally {
            host.stop();
        }
    });

    it("in api mode registers the connector itself and says so", async () => {
        const run = await runProgram({
            config: { ...stackConfig("dev"), "cloudglue:registration": "api", "cloudglue:verifyAccess": "false" },
        });
        assert.strictEqual(onlyOfType(run, CONNECTOR).inputs.connectorId, undefined);
        assert.strictEqual(onlyOfType(run, CONNECTOR).inputs.name, "pulumi:organization/cloudglue/dev");
        assert.match(
            String(run.outputs.nextStep),
            /^Cloudglue is connected: connector \S+ \(registered by this stack\)/,
        );
    });

    it("refuses a registration mode it does not know, naming both", async () => {
        const message = await expectRefusal({
            config: { ...stackConfig("dev"), "cloudglue:registration": "API" },
        });
        assert.match(message, /cloudglue:registration: "API" is not a registration mode: web \(.*\) or api \(.*\)/);
    });

    it("refuses a connector id that is not a UUID, the form Cloudglue's ids take", async () => {
        const message = await expectRefusal({
            config: { ...stackConfig("dev"), "cloudglue:connectorId": "dc_123" },
        });
        assert.match(message, /cloudglue:connectorId: "dc_123" is not a Cloudglue connector id \(a UUID such as/);
    });
});
