package acl

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const pullOnly = "rules:\n  - match: {}\n    actions: [pull]\n"
const pullPush = "rules:\n  - match: {}\n    actions: [pull, push]\n"

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStore(t *testing.T) {
	pushReq := Request{Account: "alice", Name: "x", Actions: []string{"push"}}

	t.Run("NewStore loads the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acl.yaml")
		writeFile(t, path, pullPush)
		s, err := NewStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Authorize(pushReq).Allowed("push") || s.Policy().Len() != 1 {
			t.Errorf("store does not serve the file's policy")
		}
	})

	t.Run("NewStore refuses an invalid file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acl.yaml")
		writeFile(t, path, "rules:\n  - match: {}\n    acton: [pull]\n")
		if _, err := NewStore(path, nil); err == nil || !strings.Contains(err.Error(), `acl.yaml:3: unknown key "acton"`) {
			t.Errorf("NewStore error = %v, want the line of the problem", err)
		}
	})

	t.Run("NewStore refuses a missing file", func(t *testing.T) {
		if _, err := NewStore(filepath.Join(t.TempDir(), "nope.yaml"), nil); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("NewStore error = %v, want fs.ErrNotExist", err)
		}
	})

	t.Run("Reload swaps in a valid file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acl.yaml")
		writeFile(t, path, pullOnly)
		s, err := NewStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Authorize(pushReq).Allowed("push") {
			t.Fatal("push allowed before the reload")
		}
		writeFile(t, path, pullPush)
		if err := s.Reload(); err != nil {
			t.Fatal(err)
		}
		if !s.Authorize(pushReq).Allowed("push") {
			t.Error("push still refused after the reload")
		}
	})

	t.Run("Reload keeps the last good policy when the file breaks", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acl.yaml")
		writeFile(t, path, pullPush)
		var logs bytes.Buffer
		s, err := NewStore(path, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		good := s.Policy()
		writeFile(t, path, "rules:\n  - match: {acount: x}\n    actions: [pull]\n")
		err = s.Reload()
		if err == nil || !strings.Contains(err.Error(), `unknown match key "acount"`) {
			t.Fatalf("Reload error = %v, want the parse error", err)
		}
		if s.Policy() != good {
			t.Error("a failed reload replaced the policy")
		}
		if !s.Authorize(pushReq).Allowed("push") {
			t.Error("the last good policy no longer decides")
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "keeping the previous rules") {
			t.Errorf("the failed reload was not logged as an error:\n%s", logs.String())
		}
	})

	t.Run("Reload keeps the last good policy when the file disappears", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acl.yaml")
		writeFile(t, path, pullPush)
		s, err := NewStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		good := s.Policy()
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := s.Reload(); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Reload error = %v, want fs.ErrNotExist", err)
		}
		if s.Policy() != good {
			t.Error("a failed reload replaced the policy")
		}
	})

	t.Run("decisions continue while reloading", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acl.yaml")
		writeFile(t, path, pullPush)
		s, err := NewStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req := Request{Account: "alice", Name: "x", Actions: []string{"pull", "push"}}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 200 {
					if !s.Authorize(req).Allowed("pull") {
						t.Error("pull refused during a reload")
						return
					}
				}
			})
		}
		for i := range 20 {
			if i%2 == 0 {
				writeFile(t, path, pullOnly)
			} else {
				writeFile(t, path, "rules: [") // broken: keeps the previous policy
			}
			_ = s.Reload()
		}
		wg.Wait()
	})
}
