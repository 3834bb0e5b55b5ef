// Mocha 12 renamed its CLI modules to .cjs (lib/cli/run-helpers.cjs, options.cjs, ...), and
// @stryker-mutator/mocha-runner 10.0.0 still requires them without an extension. Letting Node try
// ".cjs" after ".js" when a required path has no extension lets the runner find them. Loaded only
// by `npm run mutation` (NODE_OPTIONS); remove it once the runner names the files itself.
const Module = require("module");
if (!(".cjs" in Module._extensions)) {
    Module._extensions[".cjs"] = Module._extensions[".js"];
}
