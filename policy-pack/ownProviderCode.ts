// Written by `npm run pack:provider-code`; a test fails while it is behind components/.
/** The sha256 of the provider code each of this project's dynamic resources serializes into the stack. */
export const OWN_PROVIDER_CODE_SHA256: Record<string, string> = {
    "pulumi-nodejs:dynamic/cloudglue:ExternalIdRotation":
        "62e8b8e63a3771b97ecd4d09dff5b13fd8c13a1665131abb18f4ddad1bc0e084",
    "pulumi-nodejs:dynamic/cloudglue:S3Connector": "51d1decb6dc725785e0495f6e7e53d9621e5d8029769c61e0f98d5f1307bd87e",
};
