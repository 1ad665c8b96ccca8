package acl

import (
	"fmt"
	"strings"

	"github.com/regauth/regauth/internal/suggest"
)

// suggestion returns `, did you mean "actions"?` when word is a likely typo of
// one of options, and "" otherwise.
func suggestion(word string, options []string) string {
	best, ok := suggest.Closest(strings.ToLower(word), options)
	if !ok {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// suggestOr is suggestion, falling back to otherwise when nothing is close.
func suggestOr(word string, options []string, otherwise string) string {
	if s := suggestion(word, options); s != "" {
		return s
	}
	return otherwise
}
