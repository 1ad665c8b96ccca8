package auth

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestUnknownUsersCostWhatWrongPasswordsCost guards against user enumeration by timing: a
// file of cost-5 hashes (what `htpasswd -B` writes by default) must not answer unknown users
// 30 times slower than real ones. Samples are interleaved so machine load hits both alike,
// and the bound is wide: the bug it catches is a factor of 32.
func TestUnknownUsersCostWhatWrongPasswordsCost(t *testing.T) {
	for _, cost := range []int{5, 10} {
		t.Run(fmt.Sprintf("bcrypt cost %d", cost), func(t *testing.T) {
			var b strings.Builder
			for _, u := range []string{"alice", "bob", "carol"} {
				h, err := bcrypt.GenerateFromPassword([]byte("secret-"+u), cost)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "%s:%s\n", u, h)
			}
			h, _, err := ParseHtpasswd(strings.NewReader(b.String()), "htpasswd")
			if err != nil {
				t.Fatal(err)
			}
			var known, unknown []time.Duration
			for range 15 {
				start := time.Now()
				h.Verify("alice", "wrong")
				known = append(known, time.Since(start))
				start = time.Now()
				h.Verify("mallory", "wrong")
				unknown = append(unknown, time.Since(start))
			}
			ratio := float64(median(unknown)) / float64(median(known))
			t.Logf("median wrong password %v, unknown user %v (ratio %.2f)", median(known), median(unknown), ratio)
			if ratio < 0.33 || ratio > 3 {
				t.Fatalf("unknown users take %.2fx the time of wrong passwords: timing reveals user names", ratio)
			}
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
