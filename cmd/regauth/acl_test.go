package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/regauth/regauth/acl"
)

// ipRule is put in front of the classic rules to exercise --ip.
const ipRule = `rules:
  - match: {account: ci-bot, ip: 10.0.0.0/8}
    actions: [pull, push]
    comment: the CI robot pushes from the internal network
`

func newACLEnv(t *testing.T) *testEnv {
	e := newTestEnv(t)
	e.write(e.aclFile, ipRule+strings.SplitN(string(acl.ClassicYAML()), "rules:\n", 2)[1])
	e.write(e.groups, "pusher: bob\nadmins: root\n")
	e.addUser("alice", "alice-pw-123")
	e.addUser("bob", "bob-pw-123")
	return e
}

func TestACLCheckExplainsEachScopeAndExitsOnTheVerdict(t *testing.T) {
	e := newACLEnv(t)
	tests := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"a pusher may push, by the group rule", []string{"--user", "bob", "repository:team/app:pull,push"}, 0,
			[]string{`user "bob", groups [pusher] (from ` + e.groups, "repository:team/app:pull,push: ok", "granted pull,push by " + e.aclFile + ":", `(rule 3: "group pusher may push`}},
		{"a plain user may only pull", []string{"--user", "alice", "repository:team/app:pull,push"}, 1,
			[]string{"DENIED push", "granted pull by", `(rule 4: "every signed-in user may pull")`}},
		{"--group replaces the group file", []string{"--user", "alice", "--group", "pusher", "repository:team/app:push"}, 0,
			[]string{"groups [pusher] (from --group)", "rule 3"}},
		{"every scope must be granted", []string{"--user", "alice", "repository:a:pull", "registry:catalog:*", "repository:b:delete"}, 1,
			[]string{"repository:a:pull: ok", "registry:catalog:*: ok", "repository:b:delete: DENIED delete", "denied by"}},
		{"the anonymous user matches no rule", []string{"--user", "", "repository:team/app:pull"}, 1,
			[]string{"the anonymous user", "denied: no rule matched"}},
		{"an ip rule needs the address", []string{"--user", "ci-bot", "repository:x:push"}, 1,
			[]string{"unknown address", "DENIED push"}},
		{"an ip rule with the address", []string{"--user", "ci-bot", "--ip", "10.1.2.3", "repository:x:push"}, 0,
			[]string{"from 10.1.2.3", `(rule 1: "the CI robot pushes from the internal network")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := e.run("", append([]string{"acl", "check"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			mustContain(t, "stdout", stdout, tt.wants...)
		})
	}
	_, _, stderr := e.run("", "acl", "check", "--user", "ci-bot", "repository:x:pull")
	mustContain(t, "stderr", stderr, `"ci-bot" is not in the user file`)
}

func TestACLCheckUsageErrors(t *testing.T) {
	e := newACLEnv(t)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no scope", []string{"--user", "bob"}, "requires at least 1 arg"},
		{"no user", []string{"repository:a:pull"}, `"user" not set`},
		{"a bad scope", []string{"--user", "bob", "repository-a-pull"}, "invalid scope"},
		{"a bad address", []string{"--user", "bob", "--ip", "10.0.0.300", "repository:a:pull"}, "--ip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := e.mustRun(2, "", append([]string{"acl", "check"}, tt.args...)...)
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
	e.write(e.aclFile, "rules: [\n")
	_, stderr := e.mustRun(2, "", "acl", "check", "--user", "bob", "repository:a:pull")
	mustContain(t, "stderr", stderr, "acl.yaml")
}

func TestACLLintReportsEveryProblemWithItsLine(t *testing.T) {
	e := newTestEnv(t)
	broken := filepath.Join(e.dir, "errors.yaml")
	e.write(broken, e.read(filepath.Join("..", "..", "acl", "testdata", "errors.yaml")))
	stdout, stderr := e.mustRun(2, "", "acl", "lint", broken)
	for _, line := range []int{3, 5, 6, 7, 8, 9, 10, 11, 12, 13} {
		mustContain(t, "stdout", stdout, broken+":"+strconv.Itoa(line)+":")
	}
	mustContain(t, "stdout", stdout, `unknown match key "acount" in rule 1, did you mean "account"?`)
	mustContain(t, "stderr", stderr, "12 problem(s)")

	// Without FILE, the configured acl.file; a good file says how many rules it has.
	e.write(e.aclFile, string(acl.ClassicYAML()))
	stdout, _ = e.mustRun(0, "", "acl", "lint")
	mustContain(t, "stdout", stdout, "ok: 4 rules in "+e.aclFile)
	_, stderr = e.mustRun(2, "", "acl", "lint", filepath.Join(e.dir, "missing.yaml"))
	mustContain(t, "stderr", stderr, "missing.yaml")
}
