import * as pulumi from "@pulumi/pulumi";
import { connectorProvider } from "./connectorProvider";
import type { ConnectorSettings } from "./settings";

export const CONNECTOR_TYPE = "pulumi-nodejs:dynamic/cloudglue:S3Connector";

export interface CloudglueS3ConnectorArgs {
    roleArn: pulumi.Input<string>;
    /** A secret; Cloudglue presents it when it assumes the role. */
    externalId: pulumi.Input<string>;
    buckets: pulumi.Input<pulumi.Input<string>[]>;
    /** Adopt this connector (made in Cloudglue's web app) instead of creating one. */
    connectorId?: pulumi.Input<string>;
    /** The stack's name prefix; each registration adds a fresh token to it (see connectorName). */
    name: pulumi.Input<string>;
}

/**
 * The prefix of the name a stack's own connectors carry in Cloudglue (`metadata.name`). The provider
 * adds a random token for each registration (`<prefix>#<token>`), so that a connector someone else
 * names after the stack is never taken for the stack's own; the organization keeps two
 * organizations' `cloudglue/dev` stacks apart in what a person reads.
 */
export function connectorName(organization: string, project: string, stack: string): string {
    return `pulumi:${organization}/${project}/${stack}`;
}

/** The S3 connector registered with Cloudglue for the access role. */
export class CloudglueS3Connector extends pulumi.dynamic.Resource {
    declare readonly connectorId: pulumi.Output<string>;
    declare readonly type: pulumi.Output<string>;
    declare readonly createdAt: pulumi.Output<number>;
    declare readonly updatedAt: pulumi.Output<number>;

    constructor(name: string, args: CloudglueS3ConnectorArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            connectorProvider,
            name,
            {
                roleArn: args.roleArn,
                externalId: pulumi.secret(args.externalId),
                buckets: args.buckets,
                connectorId: args.connectorId,
                name: args.name,
                type: undefined,
                createdAt: undefined,
                updatedAt: undefined,
            },
            { ...opts, additionalSecretOutputs: ["externalIdHash"] },
            "cloudglue",
            "S3Connector",
        );
    }
}

/** What to do next, or that nothing is left to do; a stack output and a log line. */
export function nextStepText(
    settings: Pick<ConnectorSettings, "registration" | "connectorId"> & { verifyAccess?: boolean },
    roleArn: string,
    connectorId: string | undefined,
    previousUntil?: string,
): string {
    const grace = previousUntil === undefined ? [] : graceText(settings, connectorId, previousUntil);
    if (connectorId !== undefined) {
        const how =
            settings.connectorId !== undefined ? "adopted from Cloudglue's web app" : "registered by this stack";
        return [
            `Cloudglue is connected: connector ${connectorId} (${how}) reads the buckets through ${roleArn}.`,
            ...grace,
        ].join("\n");
    }
    return [
        "Cloudglue is not connected yet. In Cloudglue's web app (Data connectors, AWS S3), enter:",
        `  Role ARN:    ${roleArn}`,
        "  External ID: what `pulumi stack output --show-secrets externalId` prints",
        "Save, copy the new connector's id, then run:",
        "  pulumi config set cloudglue:connectorId <the connector's id>",
        "and `pulumi up` again: the stack adopts the connector and checks that Cloudglue can read every bucket.",
        ...grace,
    ].join("\n");
}

/** During a rotation's grace window: who must do what before the deadline. */
function graceText(
    settings: Pick<ConnectorSettings, "connectorId"> & { verifyAccess?: boolean },
    connectorId: string | undefined,
    previousUntil: string,
): string[] {
    const closes =
        `The role also accepts the previous external ID until ${previousUntil}; then IAM itself refuses it, ` +
        "and the first `pulumi up` after that removes its statement from the trust policy.";
    if (connectorId === undefined) {
        return [`The external ID was rotated. ${closes}`];
    }
    if (settings.connectorId === undefined) {
        const proof =
            settings.verifyAccess === false
                ? "(cloudglue:verifyAccess is false: no access check proves it)"
                : "and the access check proved that Cloudglue can read every bucket with it";
        return [`The external ID was rotated: the stack gave connector ${connectorId} the new one ${proof}.`, closes];
    }
    return [
        `The external ID was rotated. Before ${previousUntil}, enter the new external ID in Cloudglue's web app`,
        `(Data connectors, connector ${connectorId}): \`pulumi stack output --show-secrets externalId\` prints it.`,
        `Until then Cloudglue reads with the previous one, which IAM refuses from ${previousUntil} on: if the new ID`,
        "is not entered by then, Cloudglue cannot read the buckets until it is. The first `pulumi up` after the",
        "deadline removes the previous ID's statement from the trust policy.",
    ];
}
