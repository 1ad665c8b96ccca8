package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regauth/regauth/auth"
)

// The service name and the users the bench creates. bench is in group pusher and may push
// bench/*; anonymous users may pull public/*.
const (
	service    = "registry"
	benchUser  = "bench"
	tokenRepo  = "bench/app"
	blobRepo   = "bench/blob"
	publicRepo = "public/app"
)

// regauthSetup is everything regauth instances of one bench run share: the binary, the data
// directory (dev certificate, token key, embedded registry storage) and the user files.
type regauthSetup struct {
	bin      string
	dir      string // scratch space for configs and logs
	dataDir  string
	password string
	// files
	htpasswd, groups, acl string
}

// buildRegauth builds the regauth binary once, the way it ships: static, trimmed.
func buildRegauth(ctx context.Context, root, outDir string) (string, error) {
	bin := filepath.Join(outDir, "regauth")
	_, err := runTool(ctx, root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", bin, "./cmd/regauth")
	return bin, err
}

// newRegauthSetup writes the user, group and ACL files: one user with a cost-10 bcrypt
// password (the htpasswd -B default), as most installations have.
func newRegauthSetup(bin, dir string) (*regauthSetup, error) {
	s := &regauthSetup{
		bin: bin, dir: dir, dataDir: filepath.Join(dir, "data"), password: rand.Text(),
		htpasswd: filepath.Join(dir, "htpasswd"), groups: filepath.Join(dir, "groups"), acl: filepath.Join(dir, "acl.yaml"),
	}
	hash, err := auth.HashBcrypt(auth.Password(s.password), 10)
	if err != nil {
		return nil, err
	}
	files := map[string]string{
		s.htpasswd: benchUser + ":" + hash + "\n",
		s.groups:   "pusher: " + benchUser + "\n",
		s.acl: `rules:
  - match: {group: pusher, type: repository, name: "bench/*"}
    actions: [pull, push]
    comment: the bench user pushes and pulls bench/*
  - match: {account: "", type: repository, name: "public/*"}
    actions: [pull]
    comment: anonymous users may pull public/*
`,
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	return s, nil
}

// regauthOptions is what differs between the regauth instances of a run.
type regauthOptions struct {
	name      string        // for logs: "warm", "cold", "blobs"...
	cacheTTL  time.Duration // auth.cache_ttl; 0 disables the credential cache
	upstream  string        // registry.upstream; empty = embedded registry
	noLockout bool          // lockout.enabled: false, for a stream of refused logins from one address
}

// regauthInstance is one running regauth process.
type regauthInstance struct {
	*process
	url    string // https://127.0.0.1:port
	roots  *x509.CertPool
	config string
	audit  string // its audit log
}

// auditFile is where the instance called name writes its audit log.
func (s *regauthSetup) auditFile(name string) string {
	return filepath.Join(s.dir, "audit-"+name+".jsonl")
}

// emptyAudit checks that regauth audited something since the last call, then empties the
// file: a full bench audits over a million tokens, which would otherwise fill the temporary
// directory with several hundred MB.
func (inst *regauthInstance) emptyAudit() error {
	fi, err := os.Stat(inst.audit)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("regauth wrote nothing to its audit log %s", inst.audit)
	}
	return os.Truncate(inst.audit, 0)
}

// writeConfig writes the configuration of one instance listening on port.
func (s *regauthSetup) writeConfig(o regauthOptions, port int) (string, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\npublic_url: %q\ndata_dir: %q\n", addr, "https://"+addr, s.dataDir)
	// Every token is audited, as by default; to a file, as a deployment keeps it.
	fmt.Fprintf(&b, "audit: {output: %q}\n", s.auditFile(o.name))
	fmt.Fprintf(&b, "token: {service: %q}\n", service)
	fmt.Fprintf(&b, "auth: {htpasswd: %q, groups: %q, cache_ttl: %s}\n", s.htpasswd, s.groups, o.cacheTTL)
	fmt.Fprintf(&b, "acl: {file: %q}\n", s.acl)
	if o.noLockout {
		fmt.Fprintf(&b, "lockout: {enabled: false}\n")
	}
	if o.upstream != "" {
		fmt.Fprintf(&b, "registry: {upstream: %q}\n", o.upstream)
	}
	path := filepath.Join(s.dir, "regauth-"+o.name+".yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// start runs regauth as a separate process (so its RSS is its own) and waits until it answers.
func (s *regauthSetup) start(ctx context.Context, o regauthOptions) (*regauthInstance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg, err := s.writeConfig(o, port)
	if err != nil {
		return nil, err
	}
	p, err := startProcess("regauth ("+o.name+")", filepath.Join(s.dir, "regauth-"+o.name+".log"), nil, s.bin, "serve", "--config", cfg)
	if err != nil {
		return nil, err
	}
	inst := &regauthInstance{process: p, url: fmt.Sprintf("https://127.0.0.1:%d", port), config: cfg, audit: s.auditFile(o.name)}
	err = waitReady(ctx, p, 60*time.Second, func(ctx context.Context) error {
		if inst.roots == nil {
			roots, err := loadRoots(s.caFile())
			if err != nil {
				return err
			}
			inst.roots = roots
		}
		return expectStatus(ctx, inst.roots, inst.url+"/healthz", http.StatusOK)
	})
	if err != nil {
		p.stop()
		return nil, err
	}
	return inst, nil
}

// caFile is regauth's development CA, which every TLS endpoint of the bench uses.
func (s *regauthSetup) caFile() string { return filepath.Join(s.dataDir, "tls", "ca.crt") }

// serverCert and serverKey are regauth's development server certificate for 127.0.0.1; the
// stock registry and Apache serve the same one, so every front pays the same handshake.
func (s *regauthSetup) serverCert() string { return filepath.Join(s.dataDir, "tls", "server.crt") }
func (s *regauthSetup) serverKey() string  { return filepath.Join(s.dataDir, "tls", "server.key") }

// registryConfig runs `regauth registry-config`: the auth.token block a stock registry needs to
// trust regauth's tokens, with the files it references written into outDir.
func (s *regauthSetup) registryConfig(ctx context.Context, config, outDir string) (string, error) {
	out, err := runTool(ctx, s.dir, nil, s.bin, "registry-config", "--config", config, "--out", outDir)
	if err != nil {
		return "", err
	}
	// stderr lists the files written ("wrote ..."); the YAML block starts at "auth:".
	text := string(out)
	i := strings.Index(text, "auth:\n")
	if i < 0 {
		return "", fmt.Errorf("regauth registry-config printed no auth block:\n%s", text)
	}
	var block []string
	for _, line := range strings.Split(text[i:], "\n") {
		if line == "auth:" || strings.HasPrefix(line, " ") {
			block = append(block, line)
		}
	}
	return strings.Join(block, "\n") + "\n", nil
}

func loadRoots(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate", caFile)
	}
	return pool, nil
}

// expectStatus GETs url once (TLS trusting roots) and wants the given status.
func expectStatus(ctx context.Context, roots *x509.CertPool, url string, want int) error {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
	}
	return nil
}
