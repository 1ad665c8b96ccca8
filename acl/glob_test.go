package acl

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// globRegexp is the obvious (slower) meaning of a glob, to check matchGlob against.
func globRegexp(glob, account string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for rest := glob; rest != ""; {
		switch {
		case strings.HasPrefix(rest, accountVar):
			b.WriteString(regexp.QuoteMeta(account))
			rest = rest[len(accountVar):]
			continue
		case rest[0] == '*':
			b.WriteString(`.*`)
		case rest[0] == '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(rest[:1]))
		}
		rest = rest[1:]
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzGlobMatchesRegexp(f *testing.F) {
	for _, seed := range [][3]string{
		{"team/*", "team/a/b", ""},
		{"*/app", "a/b/app", ""},
		{"x*y*z", "x-y-y-z", ""},
		{"a*b*c", "abcabc", ""},
		{"?", "é", ""},
		{"${account}/*", "alice/x", "alice"},
		{"*${account}*", "a-b*c", "b*"},
		{"**?*", "ab", ""},
		{"", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, glob, s, account string) {
		// The reference works on runes; keep to text a registry name could hold.
		if !utf8.ValidString(glob) || !utf8.ValidString(s) || !utf8.ValidString(account) || strings.Contains(glob, "${") && !strings.Contains(glob, accountVar) {
			return
		}
		p := compileGlob(glob)
		got := p.match(s, &state{account: account})
		if want := globRegexp(glob, account).MatchString(s); got != want {
			t.Fatalf("glob %q on %q (account %q) = %v, want %v", glob, s, account, got, want)
		}
	})
}
