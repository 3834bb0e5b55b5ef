import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CloudglueS3Connector, connectorName, nextStepText } from "./components/cloudglueConnector";
import { EXTERNAL_ID_SPECIAL_CHARACTERS, ROLE_NAME } from "./components/constants";
import { existingTrustProblems, policiesToRemoveMessage } from "./components/existingRole";
import { ExternalIdRotation } from "./components/externalIdRotation";
import { S3AccessRole } from "./components/s3AccessRole";
import { CONFIG_NAMESPACE, ConfigValidationError, ConnectorSettings, parseSettings } from "./components/settings";

/**
 * The stack: the external ID, the role Cloudglue assumes with it, the connector registered with
 * Cloudglue, and the check that Cloudglue can read every bucket. The program is a function
 * (Pulumi calls an exported function and takes its result as the stack outputs) so that tests
 * and the review command can run it again under another config in the same process.
 */
export = async function cloudglueS3Connector() {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const settings = loadSettings(config);
    if (settings.adoptExistingRole) {
        await checkExistingRole(settings.externalId as string);
        if (settings.exclusivePolicies) {
            await warnOfPoliciesToRemove(settings.existingPolicyName);
        }
    }

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

    // The previous ID and its deadline, from the stack's own state (see the design at the class).
    const rotation = new ExternalIdRotation("cloudglue-external-id-rotation", {
        externalId,
        graceHours: settings.externalIdGraceHours,
    });

    const access = new S3AccessRole("cloudglue-s3-access", {
        externalId,
        previousExternalId: rotation.previousId,
        previousUntil: rotation.previousDeadline,
        buckets: settings.buckets,
        tags: settings.tags,
        permissionsBoundaryArn: settings.permissionsBoundaryArn,
        inlinePolicyName: settings.existingPolicyName,
        importExisting: settings.adoptExistingRole,
        exclusivePolicies: settings.exclusivePolicies,
    });

    const bucketNames = settings.buckets.map((b) => b.name);
    // `web` without an id: the person running `pulumi up` makes the connector in the web app next.
    const connected = settings.registration === "api" || settings.connectorId !== undefined;
    const connector = connected
        ? registerConnector(config, settings, access, rotation, externalId, bucketNames)
        : undefined;

    const nextStep = pulumi
        .all([access.roleArn, connector?.connectorId, rotation.previousDeadline])
        .apply(([roleArn, connectorId, previousUntil]) => nextStepText(settings, roleArn, connectorId, previousUntil));
    // The same text for the person at the terminal; it names where the external ID is, never the ID itself.
    // A warning when a person must act before a deadline: the new ID into the web app.
    pulumi
        .all([nextStep, rotation.previousDeadline])
        .apply(([text, previousUntil]) =>
            previousUntil && settings.registration !== "api" && settings.connectorId !== undefined
                ? pulumi.log.warn(text)
                : pulumi.log.info(text),
        );

    return {
        roleArn: access.roleArn,
        roleName: access.roleName,
        externalId: pulumi.secret(externalId),
        buckets: bucketNames,
        ...(connector ? { connectorId: connector.connectorId } : {}),
        nextStep,
    };
};

/** The connector, adopted or registered, and the check that Cloudglue can read every bucket through it. */
function registerConnector(
    config: pulumi.Config,
    settings: ConnectorSettings,
    access: S3AccessRole,
    rotation: ExternalIdRotation,
    externalId: pulumi.Input<string>,
    bucketNames: string[],
): CloudglueS3Connector {
    // After the policy too: Cloudglue assumes the role as soon as it registers the connector. After the
    // role's trust too: on a rotation the PATCH with the new ID comes once the trust accepts both IDs.
    const connector = new CloudglueS3Connector(
        "cloudglue-connector",
        {
            roleArn: access.roleArn,
            externalId,
            buckets: bucketNames,
            connectorId: settings.connectorId,
            name: connectorName(pulumi.getOrganization(), pulumi.getProject(), pulumi.getStack()),
        },
        { dependsOn: [access] },
    );
    if (settings.verifyAccess) {
        const apiKey = config.getSecret("apiKey");
        const prefixes = Object.fromEntries(
            settings.buckets.flatMap((b) => (b.prefixes ? [[b.name, b.prefixes]] : [])),
        );
        new command.local.Command(
            "cloudglue-access-check",
            {
                create: "node --require ts-node/register/transpile-only scripts/verify-access.ts",
                environment: {
                    CLOUDGLUE_CONNECTOR_ID: connector.connectorId,
                    CLOUDGLUE_BUCKETS: bucketNames.join(","),
                    // A bucket granted only under prefixes can be listed only under them.
                    ...(Object.keys(prefixes).length > 0
                        ? { CLOUDGLUE_BUCKET_PREFIXES: JSON.stringify(prefixes) }
                        : {}),
                    // Without cloudglue:apiUrl the script inherits CLOUDGLUE_API_URL, as the provider reads it
                    // (one rule for both: components/apiSource.ts).
                    ...(config.get("apiUrl") ? { CLOUDGLUE_API_URL: settings.apiUrl } : {}),
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
                    // The grace window opening or closing changes what Cloudglue may assume the role with.
                    rotation.previousDeadline.apply((until) => until ?? ""),
                ],
                logging: "stdoutAndStderr",
            },
            // The environment may hold the API key: kept encrypted in state whatever the provider does with secrets.
            { dependsOn: [connector, access], additionalSecretOutputs: ["environment"] },
        );
    }
    return connector;
}

/** Reads the role to be taken over and stops, before anything registers, unless its trust matches the config. */
async function checkExistingRole(externalId: string): Promise<void> {
    let existing: aws.iam.GetRoleResult;
    try {
        existing = await aws.iam.getRole({ name: ROLE_NAME });
    } catch (error) {
        throw new pulumi.RunError(
            `cloudglue:adoptExistingRole is true, but the role ${ROLE_NAME} could not be read in this AWS account` +
                `${error instanceof Error && error.message ? ` (${error.message})` : ""}. If it does not exist, turn the setting off ` +
                "(pulumi config set cloudglue:adoptExistingRole false) to let the stack create it; otherwise check the " +
                "AWS credentials and account.",
        );
    }
    const problems = existingTrustProblems(existing.assumeRolePolicy, externalId);
    if (problems.length > 0) {
        throw new pulumi.RunError(`Cannot take over the existing role:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}

/** Lists, at preview already, the policies of the adopted role that the exclusive sets will remove. */
async function warnOfPoliciesToRemove(stackPolicyName: string): Promise<void> {
    let inline: aws.iam.GetRolePoliciesResult;
    let attached: aws.iam.GetRolePolicyAttachmentsResult;
    try {
        [inline, attached] = await Promise.all([
            aws.iam.getRolePolicies({ roleName: ROLE_NAME }),
            aws.iam.getRolePolicyAttachments({ roleName: ROLE_NAME }),
        ]);
    } catch (error) {
        throw new pulumi.RunError(
            `cloudglue:exclusivePolicies is on, but the policies of the role ${ROLE_NAME} could not be listed` +
                `${error instanceof Error && error.message ? ` (${error.message})` : ""}, so the run cannot say which ` +
                "the next up would remove. Grant iam:ListRolePolicies and iam:ListAttachedRolePolicies, or turn the " +
                "setting off: pulumi config set cloudglue:exclusivePolicies false",
        );
    }
    const message = policiesToRemoveMessage(inline.policyNames ?? [], attached.attachedPolicies ?? [], stackPolicyName);
    if (message) {
        pulumi.log.warn(message);
    }
}

/**
 * Whether a config key was set with --secret. The SDK knows (the CLI passes the list of secret
 * keys) but keeps the function out of its typings; without it the check is skipped.
 */
const isConfigSecret = (pulumi.runtime as { isConfigSecret?: (key: string) => boolean }).isConfigSecret ?? (() => true);

function loadSettings(config: pulumi.Config): ConnectorSettings {
    try {
        return parseSettings((key) => config.get(key), Object.keys(pulumi.runtime.allConfig()), isConfigSecret);
    } catch (error) {
        // A RunError is shown as its message alone, without a stack trace.
        if (error instanceof ConfigValidationError) {
            throw new pulumi.RunError(error.message);
        }
        throw error;
    }
}
