package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, n := range v {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name        string
		done, cut   []time.Duration
		p           float64
		want        time.Duration
		wantAtLeast bool
	}{
		{"the median of finished requests is exact", ms(5, 1, 3, 2, 4), nil, 0.5, 3 * time.Millisecond, false},
		{"p99 of a hundred requests is the 99th", ms(hundred()...), nil, 0.99, 99 * time.Millisecond, false},
		{"a request cut off above the percentile leaves it exact", ms(1, 2, 3), ms(50), 0.5, 2 * time.Millisecond, false},
		{"a request cut off below the percentile makes it a lower bound", ms(10, 20, 30), ms(5), 0.99, 30 * time.Millisecond, true},
		{"only cut-off requests give a lower bound", nil, ms(7, 9), 0.5, 7 * time.Millisecond, true},
		{"no requests give zero", nil, nil, 0.5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, atLeast := percentile(tt.done, tt.cut, tt.p)
			if got != tt.want || atLeast != tt.wantAtLeast {
				t.Errorf("percentile = %s (at least: %v), want %s (%v)", got, atLeast, tt.want, tt.wantAtLeast)
			}
		})
	}
}

func hundred() []int {
	v := make([]int, 100)
	for i := range v {
		v[i] = 100 - i
	}
	return v
}

func TestParseBenchOutputReadsEveryPackage(t *testing.T) {
	out := []byte(`goos: linux
pkg: github.com/regauth/regauth/tokens
BenchmarkIssueAccess-2   	   19252	     62264 ns/op	   11594 B/op	      75 allocs/op
PASS
pkg: github.com/regauth/regauth/acl
BenchmarkAuthorize1000Rules-2   	   74110	     16200 ns/op	      32 B/op	       1 allocs/op
ok  	github.com/regauth/regauth/acl	2.1s
`)
	got := parseBenchOutput(out)
	want := []microResult{
		{Package: "tokens", Name: "IssueAccess", NsPerOp: 62264, BPerOp: 11594, Allocs: 75, HasAlloc: true},
		{Package: "acl", Name: "Authorize1000Rules", NsPerOp: 16200, BPerOp: 32, Allocs: 1, HasAlloc: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("256MiB, 1GiB")
	if err != nil || len(got) != 2 || got[0] != 256<<20 || got[1] != 1<<30 {
		t.Fatalf("parseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"256MB", "0MiB", "17GiB", "GiB"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestBlobSourceStreamsExactlyTheSize(t *testing.T) {
	src := newBlobSource()
	for _, size := range []int64{0, 1, 1<<20 - 1, 1 << 20, 3<<20 + 7} {
		n, err := io.Copy(io.Discard, src.reader(size))
		if err != nil || n != size {
			t.Errorf("reader(%d) gave %d bytes, %v", size, n, err)
		}
	}
	a, _ := src.digest(5 << 20)
	b, _ := src.digest(5 << 20)
	if a != b {
		t.Error("the same size must give the same digest")
	}
}

func TestRoundTicksAreRoundAndCoverTheAxis(t *testing.T) {
	ticks := roundTicks{}.Ticks(0, 2600)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if got, want := strings.Join(labels, " "), "0 500 1000 1500 2000 2500"; got != want {
		t.Errorf("ticks = %q, want %q", got, want)
	}
}

func TestChartOfARunWithOnlyPacedLevels(t *testing.T) {
	rep := &report{Scenarios: []scenarioResult{{Name: scBurst, Levels: []levelResult{
		{Clients: 64, Offered: burstRate, PerSecond: burstRate, P99: 3 * time.Millisecond},
	}}}}
	p, err := tokenChart(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Title.Text, "no unpaced level") {
		t.Errorf("title %q, want it to say no unpaced level ran", p.Title.Text)
	}
	if err := writeChart(rep, filepath.Join(t.TempDir(), "benchmarks.png")); err != nil {
		t.Fatalf("writing the chart: %v", err)
	}
}

// Ratios compare runs with runs: a run one side missed (a failed transfer) is left out, and
// a machine that slows down in later runs moves both sides alike.
func TestPairedRatioComparesTheSameRuns(t *testing.T) {
	front := &blobResult{Runs: []int{1, 2, 3, 5}, MBps: []float64{90, 45, 999, 27}}
	direct := &blobResult{Runs: []int{1, 2, 4, 5}, MBps: []float64{100, 50, 1, 30}}
	ratio, n := pairedRatio(front, direct)
	if n != 3 || ratio < 0.8999 || ratio > 0.9001 {
		t.Fatalf("pairedRatio = %.4f over %d runs, want 0.9 over runs 1, 2 and 5", ratio, n)
	}
	if r, n := pairedRatio(front, &blobResult{Runs: []int{4}, MBps: []float64{10}}); n != 0 || r != 0 {
		t.Fatalf("with no run in common: %.2f over %d runs, want none", r, n)
	}
}
