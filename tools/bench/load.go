package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// loadOptions describe one level: how many clients, how they send, and for how long.
type loadOptions struct {
	clients          int
	warmup, duration time.Duration
	// drain is how long requests started in the window may take to finish after it closes.
	drain time.Duration
	// rate paces the clients to this many requests per second in all; 0 lets each client send
	// its next request as soon as it has an answer (as fast as the server answers).
	rate float64
	// cold adds this many clients sending logins that each cost a password hash, as fast as
	// they are answered, during the whole level.
	cold int
	// run numbers the windows of a paced level that is measured more than once (from 1).
	run int
}

// levelResult is one scenario at one concurrency.
type levelResult struct {
	Clients    int
	Offered    float64 // requests per second the clients were paced to; 0: as fast as answered
	Cold       int     // clients sending hashed logins alongside
	Run        int     // which window of a paced level (from 1); 0 for clients sending as fast as answered
	ColdPerSec float64 // their refusals per second inside the window
	ColdErrors int     // their other answers and failures
	Tokens     int     // successful answers completed inside the measured window
	PerSecond  float64
	P50, P99   time.Duration // of the requests started inside the window
	P50AtLeast bool          // the percentile counts requests cut off after the drain time
	P99AtLeast bool
	// ServerP50 and ServerP99 are regauth's own view (its token_request_seconds histogram over
	// the window): the upper bound of the bucket holding the percentile; Over marks one beyond
	// the last bucket. Zero when not measured.
	ServerP50, ServerP99         time.Duration
	ServerP50Over, ServerP99Over bool
	// SentP99 is the p99 of paced requests counted from when they were actually sent rather
	// than due: the difference is time they waited for their connection or for the generator.
	SentP99 time.Duration
	// Stalls groups the paced requests slower than the latency target by when they were due.
	Stalls     stalls
	Errors     int // failed requests during warm-up and window
	FirstError string
	PeakRSS    uint64 // regauth, during warm-up, window and drain
	CPU        cpuUse // cores busy during the window: regauth, the load generator, everybody else
	LoadBefore string
	LoadAfter  string
}

// CPUPerToken is regauth's own CPU time per token: what a token costs whatever the machine.
func (r levelResult) CPUPerToken() time.Duration {
	if r.PerSecond == 0 {
		return 0
	}
	return time.Duration(r.CPU.Server / r.PerSecond * float64(time.Second))
}

// workerResult is what one client saw.
type workerResult struct {
	completed int             // successful answers that arrived inside the window
	samples   []sample        // requests started inside the window
	cutOff    []time.Duration // requests started inside the window and still unanswered after the drain
	errors    int
	firstErr  string
}

var tokenMarker = []byte(`"token":"`)

// runLevel runs n clients for warm-up + duration. Throughput counts the answers that arrive
// inside the window; latency is measured for every request started inside the window, letting
// those still queued at its end finish (up to the drain time), so a level where requests
// queue for longer than the window cannot look fast.
func runLevel(ctx context.Context, sc scenario, roots *x509.CertPool, o loadOptions, serverPID int) levelResult {
	n := o.clients
	res := levelResult{Clients: n, Offered: o.rate, Cold: o.cold, Run: o.run, LoadBefore: loadAvg()}
	rss := sampleRSS(serverPID)
	start := time.Now()
	windowStart, windowEnd := start.Add(o.warmup), start.Add(o.warmup+o.duration)
	lctx, cancel := context.WithDeadline(ctx, windowEnd.Add(o.drain))
	defer cancel()

	var cpu0, cpu1 cpuSnapshot
	var hist0, hist1 histogram
	var histErr error
	var snaps sync.WaitGroup
	snaps.Go(func() {
		if sleepUntil(lctx, windowStart) {
			cpu0 = takeCPU(serverPID)
			hist0, histErr = scrapeTokenRequests(lctx, roots, sc.metricsURL)
			if sleepUntil(lctx, windowEnd) {
				cpu1 = takeCPU(serverPID)
				if histErr == nil {
					hist1, histErr = scrapeTokenRequests(lctx, roots, sc.metricsURL)
				}
			}
		}
	})
	var interval time.Duration // between two requests of one client, when paced
	if o.rate > 0 {
		interval = time.Duration(float64(n) / o.rate * float64(time.Second))
	}
	results := make([]workerResult, n)
	var wg sync.WaitGroup
	for i := range n {
		// Paced clients start spread over one interval, so requests arrive evenly.
		first := start.Add(interval * time.Duration(i) / time.Duration(n))
		wg.Go(func() { results[i] = tokenWorker(lctx, sc, roots, windowStart, windowEnd, first, interval) })
	}
	cold := make([]coldResult, o.cold)
	for i := range o.cold {
		wg.Go(func() { cold[i] = coldWorker(lctx, sc.coldRequest(lctx, i), roots, windowStart, windowEnd) })
	}
	wg.Wait()
	snaps.Wait()
	for _, c := range cold {
		res.ColdPerSec += float64(c.refused) / o.duration.Seconds()
		res.ColdErrors += c.errors
		if res.FirstError == "" {
			res.FirstError = c.firstErr
		}
	}
	res.PeakRSS = rss.Peak()
	res.LoadAfter = loadAvg()
	if !cpu0.at.IsZero() && !cpu1.at.IsZero() {
		res.CPU = cpuBetween(cpu0, cpu1)
	}

	var samples []sample // every client's, for the stalls of a paced level
	var latencies, fromSend, cutOff []time.Duration
	for _, r := range results {
		res.Tokens += r.completed
		if o.rate > 0 {
			samples = append(samples, r.samples...)
		}
		for _, s := range r.samples {
			latencies = append(latencies, s.latency)
			fromSend = append(fromSend, s.fromSend)
		}
		cutOff = append(cutOff, r.cutOff...)
		res.Errors += r.errors
		if res.FirstError == "" {
			res.FirstError = r.firstErr
		}
	}
	if histErr == nil && hist1.total > 0 {
		inside := hist1.since(hist0)
		res.ServerP50, res.ServerP50Over, _ = inside.quantile(0.50)
		res.ServerP99, res.ServerP99Over, _ = inside.quantile(0.99)
	}
	res.PerSecond = float64(res.Tokens) / o.duration.Seconds()
	res.P50, res.P50AtLeast = percentile(latencies, cutOff, 0.50)
	res.P99, res.P99AtLeast = percentile(latencies, cutOff, 0.99)
	if o.rate > 0 {
		res.SentP99, _ = percentile(fromSend, nil, 0.99)
		res.Stalls = findStalls(samples, targetWarmP99)
	}
	return res
}

// tokenWorker is one client: it sends requests until the window closes, then waits for its
// last answer (ctx bounds that wait). With an interval it sends one request every interval
// from first on, at once when it is behind, and counts each latency from when the request was
// due: a server that falls behind shows it in the latency instead of slowing the clients down
// (no coordinated omission). Without one it sends the next request as soon as it has an answer.
func tokenWorker(ctx context.Context, sc scenario, roots *x509.CertPool, windowStart, windowEnd, first time.Time, interval time.Duration) workerResult {
	var r workerResult
	client, err := newWireClient(sc.newRequest(ctx), roots)
	if err != nil {
		return workerResult{errors: 1, firstErr: err.Error()}
	}
	defer client.close()
	due := first
	for {
		t0 := time.Now()
		if interval > 0 {
			if wait := due.Sub(t0); wait > 0 {
				time.Sleep(wait)
			}
			t0, due = due, due.Add(interval)
		}
		if !t0.Before(windowEnd) || ctx.Err() != nil {
			return r
		}
		sent := time.Now()
		ok, why := client.do(ctx)
		t1 := time.Now()
		started := !t0.Before(windowStart)
		if !ok && ctx.Err() != nil {
			// Cut off by the drain deadline (or an interrupt): it took at least this long.
			if started {
				r.cutOff = append(r.cutOff, t1.Sub(t0))
			}
			return r
		}
		if !ok {
			r.errors++
			if r.firstErr == "" {
				r.firstErr = why
			}
			continue
		}
		if started {
			r.samples = append(r.samples, sample{due: t0.Sub(windowStart), latency: t1.Sub(t0), fromSend: t1.Sub(sent)})
		}
		if !t1.Before(windowStart) && !t1.After(windowEnd) {
			r.completed++
		}
	}
}

// coldResult is what one cold client saw.
type coldResult struct {
	refused  int // 401 answers that arrived inside the window: each cost regauth a hash
	errors   int // anything else
	firstErr string
}

// coldWorker sends logins that each cost a password hash and are refused, back to back, until
// the window closes. Anything but a 401 is an error, and the client pauses after one so that a
// broken setup cannot spin on the generator's one P.
func coldWorker(ctx context.Context, req *http.Request, roots *x509.CertPool, windowStart, windowEnd time.Time) coldResult {
	var r coldResult
	client, err := newWireClient(req, roots)
	if err != nil {
		return coldResult{errors: 1, firstErr: err.Error()}
	}
	defer client.close()
	for time.Now().Before(windowEnd) && ctx.Err() == nil {
		status, err := client.exchange(ctx)
		if err == nil && status == http.StatusUnauthorized {
			if now := time.Now(); !now.Before(windowStart) && !now.After(windowEnd) {
				r.refused++
			}
			continue
		}
		if ctx.Err() != nil {
			break
		}
		r.errors++
		if r.firstErr == "" {
			r.firstErr = fmt.Sprintf("cold login: status %d, err %v: %.200s", status, err, client.body.Bytes())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return r
}

// p99 shows the p99, and for paced levels the p99 counted from the actual send as well.
func (r levelResult) p99() string {
	s := fmtLatency(r.P99, r.P99AtLeast)
	if r.SentP99 > 0 {
		s += " (" + fmtLatency(r.SentP99, false) + " from send)"
	}
	return s
}

// offered says how the level's clients sent: "max" (as fast as answered) or a rate, with the
// cold clients beside them.
func (r levelResult) offered() string {
	s := "max"
	if r.Offered > 0 {
		s = fmtRate(r.Offered) + "/s"
	}
	if r.Cold > 0 {
		s += fmt.Sprintf(" + %d cold clients (%.1f hashed logins/s, %d errors)", r.Cold, r.ColdPerSec, r.ColdErrors)
	}
	if r.Run > 0 {
		s += fmt.Sprintf(", window %d", r.Run)
	}
	return s
}

// sleepUntil waits for t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
