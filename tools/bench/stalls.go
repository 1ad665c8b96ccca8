package main

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// sample is one paced request: when it was due (from the window's start), how long it took
// from then, and how long from when the generator actually sent it.
type sample struct {
	due, latency, fromSend time.Duration
}

// late is how long after its due time the load generator sent the request.
func (s sample) late() time.Duration { return s.latency - s.fromSend }

// stallGap separates two bursts of slow requests: slow requests due closer together than
// this belong to one burst.
const stallGap = 20 * time.Millisecond

// stalls describes the requests of a paced window slower than a threshold: how many, and how
// they bunch. Requests that are slow one by one point at the server; bursts in which the load
// generator itself sent late point at the cores both share.
type stalls struct {
	Requests int // in the window
	Slow     int // requests slower than the threshold
	Bursts   int // groups of slow requests due within stallGap of the previous one
	// The burst with the most slow requests: how many, from its first due time to its last,
	// and the longest the generator took to send one of its requests after it was due.
	Largest     int
	LargestSpan time.Duration
	LargestLate time.Duration
}

// findStalls groups the samples slower than threshold by due time.
func findStalls(samples []sample, threshold time.Duration) stalls {
	var slow []sample
	for _, s := range samples {
		if s.latency > threshold {
			slow = append(slow, s)
		}
	}
	slices.SortFunc(slow, func(a, b sample) int { return cmp.Compare(a.due, b.due) })
	st := stalls{Requests: len(samples), Slow: len(slow)}
	for i := 0; i < len(slow); {
		j := i + 1
		late := slow[i].late()
		for j < len(slow) && slow[j].due-slow[j-1].due < stallGap {
			late = max(late, slow[j].late())
			j++
		}
		st.Bursts++
		if j-i > st.Largest {
			st.Largest, st.LargestSpan, st.LargestLate = j-i, slow[j-1].due-slow[i].due, late
		}
		i = j
	}
	return st
}

// stallNote says how the slow requests of a paced window bunched, beside regauth's own view.
func (p pacedResult) stallNote() string {
	st := p.Stalls
	s := fmt.Sprintf("Warm clients paced to %s tokens/s, median window: %.1f %% of requests (%d of %d) took over %s, in %d bursts "+
		"(slow requests due within %s of each other). The largest held %d slow requests due within %s, and the load generator sent some of "+
		"them up to %s after they were due",
		fmtRate(p.Offered), 100*float64(st.Slow)/float64(st.Requests), st.Slow, st.Requests, fmtLatency(targetWarmP99, false), st.Bursts,
		fmtLatency(stallGap, false), st.Largest, fmtLatency(st.LargestSpan, false), fmtLatency(st.LargestLate, false))
	if p.ServerP99 > 0 {
		s += "; regauth's own p99 for the window was " + fmtBucket(p.ServerP99, p.ServerP99Over)
	}
	return s + "."
}
