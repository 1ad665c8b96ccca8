package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

type storeFixture struct {
	htpasswd, groups string
	logs             *bytes.Buffer
	store            *Store
}

func newStoreFixture(t *testing.T, htpasswd, groups string) *storeFixture {
	t.Helper()
	dir := t.TempDir()
	f := &storeFixture{
		htpasswd: filepath.Join(dir, "htpasswd"),
		groups:   filepath.Join(dir, "groups"),
		logs:     &bytes.Buffer{},
	}
	writeFile(t, f.htpasswd, htpasswd)
	writeFile(t, f.groups, groups)
	s, err := NewStore(StoreOptions{
		HtpasswdPath: f.htpasswd,
		GroupsPath:   f.groups,
		Logger:       slog.New(slog.NewJSONHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	f.store = s
	return f
}

func TestStoreAuthenticate(t *testing.T) {
	f := newStoreFixture(t,
		"alice:"+vecAPR1+"\nbob:"+vecSHA+"\ndave:"+vecDES+"\n",
		"pusher: alice\nreaders: alice bob\n")
	ctx := context.Background()

	tests := []struct {
		name     string
		user, pw string
		want     Identity
		wantErr  error
	}{
		{"a user with the right password gets their groups", "alice", "correct horse", Identity{Name: "alice", Groups: []string{"pusher", "readers"}}, nil},
		{"a user in one group gets that group", "bob", "battery staple", Identity{Name: "bob", Groups: []string{"readers"}}, nil},
		{"a wrong password is invalid credentials", "alice", "wrong", Identity{}, ErrInvalidCredentials},
		{"an unknown user is invalid credentials", "mallory", "correct horse", Identity{}, ErrInvalidCredentials},
		{"an empty user name is invalid credentials", "", "", Identity{}, ErrInvalidCredentials},
		{"a user refused for a DES hash is invalid credentials", "dave", vecDES, Identity{}, ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.Authenticate(ctx, tt.user, Password(tt.pw))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got.Name != tt.want.Name || !slices.Equal(got.Groups, tt.want.Groups) {
				t.Errorf("identity = %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("a cancelled context is returned as such", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := f.store.Authenticate(cctx, "alice", "correct horse"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStoreLogsRefusedLinesWithoutTheHash(t *testing.T) {
	f := newStoreFixture(t, "alice:"+vecAPR1+"\n\ndave:"+vecDES+"\nerin:plain-secret\n", "")
	logs := f.logs.String()
	for _, leak := range []string{vecDES, "plain-secret", vecAPR1} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log reveals %q:\n%s", leak, logs)
		}
	}
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		records = append(records, r)
	}
	if len(records) != 2 {
		t.Fatalf("got %d log records, want 2:\n%s", len(records), logs)
	}
	for i, want := range []struct {
		user string
		line float64
	}{{"dave", 3}, {"erin", 4}} {
		r := records[i]
		if r["level"] != "WARN" || r["file"] != f.htpasswd || r["line"] != want.line || r["user"] != want.user {
			t.Errorf("record %d = %v, want WARN file=%s line=%v user=%s", i, r, f.htpasswd, want.line, want.user)
		}
	}
}

func TestStoreReload(t *testing.T) {
	t.Run("a new version of both files is picked up", func(t *testing.T) {
		f := newStoreFixture(t, "alice:"+vecAPR1+"\n", "pusher: alice\n")
		writeFile(t, f.htpasswd, "alice:"+vecAPR1+"\nbob:"+vecSHA+"\n")
		writeFile(t, f.groups, "pusher: bob\n")
		if err := f.store.Reload(); err != nil {
			t.Fatal(err)
		}
		id, err := f.store.Authenticate(context.Background(), "bob", "battery staple")
		if err != nil || !slices.Equal(id.Groups, []string{"pusher"}) {
			t.Fatalf("bob = %+v, %v", id, err)
		}
		if id, _ := f.store.Authenticate(context.Background(), "alice", "correct horse"); len(id.Groups) != 0 {
			t.Errorf("alice keeps her old groups: %v", id.Groups)
		}
	})

	breakages := []struct {
		name     string
		breakIt  func(f *storeFixture)
		wantFile func(f *storeFixture) string
	}{
		{"a broken htpasswd file keeps the last good pair",
			func(f *storeFixture) { writeFile(t, f.htpasswd, "alice:"+vecSHA+"\nbroken line\n") },
			func(f *storeFixture) string { return f.htpasswd + ":2:" }},
		{"a broken group file keeps the last good pair",
			func(f *storeFixture) {
				writeFile(t, f.htpasswd, "carol:"+vecSHA+"\n")
				writeFile(t, f.groups, "pusher carol\n")
			},
			func(f *storeFixture) string { return f.groups + ":1:" }},
		{"a deleted htpasswd file keeps the last good pair",
			func(f *storeFixture) { writeFile(t, f.groups, "pusher: carol\n"); mustRemove(t, f.htpasswd) },
			func(f *storeFixture) string { return f.htpasswd }},
	}
	for _, tt := range breakages {
		t.Run(tt.name, func(t *testing.T) {
			f := newStoreFixture(t, "alice:"+vecAPR1+"\n", "pusher: alice\n")
			tt.breakIt(f)
			err := f.store.Reload()
			if err == nil || !strings.Contains(err.Error(), tt.wantFile(f)) {
				t.Fatalf("Reload() = %v, want an error naming %s", err, tt.wantFile(f))
			}
			id, err := f.store.Authenticate(context.Background(), "alice", "correct horse")
			if err != nil || !slices.Equal(id.Groups, []string{"pusher"}) {
				t.Errorf("alice after a failed reload = %+v, %v; want the old files", id, err)
			}
			if _, err := f.store.Authenticate(context.Background(), "carol", "battery staple"); err == nil {
				t.Error("half of a failed reload was applied")
			}
		})
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestStoreLookup(t *testing.T) {
	f := newStoreFixture(t, "alice:"+vecAPR1+"\nbob:"+vecSHA+"\n", "pusher: alice\n")

	id, before, ok := f.store.Lookup("alice")
	if !ok || id.Name != "alice" || !slices.Equal(id.Groups, []string{"pusher"}) || before == "" {
		t.Fatalf("Lookup(alice) = %+v, %q, %v", id, before, ok)
	}
	if _, _, ok := f.store.Lookup(""); ok {
		t.Error("the empty user name was found")
	}

	writeFile(t, f.htpasswd, "alice:"+shaHash("a new password")+"\n")
	if err := f.store.Reload(); err != nil {
		t.Fatal(err)
	}
	t.Run("the fingerprint changes when the password changes", func(t *testing.T) {
		_, after, ok := f.store.Lookup("alice")
		if !ok || after == before {
			t.Errorf("fingerprint %q -> %q (ok %v)", before, after, ok)
		}
	})
	t.Run("a removed user is not found", func(t *testing.T) {
		if id, fp, ok := f.store.Lookup("bob"); ok || fp != "" || id.Name != "" {
			t.Errorf("Lookup(bob) = %+v, %q, %v", id, fp, ok)
		}
	})
}

func TestNewStore(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "htpasswd")
	writeFile(t, good, "alice:"+vecAPR1+"\n")
	badGroups := filepath.Join(dir, "groups")
	writeFile(t, badGroups, "nocolon\n")

	t.Run("without a group file nobody is in a group", func(t *testing.T) {
		s, err := NewStore(StoreOptions{HtpasswdPath: good})
		if err != nil {
			t.Fatal(err)
		}
		id, err := s.Authenticate(context.Background(), "alice", "correct horse")
		if err != nil || id.Name != "alice" || id.Groups != nil {
			t.Errorf("alice = %+v, %v", id, err)
		}
	})
	t.Run("a broken group file fails", func(t *testing.T) {
		if _, err := NewStore(StoreOptions{HtpasswdPath: good, GroupsPath: badGroups}); err == nil || !strings.Contains(err.Error(), badGroups+":1:") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a missing htpasswd file fails", func(t *testing.T) {
		if _, err := NewStore(StoreOptions{HtpasswdPath: filepath.Join(dir, "missing")}); err == nil {
			t.Error("NewStore succeeded")
		}
	})
	t.Run("no htpasswd path fails", func(t *testing.T) {
		if _, err := NewStore(StoreOptions{}); err == nil {
			t.Error("NewStore succeeded")
		}
	})
}

func TestStoreAuthenticatesWhileReloading(t *testing.T) {
	f := newStoreFixture(t, "alice:"+vecSHA+"\n", "pusher: alice\n")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if _, err := f.store.Authenticate(context.Background(), "alice", "battery staple"); err != nil {
					t.Error(err)
					return
				}
				f.store.Lookup("alice")
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if err := f.store.Reload(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// yesHasher answers yes to every check and records the hashes it was given: whether a login
// succeeds must then depend on the store knowing the user, not on the hasher.
type yesHasher struct {
	mu     sync.Mutex
	hashes []string
}

func (h *yesHasher) CheckPassword(hash string, _ []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hashes = append(h.hashes, hash)
	return true
}

func TestStoreHashesUnknownUsersThroughItsHasherButNeverLetsThemIn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "htpasswd")
	aliceHash, err := HashBcrypt("correct horse", 4)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "alice:"+aliceHash+"\nbob:plaintext\n")
	h := &yesHasher{}
	s, err := NewStore(StoreOptions{HtpasswdPath: path, Hasher: h, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"mallory", "bob"} { // unknown, and refused
		if _, err := s.Authenticate(context.Background(), user, "anything"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: %v, want ErrInvalidCredentials although the hasher says yes", user, err)
		}
	}
	if _, err := s.Authenticate(context.Background(), "alice", "anything"); err != nil {
		t.Errorf("alice: %v; the hasher decides for a known user", err)
	}
	// Each login cost one hash, and the unknown and refused ones a bcrypt hash like alice's
	// (the decoy imitates the file's most common kind and cost).
	if len(h.hashes) != 3 {
		t.Fatalf("the hasher was asked %d times, want 3", len(h.hashes))
	}
	for i, got := range h.hashes {
		if !strings.HasPrefix(got, "$2") || got[:7] != aliceHash[:7] {
			t.Errorf("check %d hashed against %.7s…, want a bcrypt hash of alice's cost (%.7s…)", i, got, aliceHash)
		}
	}
}
