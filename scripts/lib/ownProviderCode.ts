/**
 * The code this project's dynamic resources serialize into the stack, hashed as the policy pack
 * hashes it (policy-pack/cloudglue.ts), and the pack's module that records the hashes.
 */
import { createHash } from "crypto";
import * as path from "path";
import * as prettier from "prettier";
import { PROJECT_ROOT, runProgram, stackConfig } from "./programRun";

/** A config under which the program declares both: the connector registered through the API, and the rotation. */
const BOTH_DECLARED = {
    ...stackConfig("dev"),
    "cloudglue:registration": "api",
    "cloudglue:apiUrl": "http://127.0.0.1:8787",
};

export async function ownProviderCode(): Promise<Record<string, string>> {
    const run = await runProgram({ config: BOTH_DECLARED });
    const hashes: Record<string, string> = {};
    for (const resource of run.resources) {
        const code = resource.inputs.__provider;
        if (typeof code === "string") {
            hashes[resource.type] = createHash("sha256").update(code).digest("hex");
        }
    }
    return Object.fromEntries(Object.entries(hashes).sort(([a], [b]) => a.localeCompare(b)));
}

/** The module's text, formatted as the project's Prettier config wants it. */
export async function ownProviderCodeModule(hashes: Record<string, string>): Promise<string> {
    const file = path.join(PROJECT_ROOT, "policy-pack", "ownProviderCode.ts");
    const text =
        "// Written by `npm run pack:provider-code`; a test fails while it is behind components/.\n" +
        "/** The sha256 of the provider code each of this project's dynamic resources serializes into the stack. */\n" +
        `export const OWN_PROVIDER_CODE_SHA256: Record<string, string> = ${JSON.stringify(hashes)};\n`;
    return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}
