import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("cloudglue-s3-connector", { policies });
