package main

import (
	"bytes"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const fixturePassword = "changeit"

// certFixture is a file of the certs package's testdata (made by certs/testdata/gen.sh).
func certFixture(name string) string { return filepath.Join("..", "..", "certs", "testdata", name) }

// sharedPFX is the outside fixture directory of DESIGN.md; tests using it skip when absent.
var sharedPFX = filepath.Join("..", "..", "..", "shared", "fixtures", "pfx")

func TestCertInspectNamesLegacyAlgorithms(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv("REGAUTH_TLS_PFX_PASSWORD", e.secret(fixturePassword))
	stdout, _ := e.mustRun(0, "", "cert", "inspect", certFixture("legacy-rc2-chain.pfx"))
	mustContain(t, "stdout", stdout,
		"(PKCS#12)",
		"CN=*.registry.test",
		"DNS:*.registry.test, DNS:registry.test",
		"CN=regauth Test Intermediate CA",
		"2026-01-01 to 2046-01-01",
		"days left",
		"ECDSA P-256",
		"leaf + 1 intermediate",
		`yes: ends at the self-signed root "CN=regauth Test Root CA"`,
	)
	for _, want := range []struct{ use, name, note string }{
		{"MAC", "HMAC-SHA1", "LEGACY"},
		{"certificates", "pbeWithSHAAnd40BitRC2-CBC", "OpenSSL 3 refuses it without -legacy"},
		{"private key", "pbeWithSHAAnd3-KeyTripleDES-CBC", "LEGACY"},
	} {
		line := lineWith(stdout, "  "+want.use+":")
		if !strings.Contains(line, want.name) || !strings.Contains(line, want.note) {
			t.Errorf("%s line = %q; want %s flagged %q", want.use, line, want.name, want.note)
		}
	}
	mustContain(t, "stdout", stdout, "regauth cert import")
}

func TestCertInspectCallsModernAlgorithmsOK(t *testing.T) {
	e := newTestEnv(t)
	pwFile := filepath.Join(e.dir, "pw")
	e.write(pwFile, e.secret(fixturePassword)+"\n")
	stdout, _ := e.mustRun(0, "", "cert", "inspect", certFixture("modern-aes-chain.pfx"), "--password-file", pwFile)
	mustContain(t, "stdout", stdout, "PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)", "HMAC-SHA256", "no root: ends at")
	if strings.Contains(stdout, "LEGACY") {
		t.Errorf("a modern file is called legacy:\n%s", stdout)
	}

	// The empty password is tried first, so a file without one needs nothing.
	stdout, _ = e.mustRun(0, "", "cert", "inspect", certFixture("modern-empty-password.pfx"))
	mustContain(t, "stdout", stdout, "CN=*.registry.test")
}

func TestCertInspectReportsAnIncompleteChainAndWhatCompletesIt(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv("REGAUTH_TLS_PFX_PASSWORD", e.secret(fixturePassword))
	stdout, _ := e.mustRun(0, "", "cert", "inspect", certFixture("legacy-rc2-leaf-only.pfx"))
	mustContain(t, "stdout", stdout, "leaf only", `no: the issuer "CN=regauth Test Intermediate CA" is missing`, "warning: chain incomplete")
	stdout, _ = e.mustRun(0, "", "cert", "inspect", certFixture("legacy-rc2-leaf-only.pfx"), "--chain", certFixture("int.crt"))
	mustContain(t, "stdout", stdout, "leaf + 1 intermediate", "no root: ends at")
}

func TestCertInspectReadsPEMAndTheConfiguredCertificate(t *testing.T) {
	e := newTestEnv(t)
	stdout, _ := e.mustRun(0, "", "cert", "inspect", certFixture("leaf.crt"), "--key", certFixture("leaf.key"))
	mustContain(t, "stdout", stdout, "(PEM)", "CN=*.registry.test", "ECDSA P-256")

	stdout, _ = e.mustRun(0, "", "cert", "inspect", certFixture("leaf.crt"))
	mustContain(t, "stdout", stdout, "no private key given", "Certificates:")

	pwFile := filepath.Join(e.dir, "pw")
	e.write(pwFile, e.secret(fixturePassword)+"\n")
	abs, _ := filepath.Abs(certFixture("rsa-leaf.pfx"))
	e.writeConfig("tls:\n  pfx: " + abs + "\n  pfx_password_file: " + pwFile + "\n")
	stdout, _ = e.mustRun(0, "", "cert", "inspect")
	mustContain(t, "stdout", stdout, "rsa-leaf.pfx (PKCS#12)", "RSA 2048 bits")
}

func TestCertInspectExitCodes(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name string
		env  string
		args []string
		code int
		want string
	}{
		{"a wrong password", "wrong-pfx-pw", []string{"cert", "inspect", certFixture("modern-aes-chain.pfx")}, 1, "wrong password (password from REGAUTH_TLS_PFX_PASSWORD)"},
		{"no password and no terminal", "", []string{"cert", "inspect", certFixture("modern-aes-chain.pfx")}, 1, "needs a password"},
		{"a missing file", "", []string{"cert", "inspect", filepath.Join(e.dir, "nope.pfx")}, 1, "no such file"},
		{"random bytes", "", []string{"cert", "inspect", certFixture("not-a-pfx.pfx")}, 1, "neither PKCS#12 nor a certificate"},
		{"two files", "", []string{"cert", "inspect", "a", "b"}, 2, "accepts at most 1 arg"},
		{"nothing configured and nothing generated", "", []string{"cert", "inspect"}, 2, "no certificate configured"},
		{"a password flag does not exist", "", []string{"cert", "inspect", "x.pfx", "--password", "x"}, 2, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("REGAUTH_TLS_PFX_PASSWORD", e.secret(tt.env))
			}
			code, _, stderr := e.run("", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
}

func TestCertImportWritesLeafPlusIntermediatesAndAPrivateKey(t *testing.T) {
	tests := []struct {
		name, pfx, chain, password string
		wantPEM                    []string // files whose concatenation server.crt must equal
		wantKey                    string
	}{
		{"legacy leaf-only file with the intermediate apart", certFixture("legacy-rc2-leaf-only.pfx"), certFixture("int.crt"), fixturePassword,
			[]string{certFixture("leaf.crt"), certFixture("int.crt")}, certFixture("leaf.key")},
		{"legacy file with the whole chain (root dropped)", certFixture("legacy-rc2-chain.pfx"), "", fixturePassword,
			[]string{certFixture("leaf.crt"), certFixture("int.crt")}, certFixture("leaf.key")},
		{"modern file", certFixture("modern-aes-chain.pfx"), "", fixturePassword,
			[]string{certFixture("leaf.crt"), certFixture("int.crt")}, certFixture("leaf.key")},
		{"outside legacy fixture", filepath.Join(sharedPFX, "legacy-rc2-chain.pfx"), "", fixturePassword,
			[]string{filepath.Join(sharedPFX, "wildcard-leaf.crt"), filepath.Join(sharedPFX, "wildcard-int.crt")}, filepath.Join(sharedPFX, "wildcard-leaf.key")},
		{"outside leaf-only fixture", filepath.Join(sharedPFX, "legacy-rc2-leaf-only.pfx"), filepath.Join(sharedPFX, "wildcard-int.crt"), fixturePassword,
			[]string{filepath.Join(sharedPFX, "wildcard-leaf.crt"), filepath.Join(sharedPFX, "wildcard-int.crt")}, filepath.Join(sharedPFX, "wildcard-leaf.key")},
		{"outside empty-password fixture", filepath.Join(sharedPFX, "modern-empty-password.pfx"), "", "",
			[]string{filepath.Join(sharedPFX, "wildcard-leaf.crt"), filepath.Join(sharedPFX, "wildcard-int.crt")}, filepath.Join(sharedPFX, "wildcard-leaf.key")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.pfx); err != nil && strings.HasPrefix(tt.pfx, sharedPFX) {
				t.Skipf("outside fixture not present: %v", err)
			}
			e := newTestEnv(t)
			if tt.password != "" {
				t.Setenv("REGAUTH_TLS_PFX_PASSWORD", e.secret(tt.password))
			}
			out := filepath.Join(e.dir, "tls")
			args := []string{"cert", "import", tt.pfx, "--out", out}
			if tt.chain != "" {
				args = append(args, "--chain", tt.chain)
			}
			stdout, _ := e.mustRun(0, "", args...)
			crt, key := filepath.Join(out, "server.crt"), filepath.Join(out, "server.key")
			absCrt, _ := filepath.Abs(crt)
			mustContain(t, "stdout", stdout, "leaf + 1 intermediate", "tls:\n  cert: "+absCrt+"\n  key: ")

			var want []byte
			for _, f := range tt.wantPEM {
				want = append(want, e.read(f)...)
			}
			if got := e.read(crt); got != string(want) {
				t.Errorf("server.crt is not leaf + intermediate PEM:\n%s", got)
			}
			if info, err := os.Stat(key); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("server.key: %v, %v; want mode 0600", info, err)
			}
			pair, err := tls.LoadX509KeyPair(crt, key)
			if err != nil {
				t.Fatalf("Go cannot pair the outputs: %v", err)
			}
			wantPair, err := tls.LoadX509KeyPair(tt.wantPEM[0], tt.wantKey)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pair.Certificate[0], wantPair.Certificate[0]) {
				t.Error("the leaf differs from the expected one")
			}
			opensslReads(t, crt, key)
		})
	}
}

// opensslReads checks the outputs with OpenSSL 3, which refuses the legacy input itself.
func opensslReads(t *testing.T, crt, key string) {
	t.Helper()
	const openssl = "/usr/bin/openssl"
	if _, err := os.Stat(openssl); err != nil {
		t.Log("no /usr/bin/openssl; skipping the OpenSSL check")
		return
	}
	for _, args := range [][]string{
		{"x509", "-in", crt, "-noout", "-subject"},
		{"pkey", "-in", key, "-noout"},
	} {
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestCertImportFailuresWriteNothing(t *testing.T) {
	e := newTestEnv(t)
	out := filepath.Join(e.dir, "tls")
	t.Setenv("REGAUTH_TLS_PFX_PASSWORD", e.secret("not-the-password"))
	_, stderr := e.mustRun(1, "", "cert", "import", certFixture("legacy-rc2-chain.pfx"), "--out", out)
	mustContain(t, "stderr", stderr, "wrong password")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory exists after a failure: %v", err)
	}
	_, stderr = e.mustRun(2, "", "cert", "import", certFixture("legacy-rc2-chain.pfx"))
	mustContain(t, "stderr", stderr, `"out" not set`)
	t.Setenv("REGAUTH_TLS_PFX_PASSWORD", fixturePassword)
	_, stderr = e.mustRun(1, "", "cert", "import", certFixture("legacy-rc2-chain.pfx"), "--out", filepath.Join(e.dir, "tls2"), "--chain", certFixture("leaf.key"))
	mustContain(t, "stderr", stderr, "no certificate found")
}

func lineWith(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
