package clients

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// podman, rootful, with its own storage (vfs: no mounts to clean up) so it cannot touch the
// machine's images: pull as the pull-only user, then push a new tag as the pusher.
func TestPodmanPullsAndPushes(t *testing.T) {
	podman := needPeer(t, "podman")
	logVersion(t, podman, "--version")
	reg := env.reg
	reg.showLogOnFailure(t)
	seedImage(t, reg, "podman/hello:v1")

	// Short paths: podman puts sockets under the run root.
	base, err := os.MkdirTemp("/tmp", "rgp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	// podman keeps logins in $XDG_RUNTIME_DIR/containers/auth.json.
	if err := os.MkdirAll(filepath.Join(base, "xdg"), 0o700); err != nil {
		t.Fatal(err)
	}
	pm := func(args ...string) command {
		global := []string{
			"--root", filepath.Join(base, "root"), "--runroot", filepath.Join(base, "run"),
			"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
		}
		return command{Path: podman, Args: append(global, args...), Stdin: password + "\n",
			Env: []string{"XDG_RUNTIME_DIR=" + filepath.Join(base, "xdg")}}
	}
	ref := reg.Host + "/podman/hello:v1"
	mine := reg.Host + "/podman/hello:podman"

	mustRun(t, pm("pull", "--cert-dir", reg.CertDir, "--creds=test:"+password, ref))
	out := mustRun(t, pm("image", "inspect", "--format", "{{.Digest}}", ref)).Stdout
	if want := seededDigest(t); strings.TrimSpace(out) != want {
		t.Errorf("podman's digest = %s, want the pushed %s", strings.TrimSpace(out), want)
	}
	mustRun(t, pm("tag", ref, mine))
	mustRefuse(t, pm("push", "--cert-dir", reg.CertDir, "--creds=test:"+password, mine))

	mustRun(t, pm("login", "--cert-dir", reg.CertDir, "-u", "testpush", "--password-stdin", reg.Host))
	mustRun(t, pm("push", "--cert-dir", reg.CertDir, mine))
	mustRun(t, pm("rmi", ref, mine))
	mustRun(t, pm("pull", "--cert-dir", reg.CertDir, mine))
}

func seededDigest(t testing.TB) string {
	t.Helper()
	d, err := env.image.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
