import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CloudglueS3Connector } from "./components/cloudglueConnector";
import { EXTERNAL_ID_SPECIAL_CHARACTERS } from "./components/constants";
import { S3AccessRole } from "./components/s3AccessRole";
import { CONFIG_NAMESPACE, ConfigValidationError, ConnectorSettings, parseSettings } from "./components/settings";

/**
 * The stack: the external ID, and the role Cloudglue assumes with it. The program is a function
 * (Pulumi calls an exported function and takes its result as the stack outputs) so that tests
 * and the review command can run it again under another config in the same process.
 */
export = function cloudglueS3Connector() {
    const settings = loadSettings();

    const externalId =
        settings.externalId !== undefined
            ? pulumi.secret(settings.externalId)
            : new random.RandomPassword("cloudglue-external-id", {
                  length: settings.externalIdLength,
                  special: true,
                  overrideSpecial: EXTERNAL_ID_SPECIAL_CHARACTERS,
                  // A new rotation value replaces the password; the role takes the new ID in place.
                  keepers: { rotation: settings.externalIdRotation },
              }).result;

    const access = new S3AccessRole("cloudglue-s3-access", {
        externalId,
        buckets: settings.buckets,
        tags: settings.tags,
        permissionsBoundaryArn: settings.permissionsBoundaryArn,
    });

    const bucketNames = settings.buckets.map((b) => b.name);
    // After the policy too: Cloudglue assumes the role as soon as it registers the connector.
    const connector = new CloudglueS3Connector(
        "cloudglue-connector",
        { roleArn: access.roleArn, externalId, buckets: bucketNames, connectorId: settings.connectorId },
        { dependsOn: [access] },
    );

    if (settings.verifyAccess) {
        const apiKey = new pulumi.Config(CONFIG_NAMESPACE).getSecret("apiKey");
        new command.local.Command(
            "cloudglue-access-check",
            {
                create: "node --require ts-node/register/transpile-only scripts/verify-access.ts",
                environment: {
                    CLOUDGLUE_CONNECTOR_ID: connector.connectorId,
                    CLOUDGLUE_BUCKETS: bucketNames.join(","),
                    CLOUDGLUE_API_URL: settings.apiUrl,
                    CLOUDGLUE_PROPAGATION_TIMEOUT_SECONDS: String(settings.propagationTimeoutSeconds),
                    // Without cloudglue:apiKey the script inherits CLOUDGLUE_API_KEY from the environment.
                    ...(apiKey ? { CLOUDGLUE_API_KEY: apiKey } : {}),
                },
                triggers: [
                    access.roleArn,
                    access.policy.policy,
                    bucketNames,
                    connector.connectorId,
                    connector.updatedAt,
                ],
                logging: "stdoutAndStderr",
            },
            { dependsOn: [connector, access] },
        );
    }

    return {
        roleArn: access.roleArn,
        roleName: access.roleName,
        externalId: pulumi.secret(externalId),
        buckets: bucketNames,
        connectorId: connector.connectorId,
    };
};

function loadSettings(): ConnectorSettings {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    try {
        return parseSettings((key) => config.get(key), Object.keys(pulumi.runtime.allConfig()));
    } catch (error) {
        // A RunError is shown as its message alone, without a stack trace.
        if (error instanceof ConfigValidationError) {
            throw new pulumi.RunError(error.message);
        }
        throw error;
    }
}
