package acl

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
)

// accountVar is the only placeholder: it stands for the requesting account.
const accountVar = "${account}"

// pattern matches one string field of a request. A pattern written /.../ is
// a regular expression anchored at both ends; anything else is a glob where
// `*` matches any sequence of characters INCLUDING `/`, `?` matches exactly
// one character, and every other character stands for itself (docker_auth's
// meaning). Patterns are compiled once at Parse; only a regular expression
// that uses ${account} is built at decide time, once per account.
type pattern struct {
	kind patternKind
	lit  string         // patLiteral, patPrefix
	glob []globToken    // patGlob
	re   *regexp.Regexp // patRegex
	expr string         // patRegexAccount: the expression with ${account} in it
	slot int            // patRegexAccount: index into the requester's accountRegexps
}

type patternKind uint8

const (
	patAnything     patternKind = iota // "*"
	patLiteral                         // no wildcard: string equality
	patPrefix                          // "team/*": strings.HasPrefix
	patGlob                            // the general glob
	patRegex                           // /.../ without ${account}
	patRegexAccount                    // /.../ with ${account}
)

// compilePattern compiles src; allowAccount says whether ${account} may appear.
// It reports whether the pattern uses ${account}.
func compilePattern(src string, allowAccount bool) (p *pattern, usesAccount bool, err error) {
	if err := checkPlaceholders(src, allowAccount); err != nil {
		return nil, false, err
	}
	usesAccount = strings.Contains(src, accountVar)
	if len(src) >= 2 && src[0] == '/' && src[len(src)-1] == '/' {
		p, err = compileRegex(src[1:len(src)-1], usesAccount)
		return p, usesAccount, err
	}
	return compileGlob(src), usesAccount, nil
}

// checkPlaceholders refuses ${...} other than ${account}, and ${account}
// where it is not allowed, so that a typo does not silently match nothing.
func checkPlaceholders(src string, allowAccount bool) error {
	for rest := src; ; {
		i := strings.Index(rest, "${")
		if i < 0 {
			return nil
		}
		rest = rest[i:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return fmt.Errorf("unterminated placeholder %q (only %s is supported)", rest, accountVar)
		}
		if v := rest[:end+1]; v != accountVar {
			return fmt.Errorf("unknown placeholder %q (only %s is supported)", v, accountVar)
		}
		if !allowAccount {
			return errors.New(accountVar + " may only appear in name")
		}
		rest = rest[end+1:]
	}
}

func compileRegex(expr string, usesAccount bool) (*pattern, error) {
	// Compiling the bare expression first rejects unbalanced parentheses that
	// would otherwise escape the anchoring group, e.g. /a)|(b/. With
	// ${account}, a stand-in account checks the syntax; the real one is
	// quoted and spliced in at decide time.
	bare := expr
	if usesAccount {
		bare = substituteAccount(expr, "account")
	}
	if _, err := regexp.Compile(bare); err != nil {
		return nil, regexError(err)
	}
	re, err := regexp.Compile(anchor(bare))
	if err != nil {
		return nil, regexError(err)
	}
	if usesAccount {
		return &pattern{kind: patRegexAccount, expr: expr}, nil
	}
	return &pattern{kind: patRegex, re: re}, nil
}

func regexError(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "error parsing regexp: "))
}

func anchor(expr string) string { return "^(?:" + expr + ")$" }

func substituteAccount(expr, account string) string {
	return strings.ReplaceAll(expr, accountVar, "(?:"+regexp.QuoteMeta(account)+")")
}

// match reports whether s fits; st knows the requester, for ${account}.
func (p *pattern) match(s string, st *state) bool {
	switch p.kind {
	case patAnything:
		return true
	case patLiteral:
		return s == p.lit
	case patPrefix:
		return strings.HasPrefix(s, p.lit)
	case patGlob:
		return matchGlob(p.glob, s, st.account)
	case patRegex:
		return p.re.MatchString(s)
	case patRegexAccount:
		re := st.accountRegexp(p)
		return re != nil && re.MatchString(s)
	}
	return false
}

// accountRegexps holds one account's compiled ${account} regular
// expressions, one slot per such pattern in the policy, each compiled the
// first time a decision for that account reaches it.
type accountRegexps struct {
	slots []atomic.Pointer[compiledRegexp]
}

type compiledRegexp struct {
	re *regexp.Regexp // nil when the substituted expression does not compile
}

// maxCachedAccounts bounds the memory held for ${account} regular
// expressions; past it the cache starts over.
const maxCachedAccounts = 4096

// state carries one decision through the rules: the requester, and their
// ${account} regular expressions once a rule needs them. It lives on the
// stack.
type state struct {
	account  string
	policy   *Policy
	accounts *accountRegexps
}

func (st *state) accountRegexp(p *pattern) *regexp.Regexp {
	if st.accounts == nil {
		st.accounts = st.policy.accountRegexps(st.account)
	}
	slot := &st.accounts.slots[p.slot]
	if c := slot.Load(); c != nil {
		return c.re
	}
	// A stand-in account compiled at Parse; a real one can still fail in
	// odd spots such as inside a character class, and then matches nothing.
	re, err := regexp.Compile(anchor(substituteAccount(p.expr, st.account)))
	if err != nil {
		re = nil
	}
	slot.Store(&compiledRegexp{re: re})
	return re
}

func (p *Policy) accountRegexps(account string) *accountRegexps {
	if v, ok := p.byAccount.Load(account); ok {
		return v.(*accountRegexps)
	}
	if p.cachedAccounts.Add(1) > maxCachedAccounts {
		p.byAccount.Clear()
		p.cachedAccounts.Store(1)
	}
	v, _ := p.byAccount.LoadOrStore(account, &accountRegexps{slots: make([]atomic.Pointer[compiledRegexp], p.accountSlots)})
	return v.(*accountRegexps)
}
