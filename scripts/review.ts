/**
 * `npm run review -- --stack dev` (or `--config-file <file>`): what a stack will create and
 * grant, and whether the policy pack passes, offline. Exit 0 when clean or advisories only, 1 on
 * a mandatory violation, an invalid config or a missing AWS region (or, with --strict, on any
 * warning), 2 on a usage error or a policy pack config the pack does not know. `--json` prints one report for CI (run it as `npm run -s review`, so that npm
 * prints no banner before it); `--output <file>` writes that report to a file as well, for a CI
 * step that reads it.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { sourceRule } from "../components/apiSource";
import { describeAccess } from "./lib/accessSummary";
import { PROJECT_ROOT } from "./lib/programRun";
import { PolicyPackConfigError, review, ReviewReport } from "./lib/review";

export const USAGE = `usage: npm run review -- (--stack <name> | --config-file <Pulumi.<stack>.yaml>) [options]

What the stack would create and grant, and whether the policy pack passes, offline: runs the program
under Pulumi's mocks with the stack's config (no AWS, no Cloudglue, no Pulumi CLI). Shows the role,
who may assume it, what it may read and write, the connector mode, and the policy pack's verdict.

Options:
  --stack <name>                read Pulumi.<name>.yaml
  --config-file <file>          read this stack config file instead
  --policy-pack-config <file>   the policy pack config (enforcement levels, allowedBucketPatterns),
                                checked against the pack before the program runs
  --strict                      exit 1 on a warning too (for CI gates)
  --json                        print one JSON report (run as npm run -s review, so npm adds no banner)
  --output <file>               write that JSON report to a file as well
  --help                        print this text
Progress goes to stderr, the review to stdout.
Warnings name what pulumi up needs and the review does not, looked for the first one set:
  ${sourceRule("apiKey")}
  ${sourceRule("region", { without: ["--region"] })}
Result: clean, advisories only, incomplete (no AWS region: pulumi up cannot run), violations, or
invalid config. Exit codes: 0 clean or advisories only (with --strict: and no warning), 1 otherwise,
2 a usage error or a policy pack config the pack does not know.`;

function render(report: ReviewReport, strict: boolean): string {
    const out: string[] = [`Review of ${path.relative(process.cwd(), report.configFile) || report.configFile}`, ""];
    if (report.status === "invalid-config") {
        out.push("The stack config is invalid; `pulumi up` would stop with:");
        out.push(...report.configErrors.map((e) => `  - ${e}`));
        out.push("", "Result: invalid config (exit 1)");
        return out.join("\n");
    }
    if (report.role) {
        out.push(
            `Role: ${report.role.name} (path ${report.role.path}), with inline policy ${report.role.inlinePolicyName}`,
        );
        if (report.role.takeOver) {
            out.push(...wrap(`Take-over: ${report.role.takeOver}`));
        }
    }
    if (report.connector) {
        out.push(...wrap(`Connector: ${report.connector.description}`));
    }
    // A tree, children under their parent: each line fits a terminal, and the nesting reads at a glance.
    out.push("", "Resources, in declaration order (children indented under their parent):");
    const depth = (r: ReviewReport["resources"][number]): number => {
        const parent = report.resources.find((p) => p.name === r.parent);
        return parent ? 1 + depth(parent) : 0;
    };
    const nameWidth = Math.max(...report.resources.map((r) => 2 * depth(r) + r.name.length));
    for (const r of report.resources) {
        const name = `${"  ".repeat(depth(r))}${r.name}`;
        out.push(`  ${name.padEnd(nameWidth)}  ${r.type}`);
    }
    if (report.documents && report.access) {
        out.push("", "Trust policy (assumeRolePolicy), as sent to AWS:");
        out.push(indent(JSON.stringify(report.documents.trustPolicy, null, 2)));
        out.push("", `Inline policy ${report.role?.inlinePolicyName}, as sent to AWS:`);
        out.push(indent(JSON.stringify(report.documents.inlinePolicy, null, 2)));
        out.push("", ...describeAccess(report.access).flatMap((line) => fit(line)));
        out.push(...describeExclusivity(report.exclusivePolicies).flatMap((line) => fit(line)));
    }
    if (report.warnings.length > 0) {
        out.push("", "Warnings (not policy violations; pulumi up needs these):");
        for (const w of report.warnings) {
            out.push(...wrap(`[${w.kind}] ${w.message}`, 2));
        }
    }
    const packConfig = report.policyPackConfig
        ? `with --policy-pack-config ${path.relative(process.cwd(), report.policyPackConfig) || report.policyPackConfig}`
        : "with its own enforcement levels (no --policy-pack-config)";
    out.push("", `Policy pack ${report.policyPack?.name}@v${report.policyPack?.version}, ${packConfig}:`);
    if (report.violations.length === 0) {
        out.push("  no violations");
    }
    for (const v of report.violations) {
        out.push(`  [${v.level}] ${v.policy}${v.resource ? ` (${v.resource})` : " (stack)"}`);
        out.push(indent(v.message, 6));
    }
    const warned = report.warnings.length ? `; ${report.warnings.length} warning(s) above` : "";
    const why =
        report.status === "incomplete"
            ? ": pulumi up cannot run without the AWS region warned about above"
            : strict && warned && exitCode(report, strict) === 1
              ? "; --strict fails on a warning"
              : "";
    out.push("", `Result: ${report.status} (exit ${exitCode(report, strict)})${warned}${why}`);
    return out.join("\n");
}

/** A line as it is, or wrapped when it is longer than 116 characters, keeping its indent. */
function fit(line: string): string[] {
    return line.length <= 116 ? [line] : wrap(line.trimStart(), line.length - line.trimStart().length);
}

/** Prose lines of at most 116 characters, continued with an indent. */
function wrap(text: string, by = 0, width = 116): string[] {
    const lines: string[] = [];
    let line = " ".repeat(by);
    for (const word of text.split(" ")) {
        if (line.trim() && line.length + 1 + word.length > width) {
            lines.push(line);
            line = `${" ".repeat(by + 2)}${word}`;
        } else {
            line = line.trim() ? `${line} ${word}` : `${line}${word}`;
        }
    }
    return [...lines, line];
}

function describeExclusivity(held: ReviewReport["exclusivePolicies"]): string[] {
    if (!held) {
        return [
            "Policy sets NOT held exclusively (cloudglue:exclusivePolicies false): a policy added to the role outside",
            "  the stack stays on it, unseen by pulumi preview, refresh and the policy pack.",
        ];
    }
    const list = (items: string[]) => (items.length ? items.join(", ") : "none");
    return [
        `Policy sets held exclusively: inline policies exactly ${list(held.inlinePolicyNames)}; ` +
            `managed policies exactly ${list(held.managedPolicyArns)}.`,
        "  A policy added to the role outside the stack is removed on the next pulumi up.",
    ];
}

/**
 * Advisory violations inform, as they do in `pulumi up`; a mandatory one fails the review, and so
 * does a missing region (pulumi up cannot run); with --strict, any warning.
 */
function exitCode(report: ReviewReport, strict: boolean): number {
    const passes = report.status === "clean" || report.status === "advisories only";
    return passes && !(strict && report.warnings.length > 0) ? 0 : 1;
}

function indent(text: string, by = 2): string {
    return text
        .split("\n")
        .map((line) => " ".repeat(by) + line)
        .join("\n");
}

async function main(argv: string[]): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                "config-file": { type: "string" },
                "policy-pack-config": { type: "string" },
                json: { type: "boolean", default: false },
                output: { type: "string" },
                strict: { type: "boolean", default: false },
                help: { type: "boolean", default: false },
            },
        }));
    } catch (error) {
        console.error(`${(error as Error).message}\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    if ((values.stack === undefined) === (values["config-file"] === undefined)) {
        console.error(`Give exactly one of --stack and --config-file.\n${USAGE}`);
        return 2;
    }
    const file = values.stack
        ? path.join(PROJECT_ROOT, `Pulumi.${values.stack}.yaml`)
        : path.resolve(String(values["config-file"]));
    if (!fs.existsSync(file)) {
        console.error(`No config file ${file}.\n${USAGE}`);
        return 2;
    }
    let policyPackConfig;
    if (values["policy-pack-config"] !== undefined) {
        try {
            policyPackConfig = JSON.parse(fs.readFileSync(String(values["policy-pack-config"]), "utf8"));
        } catch (error) {
            console.error(`--policy-pack-config: ${(error as Error).message}\n${USAGE}`);
            return 2;
        }
    }
    let report;
    try {
        report = await review(file, policyPackConfig, (step) => console.error(step), process.env);
    } catch (error) {
        if (error instanceof PolicyPackConfigError) {
            console.error(`--policy-pack-config ${values["policy-pack-config"]}: ${error.message}`);
            return 2;
        }
        throw error;
    }
    if (values["policy-pack-config"] !== undefined) {
        report.policyPackConfig = path.resolve(String(values["policy-pack-config"]));
    }
    if (values.output !== undefined) {
        fs.writeFileSync(String(values.output), `${JSON.stringify(report, null, 2)}\n`);
    }
    console.log(values.json ? JSON.stringify(report, null, 2) : render(report, values.strict));
    return exitCode(report, values.strict);
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    },
);
