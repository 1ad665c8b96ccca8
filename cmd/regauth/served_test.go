package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// served is the real regauth binary running `serve` with the zero configuration in a
// temporary directory, on a free loopback port.
type served struct {
	cmd    *exec.Cmd
	exited chan error // cmd.Wait's result
	base   string     // https://127.0.0.1:port
	data   string     // the data directory: dev CA, admin password
	client *http.Client
}

// startServed builds regauth, starts `regauth serve` with extraConfig (YAML) added, and
// waits until /healthz answers over its development certificate.
func startServed(t *testing.T, extraConfig string, env ...string) *served {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "regauth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &served{exited: make(chan error, 1), base: "https://" + addr, data: filepath.Join(dir, "data")}
	cfgPath := filepath.Join(dir, "regauth.yaml")
	cfg := fmt.Sprintf("listen: %s\ndata_dir: %s\naudit:\n  output: \"off\"\nlog:\n  level: warn\n%s", addr, s.data, extraConfig)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "serve", "--config", cfgPath)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	for i := 0; ; i++ {
		if caPEM, err := os.ReadFile(filepath.Join(s.data, "tls", "ca.crt")); err == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(caPEM)
			s.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
			if resp, err := s.client.Get(s.base + "/healthz"); err == nil {
				resp.Body.Close()
				return s
			}
		}
		if i == 300 {
			t.Fatal("regauth did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
