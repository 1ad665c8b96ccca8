package main

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/regauth/regauth/auth"
)

// legacyUsers is an htpasswd file as an admin may have it: comments, blank lines, a {SHA}
// user ("password") and a plaintext line the server refuses.
const legacyUsers = "# users of the old Apache front\n\nolduser:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nplain:notahash\n\n# end of file\n"

func TestUserAddCreatesAUserWhoCanLogInAndKeepsTheRestOfTheFile(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	if err := os.Chmod(e.htpasswd, 0o640); err != nil {
		t.Fatal(err)
	}
	stdout, _ := e.mustRun(0, e.secret("alice-Secret-1")+"\n", "user", "add", "alice", "--password-stdin", "--cost", "4")
	mustContain(t, "stdout", stdout, `added user "alice"`)

	if id, err := e.login("alice", "alice-Secret-1"); err != nil || id.Name != "alice" {
		t.Fatalf("alice cannot log in: %+v, %v", id, err)
	}
	got := e.read(e.htpasswd)
	if !strings.HasPrefix(got, legacyUsers) || !strings.HasPrefix(got[len(legacyUsers):], "alice:$2y$04$") {
		t.Errorf("file = %q; want the old file byte for byte, then alice with a cost-4 bcrypt hash", got)
	}
	if info, _ := os.Stat(e.htpasswd); info.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want the old 0640", info.Mode().Perm())
	}
}

func TestUserAddCreatesAMissingFilePrivately(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("alice", "pw-alice-123")
	if info, err := os.Stat(e.htpasswd); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("new htpasswd: %v, %v; want mode 0600", info, err)
	}
	if _, err := e.login("alice", "pw-alice-123"); err != nil {
		t.Fatal(err)
	}
}

func TestUserAddOfAnExistingUserPointsAtPasswd(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	for _, name := range []string{"olduser", "plain"} { // refused lines count as present
		_, stderr := e.mustRun(1, e.secret("whatever-pw")+"\n", "user", "add", name, "--password-stdin")
		mustContain(t, "stderr", stderr, "already exists", "regauth user passwd "+name)
	}
	if got := e.read(e.htpasswd); got != legacyUsers {
		t.Errorf("file changed: %q", got)
	}
}

func TestUserPasswdChangesTheHashInPlace(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	if _, err := e.login("olduser", "password"); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	before := e.read(e.htpasswd)
	stdout, _ := e.mustRun(0, e.secret("N3w-password")+"\r\n", "user", "passwd", "olduser", "--password-stdin", "--cost", "4")
	mustContain(t, "stdout", stdout, `changed the password of "olduser"`)
	if _, err := e.login("olduser", "password"); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("the old password still works: %v", err)
	}
	if _, err := e.login("olduser", "N3w-password"); err != nil {
		t.Errorf("the new password does not work (a CR from stdin must not be part of it): %v", err)
	}
	after := e.read(e.htpasswd)
	beforeLines, afterLines := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(beforeLines) != len(afterLines) || !strings.HasPrefix(afterLines[2], "olduser:$2y$04$") {
		t.Fatalf("file = %q", after)
	}
	for i := range beforeLines {
		if i != 2 && beforeLines[i] != afterLines[i] {
			t.Errorf("line %d changed: %q -> %q", i+1, beforeLines[i], afterLines[i])
		}
	}

	// A refused plaintext line becomes a usable user.
	e.mustRun(0, e.secret("plain-fixed-pw")+"\n", "user", "passwd", "plain", "--password-stdin", "--cost", "4")
	if _, err := e.login("plain", "plain-fixed-pw"); err != nil {
		t.Errorf("plain cannot log in after passwd: %v", err)
	}
}

func TestUserDelRemovesTheUserFromTheFileAndEveryGroup(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	e.addUser("bob", "bob-pw-123")
	const groups = "# groups\npusher: bob olduser\nadmins: bob\nreaders: olduser\n"
	e.write(e.groups, groups)

	stdout, _ := e.mustRun(0, "", "user", "del", "bob")
	mustContain(t, "stdout", stdout, `deleted user "bob"`, "pusher, admins")
	if got := e.read(e.htpasswd); got != legacyUsers {
		t.Errorf("htpasswd = %q, want the original file back", got)
	}
	if got, want := e.read(e.groups), "# groups\npusher: olduser\nadmins:\nreaders: olduser\n"; got != want {
		t.Errorf("groups = %q, want %q", got, want)
	}
	if _, err := e.login("bob", "bob-pw-123"); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("bob still logs in: %v", err)
	}
	_, stderr := e.mustRun(1, "", "user", "del", "bob")
	mustContain(t, "stderr", stderr, `no user "bob"`)
}

func TestUserListShowsKindsGroupsAndWarningsButNoHashes(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	e.addUser("alice", "alice-pw-123")
	e.write(e.groups, "pusher: alice olduser\nadmins: alice\n")
	stdout, _ := e.mustRun(0, "", "user", "list")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 users:\n%s", stdout)
	}
	fields := func(line string) []string { return strings.Fields(line) }
	if f := fields(lines[0]); !slices.Equal(f, []string{"USER", "HASH", "GROUPS", "WARNING"}) {
		t.Errorf("header = %q", lines[0])
	}
	if f := fields(lines[1]); f[0] != "olduser" || f[1] != "{SHA}" || f[2] != "pusher" || !strings.Contains(lines[1], "weak hash") {
		t.Errorf("olduser line = %q", lines[1])
	}
	if f := fields(lines[2]); f[0] != "plain" || f[1] != "refused" || f[2] != "-" || !strings.Contains(lines[2], "plaintext or DES") || !strings.Contains(lines[2], "line 4") {
		t.Errorf("plain line = %q", lines[2])
	}
	if f := fields(lines[3]); len(f) != 3 || f[0] != "alice" || f[1] != "bcrypt" || f[2] != "pusher,admins" {
		t.Errorf("alice line = %q", lines[3])
	}
	for _, leak := range []string{"W6ph5Mm5", "notahash", "$2y$"} {
		if strings.Contains(stdout, leak) {
			t.Errorf("list shows a hash or stored password (%q):\n%s", leak, stdout)
		}
	}
}

func TestUserListOfAFileTheServerRefusesExitsTwo(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, "ok:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nno colon here\n")
	stdout, stderr := e.mustRun(2, "", "user", "list")
	mustContain(t, "stdout", stdout, "ok")
	mustContain(t, "stderr", stderr, "htpasswd:2:")
}

func TestUserCommandsExitCodes(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	pw := e.secret("exit-code-pw") + "\n"
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"add without a name", pw, []string{"user", "add"}, 2, "accepts 1 arg"},
		{"a name with a colon", pw, []string{"user", "add", "a:b", "--password-stdin"}, 2, "contains ':'"},
		{"a cost out of range", pw, []string{"user", "add", "x", "--password-stdin", "--cost", "40"}, 2, "--cost 40"},
		{"an empty password", "\n", []string{"user", "add", "x", "--password-stdin"}, 2, "empty password"},
		{"no stdin at all", "", []string{"user", "add", "x", "--password-stdin"}, 2, "stdin is empty"},
		{"no terminal and no --password-stdin", pw, []string{"user", "add", "x"}, 2, "--password-stdin"},
		{"a password flag does not exist", pw, []string{"user", "add", "x", "--password", "p"}, 2, "unknown flag"},
		{"passwd of an unknown user", pw, []string{"user", "passwd", "nobody", "--password-stdin"}, 1, "user add nobody"},
		{"del of an unknown user", "", []string{"user", "del", "nobody"}, 1, `no user "nobody"`},
		{"user without a subcommand", "", []string{"user"}, 2, "missing subcommand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := e.run(tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
	if got := e.read(e.htpasswd); got != legacyUsers {
		t.Errorf("a failed command changed the file: %q", got)
	}

	// A configuration problem is exit 2 too.
	e.write(e.config, "auth:\n  htpasswd: x\n  grups: y\n")
	code, _, stderr := e.run("", "user", "list")
	if code != 2 || !strings.Contains(stderr, "regauth.yaml:3") {
		t.Errorf("bad config: exit %d, stderr %s", code, stderr)
	}
}

func TestUserCommandsRefuseToEditWhileAnotherHoldsTheLock(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.htpasswd, legacyUsers)
	lock, err := auth.LockForEdit(e.htpasswd)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	for _, args := range [][]string{
		{"user", "add", "x", "--password-stdin"},
		{"user", "passwd", "olduser", "--password-stdin"},
		{"user", "del", "olduser"},
	} {
		_, stderr := e.mustRun(1, e.secret("locked-pw")+"\n", args...)
		mustContain(t, "stderr", stderr, "another regauth command is editing "+e.htpasswd)
	}
	if got := e.read(e.htpasswd); got != legacyUsers {
		t.Errorf("file changed under a lock: %q", got)
	}
}
