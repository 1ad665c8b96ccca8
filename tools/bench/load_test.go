package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer answers like /auth: a token for the right Basic header, 401 otherwise, and asks
// to close the connection when the query says so. It counts the connections it accepts.
func tokenServer(t *testing.T) (*httptest.Server, *x509.CertPool, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Basic good" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[]}`)
			return
		}
		if r.URL.Query().Get("close") != "" {
			w.Header().Set("Connection", "close")
		}
		fmt.Fprint(w, `{"token":"abc"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return srv, roots, &conns
}

func TestWireClientKeepsItsConnectionAndReconnectsWhenTheServerCloses(t *testing.T) {
	srv, roots, conns := tokenServer(t)
	ctx := context.Background()
	client := func(query, auth string) *wireClient {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/auth"+query, nil)
		req.Header.Set("Authorization", auth)
		c, err := newWireClient(req, roots)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.close)
		return c
	}

	keep := client("", "Basic good")
	for i := range 5 {
		if ok, why := keep.do(ctx); !ok {
			t.Fatalf("request %d: %s", i, why)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("5 keep-alive requests used %d connections, want 1", n)
	}

	closing := client("?close=1", "Basic good")
	for i := range 3 {
		if ok, why := closing.do(ctx); !ok {
			t.Fatalf("request %d after Connection: close: %s", i, why)
		}
	}
	if n := conns.Load(); n != 4 {
		t.Fatalf("3 requests answered with Connection: close used %d new connections, want 3", n-1)
	}

	refused := client("", "Basic bad")
	if ok, why := refused.do(ctx); ok || !strings.Contains(why, "status 401") {
		t.Fatalf("refused login: ok %v, %q; want a status 401 failure", ok, why)
	}
	if status, err := refused.exchange(ctx); err != nil || status != http.StatusUnauthorized {
		t.Fatalf("exchange = %d, %v; want 401", status, err)
	}
}

func TestLatencyTargetsAreReadAtTheirRateAndNeedARealBurst(t *testing.T) {
	rep := &report{Scenarios: []scenarioResult{
		{Name: scWarm, Levels: []levelResult{
			{Clients: 64, PerSecond: 15000, P99: ms(30)},                             // saturated: not the latency target
			{Clients: 64, Offered: 5000, PerSecond: 5000, P99: ms(20)},               // another rate
			{Clients: 64, Offered: targetWarmPerSecond, PerSecond: 9990, P99: ms(8)}, // the one
		}},
		{Name: scBurst, Levels: []levelResult{
			{Clients: 64, Offered: burstRate, PerSecond: burstRate, P99: ms(3)},
			{Clients: 64, Offered: burstRate, PerSecond: burstRate, P99: ms(6), Cold: burstClients, ColdPerSec: 0},
		}},
	}}
	verdicts := map[string]*bool{}
	for _, tg := range rep.targets() {
		verdicts[tg.What] = tg.Met
	}
	latency := fmt.Sprintf("warm p99 latency at %d clients serving %d tokens/s", targetClients, targetWarmPerSecond)
	if v := verdicts[latency]; v == nil || !*v {
		t.Errorf("%q: %v, want met (8 ms at the target rate)", latency, v)
	}
	burst := fmt.Sprintf("warm p99 latency at %d tokens/s during a burst of cold logins (%d clients)", burstRate, burstClients)
	if v := verdicts[burst]; v == nil || *v {
		t.Errorf("%q with no hashed login at all: %v, want missed", burst, v)
	}
	rep.Scenarios[1].Levels[1].ColdPerSec = 12
	for _, tg := range rep.targets() {
		if tg.What == burst && (tg.Met == nil || !*tg.Met) {
			t.Errorf("%q with 12 hashed logins/s and p99 6 ms: %v, want met", burst, tg.Met)
		}
	}
	rep.Scenarios[0].Levels[2].PerSecond = 9000 // fell behind the offered rate
	for _, tg := range rep.targets() {
		if tg.What == latency && (tg.Met == nil || *tg.Met) {
			t.Errorf("%q when 9000/s of 10000/s were served: %v, want missed", latency, tg.Met)
		}
	}
}

func TestHistogramQuantilesAreBucketBoundsOfTheWindow(t *testing.T) {
	before := histogram{bounds: []float64{0.001, 0.01, 0.1}, counts: []uint64{10, 10, 10}, total: 10}
	after := histogram{bounds: []float64{0.001, 0.01, 0.1}, counts: []uint64{108, 119, 119}, total: 120}
	inside := after.since(before) // 98 under 1 ms, 11 more under 10 ms, 1 past 100 ms
	if d, over, ok := inside.quantile(0.5); !ok || over || d != time.Millisecond {
		t.Errorf("p50 = %v, over %v, ok %v; want ≤ 1ms", d, over, ok)
	}
	if d, over, ok := inside.quantile(0.99); !ok || over || d != 10*time.Millisecond {
		t.Errorf("p99 = %v, over %v, ok %v; want ≤ 10ms", d, over, ok)
	}
	if d, over, ok := inside.quantile(1); !ok || !over || d != 100*time.Millisecond {
		t.Errorf("max = %v, over %v, ok %v; want > 100ms", d, over, ok)
	}
	if _, _, ok := before.since(before).quantile(0.5); ok {
		t.Error("an empty window has a percentile")
	}
}

func TestALatencyTargetReadsTheMedianWindowAndShowsTheRange(t *testing.T) {
	window := func(run int, p99 time.Duration, atLeast bool) levelResult {
		return levelResult{Clients: 64, Offered: targetWarmPerSecond, PerSecond: targetWarmPerSecond, Run: run, P99: p99, P99AtLeast: atLeast}
	}
	latency := fmt.Sprintf("warm p99 latency at %d clients serving %d tokens/s", targetClients, targetWarmPerSecond)
	tests := []struct {
		name     string
		windows  []levelResult
		met      bool
		measured string
	}{
		{"one stalled window of three", []levelResult{window(1, ms(9), false), window(2, ms(446), false), window(3, ms(8), false)}, true, "median 9.00 ms of 3 windows (8.00 ms to 446 ms)"},
		{"two slow windows of three", []levelResult{window(1, ms(9), false), window(2, ms(12), false), window(3, ms(11), false)}, false, "median 11 ms of 3 windows (9.00 ms to 12 ms)"},
		{"a cut-off window counts as the slowest", []levelResult{window(1, ms(9), false), window(2, ms(2), true), window(3, ms(8), false)}, true, "median 9.00 ms of 3 windows (8.00 ms to a window with requests cut off after 2.00 ms)"},
		{"a single window", []levelResult{window(1, ms(9), false)}, true, "9.00 ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &report{Scenarios: []scenarioResult{{Name: scWarm, Levels: tt.windows}}}
			for _, tg := range rep.targets() {
				if tg.What != latency {
					continue
				}
				if tg.Met == nil || *tg.Met != tt.met {
					t.Errorf("met = %v, want %v (%s)", tg.Met, tt.met, tg.Measured)
				}
				if !strings.HasPrefix(tg.Measured, tt.measured+" (") {
					t.Errorf("measured = %q, want it to start with %q", tg.Measured, tt.measured)
				}
				return
			}
			t.Fatalf("no target %q", latency)
		})
	}
}

func TestPacedLevelsAreMeasuredRoundRobin(t *testing.T) {
	o := options{clients: []int{1, 64}, pacedRates: []int{5000, 10000}, pacedRuns: 2}
	var got []string
	for _, l := range scenarioLevels(scWarm, o) {
		got = append(got, fmt.Sprintf("%d@%.0f#%d", l.clients, l.rate, l.run))
	}
	want := []string{"1@0#0", "64@0#0", "64@5000#1", "64@10000#1", "64@5000#2", "64@10000#2"}
	if !slices.Equal(got, want) {
		t.Errorf("warm levels = %v, want %v", got, want)
	}
	got = nil
	for _, l := range scenarioLevels(scBurst, o) {
		got = append(got, fmt.Sprintf("%d cold#%d", l.cold, l.run))
	}
	want = []string{"0 cold#1", fmt.Sprintf("%d cold#1", burstClients), "0 cold#2", fmt.Sprintf("%d cold#2", burstClients)}
	if !slices.Equal(got, want) {
		t.Errorf("burst levels = %v, want %v", got, want)
	}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
