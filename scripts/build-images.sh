#!/usr/bin/env bash
# `make image`: builds regauth:local and regauth-test-registry:local FROM scratch, from static
# binaries compiled here, so that no base image has to be pulled.
#
# The registry binary is the stock one (distribution v3, the registry:3 code): the copy that
# scripts/install-test-deps.sh installed when it is this version and static, else built here
# with the same flags (so the two share Go's build cache).
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY_VERSION=${REGISTRY_VERSION:-v3.1.2}
registry_module=github.com/distribution/distribution/v3
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

mkdir -p "$ctx/regauth/data" "$ctx/registry/data"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/regauth/regauth" ./cmd/regauth
cp Dockerfile "$ctx/regauth/Dockerfile"
docker build -q -t regauth:local "$ctx/regauth"

installed="$(go env GOPATH)/bin/registry"
if [ -x "$installed" ] &&
	go version -m "$installed" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+$registry_module[[:space:]]+$REGISTRY_VERSION([[:space:]]|$)" &&
	go version -m "$installed" 2>/dev/null | grep -qE "^[[:space:]]+build[[:space:]]+CGO_ENABLED=0$"; then
	cp "$installed" "$ctx/registry/registry"
else
	CGO_ENABLED=0 GOBIN="$ctx/registry" GOFLAGS= go install -trimpath -ldflags='-s -w' \
		"$registry_module/cmd/registry@${REGISTRY_VERSION}"
fi
cp deploy/registry/Dockerfile deploy/registry/config.yml "$ctx/registry/"
docker build -q -t regauth-test-registry:local "$ctx/registry"
