/**
 * moto_server (the Python AWS emulator) as the AWS side of tests: one server per test file on a
 * free loopback port, reset between cases through moto's own reset API. Where moto_server is not
 * installed the tests that need it are skipped with the line that says how to install it, except
 * under CI=true: there a missing emulator fails the run, so that a green CI run has run them.
 */
import { ChildProcess, spawn } from "child_process";
import * as http from "http";
import * as net from "net";
import { findOnPath, freePort } from "./machine";

export const MOTO_INSTALL_HINT =
    "moto_server not found: these tests are skipped; install it with: python3 -m pip install -r requirements-dev.txt";

/**
 * Skips the calling suite with `hint` on a developer's machine; fails it under CI=true, where
 * `.ci/run` installs everything the tests need and a skip would hide that it did not.
 */
export function skipOrFail(context: Mocha.Context, hint: string): never {
    if (process.env.CI === "true") {
        throw new Error(`${hint.replace(/: these tests are skipped/, "")} (CI=true: required, not skipped)`);
    }
    console.log(`      ${hint}`);
    context.skip();
}

/** moto's fixed account for any credentials. */
export const MOTO_ACCOUNT_ID = "123456789012";

export function motoServerPath(): string | undefined {
    return findOnPath("moto_server");
}

export interface MotoServer {
    endpoint: string;
    /** Forget every resource: POST /moto-api/reset. */
    reset(): Promise<void>;
    stop(): Promise<void>;
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(options: { loadManagedPolicies?: boolean } = {}): Promise<MotoServer> {
    const executable = motoServerPath();
    if (!executable) {
        throw new Error(MOTO_INSTALL_HINT);
    }
    const port = await freePort();
    const child: ChildProcess = spawn(executable, ["-H", "127.0.0.1", "-p", String(port)], {
        env: {
            ...process.env,
            MOTO_IAM_LOAD_MANAGED_POLICIES: options.loadManagedPolicies ? "true" : "false",
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
        if (child.exitCode !== null) {
            throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
        }
        try {
            const answer = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
            if (answer.ok) {
                break;
            }
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline) {
            child.kill();
            throw new Error(`moto_server did not answer on ${endpoint} within 20 s: ${stderr}`);
        }
        await new Promise((done) => setTimeout(done, 100));
    }
    return {
        endpoint,
        async reset() {
            const answer = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
            if (!answer.ok) {
                throw new Error(`moto reset answered ${answer.status}`);
            }
        },
        stop() {
            return new Promise((resolve) => {
                if (child.exitCode !== null) {
                    resolve();
                    return;
                }
                child.once("exit", () => resolve());
                child.kill("SIGTERM");
            });
        },
    };
}

/** Static test credentials and the emulator's endpoint for an SDK client. */
export function motoClientConfig(endpoint: string, region = "us-east-1") {
    return { endpoint, region, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
}

/**
 * A pass-through proxy in front of moto that counts the HTTP requests it forwards: what the
 * doctor really sends, retries included, to check the calls it reports.
 */
export interface CountingProxy {
    endpoint: string;
    /**
     * The operations forwarded since the last reset: `iam:GetRole` (query APIs name it in the
     * body), `kms:GetKeyPolicy` (JSON APIs in X-Amz-Target), `s3:GET /bucket?policy` (S3 by method).
     */
    requests: string[];
    /** Operations answered 403 AccessDenied instead of being forwarded, as AWS does without permission. */
    denied: Set<string>;
    /** Operations answered with this body (200, the content type AWS uses for it) instead of being forwarded. */
    forged: Map<string, { contentType: string; body: string }>;
    stop(): Promise<void>;
}

/** S3's own error document for a request it refuses. */
const S3_ACCESS_DENIED =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';

function operationOf(req: http.IncomingMessage, body: string): string {
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
        return `${target.startsWith("TrentService") ? "kms" : target.split(".")[0]}:${target.split(".").pop()}`;
    }
    const action = new URLSearchParams(body).get("Action");
    if (action) {
        const service = /credential=[^/]+\/[^/]+\/[^/]+\/([a-z0-9]+)\//i.exec(req.headers.authorization ?? "")?.[1];
        return `${service ?? "unknown"}:${action}`;
    }
    return `s3:${req.method} ${req.url}`;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
    const requests: string[] = [];
    const denied = new Set<string>();
    const forged = new Map<string, { contentType: string; body: string }>();
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const operation = operationOf(req, body.toString("utf8"));
            requests.push(operation);
            if (denied.has(operation)) {
                res.writeHead(403, { "Content-Type": "application/xml" });
                res.end(S3_ACCESS_DENIED);
                return;
            }
            const answer = forged.get(operation);
            if (answer) {
                res.writeHead(200, { "Content-Type": answer.contentType });
                res.end(answer.body);
                return;
            }
            const upstream = http.request(
                `${target}${req.url}`,
                { method: req.method, headers: req.headers },
                (answer) => {
                    res.writeHead(answer.statusCode ?? 502, answer.headers);
                    answer.pipe(res);
                },
            );
            upstream.on("error", () => res.destroy());
            upstream.end(body);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        requests,
        denied,
        forged,
        stop: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
