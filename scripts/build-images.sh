#!/usr/bin/env bash
# Builds regauth:local and regauth-test-registry:local from static binaries compiled here, so
# that no base image has to be pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY_VERSION=${REGISTRY_VERSION:-v3.1.2}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

mkdir -p "$ctx/regauth/data" "$ctx/registry/data"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/regauth/regauth" ./cmd/regauth
cp Dockerfile "$ctx/regauth/Dockerfile"
docker build -q -t regauth:local "$ctx/regauth"

CGO_ENABLED=0 GOBIN="$ctx/registry" go install -trimpath -ldflags='-s -w' \
  "github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}"
cp deploy/registry/Dockerfile deploy/registry/config.yml "$ctx/registry/"
docker build -q -t regauth-test-registry:local "$ctx/registry"
