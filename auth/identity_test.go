package auth

import "testing"

func TestIdentityAnonymous(t *testing.T) {
	tests := []struct {
		name string
		id   Identity
		want bool
	}{
		{"an identity without a name is anonymous", Identity{}, true},
		{"an identity with only groups is still anonymous", Identity{Groups: []string{"pusher"}}, true},
		{"a named identity is not anonymous", Identity{Name: "alice"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.Anonymous(); got != tt.want {
				t.Errorf("Anonymous() = %v, want %v", got, tt.want)
			}
		})
	}
}
