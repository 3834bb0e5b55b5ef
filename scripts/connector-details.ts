/**
 * `npm run connector-details -- --stack dev`: the role ARN and the external ID to enter in
 * Cloudglue's web app, read from the role as deployed (the stack's state, via the Pulumi CLI).
 *
 * It works after a first `pulumi up` that stopped at the connector, when the stack has no outputs
 * yet (Pulumi keeps a stack's outputs only from a run that finished). It prints the external ID,
 * a secret, because you asked for it; do not run it where its output is logged.
 */
import { execFileSync } from "child_process";
import { parseArgs } from "util";
import { ROLE_NAME } from "../components/constants";
import { parseTrustPolicy } from "../components/existingRole";
import { asList } from "../components/iamDocuments";

/** Pulumi's envelope for a secret in `pulumi stack export --show-secrets`. */
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";
const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";

function reveal(value: unknown): unknown {
    if (value && typeof value === "object" && (value as Record<string, unknown>)[SIGNATURE_KEY] === SECRET_SIGNATURE) {
        const plaintext = (value as { plaintext?: string }).plaintext;
        if (plaintext === undefined) {
            throw new Error("the state holds the secret encrypted; export it with --show-secrets");
        }
        return JSON.parse(plaintext);
    }
    return value;
}

interface StateResource {
    type: string;
    outputs?: Record<string, unknown>;
}

/** The Cloudglue role's ARN and external ID in a `pulumi stack export --show-secrets` document. */
export function connectorDetails(exported: { deployment?: { resources?: StateResource[] } }): {
    roleArn: string;
    externalId: string;
} {
    const role = (exported.deployment?.resources ?? []).find(
        (r) => r.type === "aws:iam/role:Role" && r.outputs?.name === ROLE_NAME,
    );
    if (!role?.outputs) {
        throw new Error(`the stack has no role ${ROLE_NAME} yet: run \`pulumi up\` first`);
    }
    const trust = String(reveal(role.outputs.assumeRolePolicy));
    const ids = parseTrustPolicy(trust).flatMap((s) => asList(s.Condition?.StringEquals?.["sts:ExternalId"]));
    if (ids.length !== 1) {
        throw new Error(`the role's trust policy names ${ids.length} external IDs, not one`);
    }
    return { roleArn: String(role.outputs.arn), externalId: ids[0] };
}

function main(): number {
    const { values } = parseArgs({ options: { stack: { type: "string" } } });
    if (!values.stack) {
        console.error("usage: npm run connector-details -- --stack <name>");
        return 2;
    }
    const exported = JSON.parse(
        execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", values.stack], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        }),
    );
    const details = connectorDetails(exported);
    console.log(`Role ARN:    ${details.roleArn}`);
    console.log(`External ID: ${details.externalId}`);
    return 0;
}

if (require.main === module) {
    try {
        process.exit(main());
    } catch (error) {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    }
}
