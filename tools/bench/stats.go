package main

import (
	"math"
	"slices"
	"time"
)

// percentile is the p-quantile (nearest rank) of the finished requests' latencies together
// with the requests cut off unanswered, whose latency is only known to be at least their age.
// atLeast is true when a cut-off request sits at or below the answer, which makes the answer a
// lower bound.
func percentile(done, waiting []time.Duration, p float64) (d time.Duration, atLeast bool) {
	type sample struct {
		d       time.Duration
		waiting bool
	}
	all := make([]sample, 0, len(done)+len(waiting))
	for _, d := range done {
		all = append(all, sample{d, false})
	}
	for _, d := range waiting {
		all = append(all, sample{d, true})
	}
	if len(all) == 0 {
		return 0, false
	}
	slices.SortFunc(all, func(a, b sample) int { return int(a.d - b.d) })
	i := int(math.Ceil(p*float64(len(all)))) - 1
	i = max(0, min(i, len(all)-1))
	for _, s := range all[:i+1] {
		if s.waiting {
			return all[i].d, true
		}
	}
	return all[i].d, false
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
