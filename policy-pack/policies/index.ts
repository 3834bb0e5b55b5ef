import { allowedBuckets } from "./allowedBuckets";
import { exclusivePolicyNames } from "./exclusivePolicyNames";
import { leastPrivilege } from "./leastPrivilege";
import { noRoleChaining } from "./noRoleChaining";
import { oneRoleOneConnector } from "./oneRoleOneConnector";
import { recognisedResources } from "./recognisedResources";
import { roleName } from "./roleName";
import { trustRequiresExternalId } from "./trustRequiresExternalId";

export {
    allowedBuckets,
    exclusivePolicyNames,
    leastPrivilege,
    noRoleChaining,
    oneRoleOneConnector,
    recognisedResources,
    roleName,
    trustRequiresExternalId,
};

export const policies = [
    roleName,
    trustRequiresExternalId,
    leastPrivilege,
    noRoleChaining,
    recognisedResources,
    allowedBuckets,
    oneRoleOneConnector,
    exclusivePolicyNames,
];
