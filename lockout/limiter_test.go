package lockout

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPolicy keeps the numbers small enough to read in a table.
var testPolicy = Policy{
	UserIPThreshold: 3,
	IPThreshold:     10,
	Window:          time.Hour,
	BaseDelay:       time.Second,
	MaxDelay:        time.Minute,
}

// step is one thing that happens in a limiter scenario.
type step struct {
	fail    int           // record this many failures of user from ip
	succeed bool          // record a successful login of user from ip
	advance time.Duration // move the clock
	check   bool          // expect Check(user, ip) == wait
	user    string
	ip      string
	wait    time.Duration
}

func fails(n int, user, ip string) step { return step{fail: n, user: user, ip: ip} }
func success(user, ip string) step      { return step{succeed: true, user: user, ip: ip} }
func wait(d time.Duration) step         { return step{advance: d} }
func expect(user, ip string, d time.Duration) step {
	return step{check: true, user: user, ip: ip, wait: d}
}

// failsAsUsers records one failure from ip for each of n different users.
func failsAsUsers(n int, ip string) []step {
	steps := make([]step, n)
	for i := range steps {
		steps[i] = fails(1, fmt.Sprintf("sprayed-%d", i), ip)
	}
	return steps
}

func TestLimiter(t *testing.T) {
	const (
		ip      = "192.0.2.10"
		otherIP = "198.51.100.7"
	)
	tests := []struct {
		name   string
		policy Policy
		steps  []step
	}{
		{
			name:  "failures below the threshold cost no waiting",
			steps: []step{expect("alice", ip, 0), fails(2, "alice", ip), expect("alice", ip, 0)},
		},
		{
			name: "reaching the threshold locks for the base delay, counted from the last failure",
			steps: []step{
				fails(3, "alice", ip), expect("alice", ip, time.Second),
				wait(400 * time.Millisecond), expect("alice", ip, 600*time.Millisecond),
				wait(600 * time.Millisecond), expect("alice", ip, 0),
			},
		},
		{
			name: "each further failure doubles the lock up to the cap",
			steps: []step{
				fails(3, "alice", ip), expect("alice", ip, time.Second),
				fails(1, "alice", ip), expect("alice", ip, 2*time.Second),
				fails(1, "alice", ip), expect("alice", ip, 4*time.Second),
				fails(3, "alice", ip), expect("alice", ip, 32*time.Second),
				fails(1, "alice", ip), expect("alice", ip, time.Minute),
				fails(20, "alice", ip), expect("alice", ip, time.Minute),
			},
		},
		{
			name: "the same user from another address is not locked",
			steps: []step{
				fails(8, "ci-bot", ip), expect("ci-bot", ip, 32*time.Second),
				expect("ci-bot", otherIP, 0),
				success("ci-bot", otherIP), expect("ci-bot", ip, 32*time.Second),
			},
		},
		{
			name:  "another user from the same address is not locked below the address threshold",
			steps: []step{fails(5, "alice", ip), expect("alice", ip, 4*time.Second), expect("bob", ip, 0)},
		},
		{
			name: "success resets the user's counter from that address",
			steps: []step{
				fails(3, "alice", ip), wait(time.Second), success("alice", ip), expect("alice", ip, 0),
				fails(2, "alice", ip), expect("alice", ip, 0),
				fails(1, "alice", ip), expect("alice", ip, time.Second),
			},
		},
		{
			name: "success does not reset the address-wide counter",
			steps: append(failsAsUsers(10, ip),
				expect("mallory", ip, time.Second), success("sprayed-0", ip), expect("mallory", ip, time.Second)),
		},
		{
			name: "the address threshold locks every user from that address, and only that address",
			steps: append(failsAsUsers(11, ip),
				expect("alice", ip, 2*time.Second), expect("sprayed-0", ip, 2*time.Second),
				expect("alice", otherIP, 0)),
		},
		{
			name: "the longer of the two locks wins",
			steps: append(append([]step{fails(7, "alice", ip)}, failsAsUsers(3, ip)...),
				expect("alice", ip, 16*time.Second), expect("bob", ip, time.Second)),
		},
		{
			name: "a counter is forgotten a window after its last failure",
			steps: []step{
				fails(3, "alice", ip), wait(30 * time.Minute), fails(1, "alice", ip), expect("alice", ip, 2*time.Second),
				wait(time.Hour - time.Second), expect("alice", ip, 0),
				wait(time.Second), fails(1, "alice", ip), expect("alice", ip, 0),
				fails(1, "alice", ip), expect("alice", ip, 0),
			},
		},
		{
			name: "IPv6 clients are counted by their /64",
			steps: []step{
				fails(1, "alice", "2001:db8:1:2::1"), fails(1, "alice", "2001:db8:1:2::2"), fails(1, "alice", "2001:db8:1:2:ffff:ffff:ffff:ffff"),
				expect("alice", "2001:db8:1:2:abcd::9", time.Second),
				expect("alice", "2001:db8:1:3::1", 0),
				expect("bob", "2001:db8:1:2::1", 0),
			},
		},
		{
			name: "the IPv6 address threshold covers the whole /64",
			steps: append(failsAsUsers(10, "2001:db8::1"),
				expect("alice", "2001:db8::ffff", time.Second), expect("alice", "2001:db8:0:1::1", 0)),
		},
		{
			name:  "an IPv4-mapped IPv6 address counts as the IPv4 address",
			steps: []step{fails(3, "alice", "::ffff:192.0.2.10"), expect("alice", ip, time.Second)},
		},
		{
			name:  "a user name that does not exist counts like any other",
			steps: []step{fails(3, "no-such-user", ip), expect("no-such-user", ip, time.Second), expect("alice", ip, 0)},
		},
		{
			name:  "user names are told apart exactly, case included",
			steps: []step{fails(3, "Alice", ip), expect("Alice", ip, time.Second), expect("alice", ip, 0)},
		},
		{
			name:   "the default policy allows five failures, then locks for a second",
			policy: DefaultPolicy(),
			steps:  []step{fails(4, "alice", ip), expect("alice", ip, 0), fails(1, "alice", ip), expect("alice", ip, time.Second)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := tt.policy
			if policy == (Policy{}) {
				policy = testPolicy
			}
			clock := newFakeClock()
			l, err := New(NewMemoryStore(clock.Now, 1000), policy, clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i, s := range tt.steps {
				switch {
				case s.fail > 0:
					for range s.fail {
						if err := l.Failure(ctx, s.user, netip.MustParseAddr(s.ip)); err != nil {
							t.Fatalf("step %d: Failure: %v", i, err)
						}
					}
				case s.succeed:
					if err := l.Success(ctx, s.user, netip.MustParseAddr(s.ip)); err != nil {
						t.Fatalf("step %d: Success: %v", i, err)
					}
				case s.advance > 0:
					clock.Advance(s.advance)
				case s.check:
					got, err := l.Check(ctx, s.user, netip.MustParseAddr(s.ip))
					if err != nil {
						t.Fatalf("step %d: Check: %v", i, err)
					}
					if got != s.wait {
						t.Errorf("step %d: Check(%s, %s) = %s, want %s", i, s.user, s.ip, got, s.wait)
					}
				}
			}
		})
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	if _, err := New(nil, DefaultPolicy(), nil); err == nil {
		t.Error("New(nil store) succeeded")
	}
	_, err := New(NewMemoryStore(nil, 0), Policy{}, nil)
	if err == nil || !strings.Contains(err.Error(), "UserIPThreshold") {
		t.Errorf("New(zero policy) = %v, want the policy's problems", err)
	}
	l, err := New(NewMemoryStore(nil, 0), DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Policy(); got != DefaultPolicy() {
		t.Errorf("Policy() = %+v", got)
	}
}

func TestInvalidAddressIsAnError(t *testing.T) {
	l, err := New(NewMemoryStore(nil, 0), DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.Check(ctx, "alice", netip.Addr{}); !errors.Is(err, ErrInvalidAddr) {
		t.Errorf("Check(zero address) = %v, want ErrInvalidAddr", err)
	}
	if err := l.Failure(ctx, "alice", netip.Addr{}); !errors.Is(err, ErrInvalidAddr) {
		t.Errorf("Failure(zero address) = %v, want ErrInvalidAddr", err)
	}
	if err := l.Success(ctx, "alice", netip.Addr{}); !errors.Is(err, ErrInvalidAddr) {
		t.Errorf("Success(zero address) = %v, want ErrInvalidAddr", err)
	}
}

func TestKeysAreBoundedWhateverTheUserName(t *testing.T) {
	short, _, err := keys("a", netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
	if err != nil {
		t.Fatal(err)
	}
	long, _, err := keys(strings.Repeat("x", 1<<20), netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
	if err != nil {
		t.Fatal(err)
	}
	if len(short) != len(long) || len(long) > 80 {
		t.Errorf("key lengths %d and %d: want equal and short (%q)", len(short), len(long), long)
	}
	if strings.Contains(long, "xxxx") {
		t.Errorf("key %q holds the raw user name", long)
	}
}

func TestStoreErrorsReachTheCaller(t *testing.T) {
	l, err := New(NewMemoryStore(nil, 0), DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ip := netip.MustParseAddr("192.0.2.1")
	if _, err := l.Check(ctx, "alice", ip); !errors.Is(err, context.Canceled) {
		t.Errorf("Check = %v, want context.Canceled", err)
	}
	if err := l.Failure(ctx, "alice", ip); !errors.Is(err, context.Canceled) {
		t.Errorf("Failure = %v, want context.Canceled", err)
	}
	if err := l.Success(ctx, "alice", ip); !errors.Is(err, context.Canceled) {
		t.Errorf("Success = %v, want context.Canceled", err)
	}
}

func TestConcurrentFailuresAreAllCounted(t *testing.T) {
	const goroutines, each = 50, 40
	clock := newFakeClock()
	store := NewMemoryStore(clock.Now, 1000)
	l, err := New(store, testPolicy, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.99")
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			user := "shared"
			if g%2 == 1 {
				user = fmt.Sprintf("user-%d", g)
			}
			for range each {
				if err := l.Failure(ctx, user, ip); err != nil {
					t.Error(err)
					return
				}
				if _, err := l.Check(ctx, user, ip); err != nil {
					t.Error(err)
					return
				}
				clock.Advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	userKey, ipKey, err := keys("shared", ip)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{userKey: goroutines / 2 * each, ipKey: goroutines * each} {
		f, err := store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if f.Count != want {
			t.Errorf("%s counted %d failures, want %d", key, f.Count, want)
		}
	}
}

func TestAFailureStampedInTheFutureLocksNoLongerThanItsDelay(t *testing.T) {
	clock := newFakeClock()
	store := NewMemoryStore(clock.Now, 10)
	l, err := New(store, testPolicy, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.1")
	userKey, _, err := keys("alice", ip)
	if err != nil {
		t.Fatal(err)
	}
	// Another replica, its clock a minute ahead, recorded these.
	for range testPolicy.UserIPThreshold {
		if _, err := store.Fail(ctx, userKey, clock.Now().Add(time.Minute), testPolicy.Window); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := l.Check(ctx, "alice", ip); err != nil || got != testPolicy.BaseDelay {
		t.Errorf("Check = %s, %v; want the base delay %s", got, err, testPolicy.BaseDelay)
	}
}
