#!/usr/bin/env bash
# Puts a Pulumi engine for `npm run test:engine` into .engine/ (git-ignored), from the registries alone:
#   .engine/bin/pulumi                         the Pulumi CLI, built from the Go module proxy (engine/go.mod)
#   .engine/bin/pulumi-language-nodejs         our stand-in for Pulumi's Node.js host (engine/nodejs-host)
#   .engine/bin/pulumi-resource-pulumi-nodejs  the dynamic providers' plugin, from the @pulumi/pulumi package
#   .engine/bin/pulumi-resource-command        stand-ins (engine/providers/*.ts): the proxy serves neither
#   .engine/bin/pulumi-resource-random         pulumi-command nor pulumi-random
#   .engine/aws/pulumi-resource-aws            stand-in for pulumi-aws, over moto's IAM (AWS_ENDPOINT_URL)
# Where `pulumi` is on PATH already, nothing is built: the tests use it and its plugins, with only
# the AWS stand-in before them on PATH. What is built is reused while its sources are unchanged.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

release="v$(node -p 'require("./package-lock.json").packages["node_modules/@pulumi/pulumi"].version')"
if ! grep -q "github.com/pulumi/pulumi/pkg/v3 ${release}" engine/go.mod; then
    echo "engine/go.mod does not build the CLI at ${release}, the @pulumi/pulumi of package-lock.json:" >&2
    echo "  cd engine && go get -tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@${release} && go mod tidy" >&2
    exit 2
fi

mkdir -p .engine/bin .engine/aws

# A stand-in provider: the project's Node runs its TypeScript, whatever directory the engine starts it in.
launcher() {
    cat >"$1" <<EOF
#!/bin/sh
# Written by scripts/build-engine.sh: a stand-in provider of this project, not Pulumi's.
exec "$root/node_modules/.bin/node" --require "$root/node_modules/ts-node/register/transpile-only" "$root/engine/providers/$2.ts" "\$@"
EOF
    chmod 755 "$1"
}
launcher .engine/aws/pulumi-resource-aws aws

if command -v pulumi >/dev/null 2>&1 && [ "$(command -v pulumi)" != "$root/.engine/bin/pulumi" ]; then
    echo "using $(command -v pulumi) ($(pulumi version)) and its plugins; built only the AWS stand-in"
    exit 0
fi

launcher .engine/bin/pulumi-resource-command command
launcher .engine/bin/pulumi-resource-random random
install -m 755 node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs .engine/bin/

# What the Go binaries are built from; a change to any of it builds them again.
stamp="$(cat engine/go.mod engine/go.sum engine/nodejs-host/*.go | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [ -x .engine/bin/pulumi ] && [ -x .engine/bin/pulumi-language-nodejs ] &&
    [ "$(cat .engine/stamp 2>/dev/null)" = "$stamp" ]; then
    echo "reusing .engine/bin ($(.engine/bin/pulumi version))"
    exit 0
fi

ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${release}"
cd engine
echo "building the Pulumi CLI ${release} from the Go module proxy (a first build takes minutes)"
go build -mod=readonly -tags osusergo,grpcnotrace -ldflags "$ldflags" -o ../.engine/bin/pulumi \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -mod=readonly -ldflags "$ldflags" -o ../.engine/bin/pulumi-language-nodejs ./nodejs-host
cd ..
echo "$stamp" >.engine/stamp
echo "built .engine/bin ($(.engine/bin/pulumi version))"
