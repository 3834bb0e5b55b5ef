/**
 * A stand-in for the pulumi-random provider plugin (pulumi-resource-random), which the Go module
 * proxy does not serve here. It serves RandomPassword and RandomString after terraform-provider-random,
 * which pulumi-random 4.x bridges: the same inputs and defaults, the same character sets, each
 * character from a cryptographic generator (crypto.randomInt), the min* counts drawn first and the
 * whole shuffled; any change of an input replaces the resource (every attribute of the Terraform
 * resources is RequiresReplace). The password's `result` is returned as a secret; its `bcryptHash`
 * is left out, as Node has no bcrypt of its own and this project never reads it (the engine, 3.276
 * at least, says nothing of an additionalSecretOutputs entry the outputs lack). Any other token is refused.
 */
import { randomInt } from "crypto";
import * as provider from "@pulumi/pulumi/provider";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { containsUnknown, diffInputs, Props, revealProps, secret, serve, standInProvider } from "./launch";

/** The @pulumi/random this project installs: the engine asks the plugin for that version. */
export const RANDOM_VERSION = "4.21.2";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const RANDOM_STRING = "random:index/randomString:RandomString";

const NUMERIC = "0123456789";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

const OUTPUTS_ONLY = ["result", "bcryptHash"];
const COUNTS = ["minLower", "minNumeric", "minSpecial", "minUpper"] as const;
const CLASSES = ["lower", "numeric", "special", "upper"] as const;

/** The inputs with the Terraform resource's defaults. */
export interface StringSettings {
    length: number;
    lower: boolean;
    numeric: boolean;
    special: boolean;
    upper: boolean;
    minLower: number;
    minNumeric: number;
    minSpecial: number;
    minUpper: number;
    overrideSpecial?: string;
}

/** The settings of (revealed, known) inputs; `number` is the deprecated twin of `numeric`: false in either wins. */
export function settingsOf(inputs: Props): StringSettings {
    const flag = (value: unknown) => value !== false;
    const count = (value: unknown) => (typeof value === "number" ? value : 0);
    return {
        length: Number(inputs.length),
        lower: flag(inputs.lower),
        numeric: flag(inputs.numeric) && flag(inputs.number),
        special: flag(inputs.special),
        upper: flag(inputs.upper),
        minLower: count(inputs.minLower),
        minNumeric: count(inputs.minNumeric),
        minSpecial: count(inputs.minSpecial),
        minUpper: count(inputs.minUpper),
        ...(typeof inputs.overrideSpecial === "string" ? { overrideSpecial: inputs.overrideSpecial } : {}),
    };
}

/** The validation of the Terraform resource, on the inputs known so far. */
export function settingsProblems(inputs: Props): provider.CheckFailure[] {
    const problems: provider.CheckFailure[] = [];
    const known = (key: string) => inputs[key] !== undefined && !containsUnknown(inputs[key]);
    const wholeNumber = (value: unknown) => typeof value === "number" && Number.isInteger(value);
    if (inputs.length === undefined) {
        problems.push({ property: "length", reason: "length is required" });
    } else if (known("length") && !(wholeNumber(inputs.length) && (inputs.length as number) >= 1)) {
        problems.push({ property: "length", reason: "length must be a whole number of at least 1" });
    }
    for (const key of COUNTS) {
        if (known(key) && !(wholeNumber(inputs[key]) && (inputs[key] as number) >= 0)) {
            problems.push({ property: key, reason: `${key} must be a whole number of at least 0` });
        }
    }
    for (const key of [...CLASSES, "number"]) {
        if (known(key) && typeof inputs[key] !== "boolean") {
            problems.push({ property: key, reason: `${key} must be true or false` });
        }
    }
    if (
        problems.length === 0 &&
        ["length", ...COUNTS, ...CLASSES, "number"].every((key) => !containsUnknown(inputs[key]))
    ) {
        const settings = settingsOf(inputs);
        const minimum = COUNTS.reduce((sum, key) => sum + settings[key], 0);
        if (settings.length < minimum) {
            problems.push({
                property: "length",
                reason: `length (${settings.length}) must be at least minUpper + minLower + minNumeric + minSpecial (${minimum})`,
            });
        } else if (settings.length > minimum && alphabetOf(settings).length === 0) {
            problems.push({
                property: "special",
                reason: "at least one of upper, lower, numeric and special must be true, or the min* counts fill length",
            });
        }
    }
    return problems;
}

function specialOf(settings: StringSettings): string {
    return settings.overrideSpecial !== undefined && settings.overrideSpecial !== ""
        ? settings.overrideSpecial
        : DEFAULT_SPECIAL;
}

/** The characters the result is drawn from, beyond the min* counts. */
export function alphabetOf(settings: StringSettings): string {
    return (
        (settings.upper ? UPPER : "") +
        (settings.lower ? LOWER : "") +
        (settings.numeric ? NUMERIC : "") +
        (settings.special ? specialOf(settings) : "")
    );
}

/**
 * A random string as terraform-provider-random makes it: the min* counts from their classes
 * (whether or not the class is on, as there), the rest from the whole alphabet, then shuffled.
 * `pick(n)` is a uniform whole number below n; crypto.randomInt unless a test says otherwise.
 */
export function generate(settings: StringSettings, pick: (below: number) => number = randomInt): string {
    const draw = (alphabet: string, count: number) => {
        const characters = Array.from(alphabet);
        return Array.from({ length: count }, () => characters[pick(characters.length)]);
    };
    const drawn = [
        ...draw(LOWER, settings.minLower),
        ...draw(NUMERIC, settings.minNumeric),
        ...draw(specialOf(settings), settings.minSpecial),
        ...draw(UPPER, settings.minUpper),
    ];
    drawn.push(...draw(alphabetOf(settings), settings.length - drawn.length));
    // Fisher–Yates, so that the min* characters are not all at the start.
    for (let i = drawn.length - 1; i > 0; i--) {
        const j = pick(i + 1);
        [drawn[i], drawn[j]] = [drawn[j], drawn[i]];
    }
    return drawn.join("");
}

/** The props less some keys. */
function without(props: object, keys: readonly string[]): Props {
    return Object.fromEntries(Object.entries(props).filter(([key]) => !keys.includes(key)));
}

/**
 * The inputs as the state holds them: as sent (secrets kept), with the defaults the Terraform
 * resource fills in, `number` and `numeric` as one.
 */
function stateInputs(news: Props, settings: StringSettings): Props {
    return { ...without(settings, ["overrideSpecial"]), ...news, number: settings.numeric, numeric: settings.numeric };
}

/** The inputs for the diff: defaults filled in on either side, so that `special: true` and no `special` are the same. */
function comparable(props: Props): Props {
    const inputs = without(props, OUTPUTS_ONLY);
    // An unknown falls back to its default in the settings, but the value given, unknown, overrides it here.
    const settings = settingsOf(revealProps(inputs));
    const numeric = containsUnknown(inputs.numeric) || containsUnknown(inputs.number) ? unknownValue : settings.numeric;
    return without({ ...without(settings, ["overrideSpecial"]), ...inputs, numeric }, ["number"]);
}

function randomType(token: string, makeOutputs: (result: string) => { id: string; outs: Props }) {
    return {
        async check(_urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
            return { inputs: news, failures: settingsProblems(revealProps(news)) };
        },
        async diff(_id: string, _urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
            return diffInputs(comparable(olds), comparable(news), { outputsOnly: OUTPUTS_ONLY, replaces: () => true });
        },
        async create(_urn: string, news: Props): Promise<provider.CreateResult> {
            const inputs = revealProps(news);
            const problems = settingsProblems(inputs);
            if (problems.length > 0 || containsUnknown(inputs)) {
                throw new Error(
                    `${token}: ${problems.map((p) => p.reason).join("; ") || "the inputs are not all known"}`,
                );
            }
            const settings = settingsOf(inputs);
            const { id, outs } = makeOutputs(generate(settings));
            return { id, outs: { ...stateInputs(news, settings), ...outs } };
        },
        // Unreachable while every change replaces; kept so that the result never changes in place.
        async update(_id: string, _urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
            return { outs: { ...olds, ...stateInputs(news, settingsOf(revealProps(news))), result: olds.result } };
        },
    };
}

export function randomProvider(): provider.Provider {
    return standInProvider({
        replaces: "pulumi-random",
        file: "engine/providers/random.ts",
        version: RANDOM_VERSION,
        types: {
            // The Terraform resource's id is the constant "none"; the result is sensitive there, a secret here.
            [RANDOM_PASSWORD]: randomType(RANDOM_PASSWORD, (result) => ({
                id: "none",
                outs: { result: secret(result) },
            })),
            // A RandomString is not sensitive; its id is the result itself.
            [RANDOM_STRING]: randomType(RANDOM_STRING, (result) => ({ id: result, outs: { result } })),
        },
    });
}

if (require.main === module) {
    serve(() => randomProvider(), process.argv.slice(2));
}
