package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "regauth.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadWithNothingGivesTheZeroConfigDefaults(t *testing.T) {
	cfg, err := Load(LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != ":5043" || cfg.PublicURL != "https://localhost:5043" || cfg.Token.TTL != 5*time.Minute {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.ACL.File != filepath.Join("regauth-data", "acl.yaml") || cfg.Registry.Storage != filepath.Join("regauth-data", "registry") {
		t.Errorf("derived paths = %q, %q", cfg.ACL.File, cfg.Registry.Storage)
	}
	if cfg.Realm() != "https://localhost:5043/auth" {
		t.Errorf("realm = %q", cfg.Realm())
	}
}

func TestLoadMergesFileEnvironmentAndFlagsInThatOrder(t *testing.T) {
	path := writeFile(t, "listen: 127.0.0.1:6000\ntoken:\n  issuer: from-file\n  service: file-svc\n  ttl: 10m\n")
	t.Setenv("REGAUTH_TOKEN_ISSUER", "from-env")
	t.Setenv("REGAUTH_REGISTRY_DELETE", "true")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.String("listen", ":5043", "")
	if err := fs.Parse([]string{"--listen", "127.0.0.1:7000"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(LoadOptions{File: path, Flags: map[string]*pflag.Flag{"listen": fs.Lookup("listen")}})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"flag beats file", cfg.Listen, "127.0.0.1:7000"},
		{"environment beats file", cfg.Token.Issuer, "from-env"},
		{"file beats default", cfg.Token.Service, "file-svc"},
		{"durations parse", cfg.Token.TTL.String(), "10m0s"},
		{"public url follows listen", cfg.PublicURL, "https://127.0.0.1:7000"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !cfg.Registry.Delete {
		t.Error("REGAUTH_REGISTRY_DELETE=true was not applied")
	}
}

func TestLoadRefusesBadFilesNamingFileAndLine(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"a misspelt key", "listen: :5043\ntoken:\n  isuer: x\n", []string{"regauth.yaml:3:", `unknown key "token.isuer"`, `did you mean "token.issuer"`}},
		{"an unknown section", "tokens:\n  ttl: 5m\n", []string{"regauth.yaml:1:", `unknown key "tokens"`}},
		{"a bad duration", "token:\n  ttl: five minutes\n", []string{"regauth.yaml:2:", "token.ttl", "not a duration"}},
		{"a bad bool", "registry:\n  delete: maybe\n", []string{"regauth.yaml:2:", "registry.delete"}},
		{"a password in the file", "tls:\n  pfx: a.pfx\n  pfx_password: secret\n", []string{"regauth.yaml:3:", "pfx_password_file"}},
		{"a list where a value belongs", "listen: [a, b]\n", []string{"regauth.yaml:1:", "listen: want a single value"}},
		{"a section that is a value", "token: 5\n", []string{"regauth.yaml:1:", "token must be a map"}},
		{"every problem at once", "a: 1\nb: 2\n", []string{"regauth.yaml:1:", "regauth.yaml:2:"}},
		{"broken YAML", "listen: [\n", []string{"regauth.yaml", "yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(LoadOptions{File: writeFile(t, tt.content)})
			if err == nil {
				t.Fatal("Load accepted the file")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	cfg := Default()
	cfg.Listen = "nonsense"
	cfg.PublicURL = "ftp://x"
	cfg.Token.TTL = time.Second
	cfg.Token.Key = "k.pem"
	cfg.TLS.Cert = "c.pem"
	cfg.Log.Format = "xml"
	cfg.Registry.Upstream = "registry:5000"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken configuration")
	}
	for _, want := range []string{"listen:", "public_url:", "token.ttl:", "token.key and token.cert", "tls.cert and tls.key", "log.format:", "registry.upstream:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestPFXPasswordComesFromTheEnvironmentOrAFileAndNeverPrints(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "tls:\n  pfx: cert.pfx\n  pfx_password_file: "+pwFile+"\n")
	cfg, err := Load(LoadOptions{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS.PFXPassword.Reveal() != "s3cret" {
		t.Errorf("password from file = %q", cfg.TLS.PFXPassword.Reveal())
	}
	t.Setenv(PFXPasswordEnv, "from-env")
	cfg, err = Load(LoadOptions{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS.PFXPassword.Reveal() != "from-env" {
		t.Errorf("password from environment = %q", cfg.TLS.PFXPassword.Reveal())
	}
	for _, s := range []string{cfg.TLS.PFXPassword.String(), strings.TrimSpace(sprint(cfg))} {
		if strings.Contains(s, "from-env") {
			t.Errorf("password printed: %s", s)
		}
	}
}

func sprint(v any) string { return fmt.Sprintf("%v %+v %#v", v, v, v) }
