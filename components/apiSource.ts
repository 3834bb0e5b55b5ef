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
 * Stack config comes first, as Pulumi's own providers treat it (`aws:region` over AWS_REGION): it
 * is what the stack records. The module imports nothing: the provider's code, which Pulumi
 * serializes into the state, captures it whole.
 */

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
