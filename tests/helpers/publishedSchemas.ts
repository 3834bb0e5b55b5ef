/**
 * The published OpenAPI schemas of Cloudglue's data-connector endpoints, as a JSON-Schema
 * validator: what every answer of the emulator's published endpoints must satisfy. The spec file
 * is a verbatim copy of shared/reference/cloudglue-openapi-data-connectors.json, kept in the
 * project (and out of Prettier's reach) so the tests run in any checkout.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { PROJECT_ROOT } from "../../scripts/lib/programRun";

export const SPEC_FILE = path.join(PROJECT_ROOT, "emulator", "cloudglue-openapi-data-connectors.json");

export type PublishedSchema = "DataConnectorList" | "DataConnectorFileList" | "DataConnector" | "Error";

let ajv: Ajv | undefined;

/** The validator's complaints about `value` against the named schema; empty when it conforms. */
export function schemaErrors(schema: PublishedSchema, value: unknown): string[] {
    if (!ajv) {
        const spec = JSON.parse(fs.readFileSync(SPEC_FILE, "utf8")) as { schemas: Record<string, unknown> };
        // The spec's $refs point at #/components/schemas/..., where OpenAPI keeps them; `nullable`
        // is OpenAPI's own keyword, which Ajv understands.
        ajv = new Ajv({ allErrors: true, strict: false });
        ajv.addSchema({ components: { schemas: spec.schemas } }, "cloudglue");
    }
    const validate = ajv.getSchema(`cloudglue#/components/schemas/${schema}`);
    if (!validate) {
        throw new Error(`no schema ${schema} in ${SPEC_FILE}`);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}
