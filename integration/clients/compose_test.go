package clients

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/acl"
)

// imageUser is the unprivileged user the images run as (Dockerfile, deploy/registry).
const imageUser = 65532

// docker-compose.test.yml, the way an admin runs the stack: `make image` builds regauth's
// and the registry's images from local binaries, docker-compose brings them up (regauth-init
// writes the token root, the stock registry trusts it, regauth fronts the registry), the
// classic walkthrough runs against it with the docker CLI, and `down -v` removes it all.
func TestComposeStackClassicWalkthrough(t *testing.T) {
	d := needDocker(t)
	compose := needPeer(t, "docker-compose")
	logVersion(t, compose, "version", "--short")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("docker-compose.yml is valid", func(t *testing.T) {
		// The production file cannot run here (it pulls registry:2 and needs a .pfx), but
		// this docker-compose must accept it as written.
		mustRun(t, command{Path: compose, Dir: root, Args: []string{"-f", "docker-compose.yml", "config", "-q"},
			Env: append(d.envList(), "REGISTRY_HTTP_SECRET=compose-config-check")})
	})

	buildImages(t, d, root)

	dir := t.TempDir()
	if err := writeComposeFiles(dir); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	regPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	stackEnv := append(d.envList(), "REGAUTH_TEST_DIR="+dir,
		fmt.Sprintf("REGAUTH_TEST_PORT=%d", port), fmt.Sprintf("REGAUTH_TEST_REGISTRY_PORT=%d", regPort))
	dc := func(args ...string) command {
		return command{Path: compose, Dir: root, Env: stackEnv,
			Args: append([]string{"-f", "docker-compose.test.yml", "--project-name", fmt.Sprintf("regauthtest%d", port)}, args...)}
	}
	down := false
	t.Cleanup(func() {
		if t.Failed() {
			run(t, dc("logs", "--no-color")) // run logs what it printed
		}
		if !down {
			run(t, dc("down", "-v"))
		}
	})

	start := time.Now()
	mustRun(t, dc("up", "-d"))
	reg := &regauth{
		Host:   fmt.Sprintf("127.0.0.1:%d", port),
		URL:    fmt.Sprintf("https://127.0.0.1:%d", port),
		CAFile: filepath.Join(dir, "tls", "ca.crt"), // regauth's development CA
	}
	if err := waitReady(reg, 90*time.Second); err != nil {
		t.Fatalf("the compose stack is not ready: %v", err)
	}
	t.Logf("stack up and ready in %v: regauth %s, registry http://127.0.0.1:%d", time.Since(start).Round(time.Millisecond), reg.URL, regPort)
	if untrust, err := trustCertsD(reg.Host, reg.CAFile); err != nil {
		t.Logf("warning: could not put regauth's CA in docker's certs.d: %v", err)
	} else {
		t.Cleanup(untrust)
	}

	classicWalkthrough(t, d, reg)

	// In the container too (an unprivileged user under docker's default seccomp profile)
	// regauth hashes passwords in its hash-worker processes: a worker that cannot move to
	// SCHED_IDLE exits before it is ready, and regauth then runs none.
	if top := mustRun(t, dc("top", "regauth")).Stdout; !strings.Contains(top, "hash-worker") {
		t.Errorf("no hash-worker process in the regauth container:\n%s", top)
	}

	// The push went through regauth to the registry container, not to a registry embedded
	// in regauth: the registry's access log has it.
	if logs := mustRun(t, dc("logs", "--no-color", "registry")).Output(); !strings.Contains(logs, "PUT /v2/test-hello/manifests/v2") {
		t.Error("the registry container's log has no PUT of test-hello:v2: regauth did not proxy to it")
	}

	mustRun(t, dc("down", "-v"))
	down = true
	if left := strings.TrimSpace(mustRun(t, dc("ps", "-q")).Stdout); left != "" {
		t.Errorf("containers left after down -v: %s", left)
	}
}

// buildImages runs `make image` (or its script when make is missing) once for the whole
// test binary: regauth:local and regauth-test-registry:local from local binaries.
func buildImages(t *testing.T, d *dockerDaemon, root string) {
	t.Helper()
	env.imagesOnce.Do(func() {
		start := time.Now()
		build := command{Path: "bash", Args: []string{"scripts/build-images.sh"}, Dir: root, Env: d.envList(), Timeout: 15 * time.Minute}
		if mk := findPeer("make"); mk != "" {
			build = command{Path: mk, Args: []string{"image"}, Dir: root, Env: d.envList(), Timeout: 15 * time.Minute}
		}
		if r := run(t, build); r.Err != nil {
			env.imagesErr = fmt.Errorf("build the images: %w\n%s", r.Err, tail(r.Output(), 30))
			return
		}
		t.Logf("images built in %v", time.Since(start).Round(time.Millisecond))
	})
	if env.imagesErr != nil {
		t.Fatal(env.imagesErr)
	}
}

// envList is a copy of what the docker tools need in their environment.
func (d *dockerDaemon) envList() []string { return slices.Clone(d.env) }

// writeComposeFiles puts the classic users, groups and rules where the stack's regauth
// finds them (its data directory, /var/lib/regauth), owned by the images' user.
func writeComposeFiles(dir string) error {
	if err := writeHtpasswd(filepath.Join(dir, "htpasswd"), map[string]string{"test": password, "testpush": password, "admin": password}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "groups"), []byte(classicGroups), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "acl.yaml"), acl.ClassicYAML(), 0o600); err != nil {
		return err
	}
	// The images run as an unprivileged user; a bind mount keeps the host's owners, so the
	// directory must belong to that user (what an admin does with chown before `up`).
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Chown(path, imageUser, imageUser); err != nil {
			return fmt.Errorf("chown %s to the images' user %d (the test needs root): %w", path, imageUser, err)
		}
		return nil
	})
}

// waitReady waits until regauth has written its development CA and /readyz answers 200,
// which needs the registry behind it to answer too.
func waitReady(reg *regauth, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := errors.New("no development CA yet")
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		if last = reg.answersOK("/readyz"); last == nil {
			return nil
		}
	}
	return fmt.Errorf("after %v: %w", timeout, last)
}
