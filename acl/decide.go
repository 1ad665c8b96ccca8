package acl

import (
	"slices"
	"strings"
)

// Authorize finds the first rule whose match fits req and grants the
// requested actions that rule allows. No matching rule denies everything.
// A nil Policy denies everything.
func (p *Policy) Authorize(req Request) Decision {
	if p == nil {
		return Decision{}
	}
	st := state{account: req.Account, policy: p}
	for i := range p.rules {
		r := &p.rules[i]
		if r.matches(&req, &st) {
			return Decision{Granted: r.grant(req.Actions), Rule: &r.ref}
		}
	}
	return Decision{}
}

// matches checks every key the rule names; the cheap ones go first.
func (r *rule) matches(req *Request, st *state) bool {
	if r.usesAccount && req.Account == "" {
		return false
	}
	if r.typ != nil && !r.typ.match(req.Type, st) {
		return false
	}
	if r.account != nil && !r.account.match(req.Account, st) {
		return false
	}
	if r.service != nil && !r.service.match(req.Service, st) {
		return false
	}
	if r.hasIP && !matchIP(r.ip, req.IP) {
		return false
	}
	if r.name != nil && !r.name.match(req.Name, st) {
		return false
	}
	if r.group != nil && !r.matchesGroup(req.Groups, st) {
		return false
	}
	return true
}

func (r *rule) matchesGroup(groups []string, st *state) bool {
	for _, g := range groups {
		if r.group.match(g, st) {
			return true
		}
	}
	return false
}

// grant intersects the requested actions with the rule's, keeping the
// request's order and dropping duplicates and empty strings. It allocates
// only when something is granted.
func (r *rule) grant(requested []string) []string {
	var out []string
	for i, a := range requested {
		if a == "" || (!r.all && !slices.Contains(r.actions, a)) || slices.Contains(requested[:i], a) {
			continue
		}
		if out == nil {
			out = make([]string, 0, len(requested)-i)
		}
		out = append(out, a)
	}
	return out
}

// String explains the decision in one line for logs and "why can't alice
// push?": `granted pull,push by acl.yaml:7 (rule 2: "personal namespaces")`.
func (d Decision) String() string {
	switch {
	case d.Rule == nil:
		return "denied: no rule matched"
	case len(d.Granted) == 0:
		return "denied by " + d.Rule.String()
	}
	return "granted " + strings.Join(d.Granted, ",") + " by " + d.Rule.String()
}
