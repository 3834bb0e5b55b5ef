/**
 * The memory of a rotation: which external ID the trust policy accepts now, which one it still
 * accepts during the grace window, and until when.
 *
 * Design. The previous ID and the deadline must come from the stack's own state, and the deadline
 * must be fixed when the rotation happens. The program cannot do either: it runs at every preview
 * and `up`, and sees only the new ID (the RandomPassword's old result is gone once it is replaced).
 * So this small dynamic resource takes the current ID (a secret input) and records
 * `{current, previous, previousUntil}`; `current` and `previous` are additionalSecretOutputs, so
 * the state holds them encrypted. Its provider alone reads the clock, and only where the state
 * changes:
 * - create: `{current}`, no grace (nothing came before it);
 * - the current ID changes (a new externalIdRotation or externalIdLength, a changed externalId):
 *   update moves the old `current` to `previous` with `previousUntil` = now + graceHours
 *   (nothing when graceHours is 0; a second rotation in the window drops the oldest ID);
 * - the same ID and the window still open: diff says "no change", so a later `up` changes nothing;
 * - the same ID after the deadline (or with graceHours set to 0): an in-place update drops
 *   `previous`, and the role's trust policy loses its expired statement.
 * The program builds the trust policy from these outputs (components/iamDocuments.ts), so IAM's
 * own `DateLessThan aws:CurrentTime` closes the window even if no one runs `pulumi up`.
 *
 * Like the connector's provider, the object below is serialized into the state (`__provider`),
 * and that text must be the same at every run (pulumi/pulumi#12401): it refers to nothing but its
 * own helpers in this module, holds no values of the run, and imports nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as pulumiDynamic from "@pulumi/pulumi/dynamic";

export const ROTATION_TYPE = "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation";
export const ROTATION_STATE_VERSION = 1;

export interface RotationInputs {
    /** The external ID the trust policy accepts now. A secret. */
    externalId: string;
    /** cloudglue:externalIdGraceHours, read at a rotation (and 0 ends an open window). */
    graceHours: number;
}

export interface RotationState {
    stateVersion: number;
    /** A secret. */
    current: string;
    /** The ID before the last rotation, while the trust policy still accepts it. A secret. */
    previous?: string;
    /** ISO 8601 UTC to the second; IAM stops accepting `previous` at this moment. */
    previousUntil?: string;
}

/** What the engine sends for a value not known until the update. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const HOUR_MS = 3_600_000;

/** A moment as the grace statement writes it: ISO 8601 in UTC, to the second (`2026-12-05T14:00:00Z`). */
export function isoDeadline(epochMs: number): string {
    return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/** The state after this run, from the state before it; `nowMs` is read only by the provider. */
export function nextRotationState(
    old: RotationState | undefined,
    inputs: RotationInputs,
    nowMs: number,
): RotationState {
    const current = inputs.externalId;
    const base = { stateVersion: ROTATION_STATE_VERSION, current };
    if (old === undefined) {
        return base;
    }
    if (current !== old.current) {
        return inputs.graceHours > 0 && old.current !== current
            ? { ...base, previous: old.current, previousUntil: isoDeadline(nowMs + inputs.graceHours * HOUR_MS) }
            : base;
    }
    const expired = old.previousUntil === undefined || !(Date.parse(old.previousUntil) > nowMs);
    if (old.previous === undefined || old.previous === current || expired || inputs.graceHours === 0) {
        return base;
    }
    return { ...base, previous: old.previous, previousUntil: old.previousUntil };
}

function sameState(a: RotationState, b: RotationState): boolean {
    return (
        a.stateVersion === b.stateVersion &&
        a.current === b.current &&
        a.previous === b.previous &&
        a.previousUntil === b.previousUntil
    );
}

/**
 * The state as outputs: no grace window is written as "" rather than left out, because the SDK takes
 * an output property missing from the state as unknown at every preview, which would make the trust
 * policy (built from these) unknown, and every preview after a window closed show the role changing.
 */
function asOutputs(state: RotationState): RotationState {
    return { ...state, previous: state.previous ?? "", previousUntil: state.previousUntil ?? "" };
}

/** The outputs as a state: "" is no grace window. */
function asState(outputs: RotationState): RotationState {
    const { previous, previousUntil, ...rest } = outputs;
    return { ...rest, ...(previous ? { previous } : {}), ...(previousUntil ? { previousUntil } : {}) };
}

export const rotationProvider: pulumiDynamic.ResourceProvider<RotationInputs, RotationState> = {
    async check(_olds, news) {
        const failures: { property: string; reason: string }[] = [];
        if (news.externalId !== UNKNOWN && (typeof news.externalId !== "string" || news.externalId.length < 2)) {
            failures.push({
                property: "externalId",
                reason: "the external ID is missing or shorter than 2 characters",
            });
        }
        const hours = news.graceHours as unknown;
        if (!(typeof hours === "number" && Number.isInteger(hours) && hours >= 0 && hours <= 720)) {
            failures.push({
                property: "graceHours",
                reason: "cloudglue:externalIdGraceHours must be a whole number of hours from 0 to 720",
            });
        }
        return { inputs: { externalId: news.externalId, graceHours: news.graceHours }, failures };
    },

    async diff(_id, olds, news) {
        // An ID not known until the update is a new one: the RandomPassword is being replaced.
        const old = asState(olds);
        const changes = news.externalId === UNKNOWN || !sameState(old, nextRotationState(old, news, Date.now()));
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
        return { id: "external-id-rotation", outs: asOutputs(nextRotationState(undefined, inputs, Date.now())) };
    },

    async update(_id, olds, news) {
        return { outs: asOutputs(nextRotationState(asState(olds), news, Date.now())) };
    },

    /** Nothing outside the state: a refresh keeps it as it is. */
    async read(id, props) {
        return { id, props: props as RotationState };
    },

    async delete() {
        // Only the state knew it.
    },
};

export interface ExternalIdRotationArgs {
    externalId: pulumi.Input<string>;
    graceHours: pulumi.Input<number>;
}

export class ExternalIdRotation extends pulumi.dynamic.Resource {
    /** The previous external ID while the trust policy accepts it; undefined outside a grace window. A secret. */
    declare readonly previous: pulumi.Output<string | undefined>;
    /** When IAM stops accepting `previous` (ISO 8601 UTC); undefined outside a grace window. */
    declare readonly previousUntil: pulumi.Output<string | undefined>;
    /** `previous` with the provider's "" (no window) as undefined. A secret. */
    readonly previousId: pulumi.Output<string | undefined>;
    /** `previousUntil` with the provider's "" (no window) as undefined. */
    readonly previousDeadline: pulumi.Output<string | undefined>;

    constructor(name: string, args: ExternalIdRotationArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            rotationProvider,
            name,
            {
                externalId: pulumi.secret(args.externalId),
                graceHours: args.graceHours,
                current: undefined,
                previous: undefined,
                previousUntil: undefined,
            },
            { ...opts, additionalSecretOutputs: ["current", "previous"] },
            "cloudglue",
            "ExternalIdRotation",
        );
        this.previousId = this.previous.apply((value) => value || undefined);
        this.previousDeadline = this.previousUntil.apply((value) => value || undefined);
    }
}
