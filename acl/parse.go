package acl

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LineError is one problem found in an ACL file. Parse returns all of them at
// once, joined with errors.Join; use errors.As or the Unwrap() []error method
// to walk them.
type LineError struct {
	File string
	Line int // 1-based; 0 when the YAML parser gave no line
	Msg  string
}

// Error reads like `acl.yaml:12: unknown key "acton" in rule 3`, the form
// editors and grep understand.
func (e *LineError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Load reads and parses the ACL file at path; errors name path as the file.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load acl %q: %w", path, err)
	}
	return Parse(data, path)
}

// Parse compiles an ACL file. filename is only used in messages.
//
// The file holds one top-level key, rules, a list tried from the top; the
// first rule whose match fits the request decides, and no match denies:
//
//	rules:
//	  - match: {account: "/.+/", name: "${account}/*"}
//	    actions: [pull, push, delete]
//	    comment: personal namespaces
//
// A rule has match (required; {} matches every request), actions (required;
// pull, push, delete or "*" for everything requested; [] denies) and an
// optional comment shown in explanations. Match keys are account, group,
// type, name, service and ip; every key present must fit, and group fits
// when any of the identity's groups does. Values are globs, where `*` matches
// any sequence of characters including `/` and `?` exactly one character, or
// regular expressions anchored at both ends when written /.../. account: ""
// matches only the anonymous user, while an absent account matches anyone
// and "/.+/" any signed-in user. name may use ${account}, replaced by the
// requesting account taken literally; such a rule never matches the
// anonymous user. ip is an IPv4 or IPv6 address or CIDR prefix and never
// matches a request whose address is unknown.
//
// Parsing is strict: unknown keys, wrong types, bad patterns, addresses and
// actions are all reported together, each as a *LineError.
func Parse(data []byte, filename string) (*Policy, error) {
	p := &parser{file: filename}
	rules := p.parseFile(data)
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *LineError) int { return cmp.Compare(a.Line, b.Line) })
		if p.tooMany {
			p.errs = append(p.errs, &LineError{File: p.file, Msg: "too many errors; fix the ones above first"})
		}
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	return &Policy{file: filename, rules: rules, accountSlots: p.accountSlots}, nil
}

type parser struct {
	file         string
	errs         []*LineError
	accountSlots int // ${account} regular expressions numbered so far
	tooMany      bool
}

// maxErrors stops a badly broken file from burying the first problems.
const maxErrors = 100

func (p *parser) errorAt(line int, format string, args ...any) {
	if len(p.errs) == maxErrors {
		p.tooMany = true
		return
	}
	p.errs = append(p.errs, &LineError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parseFile(data []byte) []rule {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorAt(1, `empty file: want a top-level "rules:" list`)
		} else {
			p.yamlError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorAt(extra.Line, "a second YAML document (---): keep all rules in one")
	case !errors.Is(err, io.EOF):
		p.yamlError(err, data)
	}

	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorAt(1, `empty file: want a top-level "rules:" list`)
		return nil
	}
	root := deref(doc.Content[0])
	switch {
	case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		p.errorAt(1, `empty file: want a top-level "rules:" list`)
		return nil
	case root.Kind != yaml.MappingNode:
		p.errorAt(root.Line, `the top level must be a map with a "rules:" key, got %s`, describe(root))
		return nil
	}

	var rules []rule
	found := false
	p.fields(root, -1, func(key string, k, v *yaml.Node) {
		if key != "rules" {
			p.errorAt(k.Line, "unknown top-level key %q%s", key, suggestion(key, []string{"rules"}))
			return
		}
		found = true
		rules = p.parseRules(v)
	})
	if !found {
		p.errorAt(max(root.Line, 1), `no "rules:" key: want a top-level "rules:" list`)
	}
	return rules
}

func (p *parser) parseRules(n *yaml.Node) []rule {
	if n.Kind != yaml.SequenceNode {
		p.errorAt(n.Line, `"rules" must be a list, got %s%s`, describe(n), nullHint(n, " (write rules: [] to deny everything)"))
		return nil
	}
	rules := make([]rule, 0, len(n.Content))
	for i, item := range n.Content {
		item = deref(item)
		r := rule{ref: RuleRef{File: p.file, Index: i, Line: item.Line}}
		p.parseRule(item, &r)
		rules = append(rules, r)
	}
	return rules
}

func (p *parser) parseRule(n *yaml.Node, r *rule) {
	ri := r.ref.Index
	if n.Kind != yaml.MappingNode {
		p.errorAt(n.Line, `rule %d must be a map with "match" and "actions", got %s`, ri+1, describe(n))
		return
	}
	var hasMatch, hasActions bool
	p.fields(n, ri, func(key string, k, v *yaml.Node) {
		switch key {
		case "match":
			hasMatch = true
			p.parseMatch(v, r)
		case "actions":
			hasActions = true
			p.parseActions(v, r)
		case "comment":
			if s, ok := p.str(v, `"comment"`, ri); ok {
				r.ref.Comment = s
			}
		default:
			p.errorAt(k.Line, "unknown key %q%s%s", key, inRule(ri), suggestOr(key, []string{"match", "actions", "comment"}, " (want match, actions or comment)"))
		}
	})
	if !hasMatch {
		p.errorAt(n.Line, `missing "match" in rule %d (write match: {} to match every request)`, ri+1)
	}
	if !hasActions {
		p.errorAt(n.Line, `missing "actions" in rule %d (write actions: [] to deny)`, ri+1)
	}
}

var matchKeys = []string{"account", "group", "type", "name", "service", "ip"}

func (p *parser) parseMatch(n *yaml.Node, r *rule) {
	ri := r.ref.Index
	if n.Kind != yaml.MappingNode {
		p.errorAt(n.Line, `"match" in rule %d must be a map, got %s%s`, ri+1, describe(n), nullHint(n, " (write match: {} to match every request)"))
		return
	}
	p.fields(n, ri, func(key string, k, v *yaml.Node) {
		if !slices.Contains(matchKeys, key) {
			p.errorAt(k.Line, "unknown match key %q%s%s", key, inRule(ri), suggestOr(key, matchKeys, " (want one of "+strings.Join(matchKeys, ", ")+")"))
			return
		}
		s, ok := p.str(v, strconv.Quote(key), ri)
		if !ok {
			return
		}
		if key == "ip" {
			pfx, err := parseIPMatch(s)
			if err != nil {
				p.errorAt(v.Line, "bad ip %q%s: %v (want an address or a CIDR prefix such as 10.0.0.0/8 or fd00::/8)", s, inRule(ri), err)
				return
			}
			r.ip, r.hasIP = pfx, true
			return
		}
		pat, usesAccount, err := compilePattern(s, key == "name")
		if err != nil {
			p.errorAt(v.Line, "bad %s %q%s: %v", key, s, inRule(ri), err)
			return
		}
		switch key {
		case "account":
			r.account = pat
		case "group":
			r.group = pat
		case "type":
			r.typ = pat
		case "name":
			r.name, r.usesAccount = pat, usesAccount
			if pat.kind == patRegexAccount {
				pat.slot = p.accountSlots
				p.accountSlots++
			}
		case "service":
			r.service = pat
		}
	})
}

func (p *parser) parseActions(n *yaml.Node, r *rule) {
	ri := r.ref.Index
	if n.Kind != yaml.SequenceNode {
		hint := nullHint(n, " (write actions: [] to deny)")
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
			hint = fmt.Sprintf(" (write actions: [%s])", n.Value)
		}
		p.errorAt(n.Line, `"actions" in rule %d must be a list, got %s%s`, ri+1, describe(n), hint)
		return
	}
	r.actions = make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		item = deref(item)
		a, ok := p.str(item, "an action", ri)
		if !ok {
			continue
		}
		if !slices.Contains(knownActions, a) {
			p.errorAt(item.Line, "unknown action %q%s%s", a, inRule(ri), suggestOr(a, knownActions[:3], ` (want pull, push, delete or "*")`))
			continue
		}
		if a == actionAll {
			r.all = true
		}
		if !slices.Contains(r.actions, a) {
			r.actions = append(r.actions, a)
		}
	}
}

// fields walks a map's key/value pairs, reporting non-string and duplicate
// keys instead of visiting them. ri is the rule index, or -1 outside rules.
func (p *parser) fields(m *yaml.Node, ri int, visit func(key string, k, v *yaml.Node)) {
	seen := make(map[string]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorAt(k.Line, "a key%s must be a word, got %s", inRule(ri), describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorAt(k.Line, "duplicate key %q%s (first at line %d)", k.Value, inRule(ri), first)
			continue
		}
		seen[k.Value] = k.Line
		visit(k.Value, k, v)
	}
}

// str returns a string scalar; anything else (a number, a list, null) is
// reported, because YAML would otherwise turn `name: 1.10` into "1.1".
func (p *parser) str(n *yaml.Node, what string, ri int) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return n.Value, true
	}
	hint := ""
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && what == `"account"`:
		hint = ` (write account: "" for the anonymous user)`
	case n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null":
		hint = fmt.Sprintf(" (quote it: %q)", n.Value)
	}
	p.errorAt(n.Line, "%s%s must be a string, got %s%s", what, inRule(ri), describe(n), hint)
	return "", false
}

var yamlLineRE = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the messages of the YAML library's parser (as
// opposed to its scanner). The library reports their line counted from 0
// (the line where the unfinished list, map or rule began, minus one), and
// leaves it out on what is really line 1.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlError turns the YAML library's "yaml: line 3: ..." into a LineError.
func (p *parser) yamlError(err error, data []byte) {
	msg, line := err.Error(), 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if slices.Contains(yamlParserProblems, msg) {
		line = min(line+1, lineCount(data))
	}
	if strings.Contains(msg, "did not find expected alphabetic or numeric character") {
		msg += ` (a bare * or & starts a YAML alias or anchor; quote it: "*")`
	}
	p.errorAt(line, "YAML syntax error: %s", msg)
}

// lineCount counts lines the way an editor numbers them (at least 1).
func lineCount(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) == 0 || data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// deref follows YAML aliases (*name) to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// describe names a node's kind the way an admin would.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch t := n.ShortTag(); t {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		case "!!timestamp":
			return "a date"
		default:
			return "a " + t + " value"
		}
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func nullHint(n *yaml.Node, hint string) string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return hint
	}
	return ""
}

func inRule(ri int) string {
	if ri < 0 {
		return ""
	}
	return fmt.Sprintf(" in rule %d", ri+1)
}
