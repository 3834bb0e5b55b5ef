/**
 * `npm run doctor -- --stack <name>`: why Cloudglue cannot read a bucket, diagnosed live and
 * read-only. See `npm run doctor -- --help` and the README's "Doctor" section.
 */
import { runDoctor } from "./lib/doctor/cli";

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
