/**
 * The AWS SDK clients the doctor reads with, each call counted. Credentials come from the SDK's
 * default chain; the endpoint can point at an emulator (moto) for tests and the benchmark.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";

export interface AwsOptions {
    /** The region for IAM, STS and S3 calls that name no bucket. */
    region: string;
    /** Another endpoint for every service (an emulator); S3 is then addressed path-style. */
    endpoint?: string;
    /** Date.now() after which no call starts and none is waited for: the run's one deadline. */
    deadline?: number;
}

/** A call the run's deadline cut while it waited for AWS (`started`), or did not let start. */
export class DeadlineError extends Error {
    constructor(
        readonly operation: string,
        readonly started: boolean,
    ) {
        super(
            started
                ? `AWS did not answer ${operation} before the doctor's time ran out`
                : `${operation} was not sent: the doctor's time ran out`,
        );
        this.name = "DeadlineError";
    }
}

type Send = (command: object, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;

/**
 * Every call of the client ends by the deadline: the SDK's abortSignal closes the request, and the
 * race ends the wait even where the SDK would read on (a body trickled a byte at a time).
 */
function bounded<T extends { send: unknown }>(client: T, service: string, deadline: number | undefined): T {
    if (deadline === undefined) {
        return client;
    }
    const send = (client.send as Send).bind(client);
    const boundedSend: Send = async (command, options) => {
        const operation = `${service}:${command.constructor.name.replace(/Command$/, "")}`;
        const left = deadline - Date.now();
        if (left <= 0) {
            throw new DeadlineError(operation, false);
        }
        const signal = AbortSignal.timeout(left);
        let onAbort = () => undefined as void;
        const cut = new Promise<never>((_, reject) => {
            onAbort = () => reject(new DeadlineError(operation, true));
            signal.addEventListener("abort", onAbort, { once: true });
        });
        try {
            return await Promise.race([send(command, { ...options, abortSignal: signal }), cut]);
        } catch (error) {
            throw signal.aborted ? new DeadlineError(operation, true) : error;
        } finally {
            signal.removeEventListener("abort", onAbort);
        }
    };
    // The SDK's send has overloads (callbacks); the doctor only awaits it.
    (client as { send: unknown }).send = boundedSend;
    return client;
}

/** Calls made, by `service:Operation`. */
export type CallCounts = Map<string, number>;

type CountingMiddleware = (
    next: (args: unknown) => Promise<unknown>,
    context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;

/** Counts every command the client sends, by `service:Operation`, before the SDK handles it. */
function counted<T extends { middlewareStack: object }>(client: T, service: string, counts: CallCounts): T {
    const middleware: CountingMiddleware = (next, context) => (args) => {
        const operation = `${service}:${(context.commandName ?? "Unknown").replace(/Command$/, "")}`;
        counts.set(operation, (counts.get(operation) ?? 0) + 1);
        return next(args);
    };
    // Every SDK v3 client has the same middleware stack; its typings differ per service, the call does not.
    const stack = client.middlewareStack as { add(m: CountingMiddleware, o: { step: string; name: string }): void };
    stack.add(middleware, { step: "initialize", name: "cloudglueDoctorCallCounter" });
    return client;
}

/** A slow or silent endpoint fails the call instead of holding the diagnosis forever. */
const REQUEST_HANDLER = { connectionTimeout: 5_000, requestTimeout: 15_000 };

export class AwsClients {
    readonly counts: CallCounts = new Map();
    readonly iam: IAMClient;
    readonly sts: STSClient;
    private readonly s3ByRegion = new Map<string, S3Client>();
    private readonly kmsByRegion = new Map<string, KMSClient>();

    constructor(private readonly options: AwsOptions) {
        const common = {
            region: options.region,
            endpoint: options.endpoint,
            maxAttempts: 3,
            requestHandler: REQUEST_HANDLER,
        };
        this.iam = bounded(counted(new IAMClient(common), "iam", this.counts), "iam", options.deadline);
        this.sts = bounded(counted(new STSClient(common), "sts", this.counts), "sts", options.deadline);
    }

    /** S3 answers a bucket's own calls only in the bucket's region. */
    s3(region = this.options.region): S3Client {
        let client = this.s3ByRegion.get(region);
        if (!client) {
            client = bounded(
                counted(
                    new S3Client({
                        region,
                        endpoint: this.options.endpoint,
                        forcePathStyle: this.options.endpoint !== undefined,
                        maxAttempts: 3,
                        requestHandler: REQUEST_HANDLER,
                    }),
                    "s3",
                    this.counts,
                ),
                "s3",
                this.options.deadline,
            );
            this.s3ByRegion.set(region, client);
        }
        return client;
    }

    kms(region: string): KMSClient {
        let client = this.kmsByRegion.get(region);
        if (!client) {
            client = bounded(
                counted(
                    new KMSClient({
                        region,
                        endpoint: this.options.endpoint,
                        maxAttempts: 3,
                        requestHandler: REQUEST_HANDLER,
                    }),
                    "kms",
                    this.counts,
                ),
                "kms",
                this.options.deadline,
            );
            this.kmsByRegion.set(region, client);
        }
        return client;
    }

    total(): number {
        return [...this.counts.values()].reduce((a, b) => a + b, 0);
    }

    destroy(): void {
        for (const client of [this.iam, this.sts, ...this.s3ByRegion.values(), ...this.kmsByRegion.values()]) {
            client.destroy();
        }
    }
}

/** The SDK's error code (`NoSuchBucket`, `AccessDenied`, ...) and HTTP status of a failed call. */
export function awsErrorCode(error: unknown): { code: string; status?: number; message: string } {
    const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return {
        code: e?.Code ?? e?.name ?? "Error",
        status: e?.$metadata?.httpStatusCode,
        message: e?.message ?? String(error),
    };
}
