package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStallsGroupSlowRequestsIntoBurstsByDueTime(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	// fast: answered within 1 ms, sent on time.
	fast := func(due float64) sample { return sample{due: ms(due), latency: ms(1), fromSend: ms(1)} }
	// slow: took total ms, of which it waited late ms to be sent.
	slow := func(due, total, late float64) sample {
		return sample{due: ms(due), latency: ms(total), fromSend: ms(total - late)}
	}
	samples := []sample{
		fast(0), fast(5),
		slow(100, 12, 1), // alone: one request slow, sent on time
		fast(101),
		slow(500, 30, 25), slow(510, 40, 5), slow(525, 18, 12), slow(540, 11, 3), // one burst of four
		fast(560),
		slow(900, 15, 0), slow(915, 14, 0), // a burst of two, 15 ms apart
		slow(960, 10, 9), // exactly the threshold: not slow
	}
	got := findStalls(samples, ms(10))
	want := stalls{Requests: 12, Slow: 7, Bursts: 3, Largest: 4, LargestSpan: ms(40), LargestLate: ms(25)}
	if got != want {
		t.Errorf("findStalls = %+v, want %+v", got, want)
	}
	if got := findStalls(samples[:2], ms(10)); got != (stalls{Requests: 2}) {
		t.Errorf("no slow request: %+v, want only the count", got)
	}
}

func TestTheReportSaysHowTheMedianWindowsSlowRequestsBunched(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	window := func(p99 time.Duration, st stalls) levelResult {
		return levelResult{Clients: 64, Offered: targetWarmPerSecond, PerSecond: targetWarmPerSecond, P99: p99, ServerP99: ms(1), Stalls: st}
	}
	rep := &report{Scenarios: []scenarioResult{{Name: scWarm, Levels: []levelResult{
		window(ms(40), stalls{Requests: 50000, Slow: 900, Bursts: 40, Largest: 500, LargestSpan: ms(90), LargestLate: ms(35)}),
		window(ms(12), stalls{Requests: 50000, Slow: 650, Bursts: 31, Largest: 427, LargestSpan: ms(96), LargestLate: ms(37)}), // the median
		window(ms(8), stalls{Requests: 50000, Slow: 100, Bursts: 9, Largest: 20, LargestSpan: ms(5), LargestLate: ms(2)}),
	}}}}
	want := "Warm clients paced to 10000 tokens/s, median window: 1.3 % of requests (650 of 50000) took over 10 ms, in 31 bursts " +
		"(slow requests due within 20 ms of each other). The largest held 427 slow requests due within 96 ms, and the load generator " +
		"sent some of them up to 37 ms after they were due; regauth's own p99 for the window was ≤ 1.00 ms."
	if !slices.Contains(rep.notes(), want) {
		t.Errorf("notes = %q\nwant among them %q", rep.notes(), want)
	}
	rep.Scenarios[0].Levels[1].Stalls = stalls{Requests: 50000}
	for _, n := range rep.notes() {
		if strings.HasPrefix(n, "Warm clients paced") {
			t.Errorf("a median window without slow requests still got %q", n)
		}
	}
}
