package app

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestTheFrontRefusesOldProtocolsAndNonAEADCiphersAsOpenSSLSeesIt drives the front with
// `openssl s_client`, the tool an auditor would use. OpenSSL 3 needs security level 0 even to
// offer TLS 1.0/1.1, and Debian's build has no SSLv3 at all (so SSLv3 cannot even be offered).
func TestTheFrontRefusesOldProtocolsAndNonAEADCiphersAsOpenSSLSeesIt(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is not installed (Debian package openssl)")
		}
		t.Skip("!!! openssl not installed: TLS policy not checked with s_client")
	}
	cfg, ln := testConfig(t, t.TempDir())
	a, err := New(context.Background(), cfg, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a, ln)
	version, _ := exec.Command(openssl, "version").Output()
	t.Logf("using %s", strings.TrimSpace(string(version)))

	cases := []struct {
		name   string
		args   []string
		accept bool
	}{
		{"TLS 1.0 is refused", []string{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"}, false},
		{"TLS 1.1 is refused", []string{"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"}, false},
		{"TLS 1.2 with a CBC suite is refused", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA256:@SECLEVEL=0"}, false},
		{"TLS 1.2 with RSA key exchange is refused", []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384"}, false},
		{"TLS 1.2 with ECDHE and AES-GCM is accepted", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}, true},
		{"TLS 1.2 with ECDHE and ChaCha20-Poly1305 is accepted", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"}, true},
		{"TLS 1.3 is accepted", []string{"-tls1_3"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"s_client", "-connect", ln.Addr().String(), "-servername", "localhost"}, tc.args...)
			cmd := exec.Command(openssl, args...)
			cmd.Stdin = strings.NewReader("Q\n")
			out, err := cmd.CombinedOutput()
			handshake := err == nil && strings.Contains(string(out), "Cipher is ") && !strings.Contains(string(out), "Cipher is (NONE)")
			if handshake != tc.accept {
				t.Fatalf("openssl %s: handshake=%v, want %v\n%s", strings.Join(tc.args, " "), handshake, tc.accept, out)
			}
		})
	}
}

func TestOversizedHeadersAreRefused(t *testing.T) {
	cfg, ln := testConfig(t, t.TempDir())
	a, err := New(context.Background(), cfg, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a, ln)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+ln.Addr().String()+"/auth", nil)
	req.Header.Set("X-Filler", strings.Repeat("x", 200<<10))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 200 KiB header got %d, want 431", resp.StatusCode)
	}
}
