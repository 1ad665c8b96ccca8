package clients

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// regctl (regclient) is told about regauth's CA with `regctl registry set --cacert`, its
// documented mechanism. It would also read /etc/docker/certs.d, so that is switched off
// here to prove the flag alone works.
func TestRegctlImportExportAndCatalog(t *testing.T) {
	regctl := needPeer(t, "regctl")
	logVersion(t, regctl, "version", "--format", "{{.VCSTag}}")
	reg := env.reg
	reg.showLogOnFailure(t)
	dir := t.TempDir()
	rc := func(args ...string) command {
		return command{Path: regctl, Args: args, Stdin: password + "\n",
			Env: []string{"REGCTL_CONFIG=" + filepath.Join(dir, "regctl.json"), "DOCKER_CONFIG=" + dir, "HOME=" + dir}}
	}
	ca, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host + "/regctl/hello:v1"

	mustRun(t, rc("config", "set", "--docker-cert=false", "--docker-cred=false"))
	mustRun(t, rc("registry", "set", reg.Host, "--tls", "enabled", "--cacert", string(ca)))
	mustRun(t, rc("registry", "login", reg.Host, "-u", "test", "--pass-stdin"))
	mustRefuse(t, rc("image", "import", ref, env.imgTar))

	mustRun(t, rc("registry", "login", reg.Host, "-u", "testpush", "--pass-stdin"))
	mustRun(t, rc("image", "import", ref, env.imgTar))
	digest := strings.TrimSpace(mustRun(t, rc("image", "digest", ref)).Stdout)
	if !digestRE.MatchString(digest) {
		t.Fatalf("regctl image digest printed %q", digest)
	}

	mustRun(t, rc("registry", "login", reg.Host, "-u", "test", "--pass-stdin"))
	if tags := strings.Fields(mustRun(t, rc("tag", "ls", reg.Host+"/regctl/hello")).Stdout); !slices.Contains(tags, "v1") {
		t.Errorf("regctl tag ls = %v, want v1", tags)
	}
	out := filepath.Join(dir, "exported.tar")
	mustRun(t, rc("image", "export", ref, out))
	requireHelloInTar(t, out)

	t.Run("catalog", func(t *testing.T) {
		if repos := strings.Fields(mustRun(t, rc("repo", "ls", reg.Host)).Stdout); !slices.Contains(repos, "regctl/hello") {
			t.Errorf("regctl repo ls = %v, want regctl/hello", repos)
		}
	})
}
