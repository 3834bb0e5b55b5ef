/**
 * The offline review of a stack: what it would create and grant, and what the policy pack says,
 * from the program itself run under Pulumi's mocks. No AWS, Cloudglue or Pulumi CLI involved.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ROLE_NAME } from "../../components/constants";
import { connectorName } from "../../components/cloudglueConnector";
import { PolicyDocument } from "../../components/iamDocuments";
import { CONFIG_NAMESPACE, ConnectorSettings, parseSettings, SETTING_DEFAULTS } from "../../components/settings";
import { resolveRegion } from "../../components/apiSource";
import { AccessSummary, summarizeAccess } from "./accessSummary";
import { PolicyPackConfig, policyPackConfigProblems, PolicyPackServer } from "./policyAnalyzer";
import {
    attemptProgram,
    readStackFile,
    RegisteredResource,
    RunOptions,
    SecretPath,
    shapedStandIn,
    StackFileError,
} from "./programRun";

export const REVIEW_SCHEMA_VERSION = 1;

/** Stands in for a secret the review cannot decrypt; a valid external ID, so the program accepts it. */
export const SECRET_PLACEHOLDER = "review-placeholder-secret-value";
export const SHOWN_SECRET = "[secret]";
/** The region of the KMS key that stands in for an encrypted kmsKeyArn; the S3 endpoint named from it is shown as [secret]. */
const STAND_IN_KMS_REGION = "il-central-1";

/**
 * What stands in for the `n`th encrypted value of the stack file, in the shape the program checks
 * there, so that a valid config stays valid: each different (two secret bucket names are not one
 * bucket listed twice), all shown as [secret].
 */
function standIn(key: string, at: SecretPath, n: number): string {
    if (at[at.length - 1] === "kmsKeyArn") {
        return `arn:aws:kms:${STAND_IN_KMS_REGION}:000000000000:key/00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
    }
    const shaped = at.length === 0 ? shapedStandIn(key) : undefined;
    if (shaped !== undefined) {
        return shaped;
    }
    return n === 0 ? SECRET_PLACEHOLDER : `${SECRET_PLACEHOLDER}-${n}`;
}

/** Keys whose shaped stand-in (a UUID, an ARN) is unlike any other text of the report, so it is shown as [secret]. */
const DISTINCT_STAND_IN_KEYS = [`${CONFIG_NAMESPACE}:connectorId`, `${CONFIG_NAMESPACE}:permissionsBoundaryArn`];

export type ReviewStatus = "clean" | "advisories only" | "incomplete" | "violations" | "invalid-config";

/** A `--policy-pack-config` the pack would not apply as written; the review stops before running. */
export class PolicyPackConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `The policy pack config has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "PolicyPackConfigError";
    }
}

export interface ReviewReport {
    schemaVersion: number;
    configFile: string;
    /**
     * clean: no violation at all; advisories only: advisory violations, none mandatory; incomplete:
     * no mandatory violation, but a setting pulumi up cannot do without is missing (the AWS region);
     * violations: a mandatory policy failed; invalid-config: the program refused the stack config.
     */
    status: ReviewStatus;
    configErrors: string[];
    resources: { type: string; name: string; parent: string | null }[];
    documents: { trustPolicy: unknown; inlinePolicy: unknown } | null;
    access: AccessSummary | null;
    /**
     * When the trust policy also accepts the previous external ID (a rotation's grace window): the
     * deadline, ISO 8601 UTC, after which IAM refuses it; null outside a grace window.
     */
    previousExternalIdUntil: string | null;
    /**
     * The role's policy sets as the stack holds them (RolePoliciesExclusive and
     * RolePolicyAttachmentsExclusive); null when it does not, and policies added outside it stay.
     */
    exclusivePolicies: { inlinePolicyNames: string[]; managedPolicyArns: string[] } | null;
    policyPack: { name: string; version: string } | null;
    /** The `--policy-pack-config` file the pack ran with; null for the pack's own defaults. */
    policyPackConfig: string | null;
    violations: { policy: string; level: string; resource: string | null; message: string }[];
    /**
     * The role as AWS will name it; null when the config is invalid. `takeOver`: with
     * cloudglue:adoptExistingRole, what the review assumed of the existing role and where it is
     * really checked (at pulumi preview and up, against AWS); null when the stack creates the role.
     */
    role: { name: string; path: string; inlinePolicyName: string; takeOver: string | null } | null;
    /** How the connector comes to exist (cloudglue:registration, cloudglue:connectorId), in words too. */
    connector: { registration: string; connectorId: string | null; description: string } | null;
    /** Settings `pulumi up` will need that the review does not: not violations, and not in `status`. */
    warnings: ReviewWarning[];
}

export interface ReviewWarning {
    kind: "missing-api-key" | "missing-region" | "encrypted-not-checked";
    message: string;
}

/** What the review is doing, for a person waiting at the terminal (the script prints it on stderr). */
export type ReviewProgress = (step: string) => void;

/**
 * @param configFile a stack file, `Pulumi.<stack>.yaml`
 * @param policyPackConfig what `--policy-pack-config` would pass: enforcement levels, allowedBucketPatterns.
 *   It is checked against the pack before the program runs: a misspelt policy stops the review first.
 */
export async function review(
    configFile: string,
    policyPackConfig?: PolicyPackConfig,
    progress: ReviewProgress = () => undefined,
    env: Record<string, string | undefined> = {},
    /** Review the stack as inside a rotation's grace window, which only its state would say. */
    rotation?: RunOptions["rotation"],
): Promise<ReviewReport> {
    let server: PolicyPackServer | undefined;
    try {
        if (policyPackConfig !== undefined) {
            progress("Checking the policy pack config against the pack...");
            server = await PolicyPackServer.start();
            const problems = policyPackConfigProblems(policyPackConfig, (await server.info()).policies);
            if (problems.length > 0) {
                throw new PolicyPackConfigError(problems);
            }
        }
        return await reviewWith(configFile, policyPackConfig, progress, env, rotation, () =>
            server ? Promise.resolve(server) : PolicyPackServer.start().then((started) => (server = started)),
        );
    } finally {
        server?.stop();
    }
}

async function reviewWith(
    configFile: string,
    policyPackConfig: PolicyPackConfig | undefined,
    progress: ReviewProgress,
    env: Record<string, string | undefined>,
    rotation: RunOptions["rotation"],
    packServer: () => Promise<PolicyPackServer>,
): Promise<ReviewReport> {
    const stack = /Pulumi\.([^.]+)\.yaml$/.exec(path.basename(configFile))?.[1] ?? "review";
    const report: ReviewReport = {
        schemaVersion: REVIEW_SCHEMA_VERSION,
        configFile,
        status: "clean",
        configErrors: [],
        resources: [],
        documents: null,
        access: null,
        previousExternalIdUntil: null,
        exclusivePolicies: null,
        policyPack: null,
        policyPackConfig: null,
        violations: [],
        role: null,
        connector: null,
        warnings: [],
    };

    let stackFile;
    const standIns: string[] = [];
    // Keys stored whole as a secret whose stand-in is a plain setting (true, {}, the default URL): the
    // program ran with that, not the user's value, and a word as common as `true` is not redacted.
    const shapedKeys: string[] = [];
    try {
        // Encrypted values cannot be read here; stand-ins take their place, shown as [secret].
        stackFile = readStackFile(configFile, (key, at) => {
            const value = standIn(key, at, standIns.length);
            if (at.length > 0 || shapedStandIn(key) === undefined || DISTINCT_STAND_IN_KEYS.includes(key)) {
                standIns.push(value);
            } else {
                shapedKeys.push(key);
            }
            return value;
        });
    } catch (error) {
        // A CI gate that asked for JSON gets JSON, with the YAML error in it, not a stack trace.
        report.status = "invalid-config";
        const message = (error as Error).message.split("\n")[0];
        report.configErrors = [
            error instanceof StackFileError
                ? `${path.basename(configFile)}: ${message}`
                : `${path.basename(configFile)} is not valid YAML: ${message}`,
        ];
        return report;
    }
    const { config, secretKeys } = stackFile;
    progress(`Running the program under Pulumi's mocks with ${path.basename(configFile)} (no AWS, no Cloudglue)...`);
    const attempt = await attemptProgram({ config, secretKeys, stack, rotation });
    if (attempt.error !== undefined || !attempt.run) {
        if (!pulumi.RunError.isInstance(attempt.error)) {
            throw attempt.error;
        }
        report.status = "invalid-config";
        report.configErrors = (attempt.error as Error).message
            .split("\n")
            .filter((line) => line.startsWith("  - "))
            .map((line) => line.slice(4));
        return report;
    }
    const run = attempt.run;
    const secrets = [
        ...standIns,
        ...(standIns.some((s) => s.startsWith("arn:aws:kms:")) ? [`s3.${STAND_IN_KMS_REGION}.amazonaws.com`] : []),
        SECRET_PLACEHOLDER,
        ...(rotation ? [rotation.previous] : []),
        ...run.secretOutputs
            .map((name) => run.outputs[name])
            .filter((value): value is string => typeof value === "string"),
    ]
        .filter((secret) => secret !== "" && secret !== SETTING_DEFAULTS.apiUrl)
        .sort((a, b) => b.length - a.length);
    const redact = (text: string) => secrets.reduce((t, secret) => t.split(secret).join(SHOWN_SECRET), text);
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));

    report.resources = run.resources.map((r) => ({
        type: r.type,
        name: r.name,
        parent: byUrn.get(r.parentUrn)?.name ?? null,
    }));
    const role = run.resources.find((r) => r.type === "aws:iam/role:Role");
    // The settings as the program read them: it has just accepted this config. Whatever
    // cloudglue:existingPolicyName calls it, the stack's inline policy is the one on its role.
    const settings = parseSettings((name) => config[`${CONFIG_NAMESPACE}:${name}`]);
    const inlinePolicyName = settings.existingPolicyName;
    const inline = run.resources.find(
        (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.inputs.name === inlinePolicyName,
    );
    if (role) {
        report.role = {
            name: String(role.inputs.name ?? ROLE_NAME),
            path: String(role.inputs.path ?? "/"),
            inlinePolicyName,
            takeOver: settings.adoptExistingRole ? takeOverNote(inlinePolicyName, settings.exclusivePolicies) : null,
        };
    }
    report.connector = describeConnector(settings, stack);
    report.warnings = [
        ...missingSettings(config, env, settings.registration, report.connector.connectorId),
        ...shapedKeys.map((key) => ({
            kind: "encrypted-not-checked" as const,
            message:
                `${key} is encrypted, which the review cannot decrypt: it ran the program with ` +
                `${JSON.stringify(shapedStandIn(key))} in its place, so the encrypted value itself was not checked ` +
                "(pulumi preview checks it)",
        })),
    ];
    if (role && inline) {
        const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as PolicyDocument;
        const policy = JSON.parse(String(inline.inputs.policy)) as PolicyDocument;
        report.documents = {
            trustPolicy: JSON.parse(redact(JSON.stringify(trust))),
            inlinePolicy: JSON.parse(redact(JSON.stringify(policy))),
        };
        report.access = summarizeAccess(trust, policy, redact, settings.buckets);
        report.previousExternalIdUntil =
            report.access.assumeRole.find((t) => t.previousExternalIdUntil !== undefined)?.previousExternalIdUntil ??
            null;
    }

    const inlineSet = run.resources.find((r) => r.type === "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive");
    const managedSet = run.resources.find(
        (r) => r.type === "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    );
    if (inlineSet && managedSet) {
        report.exclusivePolicies = {
            inlinePolicyNames: (inlineSet.inputs.policyNames as string[] | undefined) ?? [],
            managedPolicyArns: (managedSet.inputs.policyArns as string[] | undefined) ?? [],
        };
    }

    progress(`Running the policy pack over ${run.resources.length} resources...`);
    await analyze(await packServer(), run.resources, report, redact, policyPackConfig);
    report.status = statusOf(report.violations);
    if (report.status !== "violations" && report.warnings.some((w) => w.kind === "missing-region")) {
        // pulumi up cannot run without it: a CI gate on the review's exit code must not pass.
        report.status = "incomplete";
    }
    // Stand-ins reach the summary too (a secret bucket name is a line of it): none is shown.
    return JSON.parse(redact(JSON.stringify(report))) as ReviewReport;
}

/** What the review assumed of a role it takes over, which only AWS knows, and where that is checked. */
function takeOverNote(inlinePolicyName: string, exclusivePolicies: boolean): string {
    return (
        `takes over the existing role ${ROLE_NAME} (cloudglue:adoptExistingRole). The live check of that role runs ` +
        "at pulumi preview and pulumi up, against AWS, not in this review: there the program reads the role and stops " +
        "unless its trust policy lets only Cloudglue's account assume it with this config's external ID" +
        (exclusivePolicies ? ", and lists the policies the next up would remove from it" : "") +
        `. The review assumed such a role, holding only the inline policy ${inlinePolicyName}.`
    );
}

/** The connector mode, as the program reads it (index.ts): a connector is declared in api mode or with an id. */
function describeConnector(settings: ConnectorSettings, stack: string): NonNullable<ReviewReport["connector"]> {
    const { registration } = settings;
    const connectorId = settings.connectorId ?? null;
    let description;
    if (connectorId) {
        description =
            `adopts connector ${connectorId}, made in Cloudglue's web app (cloudglue:connectorId); ` +
            "the stack never changes or deletes it";
    } else if (registration === "api") {
        description =
            "api mode: the stack registers the connector itself, named " +
            `${connectorName("<organization>", "cloudglue", stack)}#<a token per registration>, ` +
            "and deletes it on pulumi destroy";
    } else {
        description =
            "web mode, no connector yet: pulumi up creates the role; then make the connector in Cloudglue's web app " +
            "and set cloudglue:connectorId to its id";
    }
    return { registration, connectorId, description };
}

/** Settings a real `pulumi up` needs that the mocks do not; each its own kind of warning. */
function missingSettings(
    config: Record<string, string>,
    env: Record<string, string | undefined>,
    registration: string,
    connectorId: string | null,
): ReviewWarning[] {
    const warnings: ReviewWarning[] = [];
    if (!config["cloudglue:apiKey"] && !env.CLOUDGLUE_API_KEY) {
        const when =
            registration === "api" || connectorId
                ? "pulumi up stops at the connector without it"
                : "not needed until the stack has a connector (cloudglue:connectorId or cloudglue:registration api)";
        warnings.push({
            kind: "missing-api-key",
            message:
                "No Cloudglue API key: neither cloudglue:apiKey in the config nor CLOUDGLUE_API_KEY is set " +
                `(${when}). Set it with: pulumi config set --secret cloudglue:apiKey <key>`,
        });
    }
    if (!resolveRegion({ config: config["aws:region"], env })) {
        warnings.push({
            kind: "missing-region",
            message:
                "No AWS region: aws:region is not in the config (nor AWS_REGION or AWS_DEFAULT_REGION set here); the AWS " +
                "provider needs one for pulumi up. Set it with: pulumi config set aws:region us-east-1",
        });
    }
    return warnings;
}

export function statusOf(violations: { level: string }[]): ReviewStatus {
    if (violations.some((v) => v.level === "mandatory")) {
        return "violations";
    }
    return violations.length > 0 ? "advisories only" : "clean";
}

/** The pack over the resources, on a server whose config has been checked (see review); the caller stops it. */
async function analyze(
    server: PolicyPackServer,
    resources: RegisteredResource[],
    report: ReviewReport,
    redact: (s: string) => string,
    policyPackConfig: PolicyPackConfig | undefined,
): Promise<void> {
    const info = await server.info();
    if (policyPackConfig) {
        await server.configure(policyPackConfig);
    }
    report.policyPack = { name: info.name, version: info.version };
    for (const r of resources) {
        for (const d of await server.analyze({ type: r.type, urn: r.urn, name: r.name, props: r.inputs })) {
            report.violations.push({
                policy: d.policyName,
                level: d.level,
                resource: `${r.type}::${r.name}`,
                message: redact(d.message),
            });
        }
    }
    const stackView = resources.map((r) => ({
        type: r.type,
        urn: r.urn,
        name: r.name,
        props: r.outputs,
        parentUrn: r.parentUrn,
    }));
    for (const d of await server.analyzeStack(stackView)) {
        report.violations.push({
            policy: d.policyName,
            level: d.level,
            resource: null,
            message: redact(d.message),
        });
    }
}
