/**
 * cloudglue-trust-requires-external-id during a rotation (issue 21): it accepts exactly the trust
 * the component builds for a grace window, and nothing near it.
 */
import * as assert from "assert";
import { buildTrustPolicy } from "../../components/iamDocuments";
import { isoDeadline } from "../../components/externalIdRotation";
import { trustRequiresExternalId } from "../../policy-pack/policies/trustRequiresExternalId";
import { ResourceSpec, violations } from "./helpers";

const NAME = "cloudglue-external-s3-access-role";
const CURRENT = "Current-External-Id-0123456789";
const PREVIOUS = "Previous-External-Id-0123456789";
const HOUR = 3_600_000;
const inHours = (hours: number) => isoDeadline(Date.now() + hours * HOUR);

const role = (trust: object): ResourceSpec => ({
    type: "aws:iam/role:Role",
    name: "role",
    props: {
        name: NAME,
        arn: `arn:aws:iam::111122223333:role/${NAME}`,
        assumeRolePolicy: JSON.stringify(trust),
    },
});
const rotating = (until = inHours(72)) => buildTrustPolicy(CURRENT, { externalId: PREVIOUS, until });
/** The component's grace-window trust with its second statement changed. */
function withGrace(change: (grace: Record<string, unknown>) => void): object {
    const trust = rotating() as unknown as { Statement: Record<string, unknown>[] };
    change(trust.Statement[1]);
    return trust;
}
const judge = (trust: object) => violations(trustRequiresExternalId, role(trust));

describe("policy pack: the trust during a rotation's grace window", () => {
    it("accepts the component's grace-window trust, up to 720 hours after the run", async () => {
        assert.deepStrictEqual(await judge(rotating()), []);
        assert.deepStrictEqual(await judge(rotating(inHours(719.9))), []);
    });

    it("accepts an expired grace statement: IAM refuses its ID already, and the next up removes it", async () => {
        assert.deepStrictEqual(await judge(rotating(inHours(-1))), []);
    });

    const nearMisses: [string, () => object, RegExp][] = [
        [
            "no deadline (the same statement twice)",
            () => withGrace((g) => ((g.Condition as Record<string, unknown>).DateLessThan = undefined)),
            /2 Allow statements; it must have exactly one/,
        ],
        ["a deadline too far (> 720 h after the run)", () => rotating(inHours(721)), /more than 720 hours from now/],
        [
            "a deadline that is not a literal date",
            () => rotating("${aws:TokenIssueTime}"),
            /not one literal date in ISO 8601 UTC/,
        ],
        [
            "a list of deadlines",
            () =>
                withGrace(
                    (g) =>
                        ((g.Condition as Record<string, unknown>).DateLessThan = {
                            "aws:CurrentTime": [inHours(1), inHours(9000)],
                        }),
                ),
            /not one literal date/,
        ],
        [
            "another condition key (aws:EpochTime)",
            () =>
                withGrace(
                    (g) => ((g.Condition as Record<string, unknown>).DateLessThan = { "aws:EpochTime": inHours(1) }),
                ),
            /DateLessThan on aws:EpochTime/,
        ],
        [
            "another operator (DateLessThanEquals)",
            () =>
                withGrace((g) => {
                    const condition = g.Condition as Record<string, unknown>;
                    condition.DateLessThanEquals = condition.DateLessThan;
                    delete condition.DateLessThan;
                }),
            /DateLessThanEquals on aws:CurrentTime/,
        ],
        [
            "another operator (DateGreaterThan, which never closes)",
            () =>
                withGrace((g) => {
                    const condition = g.Condition as Record<string, unknown>;
                    condition.DateGreaterThan = condition.DateLessThan;
                    delete condition.DateLessThan;
                }),
            /DateGreaterThan on aws:CurrentTime/,
        ],
        [
            "one more condition besides the deadline",
            () =>
                withGrace(
                    (g) => ((g.Condition as Record<string, unknown>).IpAddress = { "aws:SourceIp": "203.0.113.0/24" }),
                ),
            /IpAddress on aws:SourceIp/,
        ],
        [
            "a looser ID match (StringLike)",
            () =>
                withGrace((g) => {
                    const condition = g.Condition as Record<string, unknown>;
                    condition.StringLike = condition.StringEquals;
                    delete condition.StringEquals;
                }),
            /StringLike on sts:ExternalId/,
        ],
        [
            "a looser ID match (two IDs)",
            () =>
                withGrace(
                    (g) =>
                        ((g.Condition as Record<string, unknown>).StringEquals = {
                            "sts:ExternalId": [PREVIOUS, "Another-External-Id-0123456789"],
                        }),
                ),
            /no StringEquals condition on sts:ExternalId with one value/,
        ],
        [
            "a looser ID match (a short previous ID)",
            () =>
                withGrace(
                    (g) => ((g.Condition as Record<string, unknown>).StringEquals = { "sts:ExternalId": "short" }),
                ),
            /external ID of 5 characters/,
        ],
        [
            "another principal",
            () => withGrace((g) => (g.Principal = { AWS: "arn:aws:iam::444455556666:root" })),
            /trusts "AWS:arn:aws:iam::444455556666:root"/,
        ],
        ["another action", () => withGrace((g) => (g.Action = "sts:*")), /allows \["sts:\*"\]/],
        [
            "three statements",
            () => {
                const trust = rotating() as unknown as { Statement: unknown[] };
                trust.Statement.push(
                    buildTrustPolicy("Third-External-Id-0123456789", {
                        externalId: "Fourth-External-Id-0123456789",
                        until: inHours(1),
                    }).Statement[1],
                );
                return trust;
            },
            /3 Allow statements/,
        ],
        [
            "two grace statements and no plain one",
            () => {
                const trust = rotating() as unknown as { Statement: unknown[] };
                trust.Statement[0] = trust.Statement[1];
                return trust;
            },
            /2 Allow statements; it must have exactly one/,
        ],
    ];
    for (const [label, trust, says] of nearMisses) {
        it(`refuses a near miss: ${label}`, async () => {
            const found = await judge(trust());
            assert.ok(found.length >= 1, `no violation for ${label}`);
            assert.ok(
                found.some((message) => says.test(message)),
                found.join("\n"),
            );
            for (const message of found) {
                assert.ok(!message.includes(PREVIOUS) && !message.includes(CURRENT), message);
            }
        });
    }
});
