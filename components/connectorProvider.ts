/**
 * The dynamic provider that registers the S3 connector with Cloudglue. Pulumi serializes this
 * object, and everything it refers to, into the stack's state (`__provider`), and the engine runs
 * that stored text later, for refresh and delete too. So: it refers only to the small API client
 * and to its own helpers, requires Node's built-ins inside its methods, and holds the API key
 * only in memory, read in `configure` from stack config or the environment.
 */
import type * as pulumiDynamic from "@pulumi/pulumi/dynamic";
import { CloudglueClient, DataConnector, DEFAULT_API_URL, isApiError, isFailure } from "./cloudglueApi";

/** Raise when the outputs change shape, and teach `upgradeState` the old shape. */
export const STATE_VERSION = 1;

export interface ConnectorInputs {
    roleArn: string;
    externalId: string;
    buckets: string[];
    /** A connector made in Cloudglue's web app, to adopt instead of creating one. */
    connectorId?: string;
}

export interface ConnectorState {
    stateVersion: number;
    connectorId: string;
    type: string;
    createdAt: number;
    updatedAt: number;
    roleArn: string;
    buckets: string[];
    /** sha256 of the external ID: enough for diff to see a rotation, and stored as a secret. */
    externalIdHash: string;
    /** Adopted connectors belong to the user: never PATCHed or DELETEd. */
    adopted: boolean;
}

interface ProviderSettings {
    apiKey: string;
    apiUrl: string;
    propagationTimeoutMs: number;
}

/** What the engine sends for a value not known until the update. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/;
const CONNECTOR_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function hashExternalId(externalId: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto") as typeof import("crypto");
    return createHash("sha256").update(externalId).digest("hex");
}

/** Every shape of outputs an earlier version wrote, brought to the current one. */
export function upgradeState(outputs: Record<string, unknown>): ConnectorState {
    const version = typeof outputs.stateVersion === "number" ? outputs.stateVersion : 1;
    if (version > STATE_VERSION) {
        throw new Error(
            `This stack's Cloudglue connector state was written by a newer version of this project (state version ${version}); update the project before running it.`,
        );
    }
    return outputs as unknown as ConnectorState;
}

function sameBuckets(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

function stateFrom(connector: DataConnector, inputs: ConnectorInputs, adopted: boolean): ConnectorState {
    return {
        stateVersion: STATE_VERSION,
        connectorId: connector.id,
        type: connector.type,
        createdAt: connector.created_at,
        updatedAt: connector.updated_at,
        roleArn: inputs.roleArn,
        buckets: [...inputs.buckets],
        externalIdHash: hashExternalId(inputs.externalId),
        adopted,
    };
}

function backoffMs(attempt: number, remainingMs: number): number {
    const ceiling = Math.min(8_000, 1_000 * 2 ** (attempt - 1));
    return Math.max(0, Math.min(remainingMs, ceiling / 2 + Math.random() * (ceiling / 2)));
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function propagationFailure(roleArn: string, seconds: number, said: string): Error {
    return new Error(
        `Cloudglue could not assume ${roleArn} within ${seconds} s (cloudglue:propagationTimeoutSeconds). ` +
            `Cloudglue said: "${said}". Likely causes: IAM has not finished propagating a new or changed role ` +
            "(run `pulumi up` again in a minute, or raise cloudglue:propagationTimeoutSeconds); the external ID Cloudglue " +
            "was given differs from the one in the role's trust policy; or the role's trust policy was changed outside Pulumi.",
    );
}

function registrationUnavailable(inputs: ConnectorInputs, status: number): Error {
    return new Error(
        `This Cloudglue API cannot register S3 connectors (POST /v1/data-connectors answered ${status}). The role is ` +
            "ready; register it by hand: in Cloudglue's web app (Data connectors, AWS S3 card) enter the role ARN " +
            `${inputs.roleArn} and the external ID, which \`npm run connector-details -- --stack <stack>\` prints ` +
            "(after an up that finished, `pulumi stack output --show-secrets externalId` shows it too). Then run " +
            "`pulumi config set cloudglue:connectorId <id>` and `pulumi up` again: the stack will adopt that connector.",
    );
}

/**
 * Sends a POST or PATCH that makes Cloudglue assume the role, retrying its 502 while IAM
 * propagates, until the deadline.
 */
async function retryingPropagation<T>(
    send: () => Promise<T>,
    roleArn: string,
    settings: ProviderSettings,
): Promise<Exclude<T, { status: number; error: string }>> {
    const deadline = Date.now() + settings.propagationTimeoutMs;
    for (let attempt = 1; ; attempt++) {
        const result = await send();
        if (!isFailure(result) || result.status !== 502) {
            return result as Exclude<T, { status: number; error: string }>;
        }
        if (Date.now() >= deadline) {
            throw propagationFailure(roleArn, settings.propagationTimeoutMs / 1000, result.error);
        }
        await sleep(backoffMs(attempt, deadline - Date.now()));
    }
}

async function adopt(client: CloudglueClient, inputs: ConnectorInputs): Promise<ConnectorState> {
    const id = inputs.connectorId as string;
    const connector = (await client.listConnectors()).find((c) => c.id === id);
    if (!connector) {
        throw new Error(
            `cloudglue:connectorId "${id}": the Cloudglue account of this API key has no such connector. ` +
                "Copy the id from Cloudglue's web app (Data connectors), or remove the setting to let the stack create one.",
        );
    }
    if (connector.type !== "s3") {
        throw new Error(
            `cloudglue:connectorId "${id}" is a ${connector.type} connector; this stack manages an S3 connector. Give the id of an AWS S3 connector.`,
        );
    }
    return stateFrom(connector, inputs, true);
}

/**
 * POSTs the connector, without ever making a second one: before the first POST, and before
 * re-sending one whose answer was lost, it lists the connectors and takes the one already
 * registered for this role.
 */
async function createOrTakeOver(
    client: CloudglueClient,
    inputs: ConnectorInputs,
    settings: ProviderSettings,
): Promise<ConnectorState> {
    const deadline = Date.now() + settings.propagationTimeoutMs;
    const body = {
        type: "s3" as const,
        role_arn: inputs.roleArn,
        external_id: inputs.externalId,
        buckets: inputs.buckets,
    };
    let sentBefore = false;
    for (let attempt = 1; ; attempt++) {
        const existing = (await client.listConnectors()).find(
            (c) => c.type === "s3" && c.metadata?.role_arn === inputs.roleArn,
        );
        if (existing && sentBefore) {
            return stateFrom(existing, inputs, false); // our own POST, whose answer was lost
        }
        if (existing) {
            // Registered earlier (a lost state, an earlier stack): make it match this stack.
            const patched = await retryingPropagation(
                () =>
                    client.updateConnector(
                        existing.id,
                        { role_arn: inputs.roleArn, external_id: inputs.externalId, buckets: inputs.buckets },
                        [502],
                    ),
                inputs.roleArn,
                settings,
            );
            return stateFrom(patched as DataConnector, inputs, false);
        }
        try {
            const created = await retryingPropagation(
                () => client.createConnector(body, [404, 405, 502]),
                inputs.roleArn,
                settings,
            );
            if (isFailure(created)) {
                throw registrationUnavailable(inputs, created.status);
            }
            return stateFrom(created, inputs, false);
        } catch (error) {
            const unsure = isApiError(error) && (error.answerLost || (error.status ?? 0) >= 500);
            if (!unsure || Date.now() >= deadline) {
                throw error;
            }
            sentBefore = true;
            await sleep(backoffMs(attempt, deadline - Date.now()));
        }
    }
}

export interface ConnectorProvider extends pulumiDynamic.ResourceProvider<ConnectorInputs, ConnectorState> {
    settings?: ProviderSettings;
    client(): CloudglueClient;
}

export const connectorProvider: ConnectorProvider = {
    async configure(req) {
        const fromConfig = (key: string) => {
            const value = req.config.get(key);
            return typeof value === "string" && value !== "" ? value : undefined;
        };
        const timeout = Number(
            fromConfig("cloudglue:propagationTimeoutSeconds") ??
                process.env.CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS ??
                120,
        );
        this.settings = {
            apiKey: fromConfig("cloudglue:apiKey") ?? process.env.CLOUDGLUE_API_KEY ?? "",
            apiUrl: fromConfig("cloudglue:apiUrl") ?? process.env.CLOUDGLUE_API_URL ?? DEFAULT_API_URL,
            propagationTimeoutMs: (Number.isFinite(timeout) && timeout >= 0 ? timeout : 120) * 1000,
        };
    },

    client() {
        if (!this.settings?.apiKey) {
            throw new Error(
                "No Cloudglue API key: set one with `pulumi config set --secret cloudglue:apiKey <key>`, or export CLOUDGLUE_API_KEY.",
            );
        }
        return new CloudglueClient({ apiUrl: this.settings.apiUrl, apiKey: this.settings.apiKey });
    },

    async check(_olds, news) {
        const failures: { property: string; reason: string }[] = [];
        const known = (value: unknown) => value !== UNKNOWN && value !== undefined;
        if (known(news.roleArn) && !ROLE_ARN.test(String(news.roleArn))) {
            failures.push({ property: "roleArn", reason: `${JSON.stringify(news.roleArn)} is not an IAM role ARN` });
        }
        if (known(news.externalId) && (typeof news.externalId !== "string" || news.externalId.length < 2)) {
            failures.push({
                property: "externalId",
                reason: "the external ID is missing or shorter than 2 characters",
            });
        }
        const buckets = news.buckets as unknown;
        if (
            known(buckets) &&
            (!Array.isArray(buckets) ||
                buckets.length === 0 ||
                buckets.some((b) => b !== UNKNOWN && typeof b !== "string"))
        ) {
            failures.push({ property: "buckets", reason: "buckets must be a non-empty list of bucket names" });
        }
        if (known(news.connectorId) && !CONNECTOR_ID.test(String(news.connectorId))) {
            failures.push({
                property: "connectorId",
                reason: `cloudglue:connectorId ${JSON.stringify(news.connectorId)} is not a Cloudglue connector id`,
            });
        }
        const inputs: ConnectorInputs = { roleArn: news.roleArn, externalId: news.externalId, buckets: news.buckets };
        if (news.connectorId !== undefined) {
            inputs.connectorId = news.connectorId;
        }
        return { inputs, failures };
    },

    async diff(_id, olds, news) {
        const old = upgradeState(olds as unknown as Record<string, unknown>);
        const replaces = (news.connectorId ?? "") !== (old.adopted ? old.connectorId : "") ? ["connectorId"] : [];
        const changed =
            replaces.length > 0 ||
            news.roleArn !== old.roleArn ||
            news.externalId === UNKNOWN ||
            hashExternalId(news.externalId) !== old.externalIdHash ||
            !Array.isArray(news.buckets) ||
            !sameBuckets(news.buckets, old.buckets);
        return { changes: changed, replaces, deleteBeforeReplace: false };
    },

    async create(inputs) {
        const client = this.client();
        const state = inputs.connectorId
            ? await adopt(client, inputs)
            : await createOrTakeOver(client, inputs, this.settings as ProviderSettings);
        return { id: state.connectorId, outs: state };
    },

    async read(id, props) {
        const old = upgradeState(props as unknown as Record<string, unknown>);
        const client = this.client();
        // An adopted connector is read through the published list endpoint, which every API has.
        const connector = old.adopted
            ? (await client.listConnectors()).find((c) => c.id === id)
            : await client.getConnector(id);
        if (!connector) {
            return { id: "", props: {} as ConnectorState }; // gone: the next `pulumi up` creates it again
        }
        const refreshed: ConnectorState = {
            ...old,
            type: connector.type,
            createdAt: connector.created_at,
            updatedAt: connector.updated_at,
            roleArn: old.adopted ? old.roleArn : (connector.metadata?.role_arn ?? old.roleArn),
            buckets: old.adopted ? old.buckets : (connector.metadata?.buckets ?? old.buckets),
            stateVersion: STATE_VERSION,
        };
        return { id, props: refreshed };
    },

    async update(id, olds, news) {
        const old = upgradeState(olds as unknown as Record<string, unknown>);
        const next = {
            ...old,
            roleArn: news.roleArn,
            buckets: [...news.buckets],
            externalIdHash: hashExternalId(news.externalId),
            stateVersion: STATE_VERSION,
        };
        if (old.adopted) {
            return { outs: next }; // the user's connector: Cloudglue's web app is where it changes
        }
        const patch: { role_arn?: string; external_id?: string; buckets?: string[] } = {};
        if (news.roleArn !== old.roleArn) {
            patch.role_arn = news.roleArn;
        }
        if (next.externalIdHash !== old.externalIdHash) {
            patch.external_id = news.externalId;
        }
        if (!sameBuckets(news.buckets, old.buckets)) {
            patch.buckets = news.buckets;
        }
        if (Object.keys(patch).length === 0) {
            return { outs: next };
        }
        const client = this.client();
        const updated = await retryingPropagation(
            () => client.updateConnector(id, patch, [404, 502]),
            news.roleArn,
            this.settings as ProviderSettings,
        );
        if (isFailure(updated)) {
            throw new Error(
                `Cloudglue has no connector ${id} any more (deleted outside Pulumi). Run \`pulumi refresh\`, then \`pulumi up\` to register it again.`,
            );
        }
        return { outs: { ...next, updatedAt: updated.updated_at } };
    },

    async delete(id, props) {
        if (upgradeState(props as unknown as Record<string, unknown>).adopted) {
            return; // the user's connector outlives the stack
        }
        await this.client().deleteConnector(id);
    },
};
