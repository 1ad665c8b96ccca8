// Package lockout slows down password guessing at /auth: it counts failed logins per (user,
// client address) and per client address, and answers "wait this long" once either is too high.
//
// # What it protects against, and what it does not
//
// Counting per (user, address) stops one client from guessing one user's password online: after
// Policy.UserIPThreshold failures every further attempt waits BaseDelay, then twice that, and so
// on up to MaxDelay. Counting per address across all users (Policy.IPThreshold) stops one client
// from spraying many user names. Nothing is ever counted per user alone, on purpose: otherwise an
// attacker anywhere could lock a CI account out by failing its logins, so a correct password
// from another address always works. A correct password resets the (user, address) counter; it
// does not reset the address counter, or one valid account would let its owner wipe the trace of
// guesses against every other account.
//
// The price of that choice: a distributed attack from many addresses against one user is slowed
// only by the cost of the password hash (bcrypt) and by each address's own limits. Weak
// passwords stay weak.
//
// An IPv6 client is counted by its /64, for both counters: one host or site usually owns a whole
// /64, and counting single IPv6 addresses would let it rotate through 2^64 of them. IPv4 clients
// (and IPv4-mapped IPv6) are counted by their full address. User names are hashed (SHA-256,
// truncated to 128 bits) into fixed-size keys, so arbitrarily long names cost no memory, and
// a user that does not exist is counted exactly like a wrong password: the limiter never looks
// users up, so it cannot reveal which names exist.
//
// # Counting and locks
//
// A counter is forgotten Policy.Window after its most recent failure; each failure restarts that
// window. With n failures counted and the threshold t reached (n >= t), the key is locked until
// BaseDelay·2^(n−t), capped at MaxDelay, has passed since the most recent failure. The Store
// keeps the count and the time of the most recent failure together, so a lock needs no state of
// its own and every replica that reads the counter computes the same lock. Keep Window longer
// than MaxDelay (DefaultPolicy uses twice): a lock then ends while its counter still lives, and
// the next failure is again locked for MaxDelay instead of starting from zero.
//
// Attempts refused with a wait are not password checks and are not counted: the caller answers
// 429 with Retry-After (see RetryAfterSeconds) without checking the password. Check and Failure
// are separate calls, so concurrent attempts that all pass Check before the first failure is
// recorded are all checked; bound concurrent password hashing in the caller to keep that burst
// small.
//
// # Several replicas
//
// MemoryStore keeps counters in the process, bounded by a maximum number of keys (the oldest
// are evicted first), which is right for one regauth. When several replicas behind a load
// balancer serve one registry, give them all a RedisStore on the same Redis (or Redis Cluster,
// or Sentinel through redis.NewUniversalClient) with the same key prefix, so a failure seen by
// one replica locks the client on all of them. The Redis needs no persistence (counters are
// short-lived: `--save "" --appendonly no` is fine) but must not evict counters before they
// expire: keep maxmemory-policy at its default, noeviction, and give it a few MB (each counter
// is one small hash with a TTL of Window). Replicas' clocks should agree within a second (NTP):
// a lock is computed from the failure time the failing replica recorded, and never lasts
// longer than its delay however far the clocks drift.
package lockout
