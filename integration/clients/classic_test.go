package clients

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The walkthrough of the Apache setup regauth replaces, command for command: a pull-only
// user cannot push, a pusher can, the image comes back with the digest it was pushed with,
// and plain `curl -u` still reads the registry.
func TestDockerClassicWalkthrough(t *testing.T) {
	d := needDocker(t)
	env.reg.showLogOnFailure(t)
	classicWalkthrough(t, d, env.reg)
}

// classicWalkthrough is the walkthrough against any regauth with the classic users, groups
// and rules: the embedded registry, a registry:2 behind it, the docker-compose stack.
func classicWalkthrough(t *testing.T, d *dockerDaemon, reg *regauth) {
	docker := d.newCLI(t)
	ref := reg.Host + "/test-hello:v2"

	docker.must(t, "import", env.rootfs, ref)
	t.Cleanup(func() { docker.run(t, "image", "rm", "-f", ref) })

	if r := docker.login(t, reg.Host, "test", password); r.Err != nil || !strings.Contains(r.Output(), "Login Succeeded") {
		t.Fatalf("docker login as test: %v\n%s", r.Err, r.Output())
	}
	mustRefuse(t, docker.cmd("", "push", ref))
	docker.must(t, "logout", reg.Host)

	if r := docker.login(t, reg.Host, "testpush", password); r.Err != nil {
		t.Fatalf("docker login as testpush: %v\n%s", r.Err, r.Output())
	}
	pushed, err := digestIn(docker.must(t, "push", ref).Stdout)
	if err != nil {
		t.Fatalf("docker push printed no digest: %v", err)
	}
	docker.must(t, "image", "rm", ref)
	docker.must(t, "pull", ref)
	if got := repoDigests(t, docker, ref); !slices.Contains(got, reg.Host+"/test-hello@"+pushed) {
		t.Fatalf("pulled image's RepoDigests = %v, want %s/test-hello@%s", got, reg.Host, pushed)
	}

	t.Run("the pull-only user pulls it too", func(t *testing.T) {
		docker.must(t, "logout", reg.Host)
		if r := docker.login(t, reg.Host, "test", password); r.Err != nil {
			t.Fatalf("docker login as test: %v\n%s", r.Err, r.Output())
		}
		docker.must(t, "image", "rm", ref)
		docker.must(t, "pull", ref)
		if got := repoDigests(t, docker, ref); !slices.Contains(got, reg.Host+"/test-hello@"+pushed) {
			t.Fatalf("RepoDigests = %v, want the pushed digest %s", got, pushed)
		}
	})

	t.Run("curl -u lists the tags", func(t *testing.T) {
		out := curlBasic(t, reg, "test", "/v2/test-hello/tags/list")
		var tags struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal([]byte(out), &tags); err != nil || tags.Name != "test-hello" || !slices.Contains(tags.Tags, "v2") {
			t.Fatalf("tags/list = %s (%v), want test-hello with tag v2", out, err)
		}
	})

	// `curl -u user:pass https://host/v2/_catalog` is what the Apache setup's scripts run.
	t.Run("curl -u lists the catalog", func(t *testing.T) {
		out := curlBasic(t, reg, "test", "/v2/_catalog")
		var cat struct {
			Repositories []string `json:"repositories"`
		}
		if err := json.Unmarshal([]byte(out), &cat); err != nil || !slices.Contains(cat.Repositories, "test-hello") {
			t.Fatalf("_catalog = %s (%v), want test-hello listed", out, err)
		}
	})
}

// curlBasic is `curl -u user:password --cacert CA URL`, failing the test on an HTTP error.
func curlBasic(t *testing.T, reg *regauth, user, path string) string {
	t.Helper()
	curl := needPeer(t, "curl")
	logVersion(t, curl, "--version")
	r := run(t, command{Path: curl, Args: []string{"-sS", "--fail-with-body", "-u", user + ":" + password, "--cacert", reg.CAFile, reg.URL + path}})
	if r.Err != nil {
		t.Fatalf("curl -u %s %s: %v\n%s", user, path, r.Err, r.Output())
	}
	return r.Stdout
}

// repoDigests is the image's RepoDigests as the daemon reports them.
func repoDigests(t testing.TB, docker *dockerCLI, ref string) []string {
	t.Helper()
	out := docker.must(t, "image", "inspect", "--format", "{{json .RepoDigests}}", ref).Stdout
	var digests []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &digests); err != nil {
		t.Fatalf("RepoDigests %q: %v", out, err)
	}
	return digests
}
