import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
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

    return {
        roleArn: access.roleArn,
        roleName: access.roleName,
        externalId: pulumi.secret(externalId),
        buckets: settings.buckets.map((b) => b.name),
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
