package acl

import (
	"net/netip"
	"slices"
	"testing"
)

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), "acl.yaml")
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return p
}

func mustLoad(t testing.TB, path string) *Policy {
	t.Helper()
	p, err := Load(path)
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	return p
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// noRule marks a case where no rule may match.
const noRule = -1

type decideCase struct {
	name     string
	req      Request
	want     []string // granted
	wantRule int      // 0-based index, or noRule
}

func checkDecision(t *testing.T, p *Policy, tc decideCase) {
	t.Helper()
	d := p.Authorize(tc.req)
	if !slices.Equal(d.Granted, tc.want) {
		t.Errorf("Granted = %q, want %q (%v)", d.Granted, tc.want, d)
	}
	switch {
	case tc.wantRule == noRule && d.Rule != nil:
		t.Errorf("matched %v, want no rule", d.Rule)
	case tc.wantRule != noRule && d.Rule == nil:
		t.Errorf("no rule matched, want rule index %d", tc.wantRule)
	case tc.wantRule != noRule && d.Rule.Index != tc.wantRule:
		t.Errorf("matched %v, want rule index %d", d.Rule, tc.wantRule)
	}
}

func TestExamplePolicy(t *testing.T) {
	p := mustLoad(t, "testdata/acl.yaml")
	repo := func(account, name string, actions ...string) Request {
		return Request{Account: account, Type: "repository", Name: name, Actions: actions}
	}
	withGroups := func(r Request, groups ...string) Request { r.Groups = groups; return r }
	from := func(r Request, addr string) Request { r.IP = ip(addr); return r }

	for _, tc := range []decideCase{
		{"an admin may do everything anywhere", withGroups(repo("root", "team/app", "pull", "push", "delete"), "dev", "admins"), []string{"pull", "push", "delete"}, 0},
		{"alice may push to her own namespace", repo("alice", "alice/x", "pull", "push"), []string{"pull", "push"}, 1},
		{"alice may delete in nested paths of her namespace", repo("alice", "alice/a/b", "delete"), []string{"delete"}, 1},
		{"alice may only pull from bob's namespace", repo("alice", "bob/x", "pull", "push"), []string{"pull"}, 4},
		{"a prefix of alice's name is not her namespace", repo("ali", "alice/x", "push"), nil, 4},
		{"ci-bot may push from the internal network", from(repo("ci-bot", "team/app", "push", "pull"), "10.20.30.40"), []string{"push", "pull"}, 2},
		{"ci-bot may only pull from outside", from(repo("ci-bot", "team/app", "push", "pull"), "192.0.2.1"), []string{"pull"}, 4},
		{"ci-bot with an unknown address may only pull", repo("ci-bot", "team/app", "push", "pull"), []string{"pull"}, 4},
		{"a pusher may push to any repository", withGroups(repo("bob", "team/app", "pull", "push"), "pusher"), []string{"pull", "push"}, 3},
		{"a pusher may not delete", withGroups(repo("bob", "team/app", "delete"), "pusher"), nil, 3},
		{"a signed-in user may pull", repo("carol", "team/app", "pull"), []string{"pull"}, 4},
		{"a signed-in user may not push", repo("carol", "team/app", "push"), nil, 4},
		{"a signed-in user may list the catalog", Request{Account: "carol", Type: "registry", Name: "catalog", Actions: []string{"*"}}, []string{"*"}, 5},
		{"anonymous may not list the catalog", Request{Type: "registry", Name: "catalog", Actions: []string{"*"}}, nil, noRule},
		{"anonymous may pull public images", repo("", "public/base", "pull"), []string{"pull"}, 6},
		{"anonymous may not push public images", repo("", "public/base", "push", "pull"), []string{"pull"}, 6},
		{"anonymous may not pull private images", repo("", "team/app", "pull"), nil, noRule},
		{"anonymous never matches a personal namespace", repo("", "/x", "pull"), nil, noRule},
	} {
		t.Run(tc.name, func(t *testing.T) { checkDecision(t, p, tc) })
	}
}

func TestRules(t *testing.T) {
	type policyCases struct {
		policy string
		cases  []decideCase
	}
	pull := []string{"pull"}
	for _, pc := range []policyCases{
		{`
rules:
  - match: {name: "team/*"}
    actions: [pull]
  - match: {name: "team/*"}
    actions: [pull, push]
`, []decideCase{
			{"the first matching rule wins even when a later one allows more", Request{Name: "team/app", Actions: []string{"pull", "push"}}, pull, 0},
		}},
		{`
rules:
  - match: {account: mallory}
    actions: []
  - match: {}
    actions: ["*"]
`, []decideCase{
			{"actions: [] denies and names the rule", Request{Account: "mallory", Name: "x", Actions: []string{"pull"}}, nil, 0},
			{"an empty match fits every request", Request{Name: "x", Actions: []string{"pull"}}, pull, 1},
			{"star grants everything requested, even unknown actions", Request{Actions: []string{"pull", "mount", "*"}}, []string{"pull", "mount", "*"}, 1},
			{"star drops duplicates and empty actions", Request{Actions: []string{"push", "", "push"}}, []string{"push"}, 1},
			{"a request for nothing grants nothing", Request{Account: "x"}, nil, 1},
		}},
		{`
rules:
  - match: {}
    actions: [pull, push, pull]
`, []decideCase{
			{"granted keeps the request's order without duplicates", Request{Actions: []string{"push", "delete", "pull", "push"}}, []string{"push", "pull"}, 0},
			{"a requested star is not granted by a list of actions", Request{Actions: []string{"*"}}, nil, 0},
			{"actions are case-sensitive", Request{Actions: []string{"PULL"}}, nil, 0},
		}},
		{`
rules:
  - match: {group: pusher}
    actions: [push]
  - match: {group: "team-*"}
    actions: [pull]
`, []decideCase{
			{"a group rule fits when any group fits", Request{Groups: []string{"dev", "ops", "pusher"}, Actions: []string{"push"}}, []string{"push"}, 0},
			{"a group glob fits any of several groups", Request{Groups: []string{"dev", "team-red"}, Actions: []string{"pull"}}, pull, 1},
			{"a user without groups never fits a group rule", Request{Account: "pusher", Actions: []string{"pull"}}, nil, noRule},
		}},
		{`
rules:
  - match: {account: ""}
    actions: [pull]
  - match: {account: "/.+/", name: signed-in}
    actions: [pull]
  - match: {name: anyone}
    actions: [pull]
  - match: {account: "*", name: star}
    actions: [pull]
`, []decideCase{
			{"account empty matches the anonymous user", Request{Actions: pull}, pull, 0},
			{"account empty does not match alice", Request{Account: "alice", Name: "x", Actions: pull}, nil, noRule},
			{"the regex .+ matches a signed-in user", Request{Account: "alice", Name: "signed-in", Actions: pull}, pull, 1},
			{"an absent account matches a signed-in user", Request{Account: "alice", Name: "anyone", Actions: pull}, pull, 2},
			{"the glob star matches a signed-in user", Request{Account: "alice", Name: "star", Actions: pull}, pull, 3},
		}},
		{`
rules:
  - match: {name: "${account}/*"}
    actions: [push]
  - match: {name: "/${account}-(dev|test)/.+/"}
    actions: [delete]
  - match: {name: "team/${account}"}
    actions: [pull]
`, []decideCase{
			{"alice may push to alice/x", Request{Account: "alice", Name: "alice/x", Actions: []string{"push"}}, []string{"push"}, 0},
			{"alice may not push to bob/x", Request{Account: "alice", Name: "bob/x", Actions: []string{"push"}}, nil, noRule},
			{"anonymous never matches a placeholder rule", Request{Name: "/x", Actions: []string{"push"}}, nil, noRule},
			{"anonymous never matches a placeholder regex", Request{Name: "-dev/x", Actions: []string{"delete"}}, nil, noRule},
			{"anonymous never matches a placeholder literal", Request{Name: "team/", Actions: []string{"pull"}}, nil, noRule},
			{"a glob account is substituted literally", Request{Account: "a*", Name: "abc/x", Actions: []string{"push"}}, nil, noRule},
			{"a glob account matches its own literal name", Request{Account: "a*", Name: "a*/x", Actions: []string{"push"}}, []string{"push"}, 0},
			{"the regex placeholder matches alice", Request{Account: "alice", Name: "alice-dev/app", Actions: []string{"delete"}}, []string{"delete"}, 1},
			{"the regex placeholder is quoted", Request{Account: "a.b", Name: "axb-dev/app", Actions: []string{"delete"}}, nil, noRule},
			{"a quoted account still matches itself", Request{Account: "a.b", Name: "a.b-test/app", Actions: []string{"delete"}}, []string{"delete"}, 1},
			{"a regex placeholder for another user does not match", Request{Account: "bob", Name: "alice-dev/app", Actions: []string{"delete"}}, nil, noRule},
			{"a placeholder in the middle of a name matches", Request{Account: "carol", Name: "team/carol", Actions: pull}, pull, 2},
		}},
		{`
rules:
  - match: {ip: 10.0.0.0/8}
    actions: [pull]
  - match: {ip: "fd00::/8"}
    actions: [push]
  - match: {ip: 192.0.2.7}
    actions: [delete]
  - match: {ip: "fe80::/10"}
    actions: ["*"]
`, []decideCase{
			{"an IPv4 address inside the CIDR matches", Request{IP: ip("10.1.2.3"), Actions: pull}, pull, 0},
			{"an IPv4 address outside the CIDR does not match", Request{IP: ip("11.0.0.1"), Actions: pull}, nil, noRule},
			{"an IPv4-mapped IPv6 address matches the IPv4 CIDR", Request{IP: ip("::ffff:10.1.2.3"), Actions: pull}, pull, 0},
			{"an IPv6 address inside the CIDR matches", Request{IP: ip("fd12:3456::1"), Actions: []string{"push"}}, []string{"push"}, 1},
			{"an IPv6 address outside the CIDR does not match", Request{IP: ip("2001:db8::1"), Actions: []string{"push"}}, nil, noRule},
			{"a single address matches itself", Request{IP: ip("192.0.2.7"), Actions: []string{"delete"}}, []string{"delete"}, 2},
			{"a single address does not match its neighbour", Request{IP: ip("192.0.2.8"), Actions: []string{"delete"}}, nil, noRule},
			{"an IPv6 address with a zone matches its prefix", Request{IP: ip("fe80::1%eth0"), Actions: pull}, pull, 3},
			{"an unknown address never matches an ip rule", Request{Actions: pull}, nil, noRule},
		}},
		{`
rules:
  - match: {ip: "::ffff:10.0.0.0/104"}
    actions: [pull]
`, []decideCase{
			{"an IPv4-mapped CIDR matches a plain IPv4 address", Request{IP: ip("10.9.9.9"), Actions: pull}, pull, 0},
		}},
		{`
rules:
  - match: {service: registry.example.com}
    actions: [pull]
  - match: {service: "*.internal", type: registry}
    actions: [push]
`, []decideCase{
			{"the service must match", Request{Service: "registry.example.com", Actions: pull}, pull, 0},
			{"another service does not match", Request{Service: "other.example.com", Actions: pull}, nil, noRule},
			{"service and type must both match", Request{Service: "r.internal", Type: "registry", Actions: []string{"push"}}, []string{"push"}, 1},
			{"the type must match too", Request{Service: "r.internal", Type: "repository", Actions: []string{"push"}}, nil, noRule},
		}},
		{`
rules:
  - match: {name: "/foo/"}
    actions: [pull]
  - match: {name: "/a|b/"}
    actions: [push]
  - match: {account: "/svc-[0-9]+/"}
    actions: [delete]
`, []decideCase{
			{"a regex matches the whole name", Request{Name: "foo", Actions: pull}, pull, 0},
			{"a regex is anchored at the start", Request{Name: "xfoo", Actions: pull}, nil, noRule},
			{"a regex is anchored at the end", Request{Name: "foox", Actions: pull}, nil, noRule},
			{"an alternation is anchored as a whole", Request{Name: "ax", Actions: []string{"push"}}, nil, noRule},
			{"each alternative matches", Request{Name: "b", Actions: []string{"push"}}, []string{"push"}, 1},
			{"a regex account matches", Request{Account: "svc-42", Actions: []string{"delete"}}, []string{"delete"}, 2},
			{"a regex account does not match a longer name", Request{Account: "svc-42x", Actions: []string{"delete"}}, nil, noRule},
		}},
		{`
rules:
  - match: {name: "team/*"}
    actions: [pull]
  - match: {name: "*/app"}
    actions: [push]
  - match: {name: "v?"}
    actions: [delete]
  - match: {name: "host:5000/*"}
    actions: ["*"]
  - match: {name: "a.b[c]"}
    actions: [pull]
  - match: {name: "x*y*z"}
    actions: [pull]
`, []decideCase{
			{"a glob star crosses slashes", Request{Name: "team/a/b/c", Actions: pull}, pull, 0},
			{"a glob star may match nothing", Request{Name: "team/", Actions: pull}, pull, 0},
			{"a leading glob star crosses slashes", Request{Name: "a/b/app", Actions: []string{"push"}}, []string{"push"}, 1},
			{"a glob does not match a longer name", Request{Name: "a/b/apps", Actions: []string{"push"}}, nil, noRule},
			{"a question mark matches one character", Request{Name: "v1", Actions: []string{"delete"}}, []string{"delete"}, 2},
			{"a question mark matches one multibyte character", Request{Name: "vé", Actions: []string{"delete"}}, []string{"delete"}, 2},
			{"a question mark does not match two characters", Request{Name: "v12", Actions: []string{"delete"}}, nil, noRule},
			{"a question mark does not match nothing", Request{Name: "v", Actions: []string{"delete"}}, nil, noRule},
			{"a name with a port matches", Request{Name: "host:5000/x", Actions: []string{"pull", "push"}}, []string{"pull", "push"}, 3},
			{"dots and brackets are literal in globs", Request{Name: "a.b[c]", Actions: pull}, pull, 4},
			{"a dot in a glob is not a wildcard", Request{Name: "aXbc", Actions: pull}, nil, noRule},
			{"a glob backtracks over several stars", Request{Name: "x-y-y-z", Actions: pull}, pull, 5},
			{"a glob with several stars still needs its last literal", Request{Name: "x-y-y-", Actions: pull}, nil, noRule},
		}},
	} {
		p := mustParse(t, pc.policy)
		for _, tc := range pc.cases {
			t.Run(tc.name, func(t *testing.T) { checkDecision(t, p, tc) })
		}
	}
}

func TestDecisionAllowed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		granted []string
		action  string
		want    bool
	}{
		{"a granted action is allowed", []string{"pull", "push"}, "push", true},
		{"an action not granted is refused", []string{"pull"}, "push", false},
		{"a granted star allows every action", []string{"*"}, "delete", true},
		{"nothing granted allows nothing", nil, "pull", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Decision{Granted: tc.granted}).Allowed(tc.action); got != tc.want {
				t.Errorf("Allowed(%q) = %v, want %v", tc.action, got, tc.want)
			}
		})
	}
}

func TestNilPolicyDeniesEverything(t *testing.T) {
	var p *Policy
	if d := p.Authorize(Request{Account: "root", Actions: []string{"*"}}); d.Rule != nil || d.Granted != nil {
		t.Errorf("nil policy decided %v", d)
	}
	if p.Len() != 0 {
		t.Errorf("nil policy Len = %d", p.Len())
	}
}

func TestAuthorizeDoesNotAllocateWhenDenying(t *testing.T) {
	p := mustLoad(t, "testdata/acl.yaml")
	req := Request{Account: "alice", Type: "repository", Name: "bob/x", Actions: []string{"push"}}
	if n := testing.AllocsPerRun(100, func() { p.Authorize(req) }); n != 0 {
		t.Errorf("Authorize allocated %v times per denial, want 0", n)
	}
	req.Actions = []string{"pull", "push"}
	if n := testing.AllocsPerRun(100, func() { p.Authorize(req) }); n != 1 {
		t.Errorf("Authorize allocated %v times per grant, want 1 (the Granted slice)", n)
	}
}
