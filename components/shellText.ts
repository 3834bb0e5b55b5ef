/**
 * Text a message gives the user to paste: words for a POSIX shell and scalars for a YAML line.
 * Pure functions, here so that the program (which cannot import from scripts/) and the doctor
 * share one rule.
 */

/** The characters a shell word and a YAML plain scalar may hold bare. */
const PLAIN_CHARACTERS = /^[A-Za-z0-9_./:=@,+-]+$/;

/**
 * One word for a POSIX shell, as it is pasted: a plain value (an ARN, an id, a name) bare, anything
 * else in single quotes, a quote in it as '\''. The word is the value unchanged, so one starting
 * with `-` is still read as a flag by the command: see isPlainArgument.
 */
export function shellQuote(value: string): string {
    return PLAIN_CHARACTERS.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * Whether a value can be pasted as a command's argument bare: plain characters, and no leading `-`
 * that the command would take for a flag. A caller prints a fix with another value only after
 * deciding what to do about it (quote it, put `--` before it, or print a placeholder).
 */
export function isPlainArgument(value: string): boolean {
    return PLAIN_CHARACTERS.test(value) && !value.startsWith("-");
}

/**
 * YAML 1.1's words for booleans and null (Pulumi reads stack files with yaml.v2, a YAML 1.1
 * parser), and the names of the special floats; any of them bare would not be read as a string.
 */
const YAML_WORDS = new Set(
    [
        "y|Y|yes|Yes|YES|n|N|no|No|NO",
        "true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
        "null|Null|NULL",
        "nan|NaN|NAN|inf|Inf|INF",
    ].flatMap((words) => words.split("|")),
);

/**
 * A value for a YAML line to paste, read back as that string by YAML 1.1 and 1.2 alike: bare only
 * when it starts with a letter, is not one of YAML 1.1's bool or null words, holds only plain
 * characters and does not end in `:`; otherwise a double-quoted (JSON) string. Numbers, dates,
 * `~` and the rest that a parser could type otherwise all start with something else.
 */
export function yamlScalar(value: string): string {
    const bare =
        /^[A-Za-z]/.test(value) && PLAIN_CHARACTERS.test(value) && !value.endsWith(":") && !YAML_WORDS.has(value);
    return bare ? value : JSON.stringify(value);
}
