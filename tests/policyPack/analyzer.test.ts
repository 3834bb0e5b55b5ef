/**
 * The policy pack as the CLI runs it: its own process, driven over the Analyzer gRPC protocol,
 * fed the resources the program registers under mocks.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildTrustPolicy } from "../../components/iamDocuments";
import { RegisteredResource, runProgram, stackConfig } from "../../scripts/lib/programRun";
import {
    AnalyzedResource,
    Diagnostic,
    formatLikeCli,
    PolicyPackConfig,
    POLICY_PACK_DIR,
    PolicyPackServer,
} from "../../scripts/lib/policyAnalyzer";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** Analyze sees a resource's inputs; AnalyzeStack sees its outputs, as the engine sends them. */
const analyzed = (r: RegisteredResource): AnalyzedResource => ({
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: r.inputs,
    parentUrn: r.parentUrn,
});
const withOutputs = (r: AnalyzedResource, from: RegisteredResource[]): AnalyzedResource => ({
    ...r,
    props: from.find((x) => x.urn === r.urn)?.outputs ?? r.props,
});
const mandatory = (ds: Diagnostic[]) => ds.filter((d) => d.level === "mandatory");

describe("policy pack over the Analyzer protocol", function () {
    // Starting the pack compiles it with ts-node, type checks included, as the CLI does.
    this.timeout(60000);
    let server: PolicyPackServer;
    let dev: AnalyzedResource[];
    let devOutputs: AnalyzedResource[];
    let preview: AnalyzedResource[];
    const ofType = (resources: AnalyzedResource[], type: string) => {
        const found = resources.find((r) => r.type === type);
        assert.ok(found, `no ${type}`);
        return found;
    };

    before(async () => {
        const starting = PolicyPackServer.start();
        // One program run at a time: the mocks are process-wide.
        const devRun = await runProgram({ config: stackConfig("dev") });
        dev = devRun.resources.map(analyzed);
        devOutputs = dev.map((r) => withOutputs(r, devRun.resources));
        preview = (await runProgram({ config: stackConfig("dev"), preview: true })).resources.map(analyzed);
        server = await starting;
    });
    after(() => server?.stop());

    it("GetAnalyzerInfo lists every policy with its enforcement level", async () => {
        const info = await server.info();
        const packageJson = JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "package.json"), "utf8"));
        assert.strictEqual(info.name, "cloudglue-s3-connector");
        assert.strictEqual(info.version, packageJson.version);
        assert.deepStrictEqual(
            info.policies.map((p) => [p.name, p.level]),
            [
                ["cloudglue-role-name", "mandatory"],
                ["cloudglue-trust-requires-external-id", "mandatory"],
                ["cloudglue-least-privilege", "mandatory"],
                ["cloudglue-allowed-buckets", "advisory"],
                ["cloudglue-one-role-one-connector", "mandatory"],
            ],
        );
        assert.ok(info.policies.every((p) => p.description.length > 20));
    });

    it("Analyze finds no violation on any resource the dev stack registers", async () => {
        assert.ok(dev.length >= 4);
        for (const resource of dev) {
            assert.deepStrictEqual(await server.analyze(resource), [], resource.urn);
        }
    });

    it("at preview, checks the role name and reports only that the trust policy waits for the update", async () => {
        for (const resource of preview) {
            const found = await server.analyze(resource);
            assert.deepStrictEqual(mandatory(found), [], resource.urn);
            for (const d of found) {
                assert.strictEqual(d.policyName, "cloudglue-trust-requires-external-id");
                assert.match(d.message, /can't run policy .* during preview/);
            }
        }
        const renamed = { ...ofType(preview, ROLE) };
        renamed.props = { ...renamed.props, name: "cloudglue-s3-role" };
        assert.deepStrictEqual(
            mandatory(await server.analyze(renamed)).map((d) => d.policyName),
            ["cloudglue-role-name"],
        );
    });

    const cases: [string, () => AnalyzedResource, string, RegExp][] = [
        [
            "a renamed role",
            () => {
                const role = ofType(dev, ROLE);
                return { ...role, props: { ...role.props, name: "cloudglue-access" } };
            },
            "cloudglue-role-name",
            /"cloudglue-access"/,
        ],
        [
            "a trust without the external-ID condition",
            () => {
                const role = ofType(dev, ROLE);
                const trust = buildTrustPolicy("x");
                delete trust.Statement[0].Condition;
                return { ...role, props: { ...role.props, assumeRolePolicy: JSON.stringify(trust) } };
            },
            "cloudglue-trust-requires-external-id",
            /no StringEquals condition on sts:ExternalId/,
        ],
        [
            "a * bucket",
            () => withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) => doc.Statement[0].Resource.push("arn:aws:s3:::*")),
            "cloudglue-least-privilege",
            /"arn:aws:s3:::\*"/,
        ],
        [
            "an extra action",
            () => withPolicyEdit(ofType(dev, ROLE_POLICY), (doc) => doc.Statement[0].Action.push("s3:DeleteObject")),
            "cloudglue-least-privilege",
            /"s3:DeleteObject"/,
        ],
    ];
    for (const [label, make, policy, says] of cases) {
        it(`Analyze gives a mandatory ${policy} violation for ${label}`, async () => {
            const found = mandatory(await server.analyze(make()));
            assert.deepStrictEqual(
                found.map((d) => d.policyName),
                [policy],
            );
            assert.match(found[0].message, says);
        });
    }

    it("AnalyzeStack passes the dev stack", async () => {
        assert.deepStrictEqual(await server.analyzeStack(devOutputs), []);
    });

    it("AnalyzeStack fails a stack with two Cloudglue roles", async () => {
        const role = ofType(devOutputs, ROLE);
        const second = { ...role, name: "second-role", urn: role.urn.replace(/::[^:]+$/, "::second-role") };
        const found = await server.analyzeStack([...devOutputs, second]);
        assert.deepStrictEqual(
            found.map((d) => [d.policyName, d.level]),
            [["cloudglue-one-role-one-connector", "mandatory"]],
        );
        assert.match(found[0].message, /2 Cloudglue access roles/);
    });

    describe("with a --policy-pack-config file", () => {
        const configFile = path.join(POLICY_PACK_DIR, "policy-config.example.json");
        let config: PolicyPackConfig;
        before(async () => {
            config = JSON.parse(fs.readFileSync(configFile, "utf8"));
            await server.configure(config);
        });

        it("reports buckets outside allowedBucketPatterns at the configured level", async () => {
            const found = await server.analyze(ofType(dev, ROLE_POLICY));
            assert.deepStrictEqual(
                found.map((d) => [d.policyName, d.level]),
                [["cloudglue-allowed-buckets", "mandatory"]],
            );
            assert.match(found[0].message, /"acme-media-dev-raw" is not in the organisation's allowed buckets/);
        });

        it("remediates a renamed role instead of failing it", async () => {
            const role = ofType(dev, ROLE);
            const renamed = { ...role, props: { ...role.props, name: undefined, namePrefix: "cloudglue-" } };
            const remediations = await server.remediate(renamed);
            assert.deepStrictEqual(
                remediations.map((r) => r.policyName),
                ["cloudglue-role-name"],
            );
            assert.strictEqual(remediations[0].props?.name, "cloudglue-external-s3-access-role");
            assert.ok(!("namePrefix" in (remediations[0].props ?? {})));
        });

        it("prints a violation the way the CLI lays it out", async () => {
            const role = ofType(dev, ROLE);
            const info = await server.info();
            const trust = buildTrustPolicy("x");
            delete trust.Statement[0].Condition;
            const broken = { ...role, props: { ...role.props, assumeRolePolicy: JSON.stringify(trust) } };
            const [violation] = mandatory(await server.analyze(broken));
            const text = formatLikeCli(info.name, info.version, violation, broken);
            assert.match(text, /- \[mandatory\] {2}cloudglue-trust-requires-external-id {2}\(aws:iam\/role:Role: /);
            if (process.env.SHOW_POLICY_OUTPUT) {
                console.log(text);
            }
        });
    });
});

function withPolicyEdit(
    resource: AnalyzedResource,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    edit: (document: any) => void,
): AnalyzedResource {
    const document = JSON.parse(String(resource.props.policy));
    edit(document);
    return { ...resource, props: { ...resource.props, policy: JSON.stringify(document) } };
}
