#!/usr/bin/env bash
# Runs every regauth test. On a fresh Debian machine as root it first installs what the tests
# need; elsewhere it says what is missing. With CI=true a missing peer fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== checks"
out=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$out" ]; then echo "gofmt needed:"; echo "$out"; exit 1; fi
go vet ./...

echo "== test peers (redis-server, docker, docker-compose, ctr, skopeo, podman, curl, crane, regctl, oras, OCI conformance suite, registry)"
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
	deps_start=$SECONDS
	if ! bash scripts/install-test-deps.sh; then
		if [ "${CI:-}" = true ]; then
			echo "installing the test clients failed" >&2
			exit 1
		fi
		echo "!!! installing the test clients failed: their tests will be skipped" >&2
	fi
	echo "test clients ready in $((SECONDS - deps_start))s"
else
	# Not root on Debian: install nothing, say what the client tests need. Under CI=true
	# those tests then fail rather than skip.
	bash scripts/install-test-deps.sh --print
fi

echo "== fuzz smoke"
bash scripts/fuzz-smoke.sh

echo "== go test"
go test -race -count=1 -timeout 20m ./...
