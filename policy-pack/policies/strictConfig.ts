import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/**
 * Neither the SDK nor the CLI refuses a setting a policy does not declare: the SDK sends only a
 * schema's properties and required list, and the CLI validates against {type, properties,
 * required} (pkg/resource/analyzer/config.go), so a misspelt setting is silently ignored. Each
 * policy therefore checks its own settings and stops the run, naming the one it does not know.
 */
export function strictConfig<P extends ResourceValidationPolicy | StackValidationPolicy>(policy: P): P {
    const known = Object.keys(policy.configSchema?.properties ?? {});
    const check = (config: object) => {
        const unknown = Object.keys(config).filter((key) => !known.includes(key));
        if (unknown.length > 0) {
            throw new Error(
                `the policy pack config gives ${policy.name} the unknown setting(s) ${unknown.map((k) => `"${k}"`).join(", ")}; ` +
                    (known.length
                        ? `its settings are ${known.map((k) => `"${k}"`).join(", ")} and "enforcementLevel"`
                        : 'it has no setting but "enforcementLevel"') +
                    ". Fix the name in the --policy-pack-config file.",
            );
        }
    };
    if ("validateStack" in policy) {
        const validate = policy.validateStack;
        return {
            ...policy,
            validateStack: (args, report) => {
                check(args.getConfig());
                return validate(args, report);
            },
        };
    }
    const resourcePolicy = policy as ResourceValidationPolicy;
    const validations = [resourcePolicy.validateResource ?? []].flat();
    return {
        ...resourcePolicy,
        validateResource: validations.map((validate): typeof validate => (args, report) => {
            check(args.getConfig());
            return validate(args, report);
        }),
    } as P;
}
