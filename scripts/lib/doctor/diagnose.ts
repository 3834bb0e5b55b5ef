/**
 * The diagnosis: what the stack intends (its config and the documents the program builds) against
 * what is live in AWS and Cloudglue. Every call reads; none writes. Each fact is fetched once:
 * one call per role fact, per bucket fact and per KMS key, whatever the number of buckets.
 */
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand } from "@aws-sdk/client-iam";
import { ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, Role } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand } from "@aws-sdk/client-kms";
import { GetBucketEncryptionCommand, GetBucketLocationCommand, GetBucketPolicyCommand } from "@aws-sdk/client-s3";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CloudglueClient, DataConnector, isApiError, isFailure } from "../../../components/cloudglueApi";
import { ROLE_NAME } from "../../../components/constants";
import { BucketGrant, buildAccessPolicy, buildTrustPolicy } from "../../../components/iamDocuments";
import { ConnectorSettings } from "../../../components/settings";
import { AwsClients, awsErrorCode, DeadlineError } from "./awsClients";
import {
    crossAccountBucketStatements,
    diffStatements,
    keyPolicyStatement,
    pretty,
    readAreas,
    readRequests,
    shellCommand,
    shellQuote,
    splitTrust,
    statementLabel,
    trustPolicyProblems,
    yamlScalar,
} from "./documents";
import {
    AnyStatement,
    denyMayOverlap,
    identityPolicyAllows,
    keyPolicyDenies,
    keyPolicyLetsRoleDecrypt,
    parsePolicy,
    RequestPrincipal,
    SESSION_PRINCIPAL,
    statementApplies,
} from "./policyLogic";
import { Row } from "./report";

export interface DiagnosisInput {
    /** The stack's name, for the commands in fixes. */
    stack?: string;
    /** The stack's config file, for the config lines in fixes. */
    configFile: string;
    settings: ConnectorSettings;
    /** The stack's external ID (a secret): compared by hash, never shown. */
    externalId?: string;
    connectorId?: string;
    apiKey?: string;
    /** Buckets (and Cloudglue listings) checked at once, at most. */
    concurrency: number;
    /** Date.now() after which no call (AWS or Cloudglue) starts and none is waited for. */
    deadline?: number;
    /** The run's time in all, for the message when it runs out. */
    timeoutSeconds?: number;
    onRow?: (row: Row) => void;
}

export interface Diagnosis {
    rows: Row[];
    accountId?: string;
    roleArn?: string;
    cloudglueCalls: number;
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the items' order in the result. */
export async function mapBounded<T, R>(
    items: readonly T[],
    limit: number,
    work: (item: T) => Promise<R>,
): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** What a promise gives, or `late` when the deadline comes first; the timer never outlives the race. */
export async function beforeDeadline<T>(work: Promise<T>, deadline: number | undefined, late: T): Promise<T> {
    if (deadline === undefined) {
        return work;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(late), Math.max(0, deadline - Date.now()));
    });
    try {
        return await Promise.race([work, expired]);
    } finally {
        clearTimeout(timer);
    }
}

/** A lookup that is made once even when several buckets ask for it at the same time. */
function once<K, V>(load: (key: K) => Promise<V>): (key: K) => Promise<V> {
    const cache = new Map<K, Promise<V>>();
    return (key) => {
        let found = cache.get(key);
        if (!found) {
            found = load(key);
            cache.set(key, found);
        }
        return found;
    };
}

export async function diagnose(input: DiagnosisInput, aws: AwsClients): Promise<Diagnosis> {
    const rows: Row[] = [];
    const add = (raw: Row) => {
        const row = {
            ...raw,
            detail: printable(raw.detail),
            fix: raw.fix === undefined ? undefined : printable(raw.fix),
        };
        rows.push(row);
        input.onRow?.(row);
    };
    const upCommand = `pulumi up${input.stack ? ` --stack ${shellQuote(input.stack)}` : ""}`;

    let accountId: string | undefined;
    try {
        const identity = await aws.sts.send(new GetCallerIdentityCommand({}));
        accountId = identity.Account;
        add({
            section: "aws",
            subject: "credentials",
            check: "caller",
            status: "pass",
            detail: `${identity.Arn} in account ${accountId}`,
        });
    } catch (error) {
        if (error instanceof DeadlineError) {
            const all = [CALLER, ...roleChecks(input), ...input.settings.buckets.flatMap((b) => bucketChecks(b.name))];
            lateRows(error, all, rows, add, input.timeoutSeconds);
        } else {
            const e = awsErrorCode(error);
            add({
                section: "aws",
                subject: "credentials",
                check: "caller",
                status: "fail",
                detail: `AWS did not accept the credentials (${e.code}: ${e.message})`,
                fix: "give credentials of the account that holds the role (AWS_PROFILE, or `aws sso login`), then run again",
            });
        }
    }

    const roleArn = accountId ? `arn:aws:iam::${accountId}:role/${ROLE_NAME}` : undefined;
    if (accountId && roleArn) {
        const who: RequestPrincipal = { roleArn, accountId };
        const guard: Guard = (expected, work) => untilDeadline(work, expected, rows, add, input.timeoutSeconds);
        await Promise.all([
            guard(roleChecks(input), () => checkRole(input, aws, who, add, upCommand)),
            guard(
                input.settings.buckets.flatMap((b) => bucketChecks(b.name)),
                () => checkBuckets(input, aws, who, add, guard),
            ),
        ]);
    }
    const cloudglueCalls = await checkCloudglue(input, roleArn, add);
    return { rows: inReadingOrder(rows, input.settings.buckets), accountId, roleArn, cloudglueCalls };
}

/** Where a check's row goes. */
interface Expected {
    section: Row["section"];
    subject: string;
    check: string;
}

const CALLER: Expected = { section: "aws", subject: "credentials", check: "caller" };

/** The role's checks, in the order they run. */
function roleChecks(input: DiagnosisInput): Expected[] {
    return [
        ...["exists", "trust policy", "only the stack's policy", "permissions boundary"].map((check) => ({
            section: "role" as const,
            subject: ROLE_NAME,
            check,
        })),
        { section: "inline policy", subject: input.settings.existingPolicyName, check: "matches the stack" },
    ];
}

/** A bucket's checks, in the order they run (a key policy only where the bucket has a KMS key). */
function bucketChecks(bucket: string): Expected[] {
    return ["exists", "bucket policy", "encryption"].map((check) => ({ section: "bucket", subject: bucket, check }));
}

/** The check each AWS call answers for. */
const CHECK_OF: Record<string, string> = {
    "sts:GetCallerIdentity": "caller",
    "iam:GetRole": "exists",
    "iam:ListRolePolicies": "only the stack's policy",
    "iam:ListAttachedRolePolicies": "only the stack's policy",
    "iam:GetPolicy": "permissions boundary",
    "iam:GetPolicyVersion": "permissions boundary",
    "iam:GetRolePolicy": "matches the stack",
    "s3:ListBuckets": "exists",
    "s3:GetBucketLocation": "exists",
    "s3:GetBucketPolicy": "bucket policy",
    "s3:GetBucketEncryption": "encryption",
    "kms:DescribeKey": "encryption",
    "kms:GetKeyPolicy": "key policy",
};

/** How a check the doctor's deadline kept from running begins its detail; such a run is not a clean bill. */
export const NOT_CHECKED_IN_TIME = "not checked: the doctor's time ran out";

const AWS_TIME_FIX =
    "run again with more time (a larger --timeout-seconds), or check that AWS answers at the endpoint the doctor " +
    "uses (--aws-endpoint or AWS_ENDPOINT_URL, else AWS's own; a proxy or the network in between)";

/** A check's own catch must not turn the deadline into a finding about AWS: the unit's guard reports it. */
function rethrowLate(error: unknown): undefined {
    if (error instanceof DeadlineError) {
        throw error;
    }
    return undefined;
}

type Guard = (expected: Expected[], work: () => Promise<unknown>) => Promise<void>;

/** Runs a unit of checks (the role's, a bucket's); the deadline cutting one of its calls ends it with lateRows. */
async function untilDeadline(
    work: () => Promise<unknown>,
    expected: Expected[],
    rows: Row[],
    add: (row: Row) => void,
    seconds: number | undefined,
): Promise<void> {
    try {
        await work();
    } catch (error) {
        if (!(error instanceof DeadlineError)) {
            throw error;
        }
        lateRows(error, expected, rows, add, seconds);
    }
}

/**
 * When the run's deadline cut a call: the check that waited for it fails, naming the call, and the
 * unit's checks that have no row yet are reported as not run, never as ok.
 */
function lateRows(
    error: DeadlineError,
    expected: Expected[],
    rows: Row[],
    add: (row: Row) => void,
    seconds: number | undefined,
): void {
    const done = (e: Expected) =>
        rows.some(
            (r) =>
                r.section === e.section &&
                r.subject === e.subject &&
                (r.check === e.check || r.check.startsWith(`${e.check} `)),
        );
    const check = CHECK_OF[error.operation] ?? error.operation;
    const blamed = error.started
        ? (expected.find((e) => e.check === check && !done(e)) ?? { ...expected[0], check })
        : undefined;
    if (blamed) {
        add({
            ...blamed,
            status: "fail",
            detail: `${error.message}${seconds ? ` (--timeout-seconds ${seconds})` : ""}, so the checks after it were not run`,
            fix: AWS_TIME_FIX,
        });
    }
    for (const e of expected.filter((x) => x !== blamed && !done(x))) {
        // The fix is the failed row's; each row repeating it would bury it.
        add({ ...e, status: "skip", detail: NOT_CHECKED_IN_TIME });
    }
}

/**
 * What servers said reaches the terminal: control characters (an escape sequence in an error
 * message could rewrite the screen) are dropped; line breaks and tabs stay.
 */
export function printable(text: string): string {
    // eslint-disable-next-line no-control-regex
    return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
}

const SECTION_ORDER = ["aws", "role", "inline policy", "bucket", "cloudglue"];

/** Rows arrive as concurrent checks finish; the report lists them by section, buckets in config order. */
function inReadingOrder(rows: Row[], buckets: readonly BucketGrant[]): Row[] {
    const bucketIndex = (row: Row) => {
        const index = buckets.findIndex((b) => b.name === row.subject.split(" ")[0]);
        return index < 0 ? -1 : index;
    };
    return rows
        .map((row, arrival) => ({ row, arrival }))
        .sort(
            (a, b) =>
                SECTION_ORDER.indexOf(a.row.section) - SECTION_ORDER.indexOf(b.row.section) ||
                bucketIndex(a.row) - bucketIndex(b.row) ||
                a.arrival - b.arrival,
        )
        .map(({ row }) => row);
}

async function checkRole(
    input: DiagnosisInput,
    aws: AwsClients,
    who: RequestPrincipal,
    add: (row: Row) => void,
    upCommand: string,
): Promise<Role | undefined> {
    const { settings } = input;
    const row = (check: string, status: Row["status"], detail: string, fix?: string) =>
        add({ section: "role", subject: ROLE_NAME, check, status, detail, fix });

    let role: Role | undefined;
    try {
        role = (await aws.iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }))).Role;
    } catch (error) {
        rethrowLate(error);
        const e = awsErrorCode(error);
        if (e.code === "NoSuchEntity" || e.code === "NoSuchEntityException") {
            row(
                "exists",
                "fail",
                `account ${who.accountId} has no role named ${ROLE_NAME}; Cloudglue looks the role up by this exact name`,
                `deploy the stack: ${upCommand} (or check that these credentials are for the account the stack deploys to)`,
            );
        } else {
            row(
                "exists",
                "fail",
                `the role could not be read (${e.code}: ${e.message})`,
                "give credentials that may call iam:GetRole",
            );
        }
        add({
            section: "inline policy",
            subject: settings.existingPolicyName,
            check: "matches the stack",
            status: "skip",
            detail: "not checked: there is no role",
        });
        return undefined;
    }
    if (!role) {
        return undefined;
    }

    if (role.Path !== "/") {
        row(
            "exists",
            "fail",
            `the role exists at path ${role.Path}, so its ARN is ${role.Arn}, not ${who.roleArn} as Cloudglue expects`,
            `delete it and let the stack make it at path /: ${upCommand}`,
        );
    } else {
        // Free with GetRole: whether anyone (Cloudglue, by the trust policy) ever assumed the role.
        const used = role.RoleLastUsed?.LastUsedDate;
        const lastUsed = used
            ? `last assumed ${used.toISOString()} in ${role.RoleLastUsed?.Region ?? "an unknown region"}`
            : "IAM records no use of it";
        row("exists", "pass", `${role.Arn}; ${lastUsed} (IAM's record can lag by hours)`);
    }

    let trust: AnyStatement[] | undefined;
    try {
        trust = parsePolicy(role.AssumeRolePolicyDocument ?? "");
    } catch {
        trust = undefined;
    }
    const trustProblems = trust ? trustPolicyProblems(trust, input.externalId) : ["it is not a JSON policy document"];
    if (trustProblems.length > 0) {
        const idOnly = trustProblems.every((p) => p.includes("external ID differs"));
        row(
            "trust policy",
            "fail",
            `the trust policy is not the stack's: ${trustProblems.join("; ")}`,
            idOnly
                ? `if Cloudglue's connector holds the stack's external ID, ${upCommand} puts it back in the trust policy; ` +
                      "if Cloudglue holds the role's current ID, give it to the stack: pulumi config set --secret cloudglue:externalId <id>"
                : `${upCommand} restores the stack's trust policy, which is:\n` +
                      pretty(buildTrustPolicy("<the stack's external ID>")),
        );
    } else if (input.externalId === undefined) {
        row(
            "trust policy",
            "warn",
            "trusts only Cloudglue's account, with one external ID; that ID was not compared with the stack's, which the doctor was not given" +
                graceNote(trust as AnyStatement[]),
            "give the stack's external ID in CLOUDGLUE_EXTERNAL_ID (or install the Pulumi CLI), then run again",
        );
    } else {
        row(
            "trust policy",
            "pass",
            "trusts only Cloudglue's account, with the stack's external ID (compared by hash)" +
                graceNote(trust as AnyStatement[]),
        );
    }

    const [inlineNames, attached] = await Promise.all([
        aws.iam.send(new ListRolePoliciesCommand({ RoleName: ROLE_NAME })).then(
            (r) => r.PolicyNames ?? [],
            (error) => rethrowLate(error),
        ),
        aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: ROLE_NAME })).then(
            (r) => r.AttachedPolicies ?? [],
            (error) => rethrowLate(error),
        ),
    ]);
    if (inlineNames === undefined || attached === undefined) {
        row(
            "only the stack's policy",
            "fail",
            "the role's policies could not be listed",
            "give credentials that may call iam:ListRolePolicies and iam:ListAttachedRolePolicies",
        );
    } else {
        const extraInline = inlineNames.filter((n) => n !== settings.existingPolicyName);
        const extras = [
            ...attached.map((p) => `attached policy ${p.PolicyArn}`),
            ...extraInline.map((n) => `inline policy ${n}`),
        ];
        if (extras.length > 0) {
            const commands = [
                ...attached.map((p) =>
                    shellCommand([
                        "aws iam detach-role-policy",
                        `--role-name ${ROLE_NAME}`,
                        // `--option=value`: a value from AWS's answer that starts with `-` stays the option's value.
                        `--policy-arn=${shellQuote(p.PolicyArn ?? "")}`,
                    ]),
                ),
                ...extraInline.map((n) =>
                    shellCommand([
                        "aws iam delete-role-policy",
                        `--role-name ${ROLE_NAME}`,
                        `--policy-name=${shellQuote(n)}`,
                    ]),
                ),
            ];
            row(
                "only the stack's policy",
                "fail",
                `the role has more than the stack grants: ${extras.join(", ")}. Cloudglue, as this role, gets whatever they allow`,
                `remove them (the stack never adds them):\n${commands.join("\n")}`,
            );
        } else {
            row(
                "only the stack's policy",
                "pass",
                `no attached policies, no inline policy but ${settings.existingPolicyName}`,
            );
        }
    }

    await checkBoundary(input, aws, who, role, row, upCommand);

    const policyRow = (status: Row["status"], detail: string, fix?: string) =>
        add({
            section: "inline policy",
            subject: settings.existingPolicyName,
            check: "matches the stack",
            status,
            detail,
            fix,
        });
    if (inlineNames !== undefined && !inlineNames.includes(settings.existingPolicyName)) {
        policyRow(
            "fail",
            `the role has no inline policy named ${settings.existingPolicyName}, so it grants Cloudglue nothing`,
            `${upCommand} puts it back`,
        );
        return role;
    }
    try {
        const live = await aws.iam.send(
            new GetRolePolicyCommand({ RoleName: ROLE_NAME, PolicyName: settings.existingPolicyName }),
        );
        const differences = diffStatements(
            parsePolicy(live.PolicyDocument ?? ""),
            buildAccessPolicy(settings.buckets).Statement as AnyStatement[],
        );
        if (differences.length === 0) {
            policyRow("pass", "equal to what the stack grants, statement by statement");
        } else {
            policyRow(
                "fail",
                `the live policy differs from what the stack grants (changed outside the stack, e.g. in the console), ` +
                    `statement by statement:\n${differences.join("\n")}`,
                `${upCommand} puts back the stack's policy (\`pulumi preview --refresh\` shows the drift first); ` +
                    "if the change was meant, make it in cloudglue:buckets instead",
            );
        }
    } catch (error) {
        rethrowLate(error);
        const e = awsErrorCode(error);
        policyRow(
            "fail",
            `the inline policy could not be read (${e.code}: ${e.message})`,
            "give credentials that may call iam:GetRolePolicy",
        );
    }
    return role;
}

/**
 * A rotation's grace statement, in words: until when the previous external ID still works, or that
 * its deadline passed, so the statement is harmless and the next `up` removes it. (`now` for tests.)
 */
export function graceNote(statements: AnyStatement[], now = Date.now()): string {
    const { graceUntil } = splitTrust(statements);
    if (graceUntil === undefined) {
        return "";
    }
    return Date.parse(graceUntil) > now
        ? `; during a rotation it also accepts the previous external ID until ${graceUntil}, when IAM stops accepting it ` +
              "(enter the new ID in Cloudglue's web app before then if the connector was made there)"
        : `; its statement for the previous external ID expired at ${graceUntil}: harmless, as IAM refuses that ID ` +
              "since then, and the next pulumi up removes it";
}

async function checkBoundary(
    input: DiagnosisInput,
    aws: AwsClients,
    who: RequestPrincipal,
    role: Role,
    row: (check: string, status: Row["status"], detail: string, fix?: string) => void,
    upCommand: string,
): Promise<void> {
    const intended = input.settings.permissionsBoundaryArn;
    const live = role.PermissionsBoundary?.PermissionsBoundaryArn;
    if (!live) {
        if (intended) {
            row(
                "permissions boundary",
                "fail",
                `the role has no permissions boundary; the stack sets ${intended}`,
                `${upCommand} puts it back`,
            );
        } else {
            row("permissions boundary", "pass", "none");
        }
        return;
    }
    const drift = intended !== live ? ` (the stack's config ${intended ? `sets ${intended}` : "sets none"})` : "";
    let statements: AnyStatement[];
    try {
        const policy = await aws.iam.send(new GetPolicyCommand({ PolicyArn: live }));
        const version = await aws.iam.send(
            new GetPolicyVersionCommand({ PolicyArn: live, VersionId: policy.Policy?.DefaultVersionId }),
        );
        statements = parsePolicy(version.PolicyVersion?.Document ?? "");
    } catch (error) {
        rethrowLate(error);
        const e = awsErrorCode(error);
        row(
            "permissions boundary",
            "fail",
            `the boundary ${live}${drift} could not be read (${e.code})`,
            "give credentials that may call iam:GetPolicy and iam:GetPolicyVersion",
        );
        return;
    }
    const cut: string[] = [];
    const unsure: string[] = [];
    for (const grant of input.settings.buckets) {
        const requests = readRequests(grant);
        if (grant.kmsKeyArn) {
            const region = grant.kmsKeyArn.split(":")[3];
            requests.push({
                action: "kms:Decrypt",
                resource: grant.kmsKeyArn,
                context: { "kms:viaservice": `s3.${region}.amazonaws.com` },
            });
        }
        for (const request of requests) {
            const verdict = identityPolicyAllows(statements, request, who);
            const what = `${request.action} on ${request.resource}`;
            if (verdict === "no") {
                cut.push(what);
            } else if (verdict === "unknown") {
                unsure.push(what);
            }
        }
    }
    if (cut.length > 0) {
        row(
            "permissions boundary",
            "fail",
            `the boundary ${live}${drift} does not allow what the stack grants, so IAM denies it: ${cut.join(", ")}`,
            "add these actions and resources to an Allow of the boundary policy, or set another boundary in " +
                "cloudglue:permissionsBoundaryArn",
        );
    } else if (unsure.length > 0) {
        row(
            "permissions boundary",
            "warn",
            `the boundary ${live}${drift} allows ${unsure.join(", ")} only under conditions the doctor cannot judge`,
            "check those conditions hold for Cloudglue's requests (over HTTPS, from Cloudglue's network, as the role)",
        );
    } else {
        row(
            "permissions boundary",
            drift ? "fail" : "pass",
            `${live}${drift} allows the read actions on every bucket`,
            drift
                ? `${upCommand} puts the stack's boundary back; or set this one in cloudglue:permissionsBoundaryArn`
                : undefined,
        );
    }
}

/** The account's buckets: one page holds up to 10,000, the default quota; larger accounts page on. */
async function listOwnBuckets(aws: AwsClients): Promise<Set<string | undefined> | undefined> {
    const names = new Set<string | undefined>();
    let token: string | undefined;
    try {
        do {
            const page = await aws.s3().send(new ListBucketsCommand({ ContinuationToken: token }));
            (page.Buckets ?? []).forEach((b) => names.add(b.Name));
            token = page.ContinuationToken;
        } while (token);
    } catch (error) {
        rethrowLate(error);
        return undefined;
    }
    return names;
}

interface KeyFacts {
    /** The key's ARN, resolved from what the bucket names (ARN, id or alias). */
    arn?: string;
    /** The key policy's statements; undefined when it could not be read. */
    policy?: AnyStatement[];
    error?: string;
}

async function checkBuckets(
    input: DiagnosisInput,
    aws: AwsClients,
    who: RequestPrincipal,
    add: (row: Row) => void,
    guard: Guard,
): Promise<void> {
    const owned = await listOwnBuckets(aws);
    const keyFacts = once(async (keyArn: string): Promise<KeyFacts> => {
        const region = keyArn.split(":")[3];
        try {
            const policy = await aws
                .kms(region)
                .send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: "default" }));
            return { arn: keyArn, policy: parsePolicy(policy.Policy ?? "") };
        } catch (error) {
            rethrowLate(error);
            const e = awsErrorCode(error);
            return { arn: keyArn, error: `${e.code}: ${e.message}` };
        }
    });
    // An alias (or alias ARN) names a key only through kms:DescribeKey, in the bucket's region.
    const resolveAlias = once(async (regionAndAlias: string): Promise<string | undefined> => {
        const [region, alias] = regionAndAlias.split("|");
        try {
            const described = await aws.kms(region).send(new DescribeKeyCommand({ KeyId: alias }));
            return described.KeyMetadata?.Arn;
        } catch (error) {
            rethrowLate(error);
            return undefined;
        }
    });

    await mapBounded(input.settings.buckets, input.concurrency, async (grant) => {
        const index = input.settings.buckets.indexOf(grant);
        await guard(bucketChecks(grant.name), () =>
            checkBucket(input, aws, who, grant, index, owned, keyFacts, resolveAlias, add),
        );
    });
}

/** A KMS key's ARN, as the doctor puts it in a command and asks KMS about: no alias, nothing else. */
function isKeyArn(value: string): boolean {
    return value.startsWith("arn:aws:kms:") && value.includes(":key/");
}

async function checkBucket(
    input: DiagnosisInput,
    aws: AwsClients,
    who: RequestPrincipal,
    grant: BucketGrant,
    index: number,
    owned: Set<string | undefined> | undefined,
    keyFacts: (keyArn: string) => Promise<KeyFacts>,
    resolveAlias: (alias: string) => Promise<string | undefined>,
    add: (row: Row) => void,
): Promise<void> {
    const bucket = grant.name;
    const row = (check: string, status: Row["status"], detail: string, fix?: string) =>
        add({ section: "bucket", subject: bucket, check, status, detail, fix });

    let region: string;
    try {
        // us-east-1's endpoint answers GetBucketLocation for a bucket in any region.
        const location = await aws.s3("us-east-1").send(new GetBucketLocationCommand({ Bucket: bucket }));
        // S3 answers no constraint for us-east-1, and "EU" for the oldest eu-west-1 buckets.
        const constraint = location.LocationConstraint as string | undefined;
        region = !constraint ? "us-east-1" : constraint === "EU" ? "eu-west-1" : constraint;
    } catch (error) {
        rethrowLate(error);
        const e = awsErrorCode(error);
        if (e.code === "NoSuchBucket") {
            row(
                "exists",
                "fail",
                `there is no bucket named ${bucket} (S3 answered NoSuchBucket)`,
                `check the spelling in cloudglue:buckets[${index}] in ${input.configFile}; if the bucket is gone, remove it ` +
                    `from the list and run pulumi up`,
            );
        } else if (owned !== undefined && !owned.has(bucket)) {
            row(
                "exists",
                "warn",
                `S3 would not say where ${bucket} is (${e.code}), and it is not one of account ${who.accountId}'s ` +
                    "buckets: it belongs to another account, whose owner must allow the role in the bucket policy",
                `the bucket's owner adds these statements to the bucket policy of ${bucket}:\n` +
                    pretty(crossAccountBucketStatements(grant, who.roleArn)),
            );
        } else {
            row(
                "exists",
                "fail",
                `S3 would not say where ${bucket} is (${e.code}: ${e.message})`,
                "give credentials that may call s3:GetBucketLocation and s3:ListAllMyBuckets, then run again",
            );
        }
        return;
    }
    const inAccount = owned?.has(bucket);
    const s3 = aws.s3(region);

    if (inAccount === false) {
        row(
            "exists",
            "warn",
            `exists in ${region}, but not in account ${who.accountId}: IAM alone cannot grant Cloudglue's role access; ` +
                "the bucket's owner must allow the role in the bucket policy",
            `the bucket's owner adds these statements to the bucket policy of ${bucket}:\n` +
                pretty(crossAccountBucketStatements(grant, who.roleArn)),
        );
    } else {
        row(
            "exists",
            "pass",
            `in ${region}${inAccount ? `, in account ${who.accountId}` : " (its owner could not be listed)"}`,
        );
    }

    // The bucket policy: a Deny that catches the role wins over every Allow.
    try {
        const policy = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
        checkBucketPolicy(parsePolicy(policy.Policy ?? ""), grant, who, row);
    } catch (error) {
        rethrowLate(error);
        const e = awsErrorCode(error);
        if (e.code === "NoSuchBucketPolicy") {
            row("bucket policy", "pass", "no bucket policy, so no Deny");
        } else {
            row(
                "bucket policy",
                "warn",
                `the bucket policy could not be read (${e.code}); a Deny in it would stop Cloudglue`,
                "run the doctor with credentials that may call s3:GetBucketPolicy, or read the policy in the S3 console",
            );
        }
    }

    let keyId: string | undefined;
    let algorithm: string | undefined;
    try {
        const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
        const rule = encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
        algorithm = rule?.SSEAlgorithm;
        keyId = rule?.KMSMasterKeyID;
    } catch (error) {
        rethrowLate(error);
        const e = awsErrorCode(error);
        if (e.code !== "ServerSideEncryptionConfigurationNotFoundError") {
            row(
                "encryption",
                "warn",
                `its default encryption could not be read (${e.code})`,
                "give credentials that may call s3:GetEncryptionConfiguration",
            );
            return;
        }
    }
    if (!algorithm?.startsWith("aws:kms")) {
        const found = `${algorithm ?? "no default encryption"}, no KMS key`;
        if (grant.kmsKeyArn) {
            row(
                "encryption",
                "warn",
                `${found}, though the config names the key ${grant.kmsKeyArn}`,
                "objects written with that key still need it; remove it from the config if none are",
            );
        } else {
            row("encryption", "pass", found);
        }
        return;
    }
    if (!keyId) {
        row(
            "encryption",
            inAccount === false ? "fail" : "pass",
            `SSE-KMS with the AWS managed key aws/s3, which principals of the bucket's account may use through S3` +
                (inAccount === false ? "; a role of another account may not" : ""),
            inAccount === false
                ? "the bucket's owner encrypts it with a customer managed key whose policy allows the role"
                : undefined,
        );
        return;
    }
    const keyArn = isKeyArn(keyId)
        ? keyId
        : /^[0-9a-f-]{36}$|^mrk-[0-9a-f]{32}$/.test(keyId)
          ? `arn:aws:kms:${region}:${who.accountId}:key/${keyId}`
          : await resolveAlias(`${keyId.startsWith("arn:") ? keyId.split(":")[3] : region}|${keyId}`);
    if (!keyArn) {
        row(
            "encryption",
            "fail",
            `SSE-KMS with ${keyId}, which the doctor could not resolve to a key ARN`,
            "give credentials that may call kms:DescribeKey",
        );
        return;
    }
    if (!isKeyArn(keyArn)) {
        // What KMS answered for an alias goes into the fix and the key-policy lookup: only a key ARN does.
        row(
            "encryption",
            "fail",
            `SSE-KMS with ${keyId}, for which kms:DescribeKey answered ${JSON.stringify(keyArn)}, not a key ARN ` +
                "(arn:aws:kms:<region>:<account>:key/<id>)",
            `fix by hand: find the key that ${keyId} names in the KMS console and set its ARN in ` +
                `cloudglue:buckets[${index}].kmsKeyArn in ${input.configFile}`,
        );
        return;
    }
    if (grant.kmsKeyArn !== keyArn) {
        const line =
            grant.prefixes || grant.kmsKeyArn
                ? // `--` ends the options: the key ARN from AWS's answer is a value, whatever it starts with.
                  shellCommand([
                      `pulumi config set --path -- 'cloudglue:buckets[${index}].kmsKeyArn'`,
                      shellQuote(keyArn),
                  ])
                : `in ${input.configFile}, replace the entry cloudglue:buckets[${index}] (- ${bucket}) with:\n` +
                  `    - name: ${bucket}\n      kmsKeyArn: ${yamlScalar(keyArn)}`;
        row(
            "encryption",
            "fail",
            `SSE-KMS with key ${keyArn}, ` +
                (grant.kmsKeyArn ? `but the config names ${grant.kmsKeyArn}` : "which the config does not name") +
                ", so the role may not decrypt what it reads",
            `${line}\nthen run pulumi up (the inline policy then allows kms:Decrypt on the key through S3)`,
        );
    } else {
        row("encryption", "pass", `SSE-KMS with ${keyArn}, as the config names it`);
    }
    const keyRegion = keyArn.split(":")[3];
    const facts = await keyFacts(keyArn);
    const statement = pretty(keyPolicyStatement(who.roleArn, keyRegion));
    if (!facts.policy) {
        row(
            "key policy",
            "warn",
            `the key policy of ${keyArn} could not be read (${facts.error})`,
            `the key's owner makes sure the key policy delegates to account ${who.accountId} or has:\n${statement}`,
        );
        return;
    }
    const lets = keyPolicyLetsRoleDecrypt(facts.policy, who, keyRegion);
    if (lets) {
        row(
            "key policy",
            "pass",
            lets === "account"
                ? `the key policy of ${keyArn} delegates to account ${who.accountId}, so IAM policies decide`
                : `the key policy of ${keyArn} names the role`,
        );
    } else {
        row(
            "key policy",
            "fail",
            `the key policy of ${keyArn} neither names the role nor delegates to account ${who.accountId} ` +
                "(arn:aws:iam::<account>:root), so no IAM policy can let the role decrypt with it",
            `add this statement to the key policy (KMS console → the key → Key policy → Edit):\n${statement}`,
        );
    }
    checkKeyPolicyDenies(facts.policy, who, keyArn, keyRegion, row);
}

function checkBucketPolicy(
    statements: AnyStatement[],
    grant: BucketGrant,
    who: RequestPrincipal,
    row: (check: string, status: Row["status"], detail: string, fix?: string) => void,
): void {
    let found = false;
    const exempt =
        "exempt the role in that statement's Condition (or remove the statement):\n" +
        `"ArnNotEquals": {"aws:PrincipalArn": ${JSON.stringify(who.roleArn)}}`;
    statements.forEach((statement, i) => {
        if (statement.Effect !== "Deny") {
            return;
        }
        const sid = statementLabel(statement, i);
        const caught = readRequests(grant)
            .map((request) => ({ request, ...statementApplies(statement, request, who, { resourcePolicy: true }) }))
            .filter((r) => r.verdict !== "no");
        if (caught.length === 0) {
            // The requests tried are samples (one key per prefix): a Deny on other keys the role may read is not judged.
            const areas = denyMayOverlap(statement, readAreas(grant), who);
            if (areas.length > 0) {
                found = true;
                const scope = statement.NotResource !== undefined ? "all but its NotResource" : "its Resource";
                row(
                    "bucket policy Deny",
                    "warn",
                    `may block; check by hand: the bucket policy's Deny ${sid} does not catch the requests the doctor ` +
                        `tries (${readRequests(grant)
                            .map((r) => `${r.action} on ${r.resource}`)
                            .join(", ")}), but ${scope} overlaps what Cloudglue's role may read: ` +
                        areas.map((a) => `${a.action} on ${a.resources.join(", ")}`).join("; "),
                    `if Cloudglue must read what that statement covers, ${exempt}`,
                );
            }
            return;
        }
        found = true;
        const actions = [...new Set(caught.map((c) => c.request.action))].join(", ");
        const conditions = Object.entries(statement.Condition ?? {})
            .flatMap(([operator, keys]) => Object.keys(keys ?? {}).map((k) => `${operator} ${k}`))
            .join(", ");
        const unknown = [...new Set(caught.flatMap((c) => c.unknownKeys))];
        if (caught.some((c) => c.verdict === "yes")) {
            row(
                "bucket policy Deny",
                "fail",
                `the bucket policy's Deny ${sid} catches Cloudglue's role on ${actions}` +
                    (conditions
                        ? `: Cloudglue's requests meet its condition (${conditions}); they come over HTTPS ` +
                          "from Cloudglue's network, not through your VPC endpoint or network"
                        : ""),
                exempt,
            );
        } else if (unknown.includes(SESSION_PRINCIPAL)) {
            row(
                "bucket policy Deny",
                "warn",
                `may block; check by hand: the bucket policy's Deny ${sid} may catch Cloudglue's role on ${actions}: ` +
                    whyUnsure(unknown),
                `if it names the session Cloudglue uses, ${exempt}`,
            );
        } else {
            row(
                "bucket policy Deny",
                "fail",
                `the bucket policy's Deny ${sid} may catch Cloudglue's role on ${actions}: the doctor cannot tell ` +
                    `whether Cloudglue's requests meet ${unknown.join(", ")}`,
                exempt,
            );
        }
    });
    if (!found) {
        row("bucket policy", "pass", `no Deny that catches the role (${statements.length} statement(s) read)`);
    }
}

/** Why the doctor cannot tell whether a Deny catches the role: the session's name, or conditions it cannot judge. */
function whyUnsure(unknownKeys: string[]): string {
    const keys = unknownKeys.filter((k) => k !== SESSION_PRINCIPAL);
    const conditions = `whether Cloudglue's requests meet ${keys.join(", ")}`;
    if (keys.length === unknownKeys.length) {
        return `the doctor cannot tell ${conditions}`;
    }
    return (
        "its Principal names a session of the role (arn:aws:sts::<account>:assumed-role/<role>/<session>), and the " +
        "doctor cannot tell whether it is Cloudglue's, whose name Cloudglue picks" +
        (keys.length > 0 ? `; nor ${conditions}` : "")
    );
}

/** A key policy's Deny wins over its Allows and every IAM policy, as a bucket policy's does. */
function checkKeyPolicyDenies(
    statements: AnyStatement[],
    who: RequestPrincipal,
    keyArn: string,
    keyRegion: string,
    row: (check: string, status: Row["status"], detail: string, fix?: string) => void,
): void {
    const exempt =
        "exempt the role in that statement's Condition (or remove the statement), in the key policy " +
        `(KMS console → the key → Key policy → Edit):\n"ArnNotEquals": {"aws:PrincipalArn": ${JSON.stringify(who.roleArn)}}`;
    for (const deny of keyPolicyDenies(statements, who, keyArn, keyRegion)) {
        const sid = statementLabel(statements[deny.index], deny.index);
        if (deny.verdict === "yes") {
            row(
                "key policy Deny",
                "fail",
                `the key policy's Deny ${sid} of ${keyArn} catches Cloudglue's role on kms:Decrypt through S3, ` +
                    "so it cannot read what the key encrypts",
                exempt,
            );
        } else {
            row(
                "key policy Deny",
                "warn",
                `may block; check by hand: the key policy's Deny ${sid} of ${keyArn} may catch Cloudglue's role on ` +
                    `kms:Decrypt through S3: ${whyUnsure(deny.unknownKeys)}`,
                `if it applies to Cloudglue's reads, ${exempt}`,
            );
        }
    }
}

const TIME_FIX = "run again with more time (--timeout-seconds), or check that Cloudglue answers (cloudglue:apiUrl)";

async function checkCloudglue(
    input: DiagnosisInput,
    roleArn: string | undefined,
    add: (row: Row) => void,
): Promise<number> {
    const subject = input.connectorId ?? "connector";
    const row = (check: string, status: Row["status"], detail: string, fix?: string, rowSubject = subject) =>
        add({ section: "cloudglue", subject: rowSubject, check, status, detail, fix });
    if (!input.connectorId) {
        row(
            "exists",
            "skip",
            "not checked: no connector id",
            "give it with --connector-id or CLOUDGLUE_CONNECTOR_ID (the stack's connectorId output, or cloudglue:connectorId)",
        );
        return 0;
    }
    if (!input.apiKey) {
        row(
            "exists",
            "skip",
            "not checked: no Cloudglue API key",
            "set CLOUDGLUE_API_KEY (or cloudglue:apiKey in the stack, read through the Pulumi CLI)",
        );
        return 0;
    }
    const listings = input.settings.buckets.flatMap<{ bucket: string; prefix?: string }>((grant) =>
        grant.prefixes
            ? grant.prefixes.map((prefix) => ({ bucket: grant.name, prefix }))
            : [{ bucket: grant.name, prefix: undefined }],
    );
    const where = ({ bucket, prefix }: { bucket: string; prefix?: string }) =>
        prefix === undefined ? bucket : `${bucket} prefix=${prefix}`;
    if (input.deadline !== undefined && Date.now() >= input.deadline) {
        // AWS's checks took the time: Cloudglue was never asked, so nothing of it failed.
        const late = `${NOT_CHECKED_IN_TIME} before Cloudglue was asked`;
        row("exists", "skip", late);
        for (const listing of listings) {
            row("Cloudglue can list", "skip", late, undefined, where(listing));
        }
        return 0;
    }
    let calls = 0;
    const client = new CloudglueClient({
        apiUrl: input.settings.apiUrl,
        apiKey: input.apiKey,
        // Cloudglue holds the external ID, so its error text may quote it back.
        secrets: input.externalId ? [input.externalId] : [],
        requestTimeoutMs: 15_000,
        retry: { maxAttempts: 2, maxElapsedMs: 20_000 },
    });
    const connectorId = input.connectorId;
    try {
        calls++;
        // Through the published list: GET /v1/data-connectors/{id} is not in Cloudglue's public API.
        const connector = await beforeDeadline<DataConnector | undefined | null>(
            client.listConnectors().then((all) => all.find((c) => c.id === connectorId.toLowerCase())),
            input.deadline,
            null,
        );
        if (connector === null) {
            row("exists", "fail", "Cloudglue did not answer before the doctor's time ran out", TIME_FIX);
            return calls;
        }
        if (!connector) {
            row(
                "exists",
                "fail",
                `Cloudglue has no connector ${connectorId} for this API key's account`,
                "check the id (the stack's connectorId output, or Data connectors in Cloudglue's web app); if it was deleted, run pulumi up",
            );
            return calls;
        }
        if (connector.type !== "s3") {
            row(
                "exists",
                "fail",
                `connector ${connectorId} is of type ${connector.type}, not s3`,
                "give the id of the S3 connector",
            );
            return calls;
        }
        const heldRole = connector.metadata?.role_arn;
        const heldBuckets = connector.metadata?.buckets;
        const notHeld = heldBuckets ? input.settings.buckets.filter((b) => !heldBuckets.includes(b.name)) : [];
        if (heldRole && roleArn && heldRole !== roleArn) {
            row(
                "exists",
                "fail",
                `the connector is of type s3 but uses the role ${heldRole}, not ${roleArn}`,
                "edit the connector in Cloudglue's web app to use this role, or give the id of the connector that does",
            );
        } else if (notHeld.length > 0) {
            row(
                "exists",
                "fail",
                `the connector is of type s3 but does not name ${notHeld.map((b) => b.name).join(", ")}, ` +
                    "which the stack grants; Cloudglue reads only the buckets its connector names",
                "add them to the connector in Cloudglue's web app, or run pulumi up where the stack registers the connector",
            );
        } else {
            row("exists", "pass", `of type s3${heldRole ? `, with role ${heldRole}` : ""}`);
        }
    } catch (error) {
        row(
            "exists",
            "fail",
            isApiError(error) ? error.message : String(error),
            "fix the Cloudglue API key or URL, then run again",
        );
        return calls;
    }

    await mapBounded(listings, input.concurrency, async ({ bucket, prefix }) => {
        const at = where({ bucket, prefix });
        if (input.deadline !== undefined && Date.now() >= input.deadline) {
            row("Cloudglue can list", "skip", NOT_CHECKED_IN_TIME, TIME_FIX, at);
            return;
        }
        calls++;
        type Outcome = { ok: boolean; status?: number; error?: string; late?: boolean };
        const listing = async (): Promise<Outcome> => {
            try {
                const result = await client.listFiles(connectorId, bucket, [400, 403, 404, 502], prefix);
                return isFailure(result) ? { ok: false, status: result.status, error: result.error } : { ok: true };
            } catch (error) {
                return { ok: false, error: isApiError(error) ? error.message : String(error) };
            }
        };
        const outcome = await beforeDeadline(listing(), input.deadline, {
            ok: false,
            error: "Cloudglue did not answer before the doctor's time ran out",
            late: true,
        });
        if (outcome.ok) {
            row("Cloudglue can list", "pass", "Cloudglue listed it through the connector", undefined, at);
        } else {
            row(
                "Cloudglue can list",
                "fail",
                `Cloudglue could not list it${outcome.status ? ` (${outcome.status})` : ""}` +
                    `${outcome.error ? `: "${outcome.error}"` : ""}. A 502 means Cloudglue could not assume the role or S3 denied it`,
                outcome.late
                    ? TIME_FIX
                    : "the failed AWS rows above say why; if they all pass, the connector may hold another external ID " +
                          "(edit it in Cloudglue's web app) or IAM is still propagating a change (wait a minute)",
                at,
            );
        }
    });
    return calls;
}
