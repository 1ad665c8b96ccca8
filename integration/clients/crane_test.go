package clients

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// crane (go-containerregistry's CLI, the same code as ko and many CI tools) trusts regauth's
// CA through SSL_CERT_FILE, like any Go program, and keeps its login in DOCKER_CONFIG.
func TestCranePushPullAndCatalog(t *testing.T) {
	crane := needPeer(t, "crane")
	logVersion(t, crane, "version")
	reg := env.reg
	reg.showLogOnFailure(t)
	dir := t.TempDir()
	cr := func(args ...string) command {
		return command{Path: crane, Args: args, Stdin: password + "\n",
			Env: []string{"SSL_CERT_FILE=" + reg.CAFile, "DOCKER_CONFIG=" + dir}}
	}
	ref := reg.Host + "/crane/hello:v1"

	mustRun(t, cr("auth", "login", reg.Host, "-u", "test", "--password-stdin"))
	mustRefuse(t, cr("push", env.imgTar, ref))

	mustRun(t, cr("auth", "login", reg.Host, "-u", "testpush", "--password-stdin"))
	pushed, err := digestIn(mustRun(t, cr("push", env.imgTar, ref)).Stdout)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, cr("auth", "login", reg.Host, "-u", "test", "--password-stdin"))
	if got := strings.TrimSpace(mustRun(t, cr("digest", ref)).Stdout); got != pushed {
		t.Errorf("crane digest = %s, want the pushed %s", got, pushed)
	}
	if tags := strings.Fields(mustRun(t, cr("ls", reg.Host+"/crane/hello")).Stdout); !slices.Contains(tags, "v1") {
		t.Errorf("crane ls = %v, want v1", tags)
	}
	out := filepath.Join(dir, "pulled.tar")
	mustRun(t, cr("pull", ref, out))
	requireHelloInTar(t, out)

	t.Run("catalog", func(t *testing.T) {
		if repos := strings.Fields(mustRun(t, cr("catalog", reg.Host)).Stdout); !slices.Contains(repos, "crane/hello") {
			t.Errorf("crane catalog = %v, want crane/hello", repos)
		}
	})

	t.Run("anonymous is refused", func(t *testing.T) {
		mustRun(t, cr("auth", "logout", reg.Host))
		mustRefuse(t, cr("digest", ref))
	})
}
