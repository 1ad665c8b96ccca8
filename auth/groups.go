package auth

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Groups is a parsed Apache group file ("group: user1 user2"). It is immutable; a nil *Groups
// has no groups.
type Groups struct {
	members map[string][]string // group -> sorted users
	of      map[string][]string // user -> sorted groups
}

// LoadGroups reads and parses the group file at path.
func LoadGroups(path string) (*Groups, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	defer f.Close()
	g, err := ParseGroups(f, path)
	if err != nil {
		return nil, fmt.Errorf("load groups %q: %w", path, err)
	}
	return g, nil
}

// ParseGroups parses "group: user1 user2" lines; a group may span several lines and a user
// may belong to several groups. filename only labels errors. Malformed lines make it fail,
// and the error lists every one of them as a *LineError.
func ParseGroups(r io.Reader, filename string) (*Groups, error) {
	sets := make(map[string]map[string]struct{})
	var errs []error
	readErr := eachLine(r, filename, func(lineNo int, line string) {
		lineErr := func(format string, args ...any) {
			errs = append(errs, &LineError{File: filename, Line: lineNo, Msg: fmt.Sprintf(format, args...)})
		}
		group, list, found := strings.Cut(line, ":")
		if !found {
			lineErr("expected group: user1 user2, found no ':'")
			return
		}
		group = strings.TrimSpace(group)
		if msg := checkName(group); msg != "" {
			lineErr("group name %s", msg)
			return
		}
		users := strings.Fields(list)
		for _, u := range users {
			if msg := checkName(u); msg != "" {
				lineErr("group %q: user name %s", group, msg)
				return
			}
			if strings.Contains(u, ":") {
				lineErr("group %q: user name %q contains ':'", group, u)
				return
			}
		}
		set := sets[group]
		if set == nil {
			set = make(map[string]struct{})
			sets[group] = set
		}
		for _, u := range users {
			set[u] = struct{}{}
		}
	})
	if readErr != nil {
		errs = append(errs, readErr)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	g := &Groups{members: make(map[string][]string, len(sets)), of: make(map[string][]string)}
	for group, set := range sets {
		users := make([]string, 0, len(set))
		for u := range set {
			users = append(users, u)
			g.of[u] = append(g.of[u], group)
		}
		slices.Sort(users)
		g.members[group] = users
	}
	for _, groups := range g.of {
		slices.Sort(groups)
	}
	return g, nil
}

// Of returns the groups user belongs to, sorted.
func (g *Groups) Of(user string) []string {
	if g == nil {
		return nil
	}
	return slices.Clone(g.of[user])
}

// Members returns the users of group, sorted.
func (g *Groups) Members(group string) []string {
	if g == nil {
		return nil
	}
	return slices.Clone(g.members[group])
}

// Names returns every group name, sorted; a group with no members is still listed.
func (g *Groups) Names() []string {
	if g == nil {
		return nil
	}
	names := make([]string, 0, len(g.members))
	for name := range g.members {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
