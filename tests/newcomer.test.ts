/**
 * What a first-time user meets: every script's --help, the emulator's keys, port and stop, the
 * review's role, mode, warnings and result, and the one rule for the API key and URL.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { resolveApiSource } from "../components/apiSource";
import { DEFAULT_API_URL } from "../components/cloudglueApi";
import { connectorProvider } from "../components/connectorProvider";
import { onlyOfType, PROJECT_ROOT, runProgram } from "../scripts/lib/programRun";
import { review, statusOf } from "../scripts/lib/review";
import { startLine } from "../scripts/verify-access";
import { freePort } from "./helpers/machine";
import { runScript } from "./helpers/processes";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cg-newcomer-"));
const DEV_KEY = "cg-emulator-local-development-key";

function stackFile(name: string, config: Record<string, unknown>): string {
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, toYaml({ config }));
    return file;
}

describe("every script answers --help, and refuses an unknown option with exit 2", function () {
    this.timeout(60_000);
    const scripts: [string, string][] = [
        ["review", "scripts/review.ts"],
        ["verify", "scripts/verify-access.ts"],
        ["emulator", "emulator/main.ts"],
        ["doctor", "scripts/doctor.ts"],
        ["bench", "scripts/bench.ts"],
        ["bench:access", "scripts/bench-access.ts"],
        ["bench:doctor", "scripts/bench-doctor.ts"],
    ];
    it("each npm script in package.json is one of these", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));
        for (const [name, file] of scripts) {
            assert.match(pkg.scripts[name], new RegExp(`ts-node --transpile-only ${file.replace(".", "\\.")}$`));
        }
    });
    for (const [name, file] of scripts) {
        it(`npm run ${name} -- --help`, async () => {
            const [help, wrong] = await Promise.all([
                runScript(file, ["--help"]),
                runScript(file, ["--no-such-option"]),
            ]);
            assert.strictEqual(help.code, 0, help.stderr);
            assert.match(help.stdout, new RegExp(`^usage: npm run ${name}\\b`));
            assert.strictEqual(help.stderr, "");
            assert.strictEqual(wrong.code, 2, wrong.stdout + wrong.stderr);
            assert.match(wrong.stderr, /--no-such-option/);
            assert.match(wrong.stderr, new RegExp(`usage: npm run ${name}\\b`));
            assert.ok(!/\n\s+at /.test(wrong.stderr), "no stack trace");
        });
    }
});

function listening(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
    });
}

async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
        if (await condition()) {
            return true;
        }
    }
    return condition();
}

/** Starts a command and resolves once its stdout says the emulator is up. */
function started(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (chunk) => {
            out += chunk;
            if (/Cloudglue emulator on http:\/\/127\.0\.0\.1:\d+/.test(out)) {
                resolve(out);
            }
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code} before it started: ${out}`)));
    });
}

const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) =>
        child.exitCode !== null ? resolve(child.exitCode) : child.once("exit", (code) => resolve(code)),
    );

describe("the emulator as a newcomer runs it", function () {
    this.timeout(60_000);
    const emulatorArgs = (port: number) => [
        "--require",
        "ts-node/register/transpile-only",
        "emulator/main.ts",
        "--memory",
        "--port",
        String(port),
    ];

    it("accepts the development key and the key in CLOUDGLUE_API_KEY, and nothing else", async () => {
        const port = await freePort();
        const child = spawn(process.execPath, emulatorArgs(port), {
            cwd: PROJECT_ROOT,
            env: { ...process.env, CLOUDGLUE_API_KEY: "cg-my-own-key" },
        });
        try {
            await started(child);
            const status = async (key: string) =>
                (
                    await fetch(`http://127.0.0.1:${port}/v1/data-connectors`, {
                        headers: { Authorization: `Bearer ${key}` },
                    })
                ).status;
            assert.deepStrictEqual(
                [await status(DEV_KEY), await status("cg-my-own-key"), await status("cg-someone-else")],
                [200, 200, 401],
            );
        } finally {
            child.kill();
        }
    });

    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        it(`stops on ${signal}, freeing its port`, async () => {
            const port = await freePort();
            const child = spawn(process.execPath, emulatorArgs(port), { cwd: PROJECT_ROOT });
            await started(child);
            assert.ok(await listening(port));
            child.kill(signal);
            assert.strictEqual(await exited(child), 0);
            assert.strictEqual(await listening(port), false);
        });
    }

    it("stops when the npm that started it is killed (npm run emulator &, then kill %1)", async () => {
        const port = await freePort();
        const npm = spawn("npm", ["run", "-s", "emulator", "--", "--memory", "--port", String(port)], {
            cwd: PROJECT_ROOT,
        });
        try {
            await started(npm);
            npm.kill("SIGTERM");
            await exited(npm);
            assert.ok(await until(async () => !(await listening(port)), 5000), "the emulator still listens");
        } finally {
            npm.kill("SIGKILL");
        }
    });

    it("says in one line that its port is taken, and which process holds it", async () => {
        const port = await freePort();
        const first = spawn(process.execPath, emulatorArgs(port), { cwd: PROJECT_ROOT });
        try {
            await started(first);
            const second = await runScript("emulator/main.ts", ["--memory", "--port", String(port)]);
            assert.strictEqual(second.code, 1);
            const lines = second.stderr.trim().split("\n");
            assert.strictEqual(lines.length, 1, second.stderr);
            assert.match(
                lines[0],
                new RegExp(
                    `^Port ${port} on 127\\.0\\.0\\.1 is already in use: (process ${first.pid} \\(.*\\) holds it: ` +
                        `stop it with kill ${first.pid}|find what holds it with lsof -i :${port})`,
                ),
            );
        } finally {
            first.kill();
        }
    });
});

describe("the review, as a newcomer reads it", function () {
    this.timeout(60_000);

    it("names the role, says the connector mode, and warns of a missing API key, but not of the region", async () => {
        const report = await review(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), undefined, undefined, {});
        assert.deepStrictEqual(report.role, {
            name: "cloudglue-external-s3-access-role",
            path: "/",
            inlinePolicyName: "CloudglueExternalS3AccessPolicy",
            takeOver: null,
        });
        assert.strictEqual(report.connector?.registration, "web");
        assert.strictEqual(report.connector?.connectorId, null);
        assert.match(report.connector?.description ?? "", /^web mode, no connector yet: /);
        assert.deepStrictEqual(
            report.warnings.map((w) => w.kind),
            ["missing-api-key"],
        );
        assert.match(report.warnings[0].message, /cloudglue:apiKey .* CLOUDGLUE_API_KEY/);
        assert.strictEqual(report.status, "clean", "a warning is not a violation");

        const withKey = await review(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), undefined, undefined, {
            CLOUDGLUE_API_KEY: "cg-in-the-environment",
        });
        assert.deepStrictEqual(withKey.warnings, []);
    });

    it("reviews the documents whatever cloudglue:existingPolicyName is, and says api mode and an adopted connector", async () => {
        const steps: string[] = [];
        const renamed = await review(
            stackFile("renamed", {
                "cloudglue:buckets": ["acme-media-dev-raw"],
                "cloudglue:existingPolicyName": "my-cloudglue-policy",
                "cloudglue:registration": "api",
            }),
            undefined,
            (step) => steps.push(step),
            {},
        );
        assert.strictEqual(renamed.role?.inlinePolicyName, "my-cloudglue-policy");
        assert.ok(renamed.documents, "the trust and inline policies are shown");
        assert.deepStrictEqual(
            renamed.access?.buckets.map((b) => b.bucket),
            ["acme-media-dev-raw"],
        );
        assert.strictEqual(renamed.connector?.registration, "api");
        assert.match(
            renamed.connector?.description ?? "",
            /^api mode: .* named pulumi:<organization>\/cloudglue\/renamed#<a token per registration>/,
        );
        assert.deepStrictEqual(
            renamed.warnings.map((w) => w.kind),
            ["missing-api-key", "missing-region"],
        );
        assert.match(renamed.warnings[0].message, /pulumi up stops at the connector without it/);
        assert.match(renamed.warnings[1].message, /pulumi config set aws:region/);
        assert.deepStrictEqual(
            steps.map((s) => s.split(" ").slice(0, 4).join(" ")),
            ["Running the program under", "Running the policy pack"],
        );

        const adopted = await review(
            stackFile("adopted", {
                "aws:region": "eu-west-1",
                "cloudglue:buckets": ["acme-media-dev-raw"],
                "cloudglue:connectorId": "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f",
            }),
            undefined,
            undefined,
            { CLOUDGLUE_API_KEY: "cg-key" },
        );
        assert.match(
            adopted.connector?.description ?? "",
            /^adopts connector 3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f, made in Cloudglue's web app/,
        );
        assert.deepStrictEqual(adopted.warnings, []);
    });

    it("words the result clean, advisories only or violations", () => {
        assert.strictEqual(statusOf([]), "clean");
        assert.strictEqual(statusOf([{ level: "advisory" }]), "advisories only");
        assert.strictEqual(statusOf([{ level: "advisory" }, { level: "mandatory" }]), "violations");
    });

    it("prints the role, the mode and the warnings in text, progress on stderr, and --json stdout stays JSON", async () => {
        const file = stackFile("noregion", { "cloudglue:buckets": ["acme-media-dev-raw"] });
        const env = { CLOUDGLUE_API_KEY: "", AWS_REGION: "", AWS_DEFAULT_REGION: "" };
        const [text, json] = await Promise.all([
            runScript("scripts/review.ts", ["--config-file", file], env),
            runScript("scripts/review.ts", ["--config-file", file, "--json"], env),
        ]);
        // No region: pulumi up cannot run, so a CI gate on the exit code fails.
        assert.strictEqual(text.code, 1, text.stderr);
        assert.match(text.stdout, /^Role: cloudglue-external-s3-access-role \(path \/\)/m);
        assert.match(text.stdout, /^Connector: web mode, no connector yet/m);
        assert.match(text.stdout, /^ {2}\[missing-api-key\] No Cloudglue API key/m);
        assert.match(text.stdout, /^ {2}\[missing-region\] No AWS region/m);
        assert.match(
            text.stdout,
            /\nResult: incomplete \(exit 1\); 2 warning\(s\) above: pulumi up cannot run without the AWS region warned about above\n?$/,
        );
        assert.match(text.stderr, /^Running the program under Pulumi's mocks with Pulumi\.noregion\.yaml/m);
        assert.match(text.stderr, /^Running the policy pack over \d+ resources\.\.\.$/m);
        for (const line of text.stdout.split("\n")) {
            assert.ok(line.length <= 120, `a line over 120 characters: ${line}`);
        }
        assert.strictEqual(json.code, 1, json.stderr);
        const report = JSON.parse(json.stdout);
        assert.strictEqual(report.status, "incomplete");
        assert.strictEqual(report.role.name, "cloudglue-external-s3-access-role");
        assert.match(json.stderr, /^Running the policy pack/m);
    });
});

describe("one rule for the Cloudglue API key and URL", () => {
    it("stack config first, then the environment; for the URL a script's --api-url before both", () => {
        const env = { CLOUDGLUE_API_KEY: "cg-env", CLOUDGLUE_API_URL: "http://127.0.0.1:1111" };
        assert.deepStrictEqual(resolveApiSource({ configKey: "cg-config", configUrl: "http://127.0.0.1:2222", env }), {
            apiKey: "cg-config",
            apiKeySource: "cloudglue:apiKey",
            apiUrl: "http://127.0.0.1:2222",
            apiUrlSource: "cloudglue:apiUrl",
        });
        assert.deepStrictEqual(resolveApiSource({ env }), {
            apiKey: "cg-env",
            apiKeySource: "CLOUDGLUE_API_KEY",
            apiUrl: "http://127.0.0.1:1111",
            apiUrlSource: "CLOUDGLUE_API_URL",
        });
        const flagged = resolveApiSource({ flagUrl: "http://127.0.0.1:3333", configUrl: "http://127.0.0.1:2222", env });
        assert.strictEqual(flagged.apiUrl, "http://127.0.0.1:3333");
        assert.deepStrictEqual(resolveApiSource({ configKey: "", env: { CLOUDGLUE_API_KEY: "" } }), {
            apiKey: "",
            apiKeySource: undefined,
            apiUrl: "https://api.cloudglue.dev",
            apiUrlSource: "default",
        });
        assert.strictEqual(resolveApiSource({ env: {} }).apiUrl, DEFAULT_API_URL);
    });

    it("the provider's configure follows it: the config's key over CLOUDGLUE_API_KEY", async () => {
        const saved = { ...process.env };
        Object.assign(process.env, { CLOUDGLUE_API_KEY: "cg-env", CLOUDGLUE_API_URL: "http://127.0.0.1:1111" });
        try {
            const provider = { ...connectorProvider };
            const config = (values: Record<string, string>) => ({ config: { get: (k: string) => values[k] } });
            await provider.configure?.(config({ "cloudglue:apiKey": "cg-config" }) as never);
            assert.deepStrictEqual(
                [provider.settings?.apiKey, provider.settings?.apiUrl],
                ["cg-config", "http://127.0.0.1:1111"],
            );
            await provider.configure?.(config({ "cloudglue:apiUrl": "http://127.0.0.1:2222" }) as never);
            assert.deepStrictEqual(
                [provider.settings?.apiKey, provider.settings?.apiUrl],
                ["cg-env", "http://127.0.0.1:2222"],
            );
        } finally {
            process.env = saved;
        }
    });

    it("the stack's access check gets the config's URL, or inherits CLOUDGLUE_API_URL as the provider reads it", async () => {
        const base = {
            "aws:region": "us-east-1",
            "cloudglue:buckets": '["acme-media-dev-raw"]',
            "cloudglue:apiKey": "cg-config",
            "cloudglue:registration": "api",
        };
        const check = async (config: Record<string, string>) => {
            const run = await runProgram({ config, secretKeys: ["cloudglue:apiKey"] });
            const provider = String(onlyOfType(run, "pulumi-nodejs:dynamic/cloudglue:S3Connector").inputs.__provider);
            assert.ok(provider.includes("resolveApiSource") && provider.length < 64 * 1024, "small provider text");
            return onlyOfType(run, "command:local:Command").inputs.environment as Record<string, string>;
        };
        const configured = await check({ ...base, "cloudglue:apiUrl": "http://127.0.0.1:2222" });
        assert.strictEqual(configured.CLOUDGLUE_API_URL, "http://127.0.0.1:2222");
        const inherited = await check(base);
        assert.ok(!("CLOUDGLUE_API_URL" in inherited), "the script then reads CLOUDGLUE_API_URL itself");
    });

    it("npm run verify says which API it asks, and how to point it at the emulator when none was given", () => {
        const line = startLine(resolveApiSource({ env: {} }), 2, "3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f", 120);
        assert.match(line, /^Asking Cloudglue at https:\/\/api\.cloudglue\.dev \(Cloudglue's own API/);
        assert.match(line, /give --api-url http:\/\/127\.0\.0\.1:8787/);
        const fromEnv = startLine(resolveApiSource({ env: { CLOUDGLUE_API_URL: "http://127.0.0.1:9" } }), 1, "x", 0);
        assert.match(fromEnv, /at http:\/\/127\.0\.0\.1:9 \(from CLOUDGLUE_API_URL\)/);
    });

    it("npm run verify --stack with a failing Pulumi CLI prints its error once, exit 1", async () => {
        const bin = fs.mkdtempSync(path.join(tmp, "bin-"));
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            "#!/bin/sh\necho \"error: no stack named 'dev' found\" >&2\nexit 255\n",
            { mode: 0o755 },
        );
        const result = await runScript("scripts/verify-access.ts", ["--stack", "dev"], {
            PATH: `${bin}:${path.dirname(process.execPath)}`,
            CLOUDGLUE_API_KEY: "cg-key",
        });
        assert.strictEqual(result.code, 1);
        assert.strictEqual(result.stderr.trim(), "pulumi stack output failed: error: no stack named 'dev' found");
    });

    it("npm run verify --stack without the Pulumi CLI: one line, how to install it, exit 2", async () => {
        const result = await runScript("scripts/verify-access.ts", ["--stack", "dev"], {
            PATH: path.dirname(process.execPath),
            CLOUDGLUE_API_KEY: "cg-key",
        });
        assert.strictEqual(result.code, 2);
        assert.strictEqual(result.stdout, "");
        assert.deepStrictEqual(result.stderr.trim().split("\n").length, 1, result.stderr);
        assert.match(
            result.stderr,
            /^The Pulumi CLI is not installed .*install it \(https:\/\/www\.pulumi\.com\/docs\/install\/\)/,
        );
    });
});
