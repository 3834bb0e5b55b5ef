/**
 * The rules the Pulumi CLI applies to Pulumi.yaml and stack files, which mocks never apply.
 * Transcribed from the CLI's source (pulumi/pulumi, sdk/go/common/workspace): the project schema
 * project.json (configTypeDeclaration), Project.Validate and ValidateConfigValue in project.go,
 * and validateStackConfigValue / mergeConfig in config.go.
 */
export interface ConfigDeclaration {
    type?: string;
    items?: { type: string; items?: unknown };
    description?: string;
    secret?: boolean;
    default?: unknown;
    value?: unknown;
}

const DECLARATION_FIELDS = ["type", "items", "description", "secret", "default", "value"];
const SIMPLE_TYPES = ["string", "integer", "boolean", "array"];

export function isNamespacedByProject(project: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${project}:`);
}

/** ValidateConfigValue: what a typed key accepts (YAML numbers, and strings that parse). */
export function valueMatchesType(type: string, items: ConfigDeclaration["items"], value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return (
                (typeof value === "number" && Number.isInteger(value)) ||
                (typeof value === "string" && /^[-+]?\d+$/.test(value))
            );
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        default:
            return (
                Array.isArray(value) &&
                items !== undefined &&
                value.every((item) => valueMatchesType(items.type, items.items as ConfigDeclaration["items"], item))
            );
    }
}

/** The errors `pulumi` would print on loading the project, empty when it loads. */
export function projectConfigErrors(project: string, config: Record<string, unknown>): string[] {
    const errors: string[] = [];
    for (const [key, raw] of Object.entries(config)) {
        if (raw === null || typeof raw !== "object") {
            continue; // a bare string, integer or boolean is a value
        }
        const declaration = raw as ConfigDeclaration;
        for (const field of Object.keys(declaration)) {
            if (!DECLARATION_FIELDS.includes(field)) {
                errors.push(`${key}: additional property '${field}' is not allowed`);
            }
        }
        if (declaration.type !== undefined && !SIMPLE_TYPES.includes(declaration.type)) {
            errors.push(`${key}: type must be one of ${SIMPLE_TYPES.join(", ")}`);
        }
        if (declaration.default !== undefined && declaration.value !== undefined) {
            errors.push(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        }
        if (isNamespacedByProject(project, key)) {
            if (declaration.type === "array" && declaration.items === undefined) {
                errors.push(
                    `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
                );
            }
            if (
                declaration.type !== undefined &&
                declaration.default !== undefined &&
                !valueMatchesType(declaration.type, declaration.items, declaration.default)
            ) {
                errors.push(
                    `The default value specified for configuration key '${key}' is not of the expected type '${declaration.type}'`,
                );
            }
        } else {
            if (declaration.type !== undefined) {
                errors.push(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
            }
            if (declaration.default !== undefined) {
                errors.push(
                    `Configuration key '${key}' is not namespaced by the project and should not define a default value.`,
                );
            }
            if (declaration.value === undefined) {
                errors.push(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
            }
        }
    }
    return errors;
}

/** The errors `pulumi up --stack <stack>` would print on merging a stack file with the project's declarations. */
export function stackConfigErrors(
    project: string,
    stack: string,
    declarations: Record<string, unknown>,
    stackConfig: Record<string, unknown>,
): string[] {
    const errors: string[] = [];
    const fullKey = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
    const stackValues = new Map(Object.entries(stackConfig).map(([k, v]) => [fullKey(k), v]));
    for (const [key, raw] of Object.entries(declarations)) {
        const declaration = (raw !== null && typeof raw === "object" ? raw : { value: raw }) as ConfigDeclaration;
        const value = stackValues.get(fullKey(key));
        if (value === undefined) {
            if (
                declaration.default === undefined &&
                declaration.value === undefined &&
                isNamespacedByProject(project, key)
            ) {
                errors.push(`Stack '${stack}' is missing configuration value '${key}'`);
            }
            continue;
        }
        const secure = value !== null && typeof value === "object" && "secure" in value;
        if (declaration.secret && !secure) {
            errors.push(`Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
        }
        if (
            declaration.type !== undefined &&
            !secure &&
            !valueMatchesType(declaration.type, declaration.items, value)
        ) {
            errors.push(`Stack '${stack}' with configuration key '${key}' must be of type '${declaration.type}'`);
        }
    }
    return errors;
}
