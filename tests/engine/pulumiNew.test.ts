/**
 * `pulumi new` from a copy of this repository, as the README offers beside cloning: with --yes and
 * the template's config on the command line it asks nothing, installs the dependencies (npm ci)
 * and says what to do next; the API key given that way is refused until set as a secret, and then
 * the new project previews clean.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { API_KEY, engineFixture } from "./helpers/fixture";

describe("pulumi new from a copy of this repository, through the real CLI", function () {
    // The copy is the template; it has no node_modules of its own, as a clone has none.
    const fixture = engineFixture({ initStack: false, linkNodeModules: false });

    it("makes a project and a stack from the template's prompts, and the project previews clean", async () => {
        const target = path.join(fixture.workspace.root, "new-project");
        const made = await fixture.workspace.pulumi([
            "new",
            fixture.workspace.dir,
            "--dir",
            target,
            "--name",
            "cloudglue",
            "--stack",
            "trial",
            "--secrets-provider",
            "passphrase",
            "--yes",
            "--config",
            "aws:region=eu-west-1",
            "--config",
            "cloudglue:buckets=acme-new-videos",
            "--config",
            `cloudglue:apiKey=${API_KEY}`,
        ]);
        assert.strictEqual(made.code, 0, made.output);
        assert.match(made.output, /Review what the stack would create and grant, offline: npm run review/);

        const stackFile = () => fs.readFileSync(path.join(target, "Pulumi.trial.yaml"), "utf8");
        assert.match(stackFile(), /aws:region: eu-west-1/);
        assert.match(stackFile(), /cloudglue:buckets: acme-new-videos/);
        assert.ok(fs.existsSync(path.join(target, "node_modules", "@pulumi", "pulumi")), "npm ci did not run");
        const inTarget = (line: string) => fixture.workspace.sh(`cd ${JSON.stringify(target)} && ${line}`);
        const preview = () => inTarget("pulumi preview --stack trial --non-interactive --color never");

        // The CLI's own behaviour: a --config value is stored as given, though the template marks the key
        // secret (only an answer typed at the prompt is encrypted). The program refuses it, saying how to fix it.
        assert.match(stackFile(), new RegExp(`cloudglue:apiKey: ${API_KEY}`));
        const refused = await preview();
        assert.notStrictEqual(refused.code, 0, refused.output);
        assert.match(refused.output, /cloudglue:apiKey[\s\S]*--secret/);
        await inTarget(`pulumi config set --stack trial --secret cloudglue:apiKey ${API_KEY}`);
        assert.match(stackFile(), /cloudglue:apiKey:\n\s+secure: /);

        const clean = await preview();
        assert.strictEqual(clean.code, 0, clean.output);
        assert.match(clean.output, /\+ 8 to create/);
        assert.match(clean.output, /buckets\s+: \[\s+\[0\]: "acme-new-videos"/);
    });
});
