package auth

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func FuzzParseHtpasswd(f *testing.F) {
	for _, seed := range []string{
		"",
		"alice:" + vecAPR1 + "\nbob:" + vecSHA + "\r\n# c\n\ncarol:" + vecBcrypt2y,
		"dave:" + vecDES + "\nerin:plain\n",
		"nocolon\n:empty\nbo b:x\nalice:a:b\nalice:" + vecSHA,
		"\ufeffx:$apr1$$\ny:{SHA}\nz:$2y$",
		"u:$apr1$12345678$zzWXObtCN9cy83NTEi4m5.",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		h, warnings, err := ParseHtpasswd(strings.NewReader(content), "fuzz")
		if err != nil {
			var le *LineError
			if h != nil || warnings != nil {
				t.Fatal("a failed parse returned results")
			}
			if !errors.As(err, &le) && !strings.Contains(err.Error(), "read fuzz") {
				t.Fatalf("error is neither a *LineError nor a read error: %v", err)
			}
			return
		}
		users := h.Users()
		if !slices.IsSorted(users) {
			t.Fatalf("Users() not sorted: %q", users)
		}
		for _, u := range users {
			kind, ok := h.Kind(u)
			if !ok {
				t.Fatalf("user %q has no kind", u)
			}
			if _, ok := h.Fingerprint(u); !ok {
				t.Fatalf("user %q has no fingerprint", u)
			}
			// bcrypt is skipped: a fuzzed hash may carry a cost of 31.
			if kind != KindBcrypt {
				h.Verify(u, "x")
			}
		}
		for _, w := range warnings {
			if w.User == "" || w.Line < 1 || w.File != "fuzz" {
				t.Fatalf("warning without a user or line: %+v", w)
			}
		}
	})
}

func FuzzParseGroups(f *testing.F) {
	for _, seed := range []string{
		"",
		"pusher: alice bob\nreaders:\tcarol alice\r\npusher: dave\n# c\n\nempty:",
		"nocolon\n: x\na b: c\ng: u:v",
		"\ufeffg:::",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		g, err := ParseGroups(strings.NewReader(content), "fuzz")
		if err != nil {
			if g != nil {
				t.Fatal("a failed parse returned groups")
			}
			return
		}
		for _, name := range g.Names() {
			members := g.Members(name)
			if !slices.IsSorted(members) || len(slices.Compact(slices.Clone(members))) != len(members) {
				t.Fatalf("members of %q not sorted and unique: %q", name, members)
			}
			for _, u := range members {
				if !slices.Contains(g.Of(u), name) {
					t.Fatalf("%q is a member of %q but Of says %q", u, name, g.Of(u))
				}
			}
		}
	})
}
