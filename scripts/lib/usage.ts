/**
 * The command line of a script that takes no options: `--help` prints its usage and exits 0; any
 * other argument is a usage error (exit 2), so a typo never runs a long benchmark by surprise.
 */
export function noOptions(argv: string[], usage: string): void {
    if (argv.length === 0) {
        return;
    }
    if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
        console.log(usage);
        process.exit(0);
    }
    console.error(`Unknown argument ${JSON.stringify(argv.find((a) => a !== "--help") ?? argv[0])}.\n\n${usage}`);
    process.exit(2);
}
