#!/usr/bin/env bash
# Installs the real peers the tests drive: redis-server (shared lockout counters), chromium
# (the web UI tests), openssl (TLS policy checks) and the
# registry clients of integration/clients:
# docker (daemon + CLI, containerd comes with it), docker-compose 1.29, skopeo, podman, curl
# and make from Debian; crane, regctl, oras, the OCI distribution-spec conformance suite and
# the stock registry:3 binary (the bare registry the suite is compared against, and what
# `make image` packs) at pinned versions with `go install`. Idempotent and quiet: when
# everything is already there it only checks and returns within a second or two.
#
#   scripts/install-test-deps.sh           install what is missing (root on Debian for apt)
#   scripts/install-test-deps.sh --print   install nothing; print the commands that would
#
# The Go tools land in $(go env GOPATH)/bin, where the tests look for them when they are not
# on PATH.
set -euo pipefail

APT_PACKAGES=(docker.io docker-compose skopeo podman curl make redis-server openssl chromium fonts-dejavu-core)

# Pinned Go clients: "module/cmd/path@version". crane is pinned to the go-containerregistry
# version in go.mod, so the CLI and the library the other tests use are the same code; the
# registry to the distribution v3 version in go.mod, the code regauth embeds. The
# conformance suite has no release tags for its module: this is a commit of its main branch
# (the suite with its own main, run as a program).
GO_TOOLS=(
	github.com/google/go-containerregistry/cmd/crane@v0.22.1
	github.com/regclient/regclient/cmd/regctl@v0.11.7
	oras.land/oras/cmd/oras@v1.3.6
	github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111
	github.com/distribution/distribution/v3/cmd/registry@v3.1.2
)

mode=install
case "${1:-}" in
--print) mode=print ;;
"") ;;
*)
	echo "usage: $0 [--print]" >&2
	exit 2
	;;
esac

gobin="$(go env GOPATH)/bin"

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing_apt+=("$p")
	fi
done

# A Go tool is current when its binary records exactly the pinned module version.
missing_go=()
for spec in "${GO_TOOLS[@]}"; do
	pkg=${spec%@*}
	version=${spec#*@}
	bin="$gobin/$(basename "$pkg")"
	have=""
	if [ -x "$bin" ]; then
		have=$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" && !v {v = $3} END {print v}' || true)
	fi
	if [ "$have" != "$version" ]; then
		missing_go+=("$spec")
	fi
done

if [ "$mode" = print ]; then
	if [ ${#missing_apt[@]} -eq 0 ] && [ ${#missing_go[@]} -eq 0 ]; then
		echo "install-test-deps: every test client is installed"
		exit 0
	fi
	echo "install-test-deps: the client tests (integration/clients) need:"
	if [ ${#missing_apt[@]} -gt 0 ]; then
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing_apt[*]}"
	fi
	for spec in "${missing_go[@]}"; do
		echo "  CGO_ENABLED=0 GOBIN=$gobin go install -trimpath -ldflags='-s -w' $spec"
	done
	exit 0
fi

if [ ${#missing_apt[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
		echo "install-test-deps: not root on Debian; install by hand: apt-get install -y --no-install-recommends ${missing_apt[*]}" >&2
		exit 1
	fi
	echo "install-test-deps: apt-get install ${missing_apt[*]}"
	apt-get update -qq # once: the lists on a fresh machine are empty or stale
	available=()
	for p in "${missing_apt[@]}"; do
		candidate=$(apt-cache policy "$p" 2>/dev/null | awk '$1 == "Candidate:" {print $2}' || true)
		if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
			available+=("$p")
		else
			echo "install-test-deps: Debian has no package $p here; its tests will fail under CI=true" >&2
		fi
	done
	if [ ${#available[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null
	fi
fi

# Static, with the flags scripts/build-images.sh uses: its FROM-scratch registry image takes
# the installed registry binary as it is (or rebuilds it from the same build cache).
for spec in "${missing_go[@]}"; do
	echo "install-test-deps: go install $spec"
	CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS= go install -trimpath -ldflags='-s -w' "$spec"
done
