package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const registryModule = "github.com/distribution/distribution/v3/cmd/registry"

// installRegistry builds the stock registry (the registry:3 code) into gobin.
func installRegistry(ctx context.Context, version, gobin string) (string, error) {
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		return "", err
	}
	// Run outside the module: `go install pkg@version` must not see regauth's go.mod.
	_, err := runTool(ctx, gobin, []string{"GOBIN=" + gobin, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false"},
		"go", "install", registryModule+"@"+version)
	return filepath.Join(gobin, "registry"), err
}

// registryInstance is one stock registry process. Two run on the same storage: one with its own
// TLS (what "direct" means to a client) and one on plain HTTP (the upstream behind regauth and
// Apache, as a registry container on a private network is).
type registryInstance struct {
	*process
	url string
}

type registryOptions struct {
	name      string // "tls" or "plain"
	bin, dir  string
	storage   string
	secret    string
	authBlock string // from regauth registry-config
	port      int
	cert, key string // empty for plain HTTP
}

func startRegistry(ctx context.Context, o registryOptions, roots *x509.CertPool) (*registryInstance, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %q\n  maintenance:\n    uploadpurging:\n      enabled: false\n", o.storage)
	fmt.Fprintf(&b, "http:\n  addr: \"127.0.0.1:%d\"\n  secret: %q\n", o.port, o.secret)
	scheme := "http"
	if o.cert != "" {
		scheme = "https"
		fmt.Fprintf(&b, "  tls:\n    certificate: %q\n    key: %q\n", o.cert, o.key)
	}
	b.WriteString(o.authBlock)
	cfg := filepath.Join(o.dir, "registry-"+o.name+".yml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	p, err := startProcess("registry ("+o.name+")", filepath.Join(o.dir, "registry-"+o.name+".log"),
		[]string{"OTEL_SDK_DISABLED=true", "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none"},
		o.bin, "serve", cfg)
	if err != nil {
		return nil, err
	}
	inst := &registryInstance{process: p, url: fmt.Sprintf("%s://127.0.0.1:%d", scheme, o.port)}
	// Token auth: an anonymous /v2/ is challenged.
	if err := waitReady(ctx, p, 30*time.Second, func(ctx context.Context) error {
		return expectStatus(ctx, roots, inst.url+"/v2/", http.StatusUnauthorized)
	}); err != nil {
		p.stop()
		return nil, err
	}
	return inst, nil
}
