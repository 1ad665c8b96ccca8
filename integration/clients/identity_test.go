package clients

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docker login keeps a refresh token (its "identity token") instead of the password, and
// every later push and pull trades it for access tokens. Changing the password revokes it:
// the next pull fails until the user logs in again.
//
// This test runs its own regauth, because it changes a password and restarts the process.
func TestDockerLoginStoresAnIdentityTokenNotThePassword(t *testing.T) {
	d := needDocker(t)
	reg := startRegauth(t, "", regauthOptions{})
	if untrust, err := trustCertsD(reg.Host, reg.CAFile); err != nil {
		t.Logf("warning: could not put regauth's CA in docker's certs.d: %v", err)
	} else {
		t.Cleanup(untrust)
	}

	docker := d.newCLI(t)
	ref := reg.Host + "/identity/hello:v1"
	docker.must(t, "import", env.rootfs, ref)
	t.Cleanup(func() { docker.run(t, "image", "rm", "-f", ref) })

	if r := docker.login(t, reg.Host, "testpush", password); r.Err != nil {
		t.Fatalf("docker login: %v\n%s", r.Err, r.Output())
	}
	entry := dockerConfigEntry(t, docker.configDir, reg.Host)
	if entry.IdentityToken == "" {
		t.Fatalf("config.json has no identitytoken for %s: %+v", reg.Host, entry)
	}
	if raw, _ := os.ReadFile(filepath.Join(docker.configDir, "config.json")); strings.Contains(string(raw), password) {
		t.Fatal("config.json contains the password in clear")
	}
	dec, _ := base64.StdEncoding.DecodeString(entry.Auth)
	if strings.Contains(string(dec), password) {
		t.Fatalf("config.json's auth field holds the password (%q): docker should have kept only the identity token", entry.Auth)
	}
	t.Logf("config.json keeps an identity token (%d bytes) and no password (auth decodes to %q)", len(entry.IdentityToken), dec)

	docker.must(t, "push", ref)
	docker.must(t, "image", "rm", ref)
	docker.must(t, "pull", ref)
	if !reg.loggedLine(`"event":"token"`, `"user":"testpush"`, `"grant":"refresh_token"`) {
		t.Error("regauth's audit log shows no refresh_token grant: did docker use the identity token?")
	}

	// A new password, as an admin rewriting the htpasswd file would set it; regauth reloads
	// the file by itself.
	const newPassword = "a-new-password"
	if err := reg.setPassword("testpush", newPassword); err != nil {
		t.Fatal(err)
	}
	docker.must(t, "image", "rm", ref)
	mustRefuse(t, docker.cmd("", "pull", ref))
	if !reg.loggedLine("refresh token revoked", "user=testpush") {
		t.Error("regauth's log does not say the refresh token was revoked")
	}

	if r := docker.login(t, reg.Host, "testpush", newPassword); r.Err != nil {
		t.Fatalf("docker login with the new password: %v\n%s", r.Err, r.Output())
	}
	docker.must(t, "pull", ref)

	// The identity token outlives a restart: the signing key is kept in the data directory.
	if err := reg.restart(); err != nil {
		t.Fatal(err)
	}
	docker.must(t, "image", "rm", ref)
	docker.must(t, "pull", ref)
}

// dockerAuth is one entry of config.json's "auths".
type dockerAuth struct {
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
}

func dockerConfigEntry(t *testing.T, dir, host string) dockerAuth {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths      map[string]dockerAuth `json:"auths"`
		CredsStore string                `json:"credsStore"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	if cfg.CredsStore != "" {
		t.Fatalf("docker used the credential store %q; this test reads config.json", cfg.CredsStore)
	}
	entry, ok := cfg.Auths[host]
	if !ok {
		t.Fatalf("config.json has no entry for %s:\n%s", host, raw)
	}
	return entry
}
