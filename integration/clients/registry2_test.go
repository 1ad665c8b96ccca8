package clients

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/distribution/configuration"
	"github.com/docker/distribution/registry/handlers"
	"github.com/sirupsen/logrus"

	// The registry finds its access controller and storage driver by name.
	_ "github.com/docker/distribution/registry/auth/token"
	_ "github.com/docker/distribution/registry/storage/driver/filesystem"
)

// The classic walkthrough with the docker CLI against the registry:2 code (the handlers of
// github.com/docker/distribution v2.8.3, served from this test process on a loopback port)
// with the regauth binary in front of it in upstream mode: docker-compose.yml's layout with
// the registry:2 image. registry:2 is configured with exactly the auth.token block that
// `regauth registry-config` prints, as an admin would paste it into config.yml.
//
// This is the only registry code linked into this test binary: the registry:3 code
// (github.com/distribution/distribution/v3) must never be linked next to it, because both
// register /debug/health at init and the binary panics before any test runs.
func TestDockerClassicWalkthroughRegistry2(t *testing.T) {
	d := needDocker(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	var up *registry2
	reg := startRegauth(t, dir, regauthOptions{
		config: fmt.Sprintf("registry:\n  upstream: http://%s\n", ln.Addr()),
		beforeStart: func(r *regauth) error {
			var err error
			if up, err = startRegistry2(r, ln, filepath.Join(dir, "registry2")); err == nil {
				t.Cleanup(up.stop) // after regauth's stop: cleanups run last-in first-out
			}
			return err
		},
	})
	t.Logf("registry: github.com/docker/distribution v2.8.3 (registry:2) on http://%s, behind regauth %s", ln.Addr(), reg.URL)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(up.logFile)
			t.Logf("registry:2 log:\n%s", indent(tail(string(log), 60)))
		}
	})
	if untrust, err := trustCertsD(reg.Host, reg.CAFile); err != nil {
		t.Logf("warning: could not put regauth's CA in docker's certs.d: %v", err)
	} else {
		t.Cleanup(untrust)
	}
	classicWalkthrough(t, d, reg)

	// registry:2 itself holds what docker pushed, and docker's identity token bought the
	// tokens registry:2 accepted.
	repo := filepath.Join(dir, "registry2", "storage", "docker", "registry", "v2", "repositories", "test-hello")
	if _, err := os.Stat(repo); err != nil {
		t.Errorf("registry:2's storage has no test-hello: %v", err)
	}
	if !reg.loggedLine(`"event":"token"`, `"user":"testpush"`, `"grant":"refresh_token"`) {
		t.Error("regauth's audit log shows no refresh_token grant for testpush: did docker use its identity token?")
	}
}

// registry2 is the registry:2 code serving on a loopback listener of this process.
type registry2 struct {
	srv     *http.Server
	logFile string
	log     *os.File
}

// startRegistry2 does what an admin does for a stock registry:2 behind regauth: run
// `regauth registry-config` (which writes the token root certificate), put the block it
// prints into the registry's config.yml, and start the registry with that file.
func startRegistry2(r *regauth, ln net.Listener, dir string) (*registry2, error) {
	authDir := filepath.Join(dir, "auth")
	cmd := exec.Command(r.bin, "registry-config", "--config", filepath.Join(r.dir, "regauth.yaml"), "--out", authDir)
	cmd.Env = append(os.Environ(), "REGAUTH_CONFIG=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	block, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("regauth registry-config: %w\n%s", err, stderr.String())
	}
	yml := fmt.Sprintf(`version: 0.1
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
  secret: integration-clients
%s`, filepath.Join(dir, "storage"), ln.Addr(), block)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(yml), 0o600); err != nil {
		return nil, err
	}
	cfg, err := configuration.Parse(strings.NewReader(yml))
	if err != nil {
		return nil, fmt.Errorf("registry:2 refuses the configuration:\n%s\n%w", yml, err)
	}
	up := &registry2{logFile: filepath.Join(dir, "registry.log")}
	logf, err := os.Create(up.logFile)
	if err != nil {
		return nil, err
	}
	up.log = logf
	// The registry logs through logrus' standard logger; this is the only user in this binary.
	logrus.SetOutput(logf)
	logrus.SetLevel(logrus.InfoLevel)
	h, err := newRegistry2App(cfg)
	if err != nil {
		up.stop()
		return nil, err
	}
	up.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := up.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(logf, "serve:", err)
		}
	}()
	return up, nil
}

// newRegistry2App builds the registry's handler; NewApp panics on configuration it cannot
// use (an unreadable root certificate, say).
func newRegistry2App(cfg *configuration.Configuration) (h http.Handler, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registry:2: %v", p)
		}
	}()
	return handlers.NewApp(context.Background(), cfg), nil
}

func (u *registry2) stop() {
	if u.srv != nil {
		_ = u.srv.Close()
	}
	logrus.SetOutput(os.Stderr)
	_ = u.log.Close()
}
