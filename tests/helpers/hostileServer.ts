/**
 * A small HTTP server on loopback that answers as a broken or hostile API would: redirects,
 * bodies that are not JSON, of the wrong shape, cut short, stalled or endless, echoes of what it
 * was sent. It records what it received, so tests assert on what reached it. It bounds itself:
 * it reads at most 64 KiB of a request, an endless body stops when the client goes away (or at
 * its stated size), and stop() closes every connection.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface Received {
    method: string;
    path: string;
    authorization: string | undefined;
    body: string;
}

export type Handler = (request: Received, response: http.ServerResponse) => void | Promise<void>;

const MAX_REQUEST_BYTES = 64 * 1024;

export class HostileServer {
    readonly received: Received[] = [];
    /** Bytes written in answers, to show that a client stopped reading. */
    bytesWritten = 0;
    private readonly sockets = new Set<import("net").Socket>();
    private readonly server: http.Server;

    private constructor(public handler: Handler) {
        this.server = http.createServer((req, res) => void this.handle(req, res));
        this.server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
    }

    static async start(handler: Handler): Promise<HostileServer> {
        const server = new HostileServer(handler);
        await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
        return server;
    }

    get port(): number {
        return (this.server.address() as AddressInfo).port;
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    async stop(): Promise<void> {
        for (const socket of this.sockets) {
            socket.destroy();
        }
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        let body = "";
        for await (const chunk of req) {
            if (body.length < MAX_REQUEST_BYTES) {
                body += String(chunk).slice(0, MAX_REQUEST_BYTES - body.length);
            }
        }
        const received = {
            method: req.method ?? "GET",
            path: req.url ?? "/",
            authorization: req.headers.authorization,
            body,
        };
        this.received.push(received);
        const write = res.write.bind(res);
        res.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
            this.bytesWritten += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
            return write(chunk, ...rest);
        }) as typeof res.write;
        try {
            await this.handler(received, res);
        } catch {
            res.destroy();
        }
    }
}

// Answers, to compose handlers from.

export function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(text),
        ...headers,
    });
    res.write(text);
    res.end();
}

export function text(res: http.ServerResponse, status: number, contentType: string, body: string) {
    res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
    res.write(body);
    res.end();
}

export function redirect(res: http.ServerResponse, status: number, location: string) {
    res.writeHead(status, { Location: location, "Content-Length": 0 });
    res.end();
}

/** Promises a body of `declared` bytes, sends `sent` of them, and closes the connection. */
export function cutShort(res: http.ServerResponse, status: number, sent: string, declared: number) {
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": declared });
    res.write(sent);
    setTimeout(() => res.socket?.destroy(), 20);
}

/** Sends the headers and the start of a body, then nothing until the client gives up (or `maxMs`). */
export function stall(res: http.ServerResponse, status: number, start: string, maxMs = 10_000) {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.write(start);
    const timer = setTimeout(() => res.destroy(), maxMs);
    res.on("close", () => clearTimeout(timer));
}

/**
 * A body of up to `total` bytes, without a declared length, written as fast as the client reads
 * it; it stops when the client goes away.
 */
export async function endless(res: http.ServerResponse, status: number, total: number): Promise<void> {
    res.writeHead(status, { "Content-Type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, "a");
    res.write('{"error":"');
    let sent = 0;
    while (sent < total && !res.destroyed) {
        sent += chunk.byteLength;
        if (!res.write(chunk)) {
            await new Promise<void>((resolve) => {
                const done = () => {
                    res.off("drain", done);
                    res.off("close", done);
                    resolve();
                };
                res.on("drain", done);
                res.on("close", done);
            });
        }
    }
    if (!res.destroyed) {
        res.end('"}');
    }
}

/** A connector as the published schema has it. */
export function connector(id: string, metadata: Record<string, unknown> = {}) {
    return {
        id,
        object: "data_connector",
        type: "s3",
        created_at: 1764400000000,
        updated_at: 1764400000000,
        metadata,
    };
}

/** One page of the published DataConnectorList. */
export function connectorList(data: unknown[], total = data.length, offset = 0) {
    return { object: "list", data, total, limit: 100, offset };
}
