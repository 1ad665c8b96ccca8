package acl

import (
	"fmt"
	"strings"
	"testing"
)

// thousandRules is a policy of 1,000 rules of the usual kinds (literal
// accounts, globs, groups, regular expressions, ${account} in both forms,
// ip) where only the last rule fits the benchmark's request, so every rule
// is tried.
func thousandRules() []byte {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range 999 {
		switch i % 6 {
		case 0:
			fmt.Fprintf(&b, "  - match: {account: user%d, name: \"team%d/*\"}\n    actions: [pull, push]\n", i, i)
		case 1:
			fmt.Fprintf(&b, "  - match: {group: \"group%d\", type: repository}\n    actions: [pull, push]\n", i)
		case 2:
			fmt.Fprintf(&b, "  - match: {account: \"/svc%d-[a-z]+/\"}\n    actions: [pull]\n", i)
		case 3:
			fmt.Fprintf(&b, "  - match: {name: \"${account}/proj%d/*\"}\n    actions: [pull, push, delete]\n", i)
		case 4:
			fmt.Fprintf(&b, "  - match: {name: \"/${account}-%d/.+/\"}\n    actions: [pull, push]\n", i)
		case 5:
			fmt.Fprintf(&b, "  - match: {ip: \"10.%d.0.0/16\", name: \"*/ci%d\"}\n    actions: [pull, push]\n", i%256, i)
		}
	}
	b.WriteString("  - match: {account: \"/.+/\", type: repository}\n    actions: [pull]\n")
	return []byte(b.String())
}

func BenchmarkAuthorize1000Rules(b *testing.B) {
	p, err := Parse(thousandRules(), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if p.Len() != 1000 {
		b.Fatalf("Len = %d", p.Len())
	}
	req := Request{
		Account: "alice",
		Groups:  []string{"dev", "ops"},
		IP:      ip("192.0.2.10"),
		Type:    "repository",
		Name:    "team/app",
		Actions: []string{"pull", "push"},
	}
	if d := p.Authorize(req); d.Rule == nil || d.Rule.Index != 999 || !d.Allowed("pull") || d.Allowed("push") {
		b.Fatalf("unexpected decision %v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Authorize(req)
	}
}

func BenchmarkParse1000Rules(b *testing.B) {
	data := thousandRules()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "bench.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
