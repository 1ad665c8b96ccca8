package lockout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a real redis-server the test started and will stop.
type redisServer struct {
	addr    string
	version string
}

// startRedis runs redis-server on a free loopback port, without persistence, in a temporary
// directory, and stops it when the test ends. Without the binary it skips, or fails under CI.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		bin = "/usr/bin/redis-server"
		if _, statErr := os.Stat(bin); statErr != nil {
			msg := "redis-server not found: the Redis lockout store is NOT tested. " +
				"Install the Debian package redis-server (apt-get install -y redis-server)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip("SKIPPING REDIS TESTS: " + msg)
		}
	}
	var lastErr error
	for range 5 {
		srv, err := tryStartRedis(t, bin)
		if err == nil {
			return srv
		}
		lastErr = err // most likely another process took the port between probe and start
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

func tryStartRedis(t *testing.T, bin string) (*redisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin,
		"--save", "", "--appendonly", "no",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--logfile", logFile)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logFile)
			return nil, errors.Join(errors.New("redis-server exited: "+strings.TrimSpace(string(log))), err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		info, err := client.Info(ctx, "server").Result()
		cancel()
		if err == nil {
			t.Cleanup(stop)
			srv := &redisServer{addr: addr, version: infoField(info, "redis_version")}
			t.Logf("started redis-server %s on %s", srv.version, addr)
			return srv, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("redis-server did not answer within 10s: " + err.Error())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func infoField(info, name string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return "unknown"
}

// client returns a new connection pool to the server, closed when the test ends; each one
// stands for a separate regauth replica.
func (s *redisServer) client(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// testPrefix gives every test its own key space on the shared server.
func testPrefix(t *testing.T) string {
	sum := sha256.Sum256([]byte(t.Name()))
	return "test:" + hex.EncodeToString(sum[:8]) + ":"
}

func TestRedisStoreConformance(t *testing.T) {
	srv := startRedis(t)
	testStore(t, func(t *testing.T) Store { return NewRedisStore(srv.client(t), testPrefix(t)) })
}

func TestRedisLimitersShareFailuresAcrossReplicas(t *testing.T) {
	srv := startRedis(t)
	clock := newFakeClock()
	prefix := testPrefix(t)
	replicaA, err := New(NewRedisStore(srv.client(t), prefix), testPolicy, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	replicaB, err := New(NewRedisStore(srv.client(t), prefix), testPolicy, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ip := netip.MustParseAddr("2001:db8:aa::1")
	sameNet := netip.MustParseAddr("2001:db8:aa::2")
	check := func(l *Limiter, name, user string, ip netip.Addr, want time.Duration) {
		t.Helper()
		got, err := l.Check(ctx, user, ip)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("replica %s: Check(%s, %s) = %s, want %s", name, user, ip, got, want)
		}
	}

	// The load balancer spreads one client's guesses over both replicas.
	for i := range 4 {
		l := replicaA
		if i%2 == 1 {
			l = replicaB
		}
		if err := l.Failure(ctx, "alice", ip); err != nil {
			t.Fatal(err)
		}
	}
	check(replicaA, "A", "alice", ip, 2*time.Second)
	check(replicaB, "B", "alice", sameNet, 2*time.Second)
	check(replicaB, "B", "alice", netip.MustParseAddr("192.0.2.1"), 0)

	// A success on one replica clears the lock on the other.
	clock.Advance(2 * time.Second)
	if err := replicaB.Success(ctx, "alice", ip); err != nil {
		t.Fatal(err)
	}
	if err := replicaA.Failure(ctx, "alice", ip); err != nil {
		t.Fatal(err)
	}
	check(replicaB, "B", "alice", ip, 0)

	// Spraying users through both replicas reaches the address threshold on both.
	for i := range testPolicy.IPThreshold {
		l := replicaA
		if i%2 == 1 {
			l = replicaB
		}
		if err := l.Failure(ctx, "sprayed-"+strconv.Itoa(i), ip); err != nil {
			t.Fatal(err)
		}
	}
	// 4 + 1 + 10 failures from the /64 against a threshold of 10: locked for 2^5 s.
	check(replicaA, "A", "bob", ip, 32*time.Second)
	check(replicaB, "B", "bob", sameNet, 32*time.Second)
}

func TestRedisStoreKeysAreBoundedPrefixedAndExpire(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	prefix := testPrefix(t)
	l, err := New(NewRedisStore(c, prefix), DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	longName := strings.Repeat("very-long-user-name-", 10_000)
	if err := l.Failure(ctx, longName, netip.MustParseAddr("192.0.2.5")); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys %q, want one per counter (user+address, address)", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || len(k) > 100 || strings.Contains(k, "very-long") {
			t.Errorf("key %q: want the prefix, a bounded length and no raw user name", k)
		}
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 0 || ttl > DefaultPolicy().Window {
			t.Errorf("key %q has TTL %s, want within the window %s", k, ttl, DefaultPolicy().Window)
		}
	}
}

func TestRedisStoreDefaultsItsPrefix(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	ctx := context.Background()
	if _, err := NewRedisStore(c, "").Fail(ctx, "k", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, DefaultRedisPrefix+"k").Result(); err != nil || n != 1 {
		t.Errorf("EXISTS %sk = %d, %v; want 1", DefaultRedisPrefix, n, err)
	}
}

func TestRedisStoreReportsAnUnreachableServer(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	l, err := New(NewRedisStore(c, ""), DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Check(context.Background(), "alice", netip.MustParseAddr("192.0.2.1"))
	if err == nil || !strings.Contains(err.Error(), "redis lockout store") {
		t.Errorf("Check against no server = %v, want a redis lockout store error", err)
	}
}
