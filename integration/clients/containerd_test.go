package clients

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// containerd (and buildx, nerdctl, ctr) ask for tokens differently from docker: POST
// grant_type=password with the credentials in the form, falling back to GET with Basic when
// the POST is answered 400, 401, 404 or 405. First the requests by hand, as containerd's
// remotes/docker/auth code sends them, then the real ctr.
func TestContainerdStyleTokenRequests(t *testing.T) {
	reg := env.reg
	reg.showLogOnFailure(t)
	seedImage(t, reg, "containerd/hello:v1")
	ctx := context.Background()
	realm, service := challenge(t, reg)

	post := func(t *testing.T, form url.Values) (int, http.Header, tokenJSON) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, realm, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return doToken(t, reg, req)
	}
	getBasic := func(t *testing.T, user, pw string, q url.Values) (int, http.Header, tokenJSON) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm+"?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, pw)
		return doToken(t, reg, req)
	}
	scope := "repository:containerd/hello:pull"
	form := func(user, pw string) url.Values {
		return url.Values{
			"grant_type": {"password"}, "username": {user}, "password": {pw},
			"service": {service}, "scope": {scope}, "client_id": {"containerd-client"},
		}
	}

	t.Run("POST grant_type=password with form credentials gets a working token", func(t *testing.T) {
		status, _, tok := post(t, form("test", password))
		if status != http.StatusOK || tok.AccessToken == "" {
			t.Fatalf("POST /auth = %d %+v, want 200 with access_token", status, tok)
		}
		if tok.RefreshToken != "" {
			t.Error("a refresh_token without access_type=offline")
		}
		if got := bearerGet(t, reg, "/v2/containerd/hello/tags/list", tok.AccessToken); got != http.StatusOK {
			t.Fatalf("tags/list with the POSTed token = %d, want 200", got)
		}
	})

	t.Run("POST with access_type=offline also returns a refresh token", func(t *testing.T) {
		f := form("test", password)
		f.Set("access_type", "offline")
		status, _, tok := post(t, f)
		if status != http.StatusOK || tok.RefreshToken == "" {
			t.Fatalf("POST /auth access_type=offline = %d %+v, want a refresh_token", status, tok)
		}
	})

	t.Run("a 401 on POST sends containerd to GET, which refuses the same bad password", func(t *testing.T) {
		status, _, _ := post(t, form("test", "wrong"))
		if status != http.StatusUnauthorized {
			t.Fatalf("POST with a bad password = %d, want 401 (containerd falls back to GET on it)", status)
		}
		status, hdr, _ := getBasic(t, "test", "wrong", url.Values{"service": {service}, "scope": {scope}})
		if status != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
			t.Fatalf("GET fallback with a bad password = %d %q, want 401 with a Basic challenge", status, hdr.Get("WWW-Authenticate"))
		}
	})

	t.Run("a 400 on POST sends containerd to GET, which works with good credentials", func(t *testing.T) {
		f := form("test", password)
		f.Del("grant_type")
		if status, _, _ := post(t, f); status != http.StatusBadRequest {
			t.Fatalf("POST without grant_type = %d, want 400", status)
		}
		status, _, tok := getBasic(t, "test", password, url.Values{"service": {service}, "scope": {scope}})
		if status != http.StatusOK || tok.Token == "" {
			t.Fatalf("GET fallback = %d %+v, want a token", status, tok)
		}
		if got := bearerGet(t, reg, "/v2/containerd/hello/tags/list", tok.Token); got != http.StatusOK {
			t.Fatalf("tags/list with the GET token = %d, want 200", got)
		}
	})

	t.Run("ctr pulls as test and pushes as testpush", func(t *testing.T) {
		testCtr(t, reg)
	})
}

// testCtr drives containerd's own client against the containerd inside the docker engine.
func testCtr(t *testing.T, reg *regauth) {
	ctr := needPeer(t, "ctr")
	d := needDocker(t)
	if d.containerd == "" {
		missingPeer(t, "containerd", "the docker engine's containerd socket is unknown")
	}
	if _, err := os.Stat(d.containerd); err != nil {
		missingPeer(t, "containerd", err.Error())
	}
	logVersion(t, ctr, "--version")
	c := func(args ...string) command {
		return command{Path: ctr, Args: append([]string{"--address", d.containerd, "--namespace", "regauth-tests"}, args...)}
	}
	// ctr 1.6 talks plain HTTP to any loopback registry unless a hosts.toml says otherwise:
	// the registry configuration containerd (and the CRI plugin) read, with the CA in it.
	hostsDir := t.TempDir()
	hostDir := filepath.Join(hostsDir, reg.Host)
	hostsTOML := fmt.Sprintf("server = %[1]q\n\n[host.%[1]q]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n  ca = %[2]q\n", reg.URL, reg.CAFile)
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hostDir, "hosts.toml"), []byte(hostsTOML), 0o644); err != nil {
		t.Fatal(err)
	}
	remote := func(sub, verb string, args ...string) command {
		return c(append([]string{sub, verb, "--hosts-dir", hostsDir}, args...)...)
	}

	ref := reg.Host + "/containerd/hello:v1"
	mine := reg.Host + "/containerd/hello:ctr"
	t.Cleanup(func() { run(t, c("images", "rm", ref, mine)) })

	mustRun(t, remote("images", "pull", "--user", "test:"+password, ref))
	if !reg.loggedLine(`"event":"token"`, `"client_id":"containerd-client"`, `"grant":"password"`) {
		t.Error("regauth's audit log shows no password grant from containerd-client: ctr did not POST the form")
	}
	mustRun(t, c("images", "tag", ref, mine))
	refuseCtrPush(t, remote("images", "push", "--user", "test:"+password, mine))
	mustRun(t, remote("images", "push", "--user", "testpush:"+password, mine))
	if code, _, body := reg.get(context.Background(), t, "/v2/containerd/hello/tags/list", "test", password); code != http.StatusOK || !strings.Contains(body, `"ctr"`) {
		t.Errorf("tags/list after ctr's push = %d %s, want the tag ctr", code, body)
	}
}

// ctrClosedPipe is how ctr 1.6 sometimes reports a push the registry refused: the answer to
// the manifest PUT can come before ctr has written the manifest into the pipe its request
// reads from, and ctr then reports the closed pipe instead of the answer
// (containerd/containerd#7972, only partly mended by #7985).
const ctrClosedPipe = "io: read/write on closed pipe"

// refuseCtrPush is mustRefuse for a ctr push, tried again (as a user would) while ctr reports
// its closed pipe instead of the refusal; a push that succeeds fails the test at once.
func refuseCtrPush(t *testing.T, c command) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		r := run(t, c)
		if r.Err == nil || saysRefused(r.Output()) || attempt == 3 || !strings.Contains(r.Output(), ctrClosedPipe) {
			expectRefused(t, c, r)
			return
		}
		t.Logf("ctr reported %q rather than the refusal (containerd#7972); trying again", ctrClosedPipe)
	}
}

type tokenJSON struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

func doToken(t *testing.T, reg *regauth, req *http.Request) (int, http.Header, tokenJSON) {
	t.Helper()
	resp, err := reg.client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok tokenJSON
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &tok); err != nil {
			t.Fatalf("token response %s: %v", body, err)
		}
	}
	t.Logf("%s %s -> %d %s", req.Method, req.URL.Path, resp.StatusCode, strings.TrimSpace(string(redactTokens(body))))
	return resp.StatusCode, resp.Header, tok
}

var jwtRE = regexp.MustCompile(`"(token|access_token|refresh_token)":"[^"]{12}[^"]*"`)

func redactTokens(body []byte) []byte { return jwtRE.ReplaceAll(body, []byte(`"$1":"…"`)) }

// challenge reads realm and service from the registry's 401, as every client does first.
func challenge(t *testing.T, reg *regauth) (realm, service string) {
	t.Helper()
	code, hdr, _ := reg.get(context.Background(), t, "/v2/", "", "")
	h := hdr.Get("WWW-Authenticate")
	if code != http.StatusUnauthorized || !strings.HasPrefix(h, "Bearer ") {
		t.Fatalf("GET /v2/ = %d %q, want 401 with a Bearer challenge", code, h)
	}
	params := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		params[m[1]] = m[2]
	}
	if params["realm"] == "" || params["service"] == "" {
		t.Fatalf("challenge %q lacks realm or service", h)
	}
	return params["realm"], params["service"]
}

// bearerGet is a GET with an access token; it returns the status.
func bearerGet(t *testing.T, reg *regauth, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, reg.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := reg.client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
