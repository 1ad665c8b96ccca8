package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Lines built from the hash vectors of apr1_test.go.
const (
	bcryptLine = "alice:" + vecBcrypt2y
	shaLine    = "bob:" + vecSHA
	newHash    = vecBcryptLong
)

func TestHtpasswdEditsKeepEveryOtherLineByteForByte(t *testing.T) {
	tests := []struct {
		name, in, want string
		edit           func(*HtpasswdFile) error
	}{
		{
			name: "a new user is appended after comments and blank lines",
			in:   "# users\n\n" + bcryptLine + "\n\n# end\n",
			want: "# users\n\n" + bcryptLine + "\n\n# end\ncarol:" + newHash + "\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("carol", newHash); return err },
		},
		{
			name: "a changed password keeps the line where it was",
			in:   "# first\n" + bcryptLine + "\n" + shaLine + "\n# last\n",
			want: "# first\n" + bcryptLine + "\nbob:" + newHash + "\n# last\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("bob", newHash); return err },
		},
		{
			name: "a refused plaintext line stays until its user is changed",
			in:   "dave:plaintext\n" + bcryptLine + "\n",
			want: "dave:plaintext\n",
			edit: func(h *HtpasswdFile) error { h.Delete("alice"); return nil },
		},
		{
			name: "a plaintext user is upgraded in place",
			in:   "# x\ndave:plaintext\n" + bcryptLine + "\n",
			want: "# x\ndave:" + newHash + "\n" + bcryptLine + "\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("dave", newHash); return err },
		},
		{
			name: "CRLF files stay CRLF, new lines included",
			in:   "# win\r\n" + bcryptLine + "\r\n",
			want: "# win\r\n" + bcryptLine + "\r\nbob:" + newHash + "\r\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("bob", newHash); return err },
		},
		{
			name: "a last line without newline gets one before the new line",
			in:   "# x\n" + bcryptLine,
			want: "# x\n" + bcryptLine + "\nbob:" + newHash + "\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("bob", newHash); return err },
		},
		{
			name: "a byte order mark and indentation survive a change of the first line",
			in:   "\ufeff  " + shaLine + "  \n" + bcryptLine + "\n",
			want: "\ufeff  bob:" + newHash + "\n" + bcryptLine + "\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("bob", newHash); return err },
		},
		{
			name: "duplicate lines of the changed user collapse into the first",
			in:   shaLine + "\n# mid\n" + "bob:dup\n",
			want: "bob:" + newHash + "\n# mid\n",
			edit: func(h *HtpasswdFile) error { _, err := h.Set("bob", newHash); return err },
		},
		{
			name: "delete removes only the user's line",
			in:   "# a\n" + bcryptLine + "\n\n" + shaLine + "\n#b\n",
			want: "# a\n" + bcryptLine + "\n\n#b\n",
			edit: func(h *HtpasswdFile) error { h.Delete("bob"); return nil },
		},
		{
			name: "a comment that looks like a user is never taken for one",
			in:   "#bob:old\n" + shaLine + "\n",
			want: "#bob:old\n",
			edit: func(h *HtpasswdFile) error { h.Delete("bob"); return nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := ParseHtpasswdFile([]byte(tt.in))
			if err := tt.edit(h); err != nil {
				t.Fatal(err)
			}
			if got := string(h.Bytes()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestHtpasswdSetReportsWhetherTheUserIsNew(t *testing.T) {
	h := ParseHtpasswdFile([]byte(bcryptLine + "\n"))
	if added, err := h.Set("alice", newHash); err != nil || added {
		t.Errorf("Set(existing) = %v, %v; want false, nil", added, err)
	}
	if added, err := h.Set("zed", newHash); err != nil || !added {
		t.Errorf("Set(new) = %v, %v; want true, nil", added, err)
	}
	if h.Delete("nobody") {
		t.Error("Delete(nobody) reported a deletion")
	}
}

func TestHtpasswdSetRefusesNamesAndHashesThatWouldBreakTheFile(t *testing.T) {
	for _, tt := range []struct{ name, user, hash string }{
		{"a colon in the name", "a:b", newHash},
		{"space in the name", "a b", newHash},
		{"an empty name", "", newHash},
		{"a comment marker", "#a", newHash},
		{"a newline in the hash", "a", "x\ny:z"},
		{"an empty hash", "a", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := ParseHtpasswdFile(nil)
			if _, err := h.Set(tt.user, tt.hash); err == nil {
				t.Errorf("Set(%q, %q) succeeded", tt.user, tt.hash)
			}
			if len(h.Bytes()) != 0 {
				t.Errorf("the file changed: %q", h.Bytes())
			}
		})
	}
}

func TestHtpasswdUsersNamesKindsAndRefusalsWithoutHashes(t *testing.T) {
	h := ParseHtpasswdFile([]byte("# c\n" + bcryptLine + "\n" + shaLine + "\ncarol:secret\n\nnot a user line\n"))
	got := h.Users()
	want := []HtpasswdUser{
		{Name: "alice", Line: 2, Kind: KindBcrypt},
		{Name: "bob", Line: 3, Kind: KindSHA1},
		{Name: "carol", Line: 4, Refused: "unsupported hash (plaintext or DES crypt)"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Users() = %+v\nwant %+v", got, want)
	}
	if !KindSHA1.Weak() || !KindAPR1.Weak() || KindBcrypt.Weak() {
		t.Error("Weak: want {SHA} and apr1 weak, bcrypt not")
	}
	if KindSHA1.Label() != "{SHA}" || KindBcrypt.Label() != "bcrypt" {
		t.Errorf("labels = %q, %q", KindSHA1.Label(), KindBcrypt.Label())
	}
	for _, u := range got {
		if strings.Contains(u.Refused, "secret") {
			t.Errorf("refusal quotes the plaintext password: %q", u.Refused)
		}
	}
}

func TestGroupEditsKeepEveryOtherLineByteForByte(t *testing.T) {
	tests := []struct {
		name, in, want string
		edit           func(*GroupFile) error
	}{
		{
			name: "a new member goes at the end of the group's last line",
			in:   "# groups\npusher: alice\n\nadmins: root\npusher: bob\n",
			want: "# groups\npusher: alice\n\nadmins: root\npusher: bob carol\n",
			edit: func(g *GroupFile) error { _, err := g.Add("pusher", "carol"); return err },
		},
		{
			name: "an existing member is not added twice",
			in:   "pusher:   alice\n",
			want: "pusher:   alice\n",
			edit: func(g *GroupFile) error { _, err := g.Add("pusher", "alice"); return err },
		},
		{
			name: "a new group is appended",
			in:   "# g\nadmins: root",
			want: "# g\nadmins: root\ndevs: a b\n",
			edit: func(g *GroupFile) error { _, err := g.Add("devs", "a", "b", "a"); return err },
		},
		{
			name: "an empty group can be created",
			in:   "",
			want: "devs:\n",
			edit: func(g *GroupFile) error { _, err := g.Add("devs"); return err },
		},
		{
			name: "removing members keeps the group, even empty",
			in:   "admins: root\r\npusher: alice bob\r\n# tail\r\n",
			want: "admins: root\r\npusher:\r\n# tail\r\n",
			edit: func(g *GroupFile) error { g.Remove("pusher", "alice", "bob"); return nil },
		},
		{
			name: "a continuation line left empty is dropped",
			in:   "pusher: alice\nadmins: root\npusher: bob\n",
			want: "pusher: alice\nadmins: root\n",
			edit: func(g *GroupFile) error { g.Remove("pusher", "bob"); return nil },
		},
		{
			name: "deleting a group removes all its lines",
			in:   "pusher: alice\n# keep\nadmins: root\npusher: bob\n",
			want: "# keep\nadmins: root\n",
			edit: func(g *GroupFile) error { g.DeleteGroup("pusher"); return nil },
		},
		{
			name: "removing a user takes them out of every group",
			in:   "# c\npusher: alice bob\nadmins: bob\nreaders: carol\n",
			want: "# c\npusher: alice\nadmins:\nreaders: carol\n",
			edit: func(g *GroupFile) error {
				if got := g.RemoveUser("bob"); !slices.Equal(got, []string{"pusher", "admins"}) {
					t.Errorf("RemoveUser = %v", got)
				}
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ParseGroupFile([]byte(tt.in))
			if err := tt.edit(g); err != nil {
				t.Fatal(err)
			}
			if got := string(g.Bytes()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestGroupsMergesLinesAndReportsMembersOnce(t *testing.T) {
	g := ParseGroupFile([]byte("# x\npusher: a b\nadmins:\npusher: b c\n"))
	got := g.Groups()
	if len(got) != 2 || got[0].Name != "pusher" || !slices.Equal(got[0].Members, []string{"a", "b", "c"}) || got[0].Line != 2 ||
		got[1].Name != "admins" || len(got[1].Members) != 0 {
		t.Errorf("Groups() = %+v", got)
	}
	added, err := g.Add("pusher", "c", "d")
	if err != nil || !slices.Equal(added, []string{"d"}) {
		t.Errorf("Add = %v, %v; want [d]", added, err)
	}
	if removed := g.Remove("pusher", "a", "zz"); !slices.Equal(removed, []string{"a"}) {
		t.Errorf("Remove = %v; want [a]", removed)
	}
	if _, err := g.Add("bad group", "x"); err == nil {
		t.Error("Add accepted a group name with a space")
	}
}

func writeTemp(t *testing.T, name, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func TestSaveReplacesTheFileKeepingItsPermissionsAndTheServerReadsIt(t *testing.T) {
	path := writeTemp(t, "htpasswd", "# keep me\n"+bcryptLine+"\n", 0o640)
	groups := writeTemp(t, "groups", "pusher: alice\n", 0o604)
	h, err := LoadHtpasswdFile(path)
	if err != nil || !h.Exists() {
		t.Fatalf("LoadHtpasswdFile = %v, exists %v", err, h.Exists())
	}
	hash, err := HashBcrypt("s3cret", 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Set("carol", hash); err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	g, err := LoadGroupFile(groups)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Add("pusher", "carol"); err != nil {
		t.Fatal(err)
	}
	if err := g.Save(); err != nil {
		t.Fatal(err)
	}
	for file, perm := range map[string]os.FileMode{path: 0o640, groups: 0o604} {
		info, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != perm {
			t.Errorf("%s: mode %v, want %v", filepath.Base(file), info.Mode().Perm(), perm)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	store, err := NewStore(StoreOptions{HtpasswdPath: path, GroupsPath: groups})
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.Authenticate(context.Background(), "carol", "s3cret")
	if err != nil || !slices.Equal(id.Groups, []string{"pusher"}) {
		t.Errorf("Authenticate(carol) = %+v, %v", id, err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# keep me\n"+bcryptLine+"\n") {
		t.Errorf("file lost its first lines: %q", data)
	}
}

func TestSaveCreatesMissingFilesPrivately(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	h, err := LoadHtpasswdFile(path)
	if err != nil || h.Exists() {
		t.Fatalf("LoadHtpasswdFile(missing) = %v, exists %v", err, h.Exists())
	}
	if _, err := h.Set("alice", newHash); err != nil {
		t.Fatal(err)
	}
	if err := h.Save(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("new htpasswd mode = %v, want 0600", info.Mode().Perm())
	}
}

func TestSaveRefusesAFileTheServerWouldRefuseAndLeavesItAlone(t *testing.T) {
	const broken = "alice:a:b\n" + shaLine + "\n"
	path := writeTemp(t, "htpasswd", broken, 0o600)
	h, err := LoadHtpasswdFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Set("bob", newHash); err != nil {
		t.Fatal(err)
	}
	err = h.Save()
	if err == nil || !strings.Contains(err.Error(), "htpasswd:1:") {
		t.Fatalf("Save = %v; want a refusal naming line 1", err)
	}
	if data, _ := os.ReadFile(path); string(data) != broken {
		t.Errorf("file changed to %q", data)
	}
}

func TestLockForEditRefusesAConcurrentWriter(t *testing.T) {
	dir := t.TempDir()
	users, groups := filepath.Join(dir, "htpasswd"), filepath.Join(dir, "groups")
	first, err := LockForEdit(users, groups)
	if err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][]string{{users}, {groups}, {users, groups}} {
		_, err := LockForEdit(paths...)
		if !errors.Is(err, ErrEditLocked) {
			t.Fatalf("second LockForEdit(%v) = %v; want ErrEditLocked", paths, err)
		}
		if !strings.Contains(err.Error(), "another regauth command is editing "+paths[0]) {
			t.Errorf("error %q does not say who is locked", err)
		}
	}
	first.Unlock()
	first.Unlock() // twice is harmless

	// A failed attempt must not keep the locks it did take.
	g, err := LockForEdit(groups)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockForEdit(users, groups); !errors.Is(err, ErrEditLocked) {
		t.Fatalf("LockForEdit with groups held = %v", err)
	}
	u, err := LockForEdit(users)
	if err != nil {
		t.Fatalf("users still locked after a failed attempt: %v", err)
	}
	u.Unlock()
	g.Unlock()
}

// FuzzEditorsRoundTrip checks that loading and saving without an edit never changes a byte,
// and that an edit keeps every line that does not belong to the edited name.
func FuzzEditorsRoundTrip(f *testing.F) {
	for _, seed := range []string{"", "a:b", "\ufeff# x\r\nalice:x\n\n", "g: a b\ng: c", " \n\t\n#:\n:\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if got := string(ParseHtpasswdFile([]byte(data)).Bytes()); got != data {
			t.Fatalf("htpasswd round trip changed %q to %q", data, got)
		}
		if got := string(ParseGroupFile([]byte(data)).Bytes()); got != data {
			t.Fatalf("group round trip changed %q to %q", data, got)
		}
		if strings.Contains(data, "zz-fuzz") {
			return
		}
		h := ParseHtpasswdFile([]byte(data))
		if _, err := h.Set("zz-fuzz", newHash); err != nil {
			t.Fatal(err)
		}
		if !h.Delete("zz-fuzz") {
			t.Fatal("the user just set is not there")
		}
		if got := string(h.Bytes()); !strings.HasPrefix(data, strings.TrimSuffix(got, "\n")) && !strings.HasPrefix(got, data) {
			t.Fatalf("set then delete changed %q into %q", data, got)
		}
	})
}
