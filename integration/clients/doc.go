// Package clients drives a real `regauth serve` process with the registry clients people
// actually run — docker, containerd's ctr, skopeo, podman, crane, regctl, oras and curl.
//
// The tests need those programs: scripts/install-test-deps.sh installs them (root on Debian).
// A missing one skips its tests with a loud message, except under CI=true, where it fails.
package clients
