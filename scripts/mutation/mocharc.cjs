/* global module */
// The mocha config Stryker runs: the project's own (.mocharc.json), every test file, unless
// MUTATION_SPEC names the test files to run (comma-separated globs). A run on one source file
// with only the tests that exercise it takes minutes instead of hours on 2 cores; its score is
// then a lower bound (a test left out can only kill fewer mutants).
// PROVIDER_IN_PROCESS: the provider tests drive the provider in this process (tests/helpers/providerHost.ts),
// since Stryker can neither switch a mutant on nor count coverage in the SDK's provider host.
process.env.PROVIDER_IN_PROCESS ??= "1";
const base = require("../../.mocharc.json");
const list = (value) => (value ? value.split(",").filter(Boolean) : undefined);
module.exports = {
    ...base,
    spec: list(process.env.MUTATION_SPEC) ?? base.spec,
    ignore: list(process.env.MUTATION_IGNORE) ?? [],
};
