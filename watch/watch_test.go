package watch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fileValue is a reloadable thing: the file's content, unless it says "bad".
type fileValue struct {
	path string
	cur  atomic.Value
}

func (f *fileValue) reload() error {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "bad") {
		return errors.New(f.path + ":1: bad content")
	}
	f.cur.Store(string(b))
	return nil
}

func (f *fileValue) get() string { s, _ := f.cur.Load().(string); return s }

func start(t *testing.T) (*Watcher, *fileValue) {
	t.Helper()
	dir := t.TempDir()
	fv := &fileValue{path: filepath.Join(dir, "acl.yaml")}
	if err := os.WriteFile(fv.path, []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fv.reload(); err != nil {
		t.Fatal(err)
	}
	w := New(slog.New(slog.NewTextHandler(io.Discard, nil)), Target{Name: "acl", Paths: []string{fv.path}, Reload: fv.reload})
	w.debounce = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return w, fv
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestWatcherReloadsOnEveryKindOfChange(t *testing.T) {
	w, fv := start(t)

	if err := os.WriteFile(fv.path, []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "an in-place edit", func() bool { return fv.get() == "v2" })

	tmp := fv.path + ".swp"
	if err := os.WriteFile(tmp, []byte("v3"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, fv.path); err != nil {
		t.Fatal(err)
	}
	eventually(t, "an editor's rename-write", func() bool { return fv.get() == "v3" })

	if err := os.WriteFile(fv.path, []byte("bad"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure to be recorded", func() bool { return w.Statuses()[0].LastErr != nil })
	if fv.get() != "v3" {
		t.Fatalf("after a bad edit the value is %q, want the last good v3", fv.get())
	}

	if err := os.Remove(fv.path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if fv.get() != "v3" {
		t.Fatalf("after deletion the value is %q, want the last good v3", fv.get())
	}
	if err := os.WriteFile(fv.path, []byte("v4"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the file's return", func() bool { return fv.get() == "v4" })
	if st := w.Statuses()[0]; st.LastErr != nil || st.Failures < 1 || st.Reloads < 3 {
		t.Errorf("status = %+v, want recovered with failures and reloads counted", st)
	}
}

func TestReloadAllReloadsWithoutAFileEvent(t *testing.T) {
	w, fv := start(t)
	before := w.Statuses()[0].Reloads
	w.ReloadAll()
	eventually(t, "a SIGHUP-style reload", func() bool { return w.Statuses()[0].Reloads > before })
	if fv.get() != "v1" {
		t.Errorf("value = %q", fv.get())
	}
}
