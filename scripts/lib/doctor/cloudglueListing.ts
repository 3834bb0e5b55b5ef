/**
 * Listing a bucket under one prefix through a connector. components/cloudglueApi.ts lists whole
 * buckets only (`listFiles` has no prefix yet); a role granted only some prefixes may list only
 * under them, so the doctor asks once per granted prefix. One request, no retry: the doctor
 * reports what Cloudglue answers now.
 */
export type ListingOutcome = { ok: true; files: number } | { ok: false; status?: number; error: string };

export async function listUnderPrefix(options: {
    apiUrl: string;
    apiKey: string;
    connectorId: string;
    bucket: string;
    prefix: string;
    timeoutMs?: number;
}): Promise<ListingOutcome> {
    const query = new URLSearchParams({ bucket: options.bucket, prefix: options.prefix, limit: "1" });
    const url =
        `${options.apiUrl.replace(/\/+$/, "")}/v1/data-connectors/` +
        `${encodeURIComponent(options.connectorId)}/files?${query}`;
    let response: Response;
    try {
        response = await fetch(url, {
            headers: { Authorization: `Bearer ${options.apiKey}`, Accept: "application/json" },
            signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        });
    } catch (error) {
        const timedOut = error instanceof Error && error.name === "TimeoutError";
        return { ok: false, error: timedOut ? "Cloudglue did not answer in time" : "Cloudglue could not be reached" };
    }
    let body: { data?: unknown[]; error?: unknown } | undefined;
    try {
        body = (await response.json()) as typeof body;
    } catch {
        body = undefined;
    }
    if (response.ok) {
        return { ok: true, files: Array.isArray(body?.data) ? body.data.length : 0 };
    }
    const said = typeof body?.error === "string" ? body.error : "";
    // Never let the key out, even if a server echoes it back.
    return { ok: false, status: response.status, error: said.split(options.apiKey).join("[redacted]") };
}
