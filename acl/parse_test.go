package acl

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// lineErrors flattens Parse's joined error, failing if any part is not a *LineError.
func lineErrors(t *testing.T, err error) []*LineError {
	t.Helper()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %T is not a joined error: %v", err, err)
	}
	var out []*LineError
	for _, e := range joined.Unwrap() {
		var le *LineError
		if !errors.As(e, &le) {
			t.Fatalf("error %T is not a *LineError: %v", e, e)
		}
		out = append(out, le)
	}
	return out
}

type wantErr struct {
	line int
	msg  string // substring of the message
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []wantErr
	}{
		{"an empty file is an error", ``, []wantErr{{1, "empty file"}}},
		{"a file of comments is an error", "# nothing yet\n\n", []wantErr{{1, "empty file"}}},
		{"a file of one null is an error", "---\n", []wantErr{{1, "empty file"}}},
		{"a file without rules is an error", "version: 2\n", []wantErr{
			{1, `unknown top-level key "version"`},
			{1, `no "rules:" key`},
		}},
		{"an unknown top-level key is an error", "rules: []\nrulez: []\n", []wantErr{
			{2, `unknown top-level key "rulez", did you mean "rules"?`},
		}},
		{"a list at the top level is an error", "- match: {}\n", []wantErr{{1, `the top level must be a map with a "rules:" key, got a list`}}},
		{"rules as a map is an error", "rules:\n  match: {}\n", []wantErr{{2, `"rules" must be a list, got a map`}}},
		{"rules left empty is an error with a hint", "rules:\n", []wantErr{{1, `"rules" must be a list, got null (write rules: [] to deny everything)`}}},
		{"a misspelt rule key is an error", `
rules:
  - match: {}
    acton: [pull]
`, []wantErr{
			{3, `missing "actions" in rule 1`},
			{4, `unknown key "acton" in rule 1, did you mean "actions"?`},
		}},
		{"an unknown rule key is an error", "rules:\n  - match: {}\n    actions: []\n    owner: bob\n", []wantErr{
			{4, `unknown key "owner" in rule 1 (want match, actions or comment)`},
		}},
		{"a rule without match is an error", "rules:\n  - actions: [pull]\n", []wantErr{
			{2, `missing "match" in rule 1 (write match: {} to match every request)`},
		}},
		{"a rule without actions is an error", "rules:\n  - match: {}\n  - match: {}\n", []wantErr{
			{2, `missing "actions" in rule 1`},
			{3, `missing "actions" in rule 2`},
		}},
		{"a rule that is a string is an error", "rules:\n  - pull\n", []wantErr{{2, `rule 1 must be a map with "match" and "actions", got a string`}}},
		{"match as a list is an error", "rules:\n  - match: [account, alice]\n    actions: []\n", []wantErr{{2, `"match" in rule 1 must be a map, got a list`}}},
		{"match left empty is an error with a hint", "rules:\n  - match:\n    actions: []\n", []wantErr{{2, `"match" in rule 1 must be a map, got null (write match: {}`}}},
		{"an unknown match key is an error", "rules:\n  - match:\n      acount: alice\n    actions: []\n", []wantErr{
			{3, `unknown match key "acount" in rule 1, did you mean "account"?`},
		}},
		{"an unrelated match key lists the keys", "rules:\n  - match: {repo: x}\n    actions: []\n", []wantErr{
			{2, `unknown match key "repo" in rule 1 (want one of account, group, type, name, service, ip)`},
		}},
		{"a number where a string belongs is an error", "rules:\n  - match:\n      account: 123\n    actions: []\n", []wantErr{
			{3, `"account" in rule 1 must be a string, got a number (quote it: "123")`},
		}},
		{"a boolean where a string belongs is an error", "rules:\n  - match: {name: true}\n    actions: []\n", []wantErr{
			{2, `"name" in rule 1 must be a string, got a boolean`},
		}},
		{"a null account is an error with a hint", "rules:\n  - match: {account: }\n    actions: []\n", []wantErr{
			{2, `"account" in rule 1 must be a string, got null (write account: "" for the anonymous user)`},
		}},
		{"a list where a string belongs is an error", "rules:\n  - match: {group: [a, b]}\n    actions: []\n", []wantErr{
			{2, `"group" in rule 1 must be a string, got a list`},
		}},
		{"actions as a map is an error", "rules:\n  - match: {}\n    actions: {pull: true}\n", []wantErr{
			{3, `"actions" in rule 1 must be a list, got a map`},
		}},
		{"actions as a string is an error with a hint", "rules:\n  - match: {}\n    actions: pull\n", []wantErr{
			{3, `"actions" in rule 1 must be a list, got a string (write actions: [pull])`},
		}},
		{"an unknown action is an error", "rules:\n  - match: {}\n    actions:\n      - pull\n      - pul\n", []wantErr{
			{5, `unknown action "pul" in rule 1, did you mean "pull"?`},
		}},
		{"a capitalised action is an error", "rules:\n  - match: {}\n    actions: [Push]\n", []wantErr{
			{3, `unknown action "Push" in rule 1, did you mean "push"?`},
		}},
		{"an unrelated action lists the actions", "rules:\n  - match: {}\n    actions: [mount]\n", []wantErr{
			{3, `unknown action "mount" in rule 1 (want pull, push, delete or "*")`},
		}},
		{"a number as an action is an error", "rules:\n  - match: {}\n    actions: [pull, 7]\n", []wantErr{
			{3, `an action in rule 1 must be a string, got a number`},
		}},
		{"a comment that is not a string is an error", "rules:\n  - match: {}\n    actions: []\n    comment: {a: b}\n", []wantErr{
			{4, `"comment" in rule 1 must be a string, got a map`},
		}},
		{"a bad regular expression is an error", "rules:\n  - match: {}\n    actions: []\n  - match: {name: \"/[a-z/\"}\n    actions: []\n", []wantErr{
			{4, "bad name \"/[a-z/\" in rule 2: missing closing ]: `[a-z`"},
		}},
		{"a regex that would escape its anchors is an error", "rules:\n  - match: {account: \"/a)|(b/\"}\n    actions: []\n", []wantErr{
			{2, `bad account "/a)|(b/" in rule 1: unexpected )`},
		}},
		{"a regex with a placeholder that would escape its anchors is an error", "rules:\n  - match: {name: \"/a)|(${account}/\"}\n    actions: []\n", []wantErr{
			{2, `bad name "/a)|(${account}/" in rule 1: unexpected )`},
		}},
		{"a bad regular expression with a placeholder is an error", "rules:\n  - match: {name: \"/${account}(/\"}\n    actions: []\n", []wantErr{
			{2, `bad name "/${account}(/" in rule 1: missing closing )`},
		}},
		{"a CIDR prefix that is too long is an error", "rules:\n  - match: {ip: 10.0.0.0/33}\n    actions: []\n", []wantErr{
			{2, `bad ip "10.0.0.0/33" in rule 1: prefix length out of range`},
		}},
		{"an IPv4 address out of range is an error", "rules:\n  - match: {ip: 10.0.0.256}\n    actions: []\n", []wantErr{
			{2, `bad ip "10.0.0.256" in rule 1`},
		}},
		{"a bad IPv6 prefix is an error", "rules:\n  - match: {ip: \"fd00::/129\"}\n    actions: []\n", []wantErr{
			{2, `bad ip "fd00::/129" in rule 1`},
		}},
		{"a host name as ip is an error", "rules:\n  - match: {ip: build.local}\n    actions: []\n", []wantErr{
			{2, `bad ip "build.local" in rule 1`},
		}},
		{"an IPv6 zone is an error", "rules:\n  - match: {ip: \"fe80::1%eth0\"}\n    actions: []\n", []wantErr{
			{2, `bad ip "fe80::1%eth0" in rule 1: IPv6 zones are not supported`},
		}},
		{"an unknown placeholder is an error", "rules:\n  - match: {name: \"${user}/*\"}\n    actions: []\n", []wantErr{
			{2, `bad name "${user}/*" in rule 1: unknown placeholder "${user}" (only ${account} is supported)`},
		}},
		{"an unterminated placeholder is an error", "rules:\n  - match: {name: \"${account/*\"}\n    actions: []\n", []wantErr{
			{2, `bad name "${account/*" in rule 1: unterminated placeholder`},
		}},
		{"a placeholder outside name is an error", "rules:\n  - match: {group: \"${account}\"}\n    actions: []\n", []wantErr{
			{2, `bad group "${account}" in rule 1: ${account} may only appear in name`},
		}},
		{"a duplicate key is an error", "rules:\n  - match: {}\n    actions: [pull]\n    actions: [push]\n", []wantErr{
			{4, `duplicate key "actions" in rule 1 (first at line 3)`},
		}},
		{"a duplicate match key is an error", "rules:\n  - match: {name: a, name: b}\n    actions: []\n", []wantErr{
			{2, `duplicate key "name" in rule 1 (first at line 2)`},
		}},
		{"a second YAML document is an error", "rules: []\n---\nrules: []\n", []wantErr{
			{2, "a second YAML document"},
		}},
		{"an unclosed list names the line it starts on", "rules:\n  - match: {}\n    actions: [pull\n  - match: {}\n", []wantErr{
			{3, "YAML syntax error: did not find expected ',' or ']'"},
		}},
		{"an unclosed map names the line it starts on", "rules:\n  - match: {}\n    actions: []\n  - match: {group: a\n    actions: []\n", []wantErr{
			{4, "YAML syntax error: did not find expected ',' or '}'"},
		}},
		{"a rule outdented to the top level names its line", "rules:\n  - match: {}\n    actions: []\n- match: {}\n", []wantErr{
			{4, "YAML syntax error: did not find expected key"},
		}},
		{"an unclosed list on the only line names line 1", "rules: [", []wantErr{
			{1, "YAML syntax error: did not find expected node content"},
		}},
		{"a colon inside a value is a YAML syntax error", "rules:\n  - match: {}\n    actions: a: b\n", []wantErr{
			{3, "YAML syntax error: mapping values are not allowed in this context"},
		}},
		{"an unclosed quote is a YAML syntax error", "rules:\n  - match: {name: \"a}\n    actions: []\n", []wantErr{
			{2, "YAML syntax error: found unexpected end of stream"},
		}},
		{"a tab indent is a YAML syntax error", "rules:\n  - match: {}\n\tactions: []\n", []wantErr{
			{3, "YAML syntax error: found character that cannot start any token"},
		}},
		{"an unquoted star is a YAML syntax error with a hint", "rules:\n  - match: {}\n    actions: [*]\n", []wantErr{
			{3, `quote it: "*"`},
		}},
		{"an unknown alias is a YAML error without a line", "rules: *missing\n", []wantErr{
			{0, "YAML syntax error: unknown anchor 'missing' referenced"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src), "acl.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded with %d rules, want errors", p.Len())
			}
			if p != nil {
				t.Errorf("Parse returned a policy along with errors")
			}
			got := lineErrors(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				e := got[i]
				prefix := fmt.Sprintf("acl.yaml:%d: ", w.line)
				if w.line == 0 {
					prefix = "acl.yaml: "
				}
				if e.File != "acl.yaml" || e.Line != w.line || !strings.HasPrefix(e.Error(), prefix) {
					t.Errorf("error %d = %q (file %q line %d), want it at %q", i, e.Error(), e.File, e.Line, prefix)
				}
				if !strings.Contains(e.Msg, w.msg) {
					t.Errorf("error %d = %q, want it to contain %q", i, e.Msg, w.msg)
				}
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		rules int
	}{
		{"an empty rules list denies everything", "rules: []\n", 0},
		{"a rule with every match key parses", `
rules:
  - match: {account: a, group: g, type: repository, name: "n/*", service: s, ip: "2001:db8::/32"}
    actions: [pull, push, delete, "*"]
    comment: everything at once
`, 1},
		{"quoted numbers are strings", "rules:\n  - match: {account: \"123\", name: '1.10'}\n    actions: []\n", 1},
		{"YAML anchors and aliases are followed", `
rules:
  - match: &team {group: team}
    actions: &rw [pull, push]
  - match: *team
    actions: *rw
`, 2},
		{"an explicit document start is fine", "---\nrules: []\n", 0},
		{"the README example parses", briefExample, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.src)
			if p.Len() != tc.rules {
				t.Errorf("Len = %d, want %d", p.Len(), tc.rules)
			}
		})
	}
}

// briefExample is the file from the design brief, verbatim.
const briefExample = `# acl.yaml
rules:
  - match: {group: admins}
    actions: ["*"]
    comment: admins do everything
  - match: {account: "/.+/", name: "${account}/*"}
    actions: [pull, push, delete]
    comment: personal namespaces
  - match: {group: pusher, type: repository}
    actions: [pull, push]
  - match: {account: "/.+/", type: repository}
    actions: [pull]
    comment: every signed-in user may pull
  - match: {account: "/.+/", type: registry, name: catalog}
    actions: ["*"]
  - match: {account: "", name: "public/*"}
    actions: [pull]
    comment: anonymous may pull public/*
  - match: {ip: "10.0.0.0/8", account: ci-bot}
    actions: [pull, push]
`

func TestParseReportsEveryErrorAtOnce(t *testing.T) {
	_, err := Load("testdata/errors.yaml")
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	got := lineErrors(t, err)
	lines := make([]int, len(got))
	for i, e := range got {
		lines[i] = e.Line
		if e.File != "testdata/errors.yaml" {
			t.Errorf("error %q names file %q", e, e.File)
		}
	}
	want := []int{3, 5, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("error lines = %v, want %v", lines, want)
	}
	golden(t, "testdata/errors.golden", err.Error()+"\n")
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load error = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), `load acl "testdata/does-not-exist.yaml"`) {
		t.Errorf("Load error %q does not say what it was loading", err)
	}
}

func TestLineErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  LineError
		want string
	}{
		{"file and line read like a compiler message", LineError{"acl.yaml", 12, `unknown key "acton" in rule 3`}, `acl.yaml:12: unknown key "acton" in rule 3`},
		{"no line leaves the line out", LineError{"acl.yaml", 0, "x"}, "acl.yaml: x"},
		{"no file says line", LineError{"", 3, "x"}, "line 3: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClassicYAML(t *testing.T) {
	p, err := Parse(ClassicYAML(), "acl.yaml")
	if err != nil {
		t.Fatalf("ClassicYAML does not parse:\n%v", err)
	}
	ClassicYAML()[0] = 'X' // each call is a fresh copy
	if _, err := Parse(ClassicYAML(), "acl.yaml"); err != nil {
		t.Fatalf("ClassicYAML was modified through a returned slice: %v", err)
	}
	repo := func(account, name string, actions ...string) Request {
		return Request{Account: account, Type: "repository", Name: name, Actions: actions}
	}
	withGroups := func(r Request, groups ...string) Request { r.Groups = groups; return r }
	catalog := Request{Type: "registry", Name: "catalog", Actions: []string{"*"}}
	signedInCatalog := catalog
	signedInCatalog.Account = "alice"
	for _, tc := range []struct {
		name string
		req  Request
		want []string
	}{
		{"every valid user may pull", repo("alice", "team/app", "pull", "push"), []string{"pull"}},
		{"group pusher may push too", withGroups(repo("bob", "team/app", "pull", "push", "delete"), "staff", "pusher"), []string{"pull", "push"}},
		{"group admins may do everything", withGroups(repo("root", "team/app", "pull", "push", "delete"), "admins"), []string{"pull", "push", "delete"}},
		{"signed-in users may list the catalog", signedInCatalog, []string{"*"}},
		{"anonymous users may not list the catalog", catalog, nil},
		{"anonymous users may not pull", repo("", "team/app", "pull"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Authorize(tc.req).Granted; fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Granted = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseStopsAfterTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for range 300 {
		b.WriteString("  - {match: {acount: x}, actions: [pul]}\n")
	}
	_, err := Parse([]byte(b.String()), "acl.yaml")
	got := lineErrors(t, err)
	if len(got) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d and a last one saying there are more", len(got), maxErrors+1)
	}
	if last := got[len(got)-1]; !strings.Contains(last.Msg, "too many errors") {
		t.Errorf("last error = %q, want it to say there are too many", last)
	}
}
