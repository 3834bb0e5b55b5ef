/**
 * What the policies know about Cloudglue's connector, and how they recognise its resources. The
 * pack installs and publishes on its own, so it keeps its own copy of Cloudglue's fixed facts;
 * a test keeps them equal to the program's (components/constants.ts).
 */
import { UnknownValueError } from "@pulumi/policy";

export const CLOUDGLUE_ACCOUNT_ID = "992382634011";
export const CLOUDGLUE_PRINCIPAL_ARN = `arn:aws:iam::${CLOUDGLUE_ACCOUNT_ID}:root`;
export const ROLE_NAME = "cloudglue-external-s3-access-role";
export const TRANSFER_BUCKET = "cloudglue-external-transfer";
export const COMPONENT_TYPE = "cloudglue:aws:S3AccessRole";
export const CONNECTOR_TYPE = "pulumi-nodejs:dynamic/cloudglue:S3Connector";

export const ROLE_TYPE = "aws:iam/role:Role";
export const ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy";
export const ROLE_POLICY_ATTACHMENT_TYPE = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const POLICY_ATTACHMENT_TYPE = "aws:iam/policyAttachment:PolicyAttachment";

export interface ResourceView {
    type: string;
    urn: string;
    props: Record<string, unknown>;
}

export interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: unknown;
    NotPrincipal?: unknown;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Reads a property that may be unknown at preview. The policy SDK throws on an unknown, which
 * turns the whole policy into an advisory "can't run during preview"; where a policy can still
 * decide without the value, it reads it through here.
 */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (error) {
        if (error instanceof UnknownValueError) {
            return undefined;
        }
        throw error;
    }
}

export function asList<T>(value: T | T[] | undefined): T[] {
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A policy document given as JSON text (as Pulumi sends it) or as an object. */
export function parseStatements(document: unknown): Statement[] {
    const parsed = typeof document === "string" ? JSON.parse(document) : document;
    return asList((parsed as { Statement?: Statement | Statement[] } | undefined)?.Statement);
}

/** The type chain in a URN, e.g. `cloudglue:aws:S3AccessRole$aws:iam/role:Role`. */
function typeChain(urn: string): string[] {
    return (urn.split("::")[2] ?? "").split("$");
}

export function isInsideCloudglueComponent(urn: string): boolean {
    return typeChain(urn).slice(0, -1).includes(COMPONENT_TYPE);
}

/**
 * A name meant to be the access role's: "cloudglue" with "s3" or "access" in it, whatever the case
 * and separators. Another role of a team that uses Cloudglue ("cloudglue-uploader") is left alone.
 */
function looksLikeCloudglueName(name: unknown): boolean {
    const letters = typeof name === "string" ? name.toLowerCase().replace(/[^a-z0-9]/g, "") : "";
    return letters.includes("cloudglue") && (letters.includes("s3") || letters.includes("access"));
}

function trustNamesCloudglue(assumeRolePolicy: unknown): boolean {
    try {
        return JSON.stringify(parseStatements(assumeRolePolicy)).includes(CLOUDGLUE_ACCOUNT_ID);
    } catch {
        return false;
    }
}

/**
 * The Cloudglue access role, recognised by the component it belongs to, by a trust policy naming
 * Cloudglue's account, or by a name that looks like it. The trust policy is unknown at preview
 * (it holds the external ID not yet generated), so the other two must carry the check then.
 */
export function isCloudglueRole(resource: ResourceView): boolean {
    if (resource.type !== ROLE_TYPE) {
        return false;
    }
    const props = resource.props;
    return (
        isInsideCloudglueComponent(resource.urn) ||
        looksLikeCloudglueName(known(() => props.name)) ||
        looksLikeCloudglueName(known(() => props.namePrefix)) ||
        trustNamesCloudglue(known(() => props.assumeRolePolicy))
    );
}

/** An inline policy of the Cloudglue role: inside the component, or attached to the role by name. */
export function isCloudglueRolePolicy(resource: ResourceView): boolean {
    return (
        resource.type === ROLE_POLICY_TYPE &&
        (isInsideCloudglueComponent(resource.urn) || known(() => resource.props.role) === ROLE_NAME)
    );
}

/** The bucket a resource ARN of S3 names, or undefined for anything else. */
export function bucketOf(arn: string): string | undefined {
    const match = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(arn);
    return match?.[1];
}
