package clients

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oras pushes an artifact that is not an image (a plain file with its own artifact type) and
// pulls it back; --ca-file trusts regauth's CA, --registry-config keeps the login apart.
func TestOrasArtifactPushPull(t *testing.T) {
	oras := needPeer(t, "oras")
	logVersion(t, oras, "version")
	reg := env.reg
	reg.showLogOnFailure(t)
	dir := t.TempDir()
	const content = "an artifact that is not an image\n"
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	or := func(args ...string) command {
		args = append(args, "--ca-file", reg.CAFile, "--registry-config", filepath.Join(dir, "auth.json"))
		return command{Path: oras, Args: args, Dir: dir, Stdin: password + "\n", Env: []string{"HOME=" + dir}}
	}
	ref := reg.Host + "/oras/notes:v1"
	push := func() command {
		return or("push", ref, "--artifact-type", "application/vnd.regauth.test.notes", "notes.txt:text/plain")
	}

	mustRun(t, or("login", reg.Host, "-u", "test", "--password-stdin"))
	mustRefuse(t, push())

	mustRun(t, or("login", reg.Host, "-u", "testpush", "--password-stdin"))
	if _, err := digestIn(mustRun(t, push()).Output()); err != nil {
		t.Fatal(err)
	}

	mustRun(t, or("login", reg.Host, "-u", "test", "--password-stdin"))
	mustRun(t, or("pull", ref, "-o", "out"))
	if got, err := os.ReadFile(filepath.Join(dir, "out", "notes.txt")); err != nil || string(got) != content {
		t.Fatalf("pulled notes.txt = %q (%v), want %q", got, err, content)
	}
	if tags := strings.Fields(mustRun(t, or("repo", "tags", reg.Host+"/oras/notes")).Stdout); !slices.Contains(tags, "v1") {
		t.Errorf("oras repo tags = %v, want v1", tags)
	}

	t.Run("catalog", func(t *testing.T) {
		if repos := strings.Fields(mustRun(t, or("repo", "ls", reg.Host)).Stdout); !slices.Contains(repos, "oras/notes") {
			t.Errorf("oras repo ls = %v, want oras/notes", repos)
		}
	})
}
