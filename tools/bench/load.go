package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// loadOptions say how long each concurrency level runs.
type loadOptions struct {
	warmup, duration time.Duration
	// drain is how long requests started in the window may take to finish after it closes.
	drain time.Duration
}

// levelResult is one scenario at one concurrency.
type levelResult struct {
	Clients    int
	Tokens     int // successful answers completed inside the measured window
	PerSecond  float64
	P50, P99   time.Duration // of the requests started inside the window
	P50AtLeast bool          // the percentile counts requests cut off after the drain time
	P99AtLeast bool
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
	latencies []time.Duration // of requests started inside the window
	cutOff    []time.Duration // requests started inside the window and still unanswered after the drain
	errors    int
	firstErr  string
}

var tokenMarker = []byte(`"token":"`)

// runLevel runs n clients for warm-up + duration. Throughput counts the answers that arrive
// inside the window; latency is measured for every request started inside the window, letting
// those still queued at its end finish (up to the drain time), so a level where requests
// queue for longer than the window cannot look fast.
func runLevel(ctx context.Context, sc scenario, roots *x509.CertPool, n int, o loadOptions, serverPID int) levelResult {
	res := levelResult{Clients: n, LoadBefore: loadAvg()}
	rss := sampleRSS(serverPID)
	start := time.Now()
	windowStart, windowEnd := start.Add(o.warmup), start.Add(o.warmup+o.duration)
	lctx, cancel := context.WithDeadline(ctx, windowEnd.Add(o.drain))
	defer cancel()

	var cpu0, cpu1 cpuSnapshot
	var snaps sync.WaitGroup
	snaps.Go(func() {
		if sleepUntil(lctx, windowStart) {
			cpu0 = takeCPU(serverPID)
			if sleepUntil(lctx, windowEnd) {
				cpu1 = takeCPU(serverPID)
			}
		}
	})
	results := make([]workerResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = tokenWorker(lctx, sc, roots, windowStart, windowEnd) })
	}
	wg.Wait()
	snaps.Wait()
	res.PeakRSS = rss.Peak()
	res.LoadAfter = loadAvg()
	if !cpu0.at.IsZero() && !cpu1.at.IsZero() {
		res.CPU = cpuBetween(cpu0, cpu1)
	}

	var latencies, cutOff []time.Duration
	for _, r := range results {
		res.Tokens += r.completed
		latencies = append(latencies, r.latencies...)
		cutOff = append(cutOff, r.cutOff...)
		res.Errors += r.errors
		if res.FirstError == "" {
			res.FirstError = r.firstErr
		}
	}
	res.PerSecond = float64(res.Tokens) / o.duration.Seconds()
	res.P50, res.P50AtLeast = percentile(latencies, cutOff, 0.50)
	res.P99, res.P99AtLeast = percentile(latencies, cutOff, 0.99)
	return res
}

// tokenWorker is one client: it sends requests back to back until the window closes, then
// waits for its last answer (ctx bounds that wait).
func tokenWorker(ctx context.Context, sc scenario, roots *x509.CertPool, windowStart, windowEnd time.Time) workerResult {
	client := newTokenClient(roots)
	defer client.CloseIdleConnections()
	var r workerResult
	buf := bytes.NewBuffer(make([]byte, 0, 4096))
	for {
		t0 := time.Now()
		if !t0.Before(windowEnd) {
			return r
		}
		ok, why := tokenRequest(client, sc.newRequest(ctx), buf)
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
			r.latencies = append(r.latencies, t1.Sub(t0))
		}
		if !t1.Before(windowStart) && !t1.After(windowEnd) {
			r.completed++
		}
	}
}

// tokenRequest sends one request and reports whether a token came back.
func tokenRequest(client *http.Client, req *http.Request, buf *bytes.Buffer) (bool, string) {
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return false, err.Error()
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Sprintf("status %d: %.200s", resp.StatusCode, buf.Bytes())
	case !bytes.Contains(buf.Bytes(), tokenMarker):
		return false, fmt.Sprintf("no token in %.200s", buf.Bytes())
	}
	return true, ""
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
