package acl

import (
	"fmt"
	"strings"
)

// suggest returns `, did you mean "actions"?` when word is a likely typo of
// one of options, and "" otherwise.
func suggest(word string, options []string) string {
	best, bestDist := "", 3 // at most two edits away
	w := strings.ToLower(word)
	for _, o := range options {
		if d := editDistance(w, o); d < bestDist && d < len(w) {
			best, bestDist = o, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// editDistance is the Levenshtein distance over bytes; words here are short.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggestOr is suggest, falling back to otherwise when nothing is close.
func suggestOr(word string, options []string, otherwise string) string {
	if s := suggest(word, options); s != "" {
		return s
	}
	return otherwise
}
