/** What this machine offers a test: a program on the PATH, a free loopback port. */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

/** The first `name` on the PATH, skipping the directory `except` (a copy the project built itself). */
export function findOnPath(name: string, except?: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, name);
        if (dir && (except === undefined || path.resolve(dir) !== except) && fs.existsSync(candidate)) {
            return candidate;
        }
    }
    return undefined;
}

/** A loopback port that was free a moment ago, closed again for the caller to listen on. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}
