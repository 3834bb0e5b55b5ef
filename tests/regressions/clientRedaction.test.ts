/**
 * Secrets the client knows only by SHA-256 and length (the access check, which must not hold the
 * external ID; issue 15): every stretch of a server's text that is one, plain, URL-encoded or
 * partly encoded, is shown as [redacted], and nothing else is touched. The hostile-API tests show
 * this through the access check in a child process, where a mutation run cannot count it; these
 * drive the client in-process and compare the whole quoted text.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { CloudglueClient } from "../../components/cloudglueApi";

const KEY = "cg-redaction-key-0123456789abcdef";
const SECRET = "Redact+Me.External=Id/0123456789@abc";
/** A secret that itself holds what reads as a URL escape. */
const PERCENT_SECRET = "pct%41secret-0123456789";

const hashed = (secret: string) => ({
    sha256: createHash("sha256").update(secret).digest("hex"),
    length: secret.length,
});

describe("client regressions: secrets known by hash are redacted wherever they appear", function () {
    this.timeout(20000);
    let said = "";
    const server = http.createServer((_req, res) => {
        res.writeHead(400, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: said }));
    });
    /** What the client quotes of the server's error, given the secrets by hash. */
    const quoted = async (error: string, secrets = [hashed(SECRET)]) => {
        said = error;
        const client = new CloudglueClient({
            apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            apiKey: KEY,
            hashedSecrets: secrets,
        });
        const message = await client.listConnectors().then(
            () => assert.fail("the 400 was not an error"),
            (e: Error) => e.message,
        );
        const match = /Cloudglue said: "(.*)"\. Cloudglue refused the request/.exec(message);
        assert.ok(match, message);
        return match[1];
    };

    before(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    it("redacts the secret plain, URL-encoded, partly encoded in lower-case hex, and at the very end", async () => {
        const partly = "Redact%2bMe.External%3dId/0123456789@abc";
        assert.strictEqual(
            await quoted(
                `plain ${SECRET}, encoded ${encodeURIComponent(SECRET)}, partly ${partly}, last ${encodeURIComponent(SECRET)}`,
            ),
            "plain [redacted], encoded [redacted], partly [redacted], last [redacted]",
        );
        assert.strictEqual(await quoted(`ends with ${SECRET}`), "ends with [redacted]");
        assert.strictEqual(await quoted(SECRET), "[redacted]");
    });

    it("leaves alone what is not the secret: a part of it, stray percent signs, an escape that is not UTF-8", async () => {
        const text = `50%zz off, caf%E9, 100%, ${SECRET.slice(0, 20)}`;
        assert.strictEqual(await quoted(text), text);
        assert.strictEqual(await quoted(`${SECRET}x`.slice(1)), `${SECRET}x`.slice(1));
    });

    it("redacts a secret that holds a %XX of its own, as it is, without decoding it", async () => {
        assert.strictEqual(
            await quoted(`saw ${PERCENT_SECRET} and ${encodeURIComponent(PERCENT_SECRET)}`, [hashed(PERCENT_SECRET)]),
            "saw [redacted] and [redacted]",
        );
        assert.strictEqual(
            await quoted("saw pctAsecret-0123456789", [hashed(PERCENT_SECRET)]),
            "saw pctAsecret-0123456789",
        );
    });

    it("redacts a secret, plain or encoded, that straddles the end of the 300 characters quoted", async () => {
        const lead = "x".repeat(290);
        assert.strictEqual(await quoted(`${lead}${SECRET} and more`), `${lead}[redacted]… (35 more characters)`);
        assert.strictEqual(
            await quoted(`${lead}${encodeURIComponent(SECRET)}`),
            `${lead}[redacted]… (34 more characters)`,
        );
    });

    it("redacts each of several secrets, and an upper-case hash works as well", async () => {
        const other = "Second-Secret_0123456789";
        const upper = { ...hashed(other), sha256: hashed(other).sha256.toUpperCase() };
        assert.strictEqual(
            await quoted(`${other} then ${SECRET}`, [hashed(SECRET), upper]),
            "[redacted] then [redacted]",
        );
    });
});
