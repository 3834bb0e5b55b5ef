/**
 * Writes policy-pack/ownProviderCode.ts: the sha256 of the code each of this project's dynamic
 * resources serializes into the stack, as the program declares it now. The pack passes the connector
 * and the rotation only with that code, so a change to their providers is reviewed with this file's
 * change. Run with `npm run pack:provider-code`; a test fails while the file is behind the code.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./lib/programRun";
import { ownProviderCode, ownProviderCodeModule } from "./lib/ownProviderCode";
import { noOptions } from "./lib/usage";

noOptions(
    process.argv.slice(2),
    `usage: npm run pack:provider-code

Runs the program under mocks, hashes the provider code its connector and rotation serialize, and
writes the hashes to policy-pack/ownProviderCode.ts. Offline.`,
);

void ownProviderCode().then(async (hashes) => {
    const file = path.join(PROJECT_ROOT, "policy-pack", "ownProviderCode.ts");
    fs.writeFileSync(file, await ownProviderCodeModule(hashes));
    for (const [type, sha256] of Object.entries(hashes)) {
        console.log(`${type}  sha256 ${sha256}`);
    }
    console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
});
