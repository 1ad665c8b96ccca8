package main

import (
	"runtime"
	"sync"

	"github.com/regauth/regauth/auth"
)

// spareProcsForHashes adds a P for each password hash that may run at once, unless the
// administrator set GOMAXPROCS. It is for when every hash runs in this process (no hash
// workers here): such a hash holds a P while it runs on a thread of lowered priority
// (auth.InProcess), and with a P to spare for each, warm token requests, TLS handshakes and
// transfers keep every core while the kernel runs them before the hashes. Setting GOMAXPROCS
// fixes it from then on: a container CPU limit changed at run time is no longer followed.
func spareProcsForHashes(getenv func(string) string, hashSlots int) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + hashSlots)
	}
}

// procLender lends the process one more P for as long as each check it runs: it wraps the
// in-process fallback of the hash workers, which runs rarely (a worker starved by a busy
// machine, restarting, or a very long password). Idle Ps are not free: with two spare ones on
// two cores, a warm token cost 12 % more CPU at 10,000 tokens/s and HTTP/2 pulls through the
// upstream proxy ran 6–8 % slower. When the last loan ends, GOMAXPROCS returns to the
// runtime's default, which follows the container's CPU limit again.
type procLender struct {
	next auth.Hasher
	mu   sync.Mutex
	lent int
	base int // GOMAXPROCS when the current run of loans began
}

func (l *procLender) CheckPassword(hash string, pw []byte) bool {
	l.lend(1)
	defer l.lend(-1)
	return l.next.CheckPassword(hash, pw)
}

func (l *procLender) lend(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lent == 0 {
		l.base = runtime.GOMAXPROCS(0)
	}
	l.lent += n
	if l.lent == 0 {
		runtime.SetDefaultGOMAXPROCS()
		return
	}
	runtime.GOMAXPROCS(l.base + l.lent)
}
