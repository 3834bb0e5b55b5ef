/**
 * `npm run doctor -- --stack <name>`: why Cloudglue cannot read a bucket, diagnosed live and
 * read-only. See `npm run doctor -- --help` and the README's "Doctor" section.
 */
import { runDoctor } from "./lib/doctor/cli";

// The project runs on Node 20 (package.json's engines); the SDK's notice about its future Node 22
// requirement (emitted when a client is made) would open every diagnosis. Set it to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

runDoctor(process.argv.slice(2), {
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
    env: process.env,
}).then(
    (code) => process.exit(code),
    (error) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    },
);
