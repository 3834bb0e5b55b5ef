/** `npm run demo`: moto_server and the emulator, seeded with the dev stack and its faults; the doctor's report shows each. */
import * as assert from "assert";
import { DEMO_FAULTS } from "../scripts/demo";
import { MOTO_INSTALL_HINT, motoServerPath, skipOrFail } from "./helpers/moto";
import { runScript } from "./helpers/processes";

describe("npm run demo", function () {
    this.timeout(120_000);

    it("prints the doctor's report with a failed row for each fault it seeds, and stops everything", async function () {
        if (!motoServerPath()) {
            skipOrFail(this, MOTO_INSTALL_HINT);
        }
        const result = await runScript("scripts/demo.ts");
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        const failed = result.stdout.split("\n").filter((line) => line.startsWith("  FAIL  "));
        for (const fault of DEMO_FAULTS) {
            assert.ok(
                failed.some((line) => line.endsWith(`: ${fault.check}`)),
                `${fault.kind}: no FAIL row "${fault.check}" in:\n${result.stdout}`,
            );
        }
        assert.strictEqual(failed.length, DEMO_FAULTS.length, "only the seeded faults fail");
        assert.match(result.stdout, /^Cloudglue's API: http:\/\/127\.0\.0\.1:\d+ \(from cloudglue:apiUrl\)\.$/m);
        assert.match(result.stderr, /\[demo\] stopped moto_server and the emulator\n?$/);
    });

    it("--help exits 0; another argument exits 2", async () => {
        assert.strictEqual((await runScript("scripts/demo.ts", ["--help"])).code, 0);
        assert.strictEqual((await runScript("scripts/demo.ts", ["--frobnicate"])).code, 2);
    });
});
