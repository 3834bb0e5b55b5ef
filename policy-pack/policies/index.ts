import { allowedBuckets } from "./allowedBuckets";
import { leastPrivilege } from "./leastPrivilege";
import { oneRoleOneConnector } from "./oneRoleOneConnector";
import { roleName } from "./roleName";
import { trustRequiresExternalId } from "./trustRequiresExternalId";

export { allowedBuckets, leastPrivilege, oneRoleOneConnector, roleName, trustRequiresExternalId };

export const policies = [roleName, trustRequiresExternalId, leastPrivilege, allowedBuckets, oneRoleOneConnector];
