// Package suggest finds the known word closest to a misspelt one, for the "did you mean"
// hints of the configuration and ACL loaders.
package suggest

// Closest returns the option at most two edits from word (and closer than word is long, so
// that "a" suggests nothing); ties go to the option listed first.
func Closest(word string, options []string) (string, bool) {
	best, bestDist := "", 3
	for _, o := range options {
		if d := Distance(word, o); d < bestDist && d < len(word) {
			best, bestDist = o, d
		}
	}
	return best, best != ""
}

// Distance is the Levenshtein distance over bytes; words longer than 64 bytes are simply far.
func Distance(a, b string) int {
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
