package audit

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOpenFileCreatesAnOwnerOnlyFileAndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	for i, user := range []string{"alice", "bob"} {
		l, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		l.Log(Event{Kind: KindToken, User: user})
		if err := l.Close(); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := lines(t, b)
	if len(got) != 2 || got[0].User != "alice" || got[1].User != "bob" {
		t.Errorf("file holds %+v, want alice then bob", got)
	}
}

func TestOpenFileSaysWhatFailed(t *testing.T) {
	_, err := OpenFile(filepath.Join(t.TempDir(), "missing", "audit.log"))
	if err == nil {
		t.Fatal("no error for a missing directory")
	}
	if want := "open audit log: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
}
