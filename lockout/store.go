package lockout

import (
	"context"
	"time"
)

// Failures is what a Store knows about one key.
type Failures struct {
	Count int       // failures since the counter was last empty
	Last  time.Time // the most recent failure; zero when Count is 0
}

// Store keeps failure counters shared by every request (and, for RedisStore, every replica).
// Implementations must be safe for concurrent use, and Fail must be atomic: n concurrent calls
// on one key return n distinct counts.
type Store interface {
	// Fail records a failure that happened at "at", keeps the counter until window has passed
	// without another failure, and returns the counter including this failure. Last never
	// moves backwards, even when "at" is older than the stored time.
	Fail(ctx context.Context, key string, at time.Time, window time.Duration) (Failures, error)
	// Get returns the counter for key, or zero Failures when there is none or it expired.
	Get(ctx context.Context, key string) (Failures, error)
	// Reset forgets the counter for key; forgetting a missing key is not an error.
	Reset(ctx context.Context, key string) error
}
