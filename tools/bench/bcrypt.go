package main

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regauth/regauth/auth"
)

// bcryptLimit is the most cold logins this machine can check per second: one cost-10 bcrypt
// compare per login on every core. It is measured in the bench process, in the same run as the
// cold scenario, so "cold logins reach X % of the limit" holds whatever the machine.
type bcryptLimit struct {
	Cores    int
	One      time.Duration // median of single compares, one at a time
	Limit    float64       // Cores / One, compares per second
	Parallel float64       // measured with one goroutine per core for a few seconds
	Load     string
}

func measureBcrypt(ctx context.Context, parallelFor time.Duration) (bcryptLimit, error) {
	const password = "correct horse battery staple"
	hash, err := auth.HashBcrypt(auth.Password(password), 10)
	if err != nil {
		return bcryptLimit{}, err
	}
	compare := func() { _ = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) }
	res := bcryptLimit{Cores: runtime.NumCPU(), Load: loadAvg()}
	compare() // warm up
	var times []time.Duration
	for range 15 {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		t0 := time.Now()
		compare()
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	res.One = times[len(times)/2]
	res.Limit = float64(res.Cores) / res.One.Seconds()

	var n atomic.Int64
	deadline := time.Now().Add(parallelFor)
	start := time.Now()
	var wg sync.WaitGroup
	for range res.Cores {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				compare()
				n.Add(1)
			}
		})
	}
	wg.Wait()
	res.Parallel = float64(n.Load()) / time.Since(start).Seconds()
	return res, ctx.Err()
}
