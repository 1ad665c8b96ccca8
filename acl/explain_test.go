package acl

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./acl/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended)\n--- got:\n%s--- want:\n%s", path, got, want)
	}
}

// TestExplainGolden records how the example policy answers the questions an
// admin asks ("why can't alice push to team/app?"), one line per request.
func TestExplainGolden(t *testing.T) {
	p := mustLoad(t, "testdata/acl.yaml")
	reqs := []Request{
		{Account: "alice", Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}},
		{Account: "alice", Type: "repository", Name: "alice/tools", Actions: []string{"push", "pull"}},
		{Account: "bob", Groups: []string{"dev", "pusher"}, Type: "repository", Name: "team/app", Actions: []string{"pull", "push", "delete"}},
		{Account: "root", Groups: []string{"admins"}, Type: "repository", Name: "host:5000/x", Actions: []string{"delete"}},
		{Account: "ci-bot", IP: ip("10.1.2.3"), Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}},
		{Account: "ci-bot", IP: ip("2001:db8::1"), Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}},
		{Account: "carol", Type: "registry", Name: "catalog", Actions: []string{"*"}},
		{Type: "registry", Name: "catalog", Actions: []string{"*"}},
		{Type: "repository", Name: "public/base", Actions: []string{"pull"}},
		{Type: "repository", Name: "team/app", Actions: []string{"pull"}},
	}
	var b strings.Builder
	for _, r := range reqs {
		who := r.Account
		if who == "" {
			who = "(anonymous)"
		}
		if len(r.Groups) > 0 {
			who += " [" + strings.Join(r.Groups, ",") + "]"
		}
		if r.IP.IsValid() {
			who += " from " + r.IP.String()
		}
		fmt.Fprintf(&b, "%s wants %s:%s:%s\n    %v\n", who, r.Type, r.Name, strings.Join(r.Actions, ","), p.Authorize(r))
	}
	golden(t, "testdata/explain.golden", b.String())
}

func TestRuleRefString(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  RuleRef
		want string
	}{
		{"a rule with a comment quotes it", RuleRef{File: "acl.yaml", Index: 2, Line: 12, Comment: "personal namespaces"}, `acl.yaml:12 (rule 3: "personal namespaces")`},
		{"a rule without a comment shows its number", RuleRef{File: "acl.yaml", Index: 0, Line: 3}, "acl.yaml:3 (rule 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ref.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
