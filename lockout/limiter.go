package lockout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrInvalidAddr means the caller passed no usable client address.
var ErrInvalidAddr = errors.New("lockout: invalid client address")

// Limiter decides whether a login attempt may go ahead and records how it went.
type Limiter struct {
	store  Store
	policy Policy
	now    func() time.Time
}

// New checks the policy and returns a Limiter counting in store. now defaults to time.Now.
func New(store Store, p Policy, now func() time.Time) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("new lockout limiter: no store given")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("new lockout limiter: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{store: store, policy: p, now: now}, nil
}

// Policy returns the policy the limiter enforces.
func (l *Limiter) Policy() Policy { return l.policy }

// Check says whether a login attempt for (user, ip) may proceed now: zero when it may,
// otherwise how long the client has to wait. Call it before checking the password, and do not
// check the password (nor call Failure) when it says wait.
func (l *Limiter) Check(ctx context.Context, user string, ip netip.Addr) (retryAfter time.Duration, err error) {
	userKey, ipKey, err := keys(user, ip)
	if err != nil {
		return 0, err
	}
	now := l.now()
	for _, k := range []struct {
		key       string
		threshold int
	}{
		{userKey, l.policy.UserIPThreshold},
		{ipKey, l.policy.IPThreshold},
	} {
		f, err := l.store.Get(ctx, k.key)
		if err != nil {
			return 0, fmt.Errorf("check login lockout: %w", err)
		}
		if d := l.policy.delay(f.Count, k.threshold); d > 0 {
			// min: a failure stamped by a replica whose clock runs ahead never locks longer than d.
			retryAfter = max(retryAfter, min(d, f.Last.Add(d).Sub(now)))
		}
	}
	return retryAfter, nil
}

// Failure records a wrong password, or an unknown user: both count the same.
func (l *Limiter) Failure(ctx context.Context, user string, ip netip.Addr) error {
	userKey, ipKey, err := keys(user, ip)
	if err != nil {
		return err
	}
	now := l.now()
	_, errUser := l.store.Fail(ctx, userKey, now, l.policy.Window)
	_, errIP := l.store.Fail(ctx, ipKey, now, l.policy.Window)
	if err := errors.Join(errUser, errIP); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

// Success forgets the failures of user from ip. The address-wide counter stays: a valid login
// must not erase the guesses made against other users from the same address.
func (l *Limiter) Success(ctx context.Context, user string, ip netip.Addr) error {
	userKey, _, err := keys(user, ip)
	if err != nil {
		return err
	}
	if err := l.store.Reset(ctx, userKey); err != nil {
		return fmt.Errorf("reset login failures: %w", err)
	}
	return nil
}

// RetryAfterSeconds turns a wait into the value of a Retry-After header: whole seconds,
// rounded up, so a client that obeys it is never refused again for the same lock.
func RetryAfterSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// keys names the two counters of a login: the user (hashed, so any name costs the same few
// bytes) from the client's network, and the client's network alone.
func keys(user string, ip netip.Addr) (userKey, ipKey string, err error) {
	network, err := clientNetwork(ip)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256([]byte(user))
	return "u:" + hex.EncodeToString(sum[:16]) + ":" + network, "ip:" + network, nil
}

// clientNetwork is the unit a client is counted by: the full IPv4 address, or the /64 of an
// IPv6 address. IPv4-mapped IPv6 addresses count as the IPv4 address; zones are dropped.
func clientNetwork(ip netip.Addr) (string, error) {
	if !ip.IsValid() {
		return "", ErrInvalidAddr
	}
	ip = ip.Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	prefix, err := ip.Prefix(bits)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidAddr, err)
	}
	return prefix.String(), nil
}
