/**
 * Taking over a Cloudglue role made by the vendor's CloudFormation template or by hand. Before
 * anything is imported the program reads the role (an invoke, so preview does it too) and checks
 * that its trust policy is the one the config describes; a mismatch stops the run with the key to
 * set, instead of an import that half-succeeds.
 */
import { CLOUDGLUE_ACCOUNT_ID, CLOUDGLUE_PRINCIPAL_ARN, ROLE_NAME } from "./constants";
import { asList } from "./iamDocuments";

interface TrustStatement {
    Effect?: string;
    Principal?: { AWS?: string | string[] } | string;
    Action?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

/** IAM returns the document URL-encoded; the AWS provider usually decodes it. Accept both. */
export function parseTrustPolicy(document: string): TrustStatement[] {
    const text = document.trim().startsWith("%7B") ? decodeURIComponent(document) : document;
    return asList((JSON.parse(text) as { Statement?: TrustStatement | TrustStatement[] }).Statement);
}

/** What keeps the existing role's trust policy from being the one this stack would write. */
export function existingTrustProblems(document: string, externalId: string): string[] {
    let statements: TrustStatement[];
    try {
        statements = parseTrustPolicy(document);
    } catch {
        return [`the trust policy of the existing role ${ROLE_NAME} is not a JSON policy document`];
    }
    const allows = statements.filter((s) => s.Effect === "Allow");
    const principals = allows.flatMap((s) =>
        typeof s.Principal === "string" ? [s.Principal] : asList(s.Principal?.AWS),
    );
    const problems: string[] = [];
    const foreign = principals.filter((p) => p !== CLOUDGLUE_PRINCIPAL_ARN && p !== CLOUDGLUE_ACCOUNT_ID);
    if (principals.length === 0 || foreign.length > 0) {
        problems.push(
            `the existing role ${ROLE_NAME} trusts ${foreign.length ? foreign.join(", ") : "no AWS principal"}, ` +
                `not only Cloudglue's account (${CLOUDGLUE_PRINCIPAL_ARN}). It is not the role the vendor's template makes: ` +
                "fix its trust policy in IAM, or delete it and turn cloudglue:adoptExistingRole off to let the stack create it",
        );
    }
    const ids = allows.flatMap((s) => asList(s.Condition?.StringEquals?.["sts:ExternalId"]));
    if (ids.length === 0) {
        problems.push(
            `the existing role ${ROLE_NAME} trusts Cloudglue without an external ID condition; ` +
                "the stack will add it, but cannot import a trust policy that differs this much: add the condition in IAM first " +
                "(Trust relationships → StringEquals sts:ExternalId) with the ID Cloudglue holds, then run again",
        );
    } else if (!ids.includes(externalId)) {
        // Both values are secrets: say that they differ, never what they are.
        problems.push(
            `cloudglue:externalId does not match the external ID in the trust policy of the existing role ${ROLE_NAME}. ` +
                "Set the ID Cloudglue holds (the CloudFormation stack's ExternalId parameter, or the one you entered in " +
                "Cloudglue's web app): pulumi config set --secret cloudglue:externalId <id>",
        );
    }
    return problems;
}

export interface AttachedPolicy {
    policyArn: string;
    policyName: string;
}

/**
 * What the next `up` removes from an adopted role when the stack holds its policy sets
 * exclusively: every inline policy but the stack's, every managed policy. Said before anything
 * changes, by name, with the way to keep them; undefined when there is nothing to remove.
 */
export function policiesToRemoveMessage(
    inlinePolicyNames: readonly string[],
    attachedPolicies: readonly AttachedPolicy[],
    stackPolicyName: string,
): string | undefined {
    const lines = [
        ...inlinePolicyNames.filter((name) => name !== stackPolicyName).map((name) => `inline policy ${name}`),
        ...attachedPolicies.map((p) => `managed policy ${p.policyName} (${p.policyArn})`),
    ];
    if (lines.length === 0) {
        return undefined;
    }
    return (
        `cloudglue:exclusivePolicies is on, so the next pulumi up removes from the role ${ROLE_NAME}\n` +
        `what this stack does not declare:\n${lines.map((l) => `  - ${l}`).join("\n")}\n` +
        "To keep them, turn the setting off before that up: pulumi config set cloudglue:exclusivePolicies false\n" +
        "(the stack then no longer removes policies added outside it). To let them go, run up as it is.\n"
    );
}
