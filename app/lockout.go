package app

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/lockout"
)

// newLimiter builds the failed-login limiter, in memory or on a Redis shared by replicas.
// It returns nil when lockout is disabled.
func newLimiter(cfg config.LockoutConfig) (*lockout.Limiter, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	var store lockout.Store = lockout.NewMemoryStore(nil, 0)
	if cfg.Redis != "" {
		opts, err := redis.ParseURL(cfg.Redis)
		if err != nil {
			return nil, fmt.Errorf("lockout.redis: %w", err)
		}
		store = lockout.NewRedisStore(redis.NewClient(opts), "")
	}
	return lockout.New(store, lockout.Policy{
		UserIPThreshold: cfg.UserIPThreshold,
		IPThreshold:     cfg.IPThreshold,
		Window:          cfg.Window,
		BaseDelay:       cfg.BaseDelay,
		MaxDelay:        cfg.MaxDelay,
	}, nil)
}
