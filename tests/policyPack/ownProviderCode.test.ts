/**
 * The pack passes this project's connector and rotation only with the provider code the program
 * serializes now: policy-pack/ownProviderCode.ts must follow every change to that code, through
 * `npm run pack:provider-code`, so that the change is reviewed with the pack's.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../scripts/lib/programRun";
import { ownProviderCode, ownProviderCodeModule } from "../../scripts/lib/ownProviderCode";

describe("policy pack: this project's own provider code", function () {
    this.timeout(60000);

    it("is recorded for the connector and the rotation as the program serializes them now", async () => {
        const hashes = await ownProviderCode();
        assert.deepStrictEqual(Object.keys(hashes), [
            "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation",
            "pulumi-nodejs:dynamic/cloudglue:S3Connector",
        ]);
        const recorded = fs.readFileSync(path.join(PROJECT_ROOT, "policy-pack", "ownProviderCode.ts"), "utf8");
        assert.strictEqual(
            recorded,
            await ownProviderCodeModule(hashes),
            "policy-pack/ownProviderCode.ts is behind the providers' code: review the change, then run npm run pack:provider-code",
        );
    });
});
