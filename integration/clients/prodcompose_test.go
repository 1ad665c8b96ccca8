package clients

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/regauth/regauth/certs"
)

// The production docker-compose.yml as written — its own compose network (a bridge), named
// volumes, the .pfx and its password as compose secrets owned by the images' user, the
// fixed ports 5043 and 127.0.0.1:5000 — with only the registry image swapped for the one
// built here (nothing can be pulled). The admin's steps from the file's header: a legacy
// .pfx in deploy/, `up -d`, users added with `regauth user add` and `regauth group add`
// inside the container; then the classic walkthrough, with the push landing in the
// registry container that regauth reaches by its service name.
func TestProductionComposeFileRunsAsWritten(t *testing.T) {
	d := needDocker(t)
	compose := needPeer(t, "docker-compose")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"0.0.0.0:5043", "127.0.0.1:5000"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("docker-compose.yml publishes %s, which is taken on this machine: %v", addr, err)
		}
		ln.Close()
	}
	buildImages(t, d, root)

	// The project directory an admin would have: the compose file and deploy/ beside it.
	dir := t.TempDir()
	file, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.crt")
	if err := writeLegacyPFX(filepath.Join(dir, "deploy"), caFile, "pfx password"); err != nil {
		t.Fatal(err)
	}

	reg := &regauth{Host: "127.0.0.1:5043", URL: "https://127.0.0.1:5043", CAFile: caFile}
	project := fmt.Sprintf("regauthprod%d", time.Now().UnixNano()%1e6)
	env := append(d.envList(), "REGISTRY_IMAGE=regauth-test-registry:local", "REGISTRY_HTTP_SECRET="+rand.Text(), "REGAUTH_PUBLIC_URL="+reg.URL)
	dc := func(stdin string, args ...string) command {
		return command{Path: compose, Dir: dir, Stdin: stdin, Env: env, Args: append([]string{"--project-name", project}, args...)}
	}
	down := false
	t.Cleanup(func() {
		if t.Failed() {
			run(t, dc("", "logs", "--no-color"))
		}
		if !down {
			run(t, dc("", "down", "-v"))
		}
	})

	start := time.Now()
	mustRun(t, dc("", "up", "-d"))
	if err := waitReady(reg, 90*time.Second); err != nil {
		t.Fatalf("the production stack is not ready: %v", err)
	}
	t.Logf("stack up and ready in %v, serving the certificate from the .pfx secret", time.Since(start).Round(time.Millisecond))
	if logs := mustRun(t, dc("", "logs", "--no-color", "regauth")).Output(); !strings.Contains(logs, "Created user \"admin\"") {
		t.Errorf("regauth's first start did not report the admin user it created:\n%s", tail(logs, 20))
	}

	// Users as the admin adds them: inside the running container, the password on stdin.
	// regauth watches the user and group files and logs each reload; the test waits for the
	// reloads rather than trying logins early, which would count as failures for lockout.
	reloads := func() int {
		return strings.Count(mustRun(t, dc("", "logs", "--no-color", "regauth")).Output(), reloadedUsers)
	}
	edit := func(stdin string, args ...string) {
		before := reloads()
		mustRun(t, dc(stdin, append([]string{"exec", "-T", "regauth", "/regauth"}, args...)...))
		for deadline := time.Now().Add(30 * time.Second); reloads() == before; time.Sleep(300 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("regauth did not log a reload (%q) within 30 s of regauth %s", reloadedUsers, strings.Join(args, " "))
			}
		}
	}
	edit(password+"\n", "user", "add", "test", "--password-stdin")
	edit(password+"\n", "user", "add", "testpush", "--password-stdin")
	edit("", "group", "add", "pusher", "testpush")
	if status, _, body := reg.get(t.Context(), t, "/v2/", "testpush", password); status != 200 {
		t.Fatalf("GET /v2/ as testpush, added with regauth user add: %d %s", status, body)
	}

	classicWalkthrough(t, d, reg)
	mustRun(t, dc("", "stop", "registry")) // a tracing exporter would flush what it holds now
	logs := mustRun(t, dc("", "logs", "--no-color", "registry")).Output()
	if !strings.Contains(logs, "PUT /v2/test-hello/manifests/v2") {
		t.Error("the registry container's log has no PUT of test-hello:v2: regauth did not reach it as registry:5000")
	}
	if strings.Contains(logs, "traces export") {
		t.Error("the registry tries to export traces although the compose file turns that off")
	}

	mustRun(t, dc("", "down", "-v"))
	down = true
}

// writeLegacyPFX writes deploy/tls.pfx — a certificate for localhost and 127.0.0.1 with its
// key (regauth's own development certificate, made in a scratch directory), in the legacy
// encoding Windows exports (RC2-40 certificates, 3DES key, SHA-1 MAC) — and
// deploy/pfx-password, both 0600 and owned by the images' user as the compose file's header
// says; the issuing CA goes to caFile for the clients.
func writeLegacyPFX(deployDir, caFile, pw string) error {
	dev, err := certs.EnsureDevCertificate(filepath.Join(deployDir, "..", "devcert"), nil, time.Now())
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(dev.CAFile)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return fmt.Errorf("%s: no PEM certificate", dev.CAFile)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	pfx, err := pkcs12.LegacyRC2.Encode(dev.Bundle.Key, dev.Bundle.Leaf, []*x509.Certificate{ca}, pw)
	if err != nil {
		return err
	}
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(deployDir, 0o755); err != nil {
		return err
	}
	for name, content := range map[string][]byte{"tls.pfx": pfx, "pfx-password": []byte(pw)} {
		path := filepath.Join(deployDir, name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return err
		}
		if err := os.Chown(path, imageUser, imageUser); err != nil {
			return fmt.Errorf("chown %s to the images' user %d (the test needs root): %w", path, imageUser, err)
		}
	}
	return nil
}
