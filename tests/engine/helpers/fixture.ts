/**
 * What every engine suite stands on: moto_server (loaded with AWS's managed policies, so that a
 * program can attach one) and the Cloudglue emulator on loopback, and a project copy with the
 * dev stack initialised and its API key set as a secret, as the README's Deploy does.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { CloudglueEmulator } from "../../../emulator/cloudglueEmulator";
import {
    MOTO_INSTALL_HINT,
    MotoServer,
    motoClientConfig,
    motoServerPath,
    skipOrFail,
    startMoto,
} from "../../helpers/moto";
import { EngineWorkspace, requireEngine } from "./engine";

export const API_KEY = "cg-engine-test-key-8d2e4f6a1b3c5097";
export const ROLE_NAME = "cloudglue-external-s3-access-role";

export interface EngineFixture {
    moto: MotoServer;
    emulator: CloudglueEmulator;
    iam: IAMClient;
    workspace: EngineWorkspace;
}

/**
 * Registers before/after hooks on the calling suite and returns the fixture they fill in.
 * `registrationApi` serves the emulator's registration endpoints (cloudglue:registration api).
 */
export function engineFixture(
    options: { registrationApi?: boolean; initStack?: boolean; linkNodeModules?: boolean } = {},
): EngineFixture {
    const fixture = {} as EngineFixture;
    before(async function () {
        requireEngine(this);
        if (!motoServerPath()) {
            skipOrFail(this, MOTO_INSTALL_HINT);
        }
        fixture.moto = await startMoto({ loadManagedPolicies: true });
        fixture.iam = new IAMClient(motoClientConfig(fixture.moto.endpoint));
        fixture.emulator = await new CloudglueEmulator({
            apiKeys: [API_KEY],
            registrationApi: options.registrationApi ?? false,
        }).start();
        fixture.workspace = await EngineWorkspace.create({
            motoEndpoint: fixture.moto.endpoint,
            apiUrl: fixture.emulator.url,
            linkNodeModules: options.linkNodeModules,
        });
        if (options.initStack ?? true) {
            await fixture.workspace.expectOk(["stack", "init", "dev"]);
            await fixture.workspace.expectOk([
                "config",
                "set",
                "--stack",
                "dev",
                "--secret",
                "cloudglue:apiKey",
                API_KEY,
            ]);
        }
    });
    after(async () => {
        fixture.workspace?.remove();
        await fixture.emulator?.stop();
        await fixture.moto?.stop();
    });
    return fixture;
}
