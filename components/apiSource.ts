/**
 * Where the Cloudglue API key and API URL come from, one rule for every reader: the connector's
 * provider (`pulumi up`, refresh, destroy), the access check the stack runs, `npm run verify` and
 * `npm run doctor`. So `pulumi up` and the scripts beside it never talk to different APIs with
 * different keys.
 *
 *   API key: cloudglue:apiKey in the stack's config, else CLOUDGLUE_API_KEY.
 *   API URL: --api-url (the scripts' flag), else cloudglue:apiUrl, else CLOUDGLUE_API_URL,
 *            else https://api.cloudglue.dev.
 *
 *   AWS region (the doctor): --region, else aws:region, else AWS_REGION, else AWS_DEFAULT_REGION.
 *
 * Stack config comes first, as Pulumi's own providers treat it (`aws:region` over AWS_REGION): it
 * is what the stack records. The module imports nothing: the provider's code, which Pulumi
 * serializes into the state, captures it whole.
 */

/**
 * The rule above as data, first found wins: what the scripts' --help says is made from it, and a
 * test holds resolveApiSource, resolveRegion and every --help to it.
 */
export const SOURCE_ORDER = {
    apiKey: ["cloudglue:apiKey", "CLOUDGLUE_API_KEY"],
    apiUrl: ["--api-url", "cloudglue:apiUrl", "CLOUDGLUE_API_URL", "https://api.cloudglue.dev"],
    region: ["--region", "aws:region", "AWS_REGION", "AWS_DEFAULT_REGION"],
} as const;

export type SourceKind = keyof typeof SOURCE_ORDER;

/** What each is called in a sentence. */
export const SOURCE_NAMES: Record<SourceKind, string> = {
    apiKey: "The API key",
    apiUrl: "The API URL",
    region: "The AWS region",
};

/**
 * The rule for one of them as a --help line: "The API URL: --api-url, else cloudglue:apiUrl, else
 * ...". `without`: sources a script does not have (a flag it does not take); `fallback`: its own
 * last resort, where it has one.
 */
export function sourceRule(kind: SourceKind, options: { without?: string[]; fallback?: string } = {}): string {
    const sources: string[] = SOURCE_ORDER[kind].filter((s) => !(options.without ?? []).includes(s));
    if (options.fallback) {
        sources.push(options.fallback);
    }
    return `${SOURCE_NAMES[kind]}: ${sources.join(", else ")}.`;
}

export type RegionSource = "--region" | "aws:region" | "AWS_REGION" | "AWS_DEFAULT_REGION";

/** The AWS region by the rule above; undefined when none is set anywhere. An empty string counts as not set. */
export function resolveRegion(inputs: {
    flag?: string;
    config?: string;
    env: Record<string, string | undefined>;
}): { region: string; source: RegionSource } | undefined {
    const found = (
        [
            ["--region", inputs.flag],
            ["aws:region", inputs.config],
            ["AWS_REGION", inputs.env.AWS_REGION],
            ["AWS_DEFAULT_REGION", inputs.env.AWS_DEFAULT_REGION],
        ] as [RegionSource, string | undefined][]
    ).find(([, value]) => typeof value === "string" && value !== "");
    return found && { region: found[1] as string, source: found[0] };
}

export type ApiKeySource = "cloudglue:apiKey" | "CLOUDGLUE_API_KEY";
export type ApiUrlSource = "--api-url" | "cloudglue:apiUrl" | "CLOUDGLUE_API_URL" | "default";

export interface ApiSourceInputs {
    /** The scripts' --api-url flag. */
    flagUrl?: string;
    /** cloudglue:apiKey and cloudglue:apiUrl as the stack's config holds them (when the reader has the config). */
    configKey?: string;
    configUrl?: string;
    /** CLOUDGLUE_API_KEY and CLOUDGLUE_API_URL. */
    env: Record<string, string | undefined>;
}

export interface ApiSource {
    /** "" when none is set anywhere. */
    apiKey: string;
    apiKeySource: ApiKeySource | undefined;
    apiUrl: string;
    apiUrlSource: ApiUrlSource;
}

/** Resolves the key and the URL by the rule above; an empty string counts as not set. */
export function resolveApiSource(inputs: ApiSourceInputs): ApiSource {
    const given = (value: string | undefined) => (typeof value === "string" && value !== "" ? value : undefined);
    const keys: [ApiKeySource, string | undefined][] = [
        ["cloudglue:apiKey", given(inputs.configKey)],
        ["CLOUDGLUE_API_KEY", given(inputs.env.CLOUDGLUE_API_KEY)],
    ];
    const urls: [ApiUrlSource, string | undefined][] = [
        ["--api-url", given(inputs.flagUrl)],
        ["cloudglue:apiUrl", given(inputs.configUrl)],
        ["CLOUDGLUE_API_URL", given(inputs.env.CLOUDGLUE_API_URL)],
        // Written out, not imported: this module imports nothing (see above). A test keeps it equal.
        ["default", "https://api.cloudglue.dev"],
    ];
    const key = keys.find(([, value]) => value !== undefined);
    const url = urls.find(([, value]) => value !== undefined) as [ApiUrlSource, string];
    return { apiKey: key?.[1] ?? "", apiKeySource: key?.[0], apiUrl: url[1], apiUrlSource: url[0] };
}
