/**
 * The dynamic provider that registers the S3 connector with Cloudglue. Pulumi serializes this
 * object, and everything it refers to, into the stack's state (`__provider`), and the engine runs
 * that stored text later, for refresh and delete too. So: it refers only to the small API client
 * and to its own helpers, requires Node's built-ins inside its methods, and holds the API key
 * only in memory, read in `configure` from stack config or the environment.
 */
import type * as pulumiDynamic from "@pulumi/pulumi/dynamic";
import { resolveApiSource } from "./apiSource";
import { CloudglueClient, DataConnector, isApiError, isFailure, stripControl } from "./cloudglueApi";

/** Raise when the outputs change shape, and teach `upgradeState` the old shape. */
export const STATE_VERSION = 3;

export interface ConnectorInputs {
    roleArn: string;
    externalId: string;
    buckets: string[];
    /** A connector made in Cloudglue's web app, to adopt instead of creating one. */
    connectorId?: string;
    /**
     * The stack's name prefix (`pulumi:<org>/<project>/<stack>`); create registers under it plus a fresh
     * token (`<prefix>#<token>`), which is how the stack knows the connectors it registered itself.
     */
    name: string;
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
    /**
     * Ownership facts, written only by create and update (what the stack itself sent), never from what
     * the server says: `connectorId`, `roleArn` and `name`. `name` is the name the connector was
     * registered under: `<prefix>#<token>` since state version 3 (the token is random and new for
     * each registration), `pulumi:<project>/<stack>` for version 2; undefined for an adopted
     * connector, and for one registered by state version 1, which sent no name.
     */
    name?: string;
}

interface ProviderSettings {
    apiKey: string;
    apiUrl: string;
    propagationTimeoutMs: number;
    requestTimeoutMs: number;
    /**
     * cloudglue:registration; anything but `api` never DELETEs. Undefined when the engine passed no
     * stack config at all (the provider then reads CLOUDGLUE_* for refresh and destroy): the state
     * then says which mode made the connector.
     */
    registration?: string;
    /** cloudglue:connectorId as the stack's config holds it now. */
    connectorId?: string;
}

/** What the engine sends for a value not known until the update. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/;
const CONNECTOR_ID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;

export function hashExternalId(externalId: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createHash } = require("crypto") as typeof import("crypto");
    return createHash("sha256").update(externalId).digest("hex");
}

/**
 * Every shape of outputs an earlier version wrote, brought to the current one. Version 1 had no
 * `name`: its connectors were registered without one. Version 2 registered under the bare
 * `pulumi:<project>/<stack>`: such a connector stays the stack's by that name and role.
 */
export function upgradeState(outputs: Record<string, unknown>): ConnectorState {
    const version = typeof outputs.stateVersion === "number" ? outputs.stateVersion : 1;
    if (version > STATE_VERSION) {
        throw new Error(
            `This stack's Cloudglue connector state was written by a newer version of this project (state version ${version}); update the project before running it.`,
        );
    }
    return { ...(outputs as unknown as ConnectorState), stateVersion: STATE_VERSION };
}

/** Text a server sent, fit for a message: no control characters, and short. */
function said(text: unknown): string {
    const clean = stripControl(String(text));
    return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

/**
 * The stack's own: an S3 connector for this role that carries the stack's name. (Every connector has
 * `metadata`: the client refuses an answer without it, as the published schema requires it.)
 */
function isOwn(connector: DataConnector, roleArn: string, name: string | undefined): boolean {
    return connector.type === "s3" && connector.metadata.role_arn === roleArn && connector.metadata.name === name;
}

function sameBuckets(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");
}

function stateFrom(
    connector: DataConnector,
    inputs: ConnectorInputs,
    adopted: boolean,
    registeredName?: string,
): ConnectorState {
    const name = adopted ? {} : { name: registeredName };
    return {
        ...name,
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

export function backoffMs(attempt: number, remainingMs: number): number {
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

function registrationUnavailable(status: number): Error {
    return new Error(
        `This Cloudglue API cannot register connectors (POST /v1/data-connectors answered ${status}), and ` +
            "cloudglue:registration is api. Cloudglue's public API makes connectors only in its web app: run " +
            "`pulumi config set cloudglue:registration web` (the default) and `pulumi up` again; the stack then finishes " +
            "with the role, and its nextStep output says what to enter in the web app.",
    );
}

/**
 * Someone else's connector for this role: not the stack's to change, take over or delete. The command
 * to paste carries the id only when it is a UUID, as Cloudglue's are: a server's `-s...` would be a flag.
 */
function someoneElses(connector: DataConnector, inputs: ConnectorInputs): Error {
    const carries =
        connector.metadata.name === undefined
            ? "carries no name"
            : `carries the name "${said(connector.metadata.name)}"`;
    const adoptable = CONNECTOR_ID.test(connector.id) ? connector.id : "<its id>";
    return new Error(
        `Cloudglue already has connector ${said(connector.id)} for ${inputs.roleArn}, and it is not this stack's: it ` +
            `${carries}, while this stack registers its own as "${inputs.name}#<a token of its own>". The stack will ` +
            "not change or delete it. " +
            `Either adopt it: \`pulumi config set cloudglue:connectorId ${adoptable}\`, then \`pulumi up\`; ` +
            "or delete it in Cloudglue's web app (Data connectors), then `pulumi up` again to register the stack's own.",
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
    const connector = (await client.listConnectors()).find((c) => c.id.toLowerCase() === id.toLowerCase());
    if (!connector) {
        throw new Error(
            `cloudglue:connectorId "${id}": the Cloudglue account of this API key has no such connector. ` +
                "Copy the id from Cloudglue's web app (Data connectors), or remove the setting to let the stack create one.",
        );
    }
    if (connector.type !== "s3") {
        throw new Error(
            `cloudglue:connectorId "${id}" is a ${said(connector.type)} connector; this stack manages an S3 connector. Give the id of an AWS S3 connector.`,
        );
    }
    const roleArn = connector.metadata.role_arn;
    if (roleArn !== undefined && roleArn !== inputs.roleArn) {
        throw new Error(
            `cloudglue:connectorId "${id}" is the S3 connector for the role ${said(roleArn)}, but this stack's role is ` +
                `${inputs.roleArn}. Give the id of the connector made with this stack's role ARN (the stack's roleArn output), ` +
                "or make one in Cloudglue's web app with it.",
        );
    }
    return stateFrom(connector, inputs, true);
}

/** A name no one else holds: the stack's prefix and a token made for this one registration. */
export function registrationName(prefix: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require("crypto") as typeof import("crypto");
    return `${prefix}#${randomBytes(16).toString("hex")}`;
}

/** The room a registration token takes in the contract's 256 characters: `#` and 32 hex digits. */
export const TOKEN_LENGTH = 33;

/**
 * POSTs the connector under a name made for this call (the stack's prefix and a fresh token), without
 * ever making a second one and without touching anyone else's. Only a connector that carries this
 * very name is its own: this call's POST whose answer was lost. Before each POST it lists the
 * connectors: one for the role that carries another name, or none, is someone else's and stops the
 * run; one that carries the stack's prefix with another token is an earlier registration of this
 * stack (the old connector of a replace, which the engine deletes next, or one whose state was lost):
 * it is left as it is, and said so. A lost POST may still be carried out later, so it keeps looking
 * for a while (twice the request timeout) before it sends again, and removes any duplicate of this
 * call's own making.
 */
async function createOrTakeOver(
    client: CloudglueClient,
    inputs: ConnectorInputs,
    settings: ProviderSettings,
): Promise<ConnectorState> {
    const deadline = Date.now() + settings.propagationTimeoutMs;
    const name = registrationName(inputs.name);
    const body = {
        type: "s3" as const,
        name,
        role_arn: inputs.roleArn,
        external_id: inputs.externalId,
        buckets: inputs.buckets,
    };
    const forRole = (c: DataConnector) => c.type === "s3" && c.metadata.role_arn === inputs.roleArn;
    const earlier = (c: DataConnector) => String(c.metadata.name).startsWith(`${inputs.name}#`);
    let sentUnsure = false; // a POST went out whose outcome is unknown
    let lookUntil = 0; // after a lost POST: list, without sending again, until then
    let toldOfEarlier = false;
    for (let attempt = 1; ; attempt++) {
        const connectors = (await client.listConnectors()).filter(forRole);
        const mine = sentUnsure ? connectors.filter((c) => c.metadata.name === name) : [];
        const other = connectors.find((c) => !mine.includes(c) && !earlier(c));
        if (other) {
            throw someoneElses(other, inputs);
        }
        if (!toldOfEarlier) {
            toldOfEarlier = true;
            connectors.filter(earlier).forEach((c) => leftEarlier(c, inputs));
        }
        const [own, ...duplicates] = mine;
        if (own) {
            await removeDuplicates(client, duplicates, own.id);
            return stateFrom(own, inputs, false, name); // this call's own POST: it holds what was sent
        }
        if (Date.now() < lookUntil) {
            await sleep(Math.min(1_000, lookUntil - Date.now()));
            continue;
        }
        try {
            const created = await retryingPropagation(
                () => client.createConnector(body, [404, 405, 502]),
                inputs.roleArn,
                settings,
            );
            if (isFailure(created)) {
                throw registrationUnavailable(created.status);
            }
            if (sentUnsure) {
                const late = (await client.listConnectors()).filter((c) => forRole(c) && c.metadata.name === name);
                await removeDuplicates(client, late, created.id);
            }
            return stateFrom(created, inputs, false, name);
        } catch (error) {
            const unsure = isApiError(error) && (error.answerLost || (error.status ?? 0) >= 500);
            sentUnsure ||= unsure;
            if (!unsure || Date.now() >= deadline) {
                throw sentUnsure ? mayComeLate(error as Error, name) : error;
            }
            if (error.answerLost) {
                lookUntil = Math.min(deadline, Date.now() + 2 * settings.requestTimeoutMs);
            }
            await sleep(backoffMs(attempt, deadline - Date.now()));
        }
    }
}

/** A create that gives up after a POST whose outcome it does not know: Cloudglue may still carry it out. */
function mayComeLate(error: Error, name: string): Error {
    return new Error(
        `${error.message} A POST got no answer and may still be carried out: connector "${name}" may appear late. ` +
            "The next `pulumi up` leaves it as an earlier registration of this stack and says so: delete it in Cloudglue's web app.",
    );
}

/** An earlier registration of this stack: never taken over (its token is not this call's), and said so. */
function leftEarlier(connector: DataConnector, inputs: ConnectorInputs): void {
    console.error(
        `Left Cloudglue connector ${said(connector.id)} as it is: an earlier registration of this stack ` +
            `(${said(connector.metadata.name)}); the stack registers a new one for ${inputs.roleArn}. In a replace, ` +
            "Pulumi deletes the old one next; else delete it in Cloudglue's web app.",
    );
}

/** Deletes duplicates this very create made (its name with its token, its role) and says so. */
async function removeDuplicates(
    client: CloudglueClient,
    candidates: DataConnector[],
    keep: string,
    show: (id: string) => string = said,
): Promise<void> {
    for (const duplicate of candidates.filter((c) => c.id !== keep)) {
        await client.deleteConnector(duplicate.id);
        console.error(
            `Removed Cloudglue connector ${show(duplicate.id)}: a duplicate of connector ${keep}, registered by this ` +
                "very create under the same name and token for the same role (a POST whose answer was lost, carried out late).",
        );
    }
}

/**
 * The configured mode; without stack config, that of a connector the stack registered itself: api.
 * (Adopted connectors are handled before the mode is asked.)
 */
function registrationOf(settings: ProviderSettings): string {
    return settings.registration ?? "api";
}

/**
 * The connector as Cloudglue holds it now, through the published list (an API without GET by id
 * answers 404 for every id, which must not read as "gone"); and, `late`, any other that carries
 * this create's own name and token for its role: its POST, carried out after the create gave up.
 * (Only a token makes a name one create's: a version 2 name is shared by all the stack's registrations.)
 */
async function lookUp(
    client: CloudglueClient,
    id: string,
    old: ConnectorState,
): Promise<{ current?: DataConnector; late: DataConnector[] }> {
    const connectors = await client.listConnectors();
    const tokened = !old.adopted && /#[0-9a-f]{32}$/.test(old.name ?? "");
    return {
        current: connectors.find((c) => c.id === id),
        late: tokened ? connectors.filter((c) => c.id !== id && isOwn(c, old.roleArn, old.name)) : [],
    };
}

/**
 * A server's connector id, fit for a refresh or destroy message, which must quote nothing that could
 * hold the external ID: a UUID, as the contract has them, that is not the external ID itself.
 */
function shownId(id: string, old: ConnectorState): string {
    return CONNECTOR_ID.test(id) && hashExternalId(id) !== old.externalIdHash ? id : "(not a UUID: not shown)";
}

/** A late duplicate where the stack does not delete (refresh, or not api mode): said, with the ways to remove it. */
function tellLate(connector: DataConnector, id: string, old: ConnectorState): void {
    console.error(
        `Cloudglue connector ${shownId(connector.id, old)} duplicates connector ${id}: the same create's name and token, ` +
            "a POST carried out late. Delete it in Cloudglue's web app; in api mode `pulumi destroy` deletes it.",
    );
}

/**
 * Why a connector the state points at is no longer the stack's to change or delete. What it carries
 * now is not quoted: this runs on refresh and destroy, which cannot redact every form of an echoed ID.
 */
function notOwnAnyMore(current: DataConnector, old: ConnectorState): string {
    const differ = [
        current.type !== "s3" && "type",
        current.metadata.name !== old.name && "name",
        current.metadata.role_arn !== old.roleArn && "role",
    ].filter(Boolean);
    return (
        `it no longer carries this stack's name and role (${old.name ?? "no name"} and ${old.roleArn}: its ` +
        `${differ.join(" and ")} differ${differ.length > 1 ? "" : "s"}; what it carries now is not shown, as the ` +
        "server's text could hold the external ID)"
    );
}

const WAYS_ON =
    "To manage one again: adopt one (`pulumi config set cloudglue:connectorId <id>`), or `pulumi state delete` " +
    "this one and `pulumi up` registers a new one.";

export interface ConnectorProvider extends pulumiDynamic.ResourceProvider<ConnectorInputs, ConnectorState> {
    settings?: ProviderSettings;
    /**
     * `secrets`: what the call has besides the key (the external ID), kept out of every error; `withhold`:
     * quote none of the server's text (refresh and destroy, which hold only the ID's hash).
     */
    client(secrets?: string[], withhold?: boolean): CloudglueClient;
}

export const connectorProvider: ConnectorProvider = {
    /**
     * The engine sends config values as text; an empty one (`pulumi config set key ""`) is no setting.
     * cloudglue:buckets is required: without it (or any cloudglue:apiUrl) the engine passed no stack
     * config, and "web" would be a guess that keeps what the stack registered.
     */
    async configure(req) {
        const fromConfig = (key: string) => req.config.get(key) || undefined;
        const timeout = Number(
            fromConfig("cloudglue:propagationTimeoutSeconds") ??
                process.env.CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS ??
                120,
        );
        const requestTimeout = Number(process.env.CLOUDGLUE_REQUEST_TIMEOUT_SECONDS ?? 15);
        const api = resolveApiSource({
            configKey: fromConfig("cloudglue:apiKey"),
            configUrl: fromConfig("cloudglue:apiUrl"),
            env: process.env,
        });
        this.settings = {
            apiKey: api.apiKey,
            apiUrl: api.apiUrl,
            propagationTimeoutMs: (Number.isFinite(timeout) && timeout >= 0 ? timeout : 120) * 1000,
            requestTimeoutMs: (Number.isFinite(requestTimeout) && requestTimeout > 0 ? requestTimeout : 15) * 1000,
            registration:
                fromConfig("cloudglue:registration") ??
                ((req.config.get("cloudglue:buckets") ?? req.config.get("cloudglue:apiUrl")) ? "web" : undefined),
            connectorId: fromConfig("cloudglue:connectorId"),
        };
    },

    client(secrets = [], withhold = false) {
        if (!this.settings?.apiKey) {
            throw new Error(
                "No Cloudglue API key: set one with `pulumi config set --secret cloudglue:apiKey <key>`, or export CLOUDGLUE_API_KEY.",
            );
        }
        return new CloudglueClient({
            apiUrl: this.settings.apiUrl,
            apiKey: this.settings.apiKey,
            requestTimeoutMs: this.settings.requestTimeoutMs,
            secrets,
            withholdServerText: withhold,
        });
    },

    /**
     * A bucket the engine does not know yet is its sentinel, which is text too. Without a name the
     * stack could not tell its own connectors from others': never guess. Cloudglue takes names of at
     * most 256 characters, and create adds a registration token.
     */
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
            (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((b) => typeof b !== "string"))
        ) {
            failures.push({ property: "buckets", reason: "buckets must be a non-empty list of bucket names" });
        }
        if (known(news.connectorId) && !CONNECTOR_ID.test(String(news.connectorId))) {
            failures.push({
                property: "connectorId",
                reason: `cloudglue:connectorId ${JSON.stringify(news.connectorId)} is not a Cloudglue connector id`,
            });
        }
        if (news.name === undefined && news.connectorId === undefined) {
            failures.push({ property: "name", reason: "the connector's name is required to register one" });
        } else if (
            known(news.name) &&
            (typeof news.name !== "string" || news.name === "" || news.name.length > 256 - TOKEN_LENGTH)
        ) {
            failures.push({
                property: "name",
                reason:
                    `the connector's name prefix (pulumi:<org>/<project>/<stack>) must be 1 to ${256 - TOKEN_LENGTH} ` +
                    `characters, not ${String(news.name).length}: shorten the project or stack name`,
            });
        }
        const inputs: ConnectorInputs = {
            roleArn: news.roleArn,
            externalId: news.externalId,
            buckets: news.buckets,
            name: news.name,
        };
        if (news.name === undefined) {
            delete (inputs as Partial<ConnectorInputs>).name; // a Struct holds no undefined
        }
        if (news.connectorId !== undefined) {
            inputs.connectorId = news.connectorId;
        }
        return { inputs, failures };
    },

    /**
     * Told to adopt the connector it registered itself: the same connector, kept in place (no replace,
     * so no DELETE); any other change of connector is a new one. State an older version wrote is
     * rewritten in place (no API call): the engine deletes with the provider code stored in the
     * outputs, and only create and update store the current code.
     */
    async diff(_id, olds, news) {
        const old = upgradeState(olds as unknown as Record<string, unknown>);
        const wanted = (news.connectorId ?? "").toLowerCase();
        const adoptsItsOwn = !old.adopted && wanted === old.connectorId.toLowerCase();
        const replaces =
            wanted !== (old.adopted ? old.connectorId.toLowerCase() : "") && !adoptsItsOwn ? ["connectorId"] : [];
        const olderState = (olds as unknown as Record<string, unknown>).stateVersion !== STATE_VERSION;
        const changed =
            replaces.length > 0 ||
            adoptsItsOwn ||
            olderState ||
            news.roleArn !== old.roleArn ||
            news.externalId === UNKNOWN ||
            hashExternalId(news.externalId) !== old.externalIdHash ||
            !Array.isArray(news.buckets) ||
            !sameBuckets(news.buckets, old.buckets);
        return { changes: changed, replaces, deleteBeforeReplace: false };
    },

    async create(inputs) {
        const client = this.client([inputs.externalId]);
        const state = inputs.connectorId
            ? await adopt(client, inputs)
            : await createOrTakeOver(client, inputs, this.settings as ProviderSettings);
        return { id: state.connectorId, outs: state };
    },

    /**
     * Keeps the ownership facts (id, name, role) as the stack registered them: copied from the server,
     * a connector someone re-pointed would read as the stack's, to be PATCHed back or deleted. On
     * `import` or `get` the host passes the inputs, not a state: the stack did not register that
     * connector, so it becomes an adopted one, never PATCHed or DELETEd. (A state never holds the
     * external ID, only its hash: the inputs are what carries it.)
     */
    async read(id, props) {
        if ("externalId" in (props ?? {})) {
            return {
                id,
                props: await adopt(this.client([], true), {
                    ...(props as unknown as ConnectorInputs),
                    connectorId: id,
                }),
            };
        }
        const old = upgradeState(props as unknown as Record<string, unknown>);
        const { current: connector, late } = await lookUp(this.client([], true), id, old);
        late.forEach((c) => tellLate(c, id, old));
        if (!connector) {
            return { id: "", props: {} as ConnectorState }; // gone: the next `pulumi up` creates it again
        }
        const own = !old.adopted && isOwn(connector, old.roleArn, old.name);
        if (!old.adopted && !own) {
            console.error(
                `Cloudglue connector ${id} was registered by this stack, but ${notOwnAnyMore(connector, old)}. ` +
                    `The stack leaves it as it is: it will neither change nor delete it. ${WAYS_ON}`,
            );
            return { id, props: { ...old, stateVersion: STATE_VERSION } };
        }
        const refreshed: ConnectorState = {
            ...old,
            type: connector.type,
            createdAt: connector.created_at,
            updatedAt: connector.updated_at,
            buckets: old.adopted ? old.buckets : (connector.metadata.buckets ?? old.buckets),
            stateVersion: STATE_VERSION,
        };
        return { id, props: refreshed };
    },

    async update(id, olds, news) {
        const old = upgradeState(olds as unknown as Record<string, unknown>);
        const adoptsItsOwn = !old.adopted && (news.connectorId ?? "").toLowerCase() === old.connectorId.toLowerCase();
        const next: ConnectorState = {
            ...old,
            roleArn: news.roleArn,
            buckets: [...news.buckets],
            externalIdHash: hashExternalId(news.externalId),
            stateVersion: STATE_VERSION,
            adopted: old.adopted || adoptsItsOwn,
        };
        if (next.adopted) {
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
        const client = this.client([news.externalId]);
        const settings = this.settings as ProviderSettings;
        const { current, late } = await lookUp(client, id, old);
        if (registrationOf(settings) === "api" && settings.connectorId === undefined) {
            await removeDuplicates(client, late, id);
        } else {
            late.forEach((c) => tellLate(c, id, old));
        }
        if (current && !isOwn(current, old.roleArn, old.name)) {
            throw new Error(
                `Cloudglue connector ${id} was registered by this stack, but ${notOwnAnyMore(current, old)}. ` +
                    `The stack will not change it. ${WAYS_ON}`,
            );
        }
        const updated = await retryingPropagation(
            () => client.updateConnector(id, patch, [404, 502]),
            news.roleArn,
            settings,
        );
        if (isFailure(updated)) {
            throw new Error(
                `Cloudglue has no connector ${id} any more (deleted outside Pulumi). Run \`pulumi refresh\`, then \`pulumi up\` to register it again.`,
            );
        }
        return { outs: { ...next, updatedAt: updated.updated_at } };
    },

    /**
     * DELETEs only a connector this stack registered, and only in `api` mode while no connectorId is
     * configured: the engine may call delete after a create that adopted the same connector
     * (create-before-delete), and a stack switched to `web` or to adoption keeps what Cloudglue holds.
     * Before it deletes, it reads the connector back: it must still carry the stack's name and role.
     */
    async delete(id, props) {
        const old = upgradeState(props as unknown as Record<string, unknown>);
        const settings = this.settings as ProviderSettings;
        if (old.adopted) {
            return; // the user's connector outlives the stack
        }
        const keep = (why: string) =>
            console.error(
                `Kept Cloudglue connector ${id}, which this stack registered, because ${why}. ` +
                    "Delete it in Cloudglue's web app if it is no longer wanted.",
            );
        if (settings.connectorId !== undefined) {
            return keep(`cloudglue:connectorId is set (${settings.connectorId}): the stack adopts a connector now`);
        }
        if (registrationOf(settings) !== "api") {
            return keep(
                `cloudglue:registration is ${settings.registration}, not api: the stack registers no connectors`,
            );
        }
        const client = this.client([], true);
        const { current, late } = await lookUp(client, id, old);
        await removeDuplicates(client, late, id, (c) => shownId(c, old));
        if (!current) {
            return; // already gone
        }
        if (!isOwn(current, old.roleArn, old.name)) {
            return keep(notOwnAnyMore(current, old));
        }
        await client.deleteConnector(id);
    },
};
