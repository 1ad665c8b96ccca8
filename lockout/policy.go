package lockout

import (
	"errors"
	"fmt"
	"time"
)

// Policy says when failed logins start to cost waiting time.
type Policy struct {
	UserIPThreshold int           // failures of one user from one address before delays start
	IPThreshold     int           // failures from one address across all users before delays start
	Window          time.Duration // a counter is forgotten this long after its last failure
	BaseDelay       time.Duration // the first lock; each further failure doubles it
	MaxDelay        time.Duration // the longest lock
}

// DefaultPolicy allows a few typos, then locks for 1s, 2s, 4s ... up to 15 minutes. The window
// is twice the longest lock so that an attacker waiting out a full lock is locked again at once.
func DefaultPolicy() Policy {
	return Policy{
		UserIPThreshold: 5,
		IPThreshold:     50,
		Window:          30 * time.Minute,
		BaseDelay:       time.Second,
		MaxDelay:        15 * time.Minute,
	}
}

// Validate reports every problem of the policy at once.
func (p Policy) Validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{p.UserIPThreshold < 1, fmt.Sprintf("UserIPThreshold must be at least 1, got %d", p.UserIPThreshold)},
		{p.IPThreshold < 1, fmt.Sprintf("IPThreshold must be at least 1, got %d", p.IPThreshold)},
		{p.Window < time.Second, fmt.Sprintf("Window must be at least 1s, got %s", p.Window)},
		{p.BaseDelay <= 0, fmt.Sprintf("BaseDelay must be positive, got %s", p.BaseDelay)},
		{p.MaxDelay < p.BaseDelay, fmt.Sprintf("MaxDelay (%s) must not be shorter than BaseDelay (%s)", p.MaxDelay, p.BaseDelay)},
		{p.MaxDelay > p.Window, fmt.Sprintf("MaxDelay (%s) must not be longer than Window (%s): a lock cannot outlive the counter it comes from", p.MaxDelay, p.Window)},
	}
	var errs []error
	for _, c := range checks {
		if c.bad {
			errs = append(errs, errors.New(c.msg))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("lockout policy: %w", errors.Join(errs...))
}

// delay is how long a counter with count failures stays locked after its latest failure:
// zero below threshold, then BaseDelay doubling per failure, capped at MaxDelay.
func (p Policy) delay(count, threshold int) time.Duration {
	if count < threshold {
		return 0
	}
	d := p.BaseDelay
	for i := threshold; i < count; i++ {
		if d >= p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}
