/**
 * `npm run review -- --stack dev` (or `--config-file <file>`): what a stack will create and
 * grant, and whether the policy pack passes, offline. Exit 0 when clean or advisories only, 1 on
 * a mandatory violation or an invalid config, 2 on a usage error or a policy pack config the pack
 * does not know. `--json` prints one report for CI (run it as `npm run -s review`, so that npm
 * prints no banner before it); `--output <file>` writes that report to a file as well, for a CI
 * step that reads it.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { describeAccess } from "./lib/accessSummary";
import { PROJECT_ROOT } from "./lib/programRun";
import { PolicyPackConfigError, review, ReviewReport } from "./lib/review";

const USAGE =
    "usage: npm run review -- (--stack <name> | --config-file <Pulumi.<stack>.yaml>) [--policy-pack-config <file>] [--json] [--output <report.json>]";

function render(report: ReviewReport): string {
    const out: string[] = [`Review of ${path.relative(process.cwd(), report.configFile) || report.configFile}`, ""];
    if (report.status === "invalid-config") {
        out.push("The stack config is invalid; `pulumi up` would stop with:");
        out.push(...report.configErrors.map((e) => `  - ${e}`));
        out.push("", "Result: invalid config (exit 1)");
        return out.join("\n");
    }
    out.push("Resources, in declaration order:");
    const typeWidth = Math.max(...report.resources.map((r) => r.type.length));
    for (const r of report.resources) {
        out.push(`  ${r.type.padEnd(typeWidth)}  ${r.name}${r.parent ? `  (parent: ${r.parent})` : ""}`);
    }
    if (report.documents && report.access) {
        out.push("", "Trust policy (assumeRolePolicy), as sent to AWS:");
        out.push(indent(JSON.stringify(report.documents.trustPolicy, null, 2)));
        out.push("", "Inline policy CloudglueExternalS3AccessPolicy, as sent to AWS:");
        out.push(indent(JSON.stringify(report.documents.inlinePolicy, null, 2)));
        out.push("", ...describeAccess(report.access));
        out.push(...describeExclusivity(report.exclusivePolicies));
    }
    out.push("", `Policy pack ${report.policyPack?.name}@v${report.policyPack?.version}:`);
    if (report.violations.length === 0) {
        out.push("  no violations");
    }
    for (const v of report.violations) {
        out.push(`  [${v.level}] ${v.policy}${v.resource ? ` (${v.resource})` : " (stack)"}`);
        out.push(indent(v.message, 6));
    }
    out.push("", `Result: ${report.status} (exit ${exitCode(report)})`);
    return out.join("\n");
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

/** Advisory violations inform, as they do in `pulumi up`; only a mandatory one fails the review. */
function exitCode(report: ReviewReport): number {
    return report.status === "clean" || report.status === "advisories only" ? 0 : 1;
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
            },
        }));
    } catch (error) {
        console.error(`${(error as Error).message}\n${USAGE}`);
        return 2;
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
        report = await review(file, policyPackConfig);
    } catch (error) {
        if (error instanceof PolicyPackConfigError) {
            console.error(`--policy-pack-config ${values["policy-pack-config"]}: ${error.message}`);
            return 2;
        }
        throw error;
    }
    if (values.output !== undefined) {
        fs.writeFileSync(String(values.output), `${JSON.stringify(report, null, 2)}\n`);
    }
    console.log(values.json ? JSON.stringify(report, null, 2) : render(report));
    return exitCode(report);
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    },
);
