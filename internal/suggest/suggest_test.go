package suggest

import "testing"

func TestClosestSuggestsOnlyNearbyWords(t *testing.T) {
	options := []string{"actions", "account", "comment", "token.issuer"}
	tests := []struct {
		word, want string
		ok         bool
	}{
		{"acton", "actions", true},
		{"acount", "account", true},
		{"token.isuer", "token.issuer", true},
		{"xyz", "", false},
		{"a", "", false},
		{"completely-different", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got, ok := Closest(tt.word, options)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Closest(%q) = %q, %v; want %q, %v", tt.word, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"same", "same", 0}} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
