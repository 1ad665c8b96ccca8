package tokens

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseScopesAcceptsTheWholeGrammar(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []Scope
	}{
		{"a plain pull", []string{"repository:team/app:pull"},
			[]Scope{{Type: "repository", Name: "team/app", Actions: []string{"pull"}}}},
		{"push before pull keeps the order asked", []string{"repository:app:push,pull"},
			[]Scope{{Type: "repository", Name: "app", Actions: []string{"push", "pull"}}}},
		{"a name with a host and port keeps its colons", []string{"repository:localhost:5000/team/app:pull"},
			[]Scope{{Type: "repository", Name: "localhost:5000/team/app", Actions: []string{"pull"}}}},
		{"a resource class is parsed apart", []string{"repository(plugin):vieux/sshfs:pull"},
			[]Scope{{Type: "repository", Class: "plugin", Name: "vieux/sshfs", Actions: []string{"pull"}}}},
		{"the catalog scope", []string{"registry:catalog:*"},
			[]Scope{{Type: "registry", Name: "catalog", Actions: []string{"*"}}}},
		{"space-joined scopes in one parameter", []string{"repository:a:pull repository:b:pull,push"},
			[]Scope{{Type: "repository", Name: "a", Actions: []string{"pull"}}, {Type: "repository", Name: "b", Actions: []string{"pull", "push"}}}},
		{"repeated parameters naming one repository are merged", []string{"repository:a:pull", "repository:a:push"},
			[]Scope{{Type: "repository", Name: "a", Actions: []string{"pull", "push"}}}},
		{"duplicate actions collapse", []string{"repository:a:pull,pull"},
			[]Scope{{Type: "repository", Name: "a", Actions: []string{"pull"}}}},
		{"no scope at all is fine (docker login)", nil, nil},
		{"an empty parameter is ignored", []string{""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScopes(tt.values)
			if err != nil {
				t.Fatalf("ParseScopes(%q): %v", tt.values, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseScopes(%q) = %+v, want %+v", tt.values, got, tt.want)
			}
		})
	}
}

func TestParseScopesRefusesMalformedScopes(t *testing.T) {
	tests := []struct{ name, value string }{
		{"no colon", "repository"},
		{"only one colon", "repository:app"},
		{"no actions", "repository:app:"},
		{"an empty name", "repository::pull"},
		{"an empty type", ":app:pull"},
		{"an empty action", "repository:app:pull,"},
		{"an unclosed class", "repository(plugin:app:pull"},
		{"an empty class", "repository():app:pull"},
		{"a quote in the name", `repository:a"b:pull`},
		{"a control character in the name", "repository:a\x01b:pull"},
		{"a header injection attempt", "repository:a\r\nX-Evil: 1:pull"},
		{"an overlong scope", "repository:" + strings.Repeat("a", 2000) + ":pull"},
		{"a bad action character", "repository:app:pu$h"},
		{"a tab between scopes", "repository:a:pull\trepository:b:pull"},
		{"a newline between scopes", "repository:a:pull\nrepository:b:push"},
		{"a name that is not UTF-8", "repository:a\xffb:pull"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScopes([]string{tt.value})
			if !errors.Is(err, ErrInvalidScope) {
				t.Fatalf("ParseScopes(%q) error = %v, want ErrInvalidScope", tt.value, err)
			}
		})
	}
}

func TestParseScopesLimitsTheNumberOfScopes(t *testing.T) {
	var b strings.Builder
	for i := 0; i <= maxScopes; i++ {
		b.WriteString("repository:r" + strings.Repeat("x", i) + ":pull ")
	}
	if _, err := ParseScopes([]string{b.String()}); !errors.Is(err, ErrInvalidScope) {
		t.Fatalf("error = %v, want ErrInvalidScope for %d scopes", err, maxScopes+1)
	}
}

func TestScopeStringRoundTrips(t *testing.T) {
	for _, raw := range []string{"repository:a/b:pull,push", "repository(plugin):x:pull", "registry:catalog:*", "repository:h:5000/a:delete"} {
		s, err := ParseScope(raw)
		if err != nil {
			t.Fatalf("ParseScope(%q): %v", raw, err)
		}
		if s.String() != raw {
			t.Errorf("String() = %q, want %q", s.String(), raw)
		}
	}
}

func FuzzParseScopes(f *testing.F) {
	for _, seed := range []string{"repository:a:pull", "repository(plugin):h:5000/x:pull,push", "registry:catalog:*", "a:b", "::", "x(y):z:*,*"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scopes, err := ParseScopes([]string{s})
		if err != nil {
			return
		}
		for _, sc := range scopes {
			if sc.Name == "" || len(sc.Actions) == 0 {
				t.Fatalf("accepted %q as %+v", s, sc)
			}
		}
	})
}
