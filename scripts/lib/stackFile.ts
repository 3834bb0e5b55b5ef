/**
 * The project's place and name, and a stack file read as the CLI hands its config to the program.
 * Kept apart from programRun.ts so that a script that only reads a stack file (the doctor) does
 * not load the Pulumi SDK.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "cloudglue";

export interface StackFileConfig {
    config: Record<string, string>;
    secretKeys: string[];
}

/**
 * A stack file's config as the CLI hands it to the program: keys namespaced, scalars as strings,
 * lists and objects as JSON. An encrypted value cannot be decrypted here: `secretValue` says what
 * stands in for it (or throws).
 */
export function readStackFile(file: string, secretValue: (key: string) => string): StackFileConfig {
    const document = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, value] of Object.entries(document.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
        if (value !== null && typeof value === "object" && "secure" in value) {
            config[key] = secretValue(key);
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
        }
    }
    return { config, secretKeys };
}
