/**
 * Documents the doctor prints for the user to paste, and the comparison of a live policy with
 * the stack's, statement by statement. Pure functions.
 */
import { createHash, timingSafeEqual } from "crypto";
import { CLOUDGLUE_ACCOUNT_ID, CLOUDGLUE_PRINCIPAL_ARN } from "../../../components/constants";
import { asList, bucketArn, BucketGrant, PolicyDocument } from "../../../components/iamDocuments";
import { AnyStatement, RoleArea, RoleRequest } from "./policyLogic";

// The quoting helpers live with the program, which prints paste-ready commands too.
export { isPlainArgument, shellQuote, yamlScalar } from "../../../components/shellText";

/** Object keys sorted and one-element lists unwrapped, so that equal policies compare equal. */
export function canonical(value: unknown): unknown {
    if (Array.isArray(value)) {
        const items = value.map(canonical);
        return items.length === 1 ? items[0] : items;
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** What differs between the live inline policy and the stack's, one line per statement. */
export function diffStatements(live: AnyStatement[], intended: AnyStatement[]): string[] {
    const label = (s: AnyStatement, i: number) => s.Sid ?? `#${i + 1} (no Sid)`;
    const key = (s: AnyStatement, i: number) => s.Sid ?? `#${i}`;
    const liveByKey = new Map(live.map((s, i) => [key(s, i), s]));
    const intendedByKey = new Map(intended.map((s, i) => [key(s, i), s]));
    const lines: string[] = [];
    intended.forEach((want, i) => {
        const have = liveByKey.get(key(want, i));
        if (!have) {
            lines.push(`- ${label(want, i)}: missing (the stack grants ${JSON.stringify(want)})`);
        } else if (!same(have, want)) {
            lines.push(`~ ${label(want, i)}: ${fieldChanges(have, want).join("; ")}`);
        }
    });
    live.forEach((have, i) => {
        if (!intendedByKey.has(key(have, i))) {
            lines.push(`+ ${label(have, i)}: not in the stack's policy: ${JSON.stringify(have)}`);
        }
    });
    return lines;
}

function fieldChanges(have: AnyStatement, want: AnyStatement): string[] {
    const changes: string[] = [];
    const fields = new Set([...Object.keys(have), ...Object.keys(want)]);
    for (const field of fields) {
        const a = (have as Record<string, unknown>)[field];
        const b = (want as Record<string, unknown>)[field];
        if (same(a, b)) {
            continue;
        }
        const isList = (v: unknown) => v === undefined || typeof v === "string" || Array.isArray(v);
        if (isList(a) && isList(b)) {
            const had = asList(a as string | string[]);
            const wanted = asList(b as string | string[]);
            const added = had.filter((x) => !wanted.includes(x));
            const removed = wanted.filter((x) => !had.includes(x));
            const parts = [
                added.length ? `adds ${added.join(", ")}` : "",
                removed.length ? `lacks ${removed.join(", ")}` : "",
            ].filter(Boolean);
            changes.push(`${field} ${parts.join(" and ")}`);
        } else {
            changes.push(`${field} is ${JSON.stringify(a)}, the stack's is ${JSON.stringify(b)}`);
        }
    }
    return changes;
}

export function sha256(text: string): Buffer {
    return createHash("sha256").update(text, "utf8").digest();
}

/** Compares two secrets by their SHA-256, in constant time; neither value is kept or shown. */
export function sameSecret(a: string, b: string): boolean {
    return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * Why a live trust policy is not the stack's, in plain words. Values of conditions are never
 * shown (one of them is the external ID); the external ID is compared by hash.
 */
/**
 * A rotation's grace statement, as the stack writes it: Cloudglue's account, sts:AssumeRole, one
 * external ID under StringEquals and a literal deadline under DateLessThan aws:CurrentTime, and
 * nothing else. The stack's trust holds it next to its one statement during a grace window.
 */
export function graceDeadline(statement: AnyStatement): string | undefined {
    const condition = statement.Condition ?? {};
    const until = condition.DateLessThan?.["aws:CurrentTime"];
    const ids = condition.StringEquals?.["sts:ExternalId"];
    const shape =
        statement.Effect === "Allow" &&
        Object.keys(condition).sort().join() === "DateLessThan,StringEquals" &&
        Object.keys(condition.DateLessThan ?? {}).join() === "aws:CurrentTime" &&
        Object.keys(condition.StringEquals ?? {}).join() === "sts:ExternalId" &&
        typeof ids === "string" &&
        typeof until === "string" &&
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(until);
    return shape ? (until as string) : undefined;
}

/** The stack's trust as the doctor reads it: its one statement, and a grace statement during a rotation. */
export function splitTrust(statements: AnyStatement[]): { current: AnyStatement[]; graceUntil?: string } {
    if (statements.length === 2) {
        const graces = statements.filter((s) => graceDeadline(s) !== undefined);
        if (graces.length === 1) {
            return { current: statements.filter((s) => s !== graces[0]), graceUntil: graceDeadline(graces[0]) };
        }
    }
    return { current: statements };
}

/**
 * What keeps a live trust from being the stack's. A rotation's grace statement is the stack's
 * too: its principal, action and deadline are judged here (its ID is the previous one, which the
 * doctor cannot compare), the other statement as the stack's one.
 */
export function trustPolicyProblems(statements: AnyStatement[], stackExternalId: string | undefined): string[] {
    const { current, graceUntil } = splitTrust(statements);
    if (graceUntil !== undefined) {
        const grace = statements.find((s) => !current.includes(s)) as AnyStatement;
        const { Condition, ...rest } = grace;
        const shapeProblems = statementProblems(
            [{ ...rest, Condition: { StringEquals: Condition?.StringEquals ?? {} } }],
            undefined,
        ).map((p) => `the grace statement: ${p}`);
        return [...statementProblems(current, stackExternalId), ...shapeProblems];
    }
    return statementProblems(statements, stackExternalId);
}

function statementProblems(statements: AnyStatement[], stackExternalId: string | undefined): string[] {
    const problems: string[] = [];
    if (statements.length !== 1) {
        problems.push(`it has ${statements.length} statements; the stack's has one`);
    }
    for (const [i, s] of statements.entries()) {
        const at = statements.length > 1 ? `statement ${s.Sid ?? i + 1}: ` : "";
        if (s.Effect !== "Allow") {
            problems.push(`${at}its effect is ${s.Effect}, not Allow`);
            continue;
        }
        // Every kind of principal counts: a Service or Federated one next to Cloudglue's account may assume the role too.
        const principals =
            s.Principal === "*"
                ? ["*"]
                : Object.entries(s.Principal ?? {}).flatMap(([kind, values]) =>
                      asList(values).map((value) => (kind === "AWS" ? value : `${kind} ${value}`)),
                  );
        const foreign = principals.filter((p) => p !== CLOUDGLUE_PRINCIPAL_ARN && p !== CLOUDGLUE_ACCOUNT_ID);
        if (foreign.length > 0 || principals.length === 0 || s.NotPrincipal !== undefined) {
            problems.push(
                `${at}it trusts ${foreign.length ? foreign.join(", ") : "principals other than AWS accounts"}, ` +
                    `not only Cloudglue's account ${CLOUDGLUE_PRINCIPAL_ARN}`,
            );
        }
        const actions = asList(s.Action);
        if (s.NotAction !== undefined || actions.length !== 1 || actions[0] !== "sts:AssumeRole") {
            problems.push(`${at}it allows ${actions.join(", ") || "no action"}, not only sts:AssumeRole`);
        }
        const condition = s.Condition ?? {};
        // Condition keys are case-insensitive in IAM.
        const isExternalId = (operator: string, key: string) =>
            operator === "StringEquals" && key.toLowerCase() === "sts:externalid";
        const ids = Object.entries(condition.StringEquals ?? {})
            .filter(([key]) => isExternalId("StringEquals", key))
            .flatMap(([, value]) => asList(value as string | string[]));
        const others = Object.entries(condition).flatMap(([operator, keys]) =>
            Object.keys(keys ?? {})
                .filter((k) => !isExternalId(operator, k))
                .map((k) => `${operator} ${k}`),
        );
        if (others.length > 0) {
            problems.push(`${at}it has conditions the stack's has not: ${others.join(", ")}`);
        }
        if (ids.length === 0) {
            problems.push(`${at}it has no external ID condition (StringEquals sts:ExternalId)`);
        } else if (ids.length > 1) {
            problems.push(`${at}it accepts ${ids.length} external IDs; the stack's accepts one`);
        } else if (stackExternalId !== undefined && !sameSecret(ids[0], stackExternalId)) {
            problems.push(`${at}its external ID differs from the stack's (compared by SHA-256; neither is shown)`);
        }
    }
    return problems;
}

/** The requests Cloudglue makes with the role to read a bucket as the stack grants it. */
export function readRequests(grant: BucketGrant): RoleRequest[] {
    const arn = bucketArn(grant.name);
    const location: RoleRequest = { action: "s3:GetBucketLocation", resource: arn };
    if (!grant.prefixes) {
        return [
            { action: "s3:ListBucket", resource: arn },
            { action: "s3:GetObject", resource: `${arn}/videos/example.mp4` },
            location,
        ];
    }
    return [
        ...grant.prefixes.flatMap((p) => [
            { action: "s3:ListBucket", resource: arn, context: { "s3:prefix": p } },
            { action: "s3:GetObject", resource: `${arn}/${p}example.mp4` },
        ]),
        location,
    ];
}

/** What the role may read of a bucket as the stack grants it, every key and listing, not only the samples. */
export function readAreas(grant: BucketGrant): RoleArea[] {
    const arn = bucketArn(grant.name);
    return [
        { action: "s3:ListBucket", resources: [arn] },
        {
            action: "s3:GetObject",
            resources: grant.prefixes ? grant.prefixes.map((p) => `${arn}/${p}*`) : [`${arn}/*`],
        },
        { action: "s3:GetBucketLocation", resources: [arn] },
    ];
}

/** A statement as the doctor names it: by its Sid, else by its place in the policy. */
export function statementLabel(statement: AnyStatement, index: number): string {
    return statement.Sid ? `Sid "${statement.Sid}"` : `statement ${index + 1} (no Sid)`;
}

/** The statements the owner of a bucket in another account adds to its bucket policy. */
export function crossAccountBucketStatements(grant: BucketGrant, roleArn: string): PolicyDocument["Statement"] {
    const arn = bucketArn(grant.name);
    const principal = { AWS: roleArn };
    if (!grant.prefixes) {
        return [
            {
                Sid: "AllowCloudglueRoleRead",
                Effect: "Allow",
                Principal: principal,
                Action: ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                Resource: [arn, `${arn}/*`],
            },
        ];
    }
    return [
        {
            Sid: "AllowCloudglueRoleLocation",
            Effect: "Allow",
            Principal: principal,
            Action: ["s3:GetBucketLocation"],
            Resource: arn,
        },
        {
            Sid: "AllowCloudglueRoleList",
            Effect: "Allow",
            Principal: principal,
            Action: ["s3:ListBucket"],
            Resource: arn,
            Condition: { StringLike: { "s3:prefix": grant.prefixes.map((p) => `${p}*`) } },
        },
        {
            Sid: "AllowCloudglueRoleRead",
            Effect: "Allow",
            Principal: principal,
            Action: ["s3:GetObject"],
            Resource: grant.prefixes.map((p) => `${arn}/${p}*`),
        },
    ];
}

/** The key-policy statement that lets the role decrypt with the key, and only through S3. */
export function keyPolicyStatement(roleArn: string, keyRegion: string): Record<string, unknown> {
    return {
        Sid: "AllowCloudglueRoleDecryptViaS3",
        Effect: "Allow",
        Principal: { AWS: roleArn },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": `s3.${keyRegion}.amazonaws.com` } },
    };
}

export function pretty(value: unknown): string {
    return JSON.stringify(value, null, 2);
}

/** A command to paste, its arguments carried over with `\` where the line would pass `width`. */
export function shellCommand(parts: string[], width = 100): string {
    const lines: string[] = [];
    let line = "";
    for (const part of parts) {
        if (line && line.length + 1 + part.length > width) {
            lines.push(`${line} \\`);
            line = `    ${part}`;
        } else {
            line = line ? `${line} ${part}` : part;
        }
    }
    lines.push(line);
    return lines.join("\n");
}
