// Package acl decides what an authenticated (or anonymous) client may do on the registry,
// from first-match-wins rules in a hand-edited acl.yaml, and names the rule that decided.
package acl
