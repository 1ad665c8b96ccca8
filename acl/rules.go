package acl

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Request is one question put to the ACL: may this client do these actions
// on this resource?
type Request struct {
	Account string     // "" = anonymous
	Groups  []string   // the identity's groups, in any order
	IP      netip.Addr // client address; the zero value means unknown
	Service string     // the registry's service name, as in the token request
	Type    string     // "repository", "registry", ...
	Name    string     // "team/app", "host:5000/x", "catalog"
	Actions []string   // requested: pull, push, delete, "*", or anything a client sends
}

// RuleRef points at the rule that made a decision, so that an admin can find it
// in the file (explain, audit logs).
type RuleRef struct {
	File    string
	Index   int // 0-based position in the rules list; shown 1-based as "rule N"
	Line    int
	Comment string
}

// String reads like `acl.yaml:12 (rule 3: "personal namespaces")`.
func (r RuleRef) String() string {
	if r.Comment == "" {
		return fmt.Sprintf("%s:%d (rule %d)", r.File, r.Line, r.Index+1)
	}
	return fmt.Sprintf("%s:%d (rule %d: %q)", r.File, r.Line, r.Index+1, r.Comment)
}

// Decision is the ACL's answer. Granted holds the requested actions that are
// allowed, in the request's order without duplicates; it is empty when the
// matching rule denies or when no rule matched (then Rule is nil).
//
// Rule points into the Policy that decided and must be treated as read-only.
type Decision struct {
	Granted []string
	Rule    *RuleRef
}

// Allowed reports whether action was granted. A granted "*" (only possible
// when the rule allows everything) allows every action.
func (d Decision) Allowed(action string) bool {
	for _, g := range d.Granted {
		if g == action || g == actionAll {
			return true
		}
	}
	return false
}

// Authorizer is what the token service asks. Both *Policy and *Store satisfy it.
type Authorizer interface {
	Authorize(Request) Decision
}

var (
	_ Authorizer = (*Store)(nil)
	_ Authorizer = (*Policy)(nil)
)

// Actions a rule may list in the file.
const (
	actionPull   = "pull"
	actionPush   = "push"
	actionDelete = "delete"
	actionAll    = "*"
)

var knownActions = []string{actionPull, actionPush, actionDelete, actionAll}

// Policy is a parsed acl.yaml. It is immutable after Parse and safe for
// concurrent use.
type Policy struct {
	file  string
	rules []rule

	// ${account} regular expressions, compiled per account on first use.
	accountSlots   int
	byAccount      sync.Map // account -> *accountRegexps
	cachedAccounts atomic.Int32
}

// Len is the number of rules.
func (p *Policy) Len() int {
	if p == nil {
		return 0
	}
	return len(p.rules)
}

// rule is one compiled entry of the rules list. A nil pattern means the key
// was absent and matches anything.
type rule struct {
	ref RuleRef

	account *pattern
	group   *pattern
	typ     *pattern
	name    *pattern
	service *pattern
	ip      netip.Prefix // valid only when hasIP
	hasIP   bool

	// usesAccount is set when name contains ${account}: such a rule never
	// matches the anonymous user.
	usesAccount bool

	all     bool     // actions contain "*"
	actions []string // deduplicated; empty denies
}
