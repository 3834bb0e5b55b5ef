import * as pulumi from "@pulumi/pulumi";
import { connectorProvider } from "./connectorProvider";

export const CONNECTOR_TYPE = "pulumi-nodejs:dynamic/cloudglue:S3Connector";

export interface CloudglueS3ConnectorArgs {
    roleArn: pulumi.Input<string>;
    /** A secret; Cloudglue presents it when it assumes the role. */
    externalId: pulumi.Input<string>;
    buckets: pulumi.Input<pulumi.Input<string>[]>;
    /** Adopt this connector (made in Cloudglue's web app) instead of creating one. */
    connectorId?: pulumi.Input<string>;
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
