package acl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it reports is a
// *LineError naming the file, and that a policy it accepts can decide.
func FuzzParse(f *testing.F) {
	f.Add(ClassicYAML())
	f.Add([]byte(briefExample))
	for _, pattern := range []string{"testdata/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	for _, s := range []string{
		"",
		"rules: []",
		"rules:\n  - match: {}\n    actions: [*]\n",
		"rules: [{match: {name: \"/${account}(/\"}, actions: []}]",
		"rules: [{match: {name: \"x*y?${account}*\"}, actions: [pull]}]",
		"rules: [{match: {ip: '::ffff:1.2.3.4/120'}, actions: [pull]}]",
		"a: &a [*a]",
		"rules: *x",
		"rules:\n- match: &m {}\n  actions: &a []\n- {match: *m, actions: *a}",
	} {
		f.Add([]byte(s))
	}
	reqs := []Request{
		{},
		{Account: "alice", Groups: []string{"pusher", "admins"}, IP: ip("10.1.2.3"), Service: "s", Type: "repository", Name: "alice/x", Actions: []string{"pull", "push", "*"}},
		{Account: "a.*]-", IP: ip("fe80::1%eth0"), Type: "registry", Name: "catalog", Actions: []string{"*", ""}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if p != nil {
				t.Fatal("Parse returned a policy with an error")
			}
			joined, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("error is not joined: %v", err)
			}
			for _, e := range joined.Unwrap() {
				var le *LineError
				if !errors.As(e, &le) || le.File != "fuzz.yaml" || le.Line < 0 {
					t.Fatalf("error %q is not a *LineError naming fuzz.yaml", e)
				}
			}
			return
		}
		for _, r := range reqs {
			d := p.Authorize(r)
			for _, g := range d.Granted {
				if !d.Allowed(g) {
					t.Fatalf("granted %q but not allowed", g)
				}
			}
			if d.Rule == nil && len(d.Granted) > 0 {
				t.Fatalf("granted %q without a rule", d.Granted)
			}
		}
	})
}
