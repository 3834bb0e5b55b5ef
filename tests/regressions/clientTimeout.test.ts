/**
 * The client's default request timeout (issue 15), seen from a server that never answers: 15 s of
 * real time, so it has its own file, which per-file mutation runs can leave out.
 */
import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { CloudglueClient, isApiError } from "../../components/cloudglueApi";

const ROLE_ARN = "arn:aws:iam::111122223333:role/cloudglue-external-s3-access-role";

describe("client regressions: the default request timeout", function () {
    this.timeout(40000);
    this.slow(20000);
    const seen: string[] = [];
    const server = http.createServer((req) => seen.push(`${req.method} ${req.url}`)); // never answers

    before(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    it("gives up on a request after 15 s, and does not repeat a POST", async () => {
        const client = new CloudglueClient({
            apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            apiKey: "cg-regression-key-0123456789abcdef",
        });
        const started = Date.now();
        const body = {
            type: "s3" as const,
            role_arn: ROLE_ARN,
            external_id: "external-id-0123456789",
            buckets: ["b-1"],
        };
        await assert.rejects(client.createConnector(body, []), (error: Error) => {
            assert.ok(isApiError(error) && error.answerLost);
            assert.match(error.message, /Cloudglue did not answer POST .*: timed out after 15000 ms\./);
            return true;
        });
        const took = Date.now() - started;
        assert.ok(took >= 14000 && took < 25000, `gave up after ${took} ms`);
        assert.deepStrictEqual(seen, ["POST /v1/data-connectors"]);
    });
});
