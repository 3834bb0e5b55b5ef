import { allowedBuckets } from "./allowedBuckets";
import { exclusivePolicyNames } from "./exclusivePolicyNames";
import { leastPrivilege } from "./leastPrivilege";
import { oneRoleOneConnector } from "./oneRoleOneConnector";
import { recognisedResources } from "./recognisedResources";
import { roleName } from "./roleName";
import { trustRequiresExternalId } from "./trustRequiresExternalId";

export {
    allowedBuckets,
    exclusivePolicyNames,
    leastPrivilege,
    oneRoleOneConnector,
    recognisedResources,
    roleName,
    trustRequiresExternalId,
};

export const policies = [
    roleName,
    trustRequiresExternalId,
    leastPrivilege,
    recognisedResources,
    allowedBuckets,
    oneRoleOneConnector,
    exclusivePolicyNames,
];
