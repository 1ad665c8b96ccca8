package tokens

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Scope is one resource request from a client, e.g. "repository:team/app:pull,push".
type Scope struct {
	Type    string   // "repository", "registry", ...
	Class   string   // optional resource class: "repository(plugin):..."
	Name    string   // may contain ':' ("host:5000/app")
	Actions []string // as requested, deduplicated, in request order
}

// String renders the scope in the grammar it was parsed from.
func (s Scope) String() string {
	t := s.Type
	if s.Class != "" {
		t += "(" + s.Class + ")"
	}
	return t + ":" + s.Name + ":" + strings.Join(s.Actions, ",")
}

// ErrInvalidScope is returned (wrapped) for every malformed scope.
var ErrInvalidScope = errors.New("invalid scope")

// Limits keep a hostile request from making the parser do unbounded work.
const (
	maxScopeLen   = 1024
	maxScopes     = 64
	maxNameLen    = 512
	maxActionsLen = 16
)

// ParseScopes parses the values of every "scope" parameter. Each value may itself hold several
// scopes joined by spaces (the OAuth2 form docker uses on POST), so both repeated parameters and
// space-joined lists are accepted. Scopes naming the same resource are merged.
func ParseScopes(values []string) ([]Scope, error) {
	var out []Scope
	index := map[string]int{}
	for _, v := range values {
		// OAuth2 (RFC 6749 section 3.3) separates scopes with single spaces; nothing else.
		for _, raw := range strings.Split(v, " ") {
			if raw == "" {
				continue
			}
			s, err := ParseScope(raw)
			if err != nil {
				return nil, err
			}
			key := s.Type + "(" + s.Class + "):" + s.Name
			if i, ok := index[key]; ok {
				out[i].Actions = appendUnique(out[i].Actions, s.Actions...)
				continue
			}
			if len(out) == maxScopes {
				return nil, fmt.Errorf("%w: more than %d scopes", ErrInvalidScope, maxScopes)
			}
			index[key] = len(out)
			out = append(out, s)
		}
	}
	return out, nil
}

// ParseScope parses "type[(class)]:name:action[,action...]". The name is everything between the
// first and the last colon, so registry host names with ports survive.
func ParseScope(raw string) (Scope, error) {
	if len(raw) > maxScopeLen {
		return Scope{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidScope, maxScopeLen)
	}
	first := strings.IndexByte(raw, ':')
	last := strings.LastIndexByte(raw, ':')
	if first < 0 || first == last {
		return Scope{}, fmt.Errorf("%w %q: want type:name:actions", ErrInvalidScope, raw)
	}
	typ, class, err := parseType(raw[:first])
	if err != nil {
		return Scope{}, fmt.Errorf("%w %q: %v", ErrInvalidScope, raw, err)
	}
	name := raw[first+1 : last]
	if err := checkName(name); err != nil {
		return Scope{}, fmt.Errorf("%w %q: %v", ErrInvalidScope, raw, err)
	}
	actions, err := parseActions(raw[last+1:])
	if err != nil {
		return Scope{}, fmt.Errorf("%w %q: %v", ErrInvalidScope, raw, err)
	}
	return Scope{Type: typ, Class: class, Name: name, Actions: actions}, nil
}

func parseType(s string) (typ, class string, err error) {
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(s, ")") || open == 0 {
			return "", "", errors.New("malformed resource class")
		}
		typ, class = s[:open], s[open+1:len(s)-1]
		if !isToken(class) {
			return "", "", fmt.Errorf("bad resource class %q", class)
		}
	} else {
		typ = s
	}
	if !isToken(typ) {
		return "", "", fmt.Errorf("bad resource type %q", typ)
	}
	return typ, class, nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty resource name")
	case len(name) > maxNameLen:
		return fmt.Errorf("resource name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return errors.New("resource name is not valid UTF-8")
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || r == '"' || r == '\\' || r == ',' {
			return fmt.Errorf("resource name contains %q", r)
		}
	}
	return nil
}

func parseActions(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("no actions")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxActionsLen {
		return nil, fmt.Errorf("more than %d actions", maxActionsLen)
	}
	var actions []string
	for _, a := range parts {
		if a != "*" && !isToken(a) {
			return nil, fmt.Errorf("bad action %q", a)
		}
		actions = appendUnique(actions, a)
	}
	return actions, nil
}

// isToken accepts the lower-case identifiers the distribution spec uses for types, classes and
// actions (letters, digits, '-', '_', '.').
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func appendUnique(list []string, items ...string) []string {
next:
	for _, it := range items {
		for _, have := range list {
			if have == it {
				continue next
			}
		}
		list = append(list, it)
	}
	return list
}
