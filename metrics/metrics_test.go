package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// series finds one series by full name and labels in a gathered registry; ok is false when
// it does not exist. A counter gives its value, a histogram its sample count.
func series(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (v float64, ok bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsEqual(m.GetLabel(), labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			}
		}
	}
	return 0, false
}

func labelsEqual(got []*dto.LabelPair, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, l := range got {
		if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
			return false
		}
	}
	return true
}

func value(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	v, _ := series(t, m.Registry, name, labels)
	return v
}

func TestEachMethodMovesItsSeries(t *testing.T) {
	type want struct {
		name   string
		labels map[string]string
		delta  float64
	}
	tests := []struct {
		name string
		do   func(m *Metrics)
		want []want
	}{
		{"TokenIssued", func(m *Metrics) { m.TokenIssued("refresh_token") },
			[]want{{"regauth_tokens_issued_total", map[string]string{"grant": "refresh_token"}, 1}}},
		{"TokenIssued with an unknown grant", func(m *Metrics) { m.TokenIssued("client_credentials") },
			[]want{{"regauth_tokens_issued_total", map[string]string{"grant": "other"}, 1}}},
		{"TokenDenied", func(m *Metrics) { m.TokenDenied(DeniedLockedOut) },
			[]want{{"regauth_tokens_denied_total", map[string]string{"reason": "locked_out"}, 1}}},
		{"ObserveAuthentication", func(m *Metrics) { m.ObserveAuthentication(48*time.Millisecond, AuthOK) },
			[]want{{"regauth_authentication_seconds", map[string]string{"result": "ok"}, 1}}},
		{"ObserveAuthentication from the cache", func(m *Metrics) { m.ObserveAuthentication(40*time.Microsecond, AuthCacheHit) },
			[]want{{"regauth_authentication_seconds", map[string]string{"result": "cache_hit"}, 1}}},
		{"ObserveTokenRequest", func(m *Metrics) { m.ObserveTokenRequest(300 * time.Microsecond) },
			[]want{{"regauth_token_request_seconds", map[string]string{}, 1}}},
		{"PasswordVerification hashed", func(m *Metrics) { m.PasswordVerification(false) },
			[]want{{"regauth_password_verifications_total", map[string]string{"source": "bcrypt"}, 1}}},
		{"PasswordVerification cached", func(m *Metrics) { m.PasswordVerification(true) },
			[]want{{"regauth_password_verifications_total", map[string]string{"source": "cache"}, 1}}},
		{"Lockout", func(m *Metrics) { m.Lockout() },
			[]want{{"regauth_lockouts_total", map[string]string{}, 1}}},
		{"Reload that worked", func(m *Metrics) { m.Reload("acl", true) },
			[]want{
				{"regauth_reloads_total", map[string]string{"target": "acl", "result": "ok"}, 1},
				{"regauth_reload_failures_total", map[string]string{"target": "acl"}, 0},
			}},
		{"Reload that failed", func(m *Metrics) { m.Reload("token key", false) },
			[]want{
				{"regauth_reloads_total", map[string]string{"target": "token key", "result": "fail"}, 1},
				{"regauth_reload_failures_total", map[string]string{"target": "token key"}, 1},
			}},
		{"ProxyRequest", func(m *Metrics) { m.ProxyRequest("PUT", 201, 1000, 0) },
			[]want{
				{"regauth_proxy_requests_total", map[string]string{"method": "PUT", "code": "201"}, 1},
				{"regauth_proxy_bytes_total", map[string]string{"direction": "in"}, 1000},
				{"regauth_proxy_bytes_total", map[string]string{"direction": "out"}, 0},
			}},
		{"ProxyRequest with an odd method and status", func(m *Metrics) { m.ProxyRequest("PROPFIND", 418, 0, 5) },
			[]want{
				{"regauth_proxy_requests_total", map[string]string{"method": "OTHER", "code": "4xx"}, 1},
				{"regauth_proxy_bytes_total", map[string]string{"direction": "out"}, 5},
			}},
		{"UpstreamError", func(m *Metrics) { m.UpstreamError() },
			[]want{{"regauth_upstream_errors_total", map[string]string{}, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			before := make([]float64, len(tt.want))
			for i, w := range tt.want {
				before[i] = value(t, m, w.name, w.labels)
			}
			tt.do(m)
			for i, w := range tt.want {
				got := value(t, m, w.name, w.labels) - before[i]
				if got != w.delta {
					t.Errorf("%s%v moved by %v, want %v", w.name, w.labels, got, w.delta)
				}
			}
		})
	}
}

func TestAuthenticationBucketsSeparateACacheHitFromBcrypt(t *testing.T) {
	m := New()
	m.ObserveAuthentication(60*time.Microsecond, AuthCacheHit)
	m.ObserveAuthentication(52*time.Millisecond, AuthOK)
	// Each sample must land in a bucket of its own scale: not yet counted at the bound
	// below it, counted at the next.
	want := map[string][2]float64{AuthCacheHit: {0.00005, 0.0001}, AuthOK: {0.05, 0.075}}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range families {
		if f.GetName() != "regauth_authentication_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			result := s.GetLabel()[0].GetValue()
			counts := map[float64]uint64{}
			for _, b := range s.GetHistogram().GetBucket() {
				counts[b.GetUpperBound()] = b.GetCumulativeCount()
			}
			le := want[result]
			if counts[le[0]] != 0 || counts[le[1]] != 1 {
				t.Errorf("%s: %d samples <= %v and %d <= %v, want 0 and 1", result, counts[le[0]], le[0], counts[le[1]], le[1])
			}
			checked++
		}
	}
	if checked != 2 {
		t.Fatalf("checked %d histograms, want 2", checked)
	}
}

func TestKnownLabelValuesAreExposedFromTheStart(t *testing.T) {
	m := New()
	for _, g := range grants {
		if _, ok := series(t, m.Registry, "regauth_tokens_issued_total", map[string]string{"grant": g}); !ok {
			t.Errorf("no zero series for grant %q", g)
		}
	}
	for _, r := range denyReasons {
		if _, ok := series(t, m.Registry, "regauth_tokens_denied_total", map[string]string{"reason": r}); !ok {
			t.Errorf("no zero series for reason %q", r)
		}
	}
}

func TestLabelValuesComeFromFixedSets(t *testing.T) {
	tests := []struct {
		method string
		status int
		want   [2]string
	}{
		{"GET", 200, [2]string{"GET", "200"}},
		{"HEAD", 404, [2]string{"HEAD", "404"}},
		{"PATCH", 202, [2]string{"PATCH", "202"}},
		{"get", 200, [2]string{"OTHER", "200"}},
		{"BREW", 418, [2]string{"OTHER", "4xx"}},
		{"DELETE", 507, [2]string{"DELETE", "5xx"}},
		{"GET", 0, [2]string{"GET", "other"}},
		{"GET", 999, [2]string{"GET", "other"}},
	}
	for _, tt := range tests {
		if got := [2]string{normalMethod(tt.method), statusCode(tt.status)}; got != tt.want {
			t.Errorf("%s %d -> %v, want %v", tt.method, tt.status, got, tt.want)
		}
	}
	if got := limit(strings.Repeat("x", 200)); len(got) != 64 {
		t.Errorf("a 200-byte target is kept as %d bytes", len(got))
	}
}

func TestHandlerServesRegauthGoAndProcessSeries(t *testing.T) {
	m := New()
	m.TokenIssued("basic")
	m.Reload("users", false)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`regauth_tokens_issued_total{grant="basic"} 1`,
		`regauth_reload_failures_total{target="users"} 1`,
		`regauth_proxy_bytes_total{direction="in"} 0`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
}

func TestTheGlobalRegistryIsLeftAlone(t *testing.T) {
	before, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.TokenIssued("basic")
	after, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("default registry went from %d to %d families", len(before), len(after))
	}
	for _, f := range after {
		if strings.HasPrefix(f.GetName(), "regauth_") {
			t.Errorf("%s is on the default registry", f.GetName())
		}
	}
	New() // a second instance must not collide with the first
}

func TestANilMetricsRecordsNothing(t *testing.T) {
	var m *Metrics
	m.TokenIssued("basic")
	m.TokenDenied(DeniedBadRequest)
	m.ObserveAuthentication(time.Millisecond, AuthFail)
	m.PasswordVerification(true)
	m.Lockout()
	m.Reload("acl", true)
	m.ProxyRequest("GET", 200, 1, 1)
	m.UpstreamError()
	if err := m.CountAuditDropped(func() uint64 { return 1 }); err != nil {
		t.Fatal(err)
	}
	h := http.NotFoundHandler()
	if got := m.InstrumentProxy(h); got == nil {
		t.Fatal("InstrumentProxy on nil returned nil")
	}
}

func TestAuditDropsAreExposed(t *testing.T) {
	m := New()
	var dropped uint64 = 7
	if err := m.CountAuditDropped(func() uint64 { return dropped }); err != nil {
		t.Fatal(err)
	}
	if got := value(t, m, "regauth_audit_dropped_total", map[string]string{}); got != 7 {
		t.Errorf("regauth_audit_dropped_total = %v, want 7", got)
	}
	if err := m.CountAuditDropped(func() uint64 { return 0 }); err == nil {
		t.Error("a second registration was accepted")
	}
}
