package lockout

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts every key a RedisStore writes when no prefix is given.
const DefaultRedisPrefix = "regauth:lockout:"

// failScript counts one failure in the hash KEYS[1] {n: count, last: unix ms} atomically:
// ARGV[1] is the failure time in unix milliseconds, ARGV[2] the window in milliseconds. The
// key's TTL is the window, restarted by every failure, so Redis forgets the counter by itself.
const failScript = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local last = ARGV[1]
local prev = redis.call('HGET', KEYS[1], 'last')
if prev and tonumber(prev) > tonumber(last) then
	last = prev
end
redis.call('HSET', KEYS[1], 'last', last)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {n, last}
`

// RedisStore keeps counters in Redis, so that every replica serving one registry sees the
// same failures. Each counter is one hash of two small fields under prefix + key, with a TTL.
type RedisStore struct {
	client redis.UniversalClient
	prefix string
	fail   *redis.Script
}

var _ Store = (*RedisStore)(nil)

// NewRedisStore returns a store writing keys that start with prefix (DefaultRedisPrefix when
// empty) through client; a *redis.Client, *redis.ClusterClient or Sentinel failover client all
// work, since every operation touches one key.
func NewRedisStore(client redis.UniversalClient, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &RedisStore{client: client, prefix: prefix, fail: redis.NewScript(failScript)}
}

// Fail implements Store.
func (s *RedisStore) Fail(ctx context.Context, key string, at time.Time, window time.Duration) (Failures, error) {
	windowMS := max(int64(1), window.Milliseconds())
	res, err := s.fail.Run(ctx, s.client, []string{s.prefix + key}, at.UnixMilli(), windowMS).Slice()
	if err != nil {
		return Failures{}, fmt.Errorf("redis lockout store: record failure: %w", err)
	}
	if len(res) != 2 {
		return Failures{}, fmt.Errorf("redis lockout store: record failure: unexpected reply %v", res)
	}
	return parseFailures(res[0], res[1])
}

// Get implements Store.
func (s *RedisStore) Get(ctx context.Context, key string) (Failures, error) {
	res, err := s.client.HMGet(ctx, s.prefix+key, "n", "last").Result()
	if err != nil {
		return Failures{}, fmt.Errorf("redis lockout store: read counter: %w", err)
	}
	if len(res) != 2 || res[0] == nil {
		return Failures{}, nil
	}
	return parseFailures(res[0], res[1])
}

// Reset implements Store.
func (s *RedisStore) Reset(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis lockout store: reset counter: %w", err)
	}
	return nil
}

// parseFailures reads the count and last-failure milliseconds, which Redis may hand back as
// integers or strings depending on the command and protocol version.
func parseFailures(count, lastMS any) (Failures, error) {
	n, errN := toInt64(count)
	ms, errMS := toInt64(lastMS)
	if err := errors.Join(errN, errMS); err != nil {
		return Failures{}, fmt.Errorf("redis lockout store: malformed counter: %w", err)
	}
	return Failures{Count: int(n), Last: time.UnixMilli(ms)}, nil
}

func toInt64(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case string:
		return strconv.ParseInt(v, 10, 64)
	default:
		return 0, fmt.Errorf("unexpected value %v (%T)", v, v)
	}
}
