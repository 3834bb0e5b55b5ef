/** The doctor's findings: one row per check, each failure with its cause in plain words and its fix. */

export type Status = "pass" | "fail" | "warn" | "skip";

export type Section = "aws" | "role" | "inline policy" | "bucket" | "cloudglue";

export interface Row {
    section: Section;
    /** What the row is about: the role's name, a bucket, a bucket and prefix, the connector. */
    subject: string;
    /** The check, in a few words: "trust policy", "exists", "bucket policy Deny". */
    check: string;
    status: Status;
    /** What was found, in plain words. For a failure, the cause. */
    detail: string;
    /** For a failure or warning: what to do, ready to paste where possible. */
    fix?: string;
}

export interface CallSummary {
    aws: number;
    /** AWS calls by `service:Operation`. */
    awsByOperation: Record<string, number>;
    cloudglue: number;
}

export interface DoctorReport {
    schemaVersion: 1;
    stack?: string;
    accountId?: string;
    roleArn?: string;
    readOnly: true;
    /** The Cloudglue API the doctor asked (no user info or query), and where that URL came from. */
    cloudglue?: { apiUrl: string; from: string };
    rows: Row[];
    summary: Record<Status, number>;
    calls: CallSummary;
    /** Inputs the doctor could not find (each row that needed one is a skip). */
    notes: string[];
    exitCode: 0 | 1;
}

export function summarize(rows: Row[]): Record<Status, number> {
    const summary: Record<Status, number> = { pass: 0, fail: 0, warn: 0, skip: 0 };
    for (const row of rows) {
        summary[row.status]++;
    }
    return summary;
}

const LABEL: Record<Status, string> = { pass: "ok", fail: "FAIL", warn: "WARN", skip: "skip" };
const SECTION_TITLE: Record<Section, string> = {
    aws: "AWS account",
    role: "Role",
    "inline policy": "Inline policy",
    bucket: "Buckets",
    cloudglue: "Cloudglue",
};

const WIDTH = 118;

/**
 * Indents, and wraps prose at spaces to fit the width. Lines to paste (JSON, commands, YAML) and
 * the lines of a policy diff are left whole.
 */
function indent(text: string, by: number): string {
    const out: string[] = [];
    for (const line of text.split("\n")) {
        const pasteable = /^[\s{}[\]"+~-]/.test(line) || /\\$/.test(line) || /^(pulumi|aws) /.test(line);
        let rest = line;
        while (!pasteable && by + rest.length > WIDTH && rest.lastIndexOf(" ", WIDTH - by) > 0) {
            const cut = rest.lastIndexOf(" ", WIDTH - by);
            out.push(" ".repeat(by) + rest.slice(0, cut));
            rest = rest.slice(cut + 1);
        }
        out.push(" ".repeat(by) + rest);
    }
    return out.join("\n");
}

export function progressLine(row: Row): string {
    return `[doctor] ${LABEL[row.status].padEnd(4)} ${row.subject}: ${row.check}`;
}

export function renderText(report: DoctorReport): string {
    const out: string[] = [];
    const where = [report.stack && `stack ${report.stack}`, report.accountId && `AWS account ${report.accountId}`]
        .filter(Boolean)
        .join(", ");
    out.push(`Cloudglue doctor${where ? ` (${where})` : ""}: read-only, nothing was changed.`);
    if (report.cloudglue) {
        out.push(`Cloudglue's API: ${report.cloudglue.apiUrl} (from ${report.cloudglue.from}).`);
    }
    for (const section of Object.keys(SECTION_TITLE) as Section[]) {
        const rows = report.rows.filter((r) => r.section === section);
        if (rows.length === 0) {
            continue;
        }
        out.push("", SECTION_TITLE[section]);
        for (const row of rows) {
            out.push(`  ${LABEL[row.status].padEnd(4)}  ${row.subject}: ${row.check}`);
            out.push(indent(row.detail, 8));
            if (row.fix && row.status !== "pass") {
                out.push(indent(`Fix: ${row.fix}`, 8).replace(/^ {8}Fix: /, "        Fix: "));
            }
        }
    }
    for (const note of report.notes) {
        out.push("", indent(`Note: ${note}`, 0));
    }
    const s = report.summary;
    const byService = new Map<string, number>();
    for (const [operation, count] of Object.entries(report.calls.awsByOperation)) {
        const service = operation.split(":")[0];
        byService.set(service, (byService.get(service) ?? 0) + count);
    }
    const services = [...byService].map(([service, count]) => `${service} ${count}`).join(", ");
    out.push(
        "",
        `Result: ${s.pass} passed, ${s.fail} failed, ${s.warn} to check by hand, ${s.skip} not checked (exit ${report.exitCode})`,
        `Calls: ${report.calls.aws} to AWS${services ? ` (${services})` : ""}, ${report.calls.cloudglue} to Cloudglue`,
    );
    return out.join("\n");
}
