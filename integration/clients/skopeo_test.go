package clients

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// skopeo (containers/image, the library under podman, buildah and CRI-O) copies an image in
// from a `docker save` archive and back out to an OCI layout, trusting regauth's CA only
// through --cert-dir.
func TestSkopeoCopiesInAndOut(t *testing.T) {
	skopeo := needPeer(t, "skopeo")
	logVersion(t, skopeo, "--version")
	reg := env.reg
	reg.showLogOnFailure(t)
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sk := func(args ...string) command {
		return command{Path: skopeo, Args: append([]string{"--policy", policy}, args...), Stdin: password + "\n"}
	}
	dest := "docker://" + reg.Host + "/skopeo/hello:v1"
	src := "docker-archive:" + env.imgTar

	mustRefuse(t, sk("copy", "--dest-cert-dir", reg.CertDir, "--dest-creds=test:"+password, src, dest))
	mustRun(t, sk("copy", "--dest-cert-dir", reg.CertDir, "--dest-creds=testpush:"+password, src, dest))

	var inspect struct {
		Digest string `json:"Digest"`
	}
	out := mustRun(t, sk("inspect", "--cert-dir", reg.CertDir, "--creds=test:"+password, dest)).Stdout
	if err := json.Unmarshal([]byte(out), &inspect); err != nil || inspect.Digest == "" {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	t.Logf("pushed %s", inspect.Digest)

	var tags struct {
		Tags []string `json:"Tags"`
	}
	out = mustRun(t, sk("list-tags", "--cert-dir", reg.CertDir, "--creds=test:"+password, "docker://"+reg.Host+"/skopeo/hello")).Stdout
	if err := json.Unmarshal([]byte(out), &tags); err != nil || !slices.Contains(tags.Tags, "v1") {
		t.Fatalf("skopeo list-tags = %s (%v), want v1", out, err)
	}

	layoutDir := filepath.Join(dir, "oci")
	mustRun(t, sk("copy", "--src-cert-dir", reg.CertDir, "--src-creds=test:"+password, dest, "oci:"+layoutDir+":v1"))
	requireHelloInLayout(t, layoutDir)

	t.Run("login keeps the credentials in the auth file", func(t *testing.T) {
		authfile := filepath.Join(t.TempDir(), "auth.json")
		mustRun(t, sk("login", "--cert-dir", reg.CertDir, "--authfile", authfile, "-u", "test", "--password-stdin", reg.Host))
		mustRun(t, sk("inspect", "--cert-dir", reg.CertDir, "--authfile", authfile, dest))
	})

	t.Run("anonymous is refused", func(t *testing.T) {
		mustRefuse(t, sk("inspect", "--cert-dir", reg.CertDir, "--no-creds", dest))
	})
}
