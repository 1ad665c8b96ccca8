// Package clients drives a real `regauth serve` process with the registry clients people
// actually run — docker, containerd's ctr, skopeo, podman, crane, regctl, oras, curl and the
// OCI distribution-spec conformance suite — and brings up docker-compose.test.yml.
//
// The tests need those programs: scripts/install-test-deps.sh installs them (root on Debian).
// A missing one skips its tests with a loud message, except under CI=true, where it fails.
//
// The registry:2 code (github.com/docker/distribution) is linked into this test binary; the
// registry:3 code (github.com/distribution/distribution/v3) must never be, since both register
// /debug/health at init and the binary would panic. The registry:3 side runs as processes:
// regauth's embedded registry and the stock registry binary.
package clients
