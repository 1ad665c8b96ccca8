package app

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/certs"
	"github.com/regauth/regauth/tokens"
)

// replace writes path the way editors and config-management tools do: a new file renamed over it.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func htpasswdLine(t *testing.T, user string) string {
	h, err := auth.HashBcrypt("password", 4)
	if err != nil {
		t.Fatal(err)
	}
	return user + ":" + h + "\n"
}

const aliceMayPull = "rules:\n  - match: {account: alice}\n    actions: [pull]\n  - match: {account: bob}\n    actions: [pull]\n"
const aliceMayPush = "rules:\n  - match: {account: alice}\n    actions: [pull, push]\n  - match: {account: bob}\n    actions: [pull]\n"

func TestLiveReloadUnderLoadNeverServesABrokenFile(t *testing.T) {
	dir := t.TempDir()
	cfg, ln := testConfig(t, dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	users := htpasswdLine(t, "admin") + htpasswdLine(t, "alice")
	for name, content := range map[string]string{"htpasswd": users, "groups": "admins: admin\n", "acl.yaml": aliceMayPull} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A PEM certificate we can swap: two development certificates from two CAs.
	first, err := certs.EnsureDevCertificate(filepath.Join(t.TempDir(), "a"), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	second, err := certs.EnsureDevCertificate(filepath.Join(t.TempDir(), "b"), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS.Cert, cfg.TLS.Key = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	copyFile(t, first.CertFile, cfg.TLS.Cert)
	copyFile(t, first.KeyFile, cfg.TLS.Key)

	a, err := New(context.Background(), cfg, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a, ln)
	base := "https://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}

	granted := func(user string) ([]string, error) {
		q := url.Values{"service": {cfg.Token.Service}, "scope": {"repository:app:pull,push"}}
		req, _ := http.NewRequest(http.MethodGet, base+"/auth?"+q.Encode(), nil)
		req.SetBasicAuth(user, "password")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		var body struct{ Token string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return nil, err
		}
		claims, err := a.Issuer.VerifyAccess(body.Token)
		if err != nil {
			return nil, err
		}
		if len(claims.Access) == 0 {
			return nil, nil
		}
		return claims.Access[0].Actions, nil
	}

	// Load: alice asks for tokens the whole time; every request must succeed.
	var requests, failures atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				requests.Add(1)
				if _, err := granted("alice"); err != nil {
					failures.Add(1)
					lastErr.Store(err.Error())
				}
			}
		}()
	}

	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if cond() {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	aliceGets := func(want ...string) func() bool {
		return func() bool { got, err := granted("alice"); return err == nil && slices.Equal(got, want) }
	}
	aclStatus := func() error {
		for _, s := range a.Watcher.Statuses() {
			if s.Name == "acl" {
				return s.LastErr
			}
		}
		return nil
	}

	t.Run("an ACL edited in place takes effect", func(t *testing.T) {
		if err := os.WriteFile(cfg.ACL.File, []byte(aliceMayPush), 0o644); err != nil {
			t.Fatal(err)
		}
		eventually("alice to get push", aliceGets("pull", "push"))
	})
	t.Run("a broken ACL is refused and the last good one keeps deciding", func(t *testing.T) {
		replace(t, cfg.ACL.File, "rules:\n  - match: {acount: alice}\n    actions: [pull]\n")
		eventually("the reload failure to be reported", func() bool { return aclStatus() != nil })
		if !strings.Contains(aclStatus().Error(), "acl.yaml:2") {
			t.Errorf("reload error %q does not name file:line", aclStatus())
		}
		if !aliceGets("pull", "push")() {
			t.Fatal("decisions changed after a broken ACL was written")
		}
		status, body := readyz(t, client, base)
		if status != http.StatusOK || !strings.Contains(body, `"status":"degraded"`) || !strings.Contains(body, "acl.yaml:2") {
			t.Errorf("/readyz with a refused ACL = %d %s, want 200 degraded naming acl.yaml:2", status, body)
		}
	})
	t.Run("fixing the ACL recovers without a restart", func(t *testing.T) {
		replace(t, cfg.ACL.File, aliceMayPull)
		eventually("alice to lose push", aliceGets("pull"))
		if aclStatus() != nil {
			t.Errorf("status still reports %v", aclStatus())
		}
		if status, body := readyz(t, client, base); status != http.StatusOK || !strings.Contains(body, `"status":"ready"`) {
			t.Errorf("/readyz after the fix = %d %s, want ready", status, body)
		}
	})
	t.Run("a user added by rename can sign in, and a broken user file changes nothing", func(t *testing.T) {
		replace(t, cfg.Auth.Htpasswd, users+htpasswdLine(t, "bob"))
		eventually("bob to sign in", func() bool { _, err := granted("bob"); return err == nil })
		replace(t, cfg.Auth.Htpasswd, "this line has no colon\n")
		time.Sleep(500 * time.Millisecond)
		if _, err := granted("bob"); err != nil {
			t.Fatalf("bob refused after a broken user file: %v", err)
		}
	})
	t.Run("a deleted user file keeps the last good users and is picked up when it returns", func(t *testing.T) {
		if err := os.Remove(cfg.Auth.Htpasswd); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if _, err := granted("bob"); err != nil {
			t.Fatalf("bob refused while the file is gone: %v", err)
		}
		replace(t, cfg.Auth.Htpasswd, users)
		eventually("bob to be gone", func() bool { _, err := granted("bob"); return err != nil })
	})
	t.Run("a replaced certificate is served to new connections", func(t *testing.T) {
		serial := func() string {
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				return ""
			}
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
		}
		if serial() != first.Bundle.Leaf.SerialNumber.String() {
			t.Fatal("the first certificate is not served")
		}
		replace(t, cfg.TLS.Key, string(mustRead(t, second.KeyFile)))
		replace(t, cfg.TLS.Cert, string(mustRead(t, second.CertFile)))
		eventually("the new certificate", func() bool { return serial() == second.Bundle.Leaf.SerialNumber.String() })
	})
	t.Run("SIGHUP reloads everything", func(t *testing.T) {
		before := 0
		for _, s := range a.Watcher.Statuses() {
			before += s.Reloads
		}
		a.Watcher.ReloadAll()
		eventually("every target to reload", func() bool {
			after := 0
			for _, s := range a.Watcher.Statuses() {
				after += s.Reloads
			}
			return after >= before+len(a.Watcher.Statuses())
		})
	})

	close(stop)
	wg.Wait()
	t.Logf("%d token requests during the reloads, %d failed", requests.Load(), failures.Load())
	if failures.Load() != 0 {
		t.Fatalf("%d of %d requests failed during reloads; last: %v", failures.Load(), requests.Load(), lastErr.Load())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, mustRead(t, from), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readyz(t *testing.T, client *http.Client, base string) (int, string) {
	t.Helper()
	resp, err := client.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}

func TestARotatedTokenKeySignsAtOnceAndTheOldOneStaysTrusted(t *testing.T) {
	cfg, ln := testConfig(t, t.TempDir())
	a, err := New(context.Background(), cfg, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a, ln)
	old := a.Keys.Current()
	oldToken, err := a.Issuer.IssueAccess("admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := tokens.RotateSigningKey(cfg.TokenDir(), "ES256", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Keys.Current().KeyID != rotated.KeyID {
		if time.Now().After(deadline) {
			t.Fatal("the rotated key was not picked up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/auth/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set tokens.JWKS
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	if !slices.Contains(kids, rotated.KeyID) || !slices.Contains(kids, old.KeyID) {
		t.Fatalf("JWKS kids = %v, want the new %s and the old %s", kids, rotated.KeyID, old.KeyID)
	}
	newToken, err := a.Issuer.IssueAccess("admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(headerOf(t, newToken.Token), rotated.KeyID) {
		t.Error("a new token is not signed with the rotated key")
	}
	if _, err := a.Issuer.VerifyAccess(oldToken.Token); err != nil {
		t.Errorf("a token signed before the rotation no longer verifies: %v", err)
	}
}

func headerOf(t *testing.T, token string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
