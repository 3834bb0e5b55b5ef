/**
 * The project's place and name, and a stack file read as the CLI hands its config to the program.
 * Kept apart from programRun.ts so that a script that only reads a stack file (the doctor) does
 * not load the Pulumi SDK.
 */
import * as fs from "fs";
import * as path from "path";
import { DocumentOptions, isAlias, isMap, isScalar, Node, parseDocument, Scalar, SchemaOptions } from "yaml";
import { CONFIG_NAMESPACE, MAX_CONFIG_DEPTH, nestedDeeperThan, SETTING_DEFAULTS } from "../../components/settings";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "cloudglue";

export interface StackFileConfig {
    config: Record<string, string>;
    secretKeys: string[];
}

/** Where an encrypted value sits in a key's value: [] for the whole value, else the indexes and fields down to it. */
export type SecretPath = (string | number)[];

/**
 * A path within a key's value as the CLI's --path reads it: `[1].kmsKeyArn`, `["team name"]`. In
 * ParsePropertyPath (sdk/go/common/resource/properties_path.go) `.name` takes only
 * [a-zA-Z_$][a-zA-Z0-9_$]*; any other field is `["..."]`, where `\"` is a quote.
 */
export function secretPathText(at: SecretPath): string {
    return at
        .map((step) => {
            if (typeof step === "number") {
                return `[${step}]`;
            }
            return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(step) ? `.${step}` : `["${step.replace(/"/g, '\\"')}"]`;
        })
        .join("");
}

/**
 * For a key stored whole as a secret, which a tool reading the file cannot decrypt: a value of the
 * shape the program checks there, so that a valid config stays valid (a connector id is a UUID, tags
 * a map). Undefined for a key whose stand-in each tool chooses itself (names, IDs, the API key).
 */
export function shapedStandIn(key: string): string | undefined {
    const name = key.startsWith(`${CONFIG_NAMESPACE}:`) ? key.slice(CONFIG_NAMESPACE.length + 1) : undefined;
    switch (name) {
        case "connectorId":
            return "00000000-0000-4000-8000-00000000c1d0";
        case "tags":
            return "{}";
        case "permissionsBoundaryArn":
            return "arn:aws:iam::000000000000:policy/encrypted-permissions-boundary";
        case "apiUrl":
        case "verifyAccess":
        case "externalIdLength":
        case "externalIdGraceHours":
        case "propagationTimeoutSeconds":
        case "adoptExistingRole":
        case "existingPolicyName":
        case "registration":
        case "exclusivePolicies":
            return String(SETTING_DEFAULTS[name]);
        default:
            return undefined;
    }
}

/** A stack file the reader cannot hand on as the CLI would; the message names the key and the rule. */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/**
 * A stack file's config as the CLI hands it to the program: keys namespaced, scalars as strings,
 * lists and objects as JSON. An encrypted value (`secure:`) cannot be decrypted here: `secretValue`
 * says what stands in for it (or throws). As in the CLI (sdk/go/common/resource/config, value.go),
 * a `secure:` value may also sit inside a list or object, written by `pulumi config set --secret
 * --path`: the program gets the list or object with the decrypted string in its place, and the
 * whole key counts as secret.
 */
export function readStackFile(file: string, secretValue: (key: string, at: SecretPath) => string): StackFileConfig {
    const text = fs.readFileSync(file, "utf8");
    let document;
    try {
        document = parseDocument(text, YAML_1_1);
    } catch (error) {
        throw tooDeepToRead(error, text, 0);
    }
    const problem = document.errors[0];
    if (problem) {
        throw tooDeepToRead(problem, text, problem.pos[0]);
    }
    const root = document.contents;
    const section = isMap(root) ? root.get("config", true) : undefined;
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const pair of isMap(section) ? section.items : []) {
        const rawKey = isScalar(pair.key) ? scalarText(pair.key) : String(pair.key);
        const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
        const node = isAlias(pair.value) ? pair.value.resolve(document) : (pair.value as Node | null);
        if (node === null || node === undefined || isScalar(node)) {
            config[key] = node ? scalarText(node) : "";
            continue;
        }
        let value: unknown;
        try {
            value = node.toJS(document);
        } catch (error) {
            throw tooDeepToRead(error, text, node.range?.[0] ?? 0, key);
        }
        if (nestedDeeperThan(value, MAX_CONFIG_DEPTH)) {
            // The program's own limit (the walk below recurses); no setting needs a fraction of it.
            throw new StackFileError(
                `${key}: the value is nested too deeply: more than ${MAX_CONFIG_DEPTH} levels of lists and ` +
                    `objects inside each other, and the limit is ${MAX_CONFIG_DEPTH}`,
            );
        }
        let secret = false;
        const plain = withSecretsReplaced(value, [], (at) => {
            secret = true;
            return secretValue(key, at);
        });
        if (secret) {
            secretKeys.push(key);
        }
        config[key] = plain !== null && typeof plain === "object" ? JSON.stringify(plain) : String(plain);
    }
    return { config, secretKeys };
}

/**
 * Inside lists and objects the CLI's yaml.v2 types scalars by YAML 1.1 (`on` is true, `0777` is 511),
 * but keeps a timestamp as its text and knows no sexagesimal `1:20` (yaml.v2 decode.go, resolve.go).
 */
const YAML_1_1: DocumentOptions & SchemaOptions = {
    version: "1.1",
    customTags: (tags) =>
        tags.filter((tag) => typeof tag === "string" || (!tag.tag.endsWith(":timestamp") && tag.format !== "TIME")),
};

/**
 * A top-level scalar as the CLI hands it on: config.Value first unmarshals into a Go string
 * (sdk/go/common/resource/config/value.go, unmarshalValue), and yaml.v2 then keeps the scalar's
 * text as written (`1e3`, `False`, `0x10`), a null (empty, `~`, `null`) becoming "".
 */
function scalarText(node: Scalar): string {
    return node.value === null ? "" : String(node.source ?? node.value);
}

/** The parser's or a walk's stack overflow, said plainly with the key where one is found; other errors as they are. */
function tooDeepToRead(error: unknown, text: string, at: number, key?: string): unknown {
    const message = (error as Error | undefined)?.message ?? "";
    if (!(error instanceof RangeError) && !message.startsWith("Maximum call stack size exceeded")) {
        return error;
    }
    const line = text.slice(text.lastIndexOf("\n", at) + 1, at);
    const found = key ?? /^\s+([^\s#'"][^\s]*?):(?:\s|$)/.exec(line)?.[1];
    const where = found ? (found.includes(":") ? found : `${PROJECT}:${found}`) : undefined;
    return new StackFileError(
        `${where ?? "a value"}: nested too deeply to read (lists or objects inside each other far past the ` +
            `limit of ${MAX_CONFIG_DEPTH} levels)`,
    );
}

/** The CLI's test for an encrypted value: an object of one field, `secure`, holding a string. */
function isSecure(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        typeof (value as { secure?: unknown }).secure === "string"
    );
}

function withSecretsReplaced(value: unknown, at: SecretPath, standIn: (at: SecretPath) => string): unknown {
    if (isSecure(value)) {
        return standIn(at);
    }
    if (Array.isArray(value)) {
        return value.map((item, index) => withSecretsReplaced(item, [...at, index], standIn));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value).map(([field, item]) => [field, withSecretsReplaced(item, [...at, field], standIn)]),
        );
    }
    return value;
}
