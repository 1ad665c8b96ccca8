package lockout

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultPolicyIsValid(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate() = %v", err)
	}
	if p.Window < 2*p.MaxDelay {
		t.Errorf("default window %s should be at least twice the longest lock %s", p.Window, p.MaxDelay)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		want   []string // substrings of the error; none means valid
	}{
		{"the default policy is valid", DefaultPolicy(), nil},
		{"a lock as long as the window is allowed", Policy{1, 1, time.Minute, time.Second, time.Minute}, nil},
		{"a zero policy names every field", Policy{}, []string{"UserIPThreshold", "IPThreshold", "Window", "BaseDelay"}},
		{"negative thresholds are refused", Policy{-1, 0, time.Hour, time.Second, time.Minute}, []string{"UserIPThreshold must be at least 1, got -1", "IPThreshold must be at least 1, got 0"}},
		{"a cap below the first lock is refused", Policy{5, 50, time.Hour, time.Minute, time.Second}, []string{"MaxDelay (1s) must not be shorter than BaseDelay (1m0s)"}},
		{"a lock longer than the window is refused", Policy{5, 50, time.Minute, time.Second, time.Hour}, []string{"must not be longer than Window"}},
		{"a window under a second is refused", Policy{5, 50, time.Millisecond, time.Millisecond, time.Millisecond}, []string{"Window must be at least 1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestDelayDoublesAndCaps(t *testing.T) {
	p := Policy{UserIPThreshold: 3, IPThreshold: 10, Window: time.Hour, BaseDelay: time.Second, MaxDelay: 10 * time.Second}
	tests := []struct {
		count int
		want  time.Duration
	}{
		{0, 0}, {2, 0}, {3, time.Second}, {4, 2 * time.Second}, {5, 4 * time.Second},
		{6, 8 * time.Second}, {7, 10 * time.Second}, {100, 10 * time.Second}, {1 << 40, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := p.delay(tt.count, p.UserIPThreshold); got != tt.want {
			t.Errorf("delay(%d failures) = %s, want %s", tt.count, got, tt.want)
		}
	}
}

func TestRetryAfterSecondsRoundsUp(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {-time.Second, 0}, {time.Nanosecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {15 * time.Minute, 900},
	}
	for _, tt := range tests {
		if got := RetryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("RetryAfterSeconds(%s) = %d, want %d", tt.d, got, tt.want)
		}
	}
}
