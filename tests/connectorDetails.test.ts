import * as assert from "assert";
import { buildTrustPolicy } from "../components/iamDocuments";
import { connectorDetails } from "../scripts/connector-details";

const ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";
const envelope = (value: unknown, shown = true) => ({
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    ...(shown ? { plaintext: JSON.stringify(value) } : { ciphertext: "AAAA" }),
});
const exported = (assumeRolePolicy: unknown) => ({
    deployment: {
        resources: [
            { type: "pulumi:pulumi:Stack", outputs: {} },
            {
                type: "aws:iam/role:Role",
                outputs: { name: "cloudglue-external-s3-access-role", arn: ARN, assumeRolePolicy },
            },
        ],
    },
});

describe("npm run connector-details", () => {
    it("reads the role ARN and the external ID from `pulumi stack export --show-secrets`", () => {
        const trust = JSON.stringify(buildTrustPolicy("Gen3rated+Id=/x"));
        assert.deepStrictEqual(connectorDetails(exported(envelope(trust))), {
            roleArn: ARN,
            externalId: "Gen3rated+Id=/x",
        });
    });

    it("says what to do when the export hides secrets or the role is not deployed yet", () => {
        assert.throws(() => connectorDetails(exported(envelope("x", false))), /--show-secrets/);
        assert.throws(() => connectorDetails({ deployment: { resources: [] } }), /run `pulumi up` first/);
    });
});
