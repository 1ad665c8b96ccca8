package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/regauth/regauth/auth"
)

const classicGroups = "# Groups, in Apache group-file format.\npusher: bob\n\nadmins: admin\n"

func TestGroupAddPutsUsersIntoGroupsTheServerSees(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("alice", "alice-pw-123")
	e.write(e.groups, classicGroups)
	if err := os.Chmod(e.groups, 0o644); err != nil {
		t.Fatal(err)
	}

	stdout, stderr := e.mustRun(0, "", "group", "add", "pusher", "alice", "bob", "carol")
	mustContain(t, "stdout", stdout, `added alice, carol to group "pusher"`, `already in group "pusher": bob`)
	mustContain(t, "stderr", stderr, `"carol" is not in the user file`)
	stdout, _ = e.mustRun(0, "", "group", "add", "devs", "alice")
	mustContain(t, "stdout", stdout, `created group "devs"`)

	want := "# Groups, in Apache group-file format.\npusher: bob alice carol\n\nadmins: admin\ndevs: alice\n"
	if got := e.read(e.groups); got != want {
		t.Errorf("groups = %q\nwant %q", got, want)
	}
	if info, _ := os.Stat(e.groups); info.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644 kept", info.Mode().Perm())
	}
	id, err := e.login("alice", "alice-pw-123")
	if err != nil || !slices.Equal(id.Groups, []string{"devs", "pusher"}) {
		t.Errorf("alice logs in as %+v, %v; want groups devs, pusher", id, err)
	}
}

func TestGroupDelRemovesMembersOrTheWholeGroup(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.groups, "pusher: alice bob\n# keep\nadmins: admin\npusher: carol\n")

	stdout, _ := e.mustRun(0, "", "group", "del", "pusher", "bob", "carol")
	mustContain(t, "stdout", stdout, `removed bob, carol from group "pusher"`)
	if got, want := e.read(e.groups), "pusher: alice\n# keep\nadmins: admin\n"; got != want {
		t.Errorf("groups = %q, want %q", got, want)
	}

	before := e.read(e.groups)
	_, stderr := e.mustRun(1, "", "group", "del", "pusher", "alice", "zed")
	mustContain(t, "stderr", stderr, `not in group "pusher": zed`, "nothing changed")
	if got := e.read(e.groups); got != before {
		t.Errorf("a refused del changed the file: %q", got)
	}

	stdout, _ = e.mustRun(0, "", "group", "del", "pusher")
	mustContain(t, "stdout", stdout, `deleted group "pusher" (1 members)`)
	if got, want := e.read(e.groups), "# keep\nadmins: admin\n"; got != want {
		t.Errorf("groups = %q, want %q", got, want)
	}
	_, stderr = e.mustRun(1, "", "group", "del", "pusher")
	mustContain(t, "stderr", stderr, `no group "pusher"`)
}

func TestGroupListShowsMembersAndUnknownUsers(t *testing.T) {
	e := newTestEnv(t)
	e.addUser("alice", "alice-pw-123")
	e.write(e.groups, "pusher: alice ghost\nempty:\n")
	stdout, _ := e.mustRun(0, "", "group", "list")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and 2 groups:\n%s", stdout)
	}
	if f := strings.Fields(lines[1]); f[0] != "pusher" || f[1] != "alice" || f[2] != "ghost" || !strings.Contains(lines[1], "not in the user file: ghost") {
		t.Errorf("pusher line = %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 2 || f[0] != "empty" || f[1] != "-" {
		t.Errorf("empty line = %q", lines[2])
	}

	e.write(e.groups, "pusher: alice\nbroken line\n")
	_, stderr := e.mustRun(2, "", "group", "list")
	mustContain(t, "stderr", stderr, "groups:2:")
}

func TestGroupCommandsExitCodes(t *testing.T) {
	e := newTestEnv(t)
	e.write(e.groups, classicGroups)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"add without a group", []string{"group", "add"}, 2, "requires at least 1 arg"},
		{"a group name with a space", []string{"group", "add", "a b", "x"}, 2, "white space"},
		{"a user name with a colon", []string{"group", "add", "g", "x:y"}, 2, "contains ':'"},
		{"del of an unknown group", []string{"group", "del", "nope"}, 1, `no group "nope"`},
		{"del of a user who is not a member", []string{"group", "del", "admins", "bob"}, 1, `not in group "admins": bob`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := e.run("", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}

	lock, err := auth.LockForEdit(e.groups)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	_, stderr := e.mustRun(1, "", "group", "add", "pusher", "x")
	mustContain(t, "stderr", stderr, "another regauth command is editing "+e.groups)
	if got := e.read(e.groups); got != classicGroups {
		t.Errorf("the file changed: %q", got)
	}
}
