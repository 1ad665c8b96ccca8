package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Reasons for TokenDenied.
const (
	DeniedBadCredentials = "bad_credentials" // wrong user name or password
	DeniedInvalidRefresh = "invalid_refresh" // refresh token expired, forged or revoked
	DeniedLockedOut      = "locked_out"      // too many failures: refused without checking
	DeniedBadRequest     = "bad_request"     // malformed request, unknown service or grant
)

// Results for ObserveAuthentication.
const (
	AuthOK       = "ok"        // the password was checked (bcrypt or similar) and matched
	AuthFail     = "fail"      // the credentials were refused
	AuthCacheHit = "cache_hit" // matched from the credential cache without hashing
)

// authBuckets cover a cache hit (tens of microseconds) through bcrypt (~50ms at cost 10,
// more with higher costs or a busy machine) up to a second, finest around bcrypt.
var authBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1,
}

// tokenRequestBuckets cover a warm token (well under a millisecond) through a login queued
// behind a burst of password hashes (seconds).
var tokenRequestBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Metrics holds regauth's series. Its methods are safe for concurrent use, and a nil *Metrics
// records nothing, so code can take one without checking whether metrics are enabled.
type Metrics struct {
	// Registry holds every regauth series plus the Go runtime and process collectors; nothing
	// is registered on the global default registry.
	Registry *prometheus.Registry

	tokensIssued          *prometheus.CounterVec
	tokensDenied          *prometheus.CounterVec
	authentication        *prometheus.HistogramVec
	tokenRequests         prometheus.Histogram
	passwordVerifications *prometheus.CounterVec
	lockouts              prometheus.Counter
	reloads               *prometheus.CounterVec
	reloadFailures        *prometheus.CounterVec
	proxyRequests         *prometheus.CounterVec
	proxyBytes            *prometheus.CounterVec
	upstreamErrors        prometheus.Counter
}

// New makes a registry with regauth's series and the Go and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		tokensIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "tokens_issued_total",
			Help: "Tokens issued by /auth and the /v2/ front, by grant (basic, password, refresh_token, anonymous, front).",
		}, []string{"grant"}),
		tokensDenied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "tokens_denied_total",
			Help: "Token requests refused, by reason (bad_credentials, invalid_refresh, locked_out, bad_request).",
		}, []string{"reason"}),
		authentication: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "regauth", Name: "authentication_seconds",
			Help:    "Time to check a user's credentials, by result (ok, fail, cache_hit).",
			Buckets: authBuckets,
		}, []string{"result"}),
		tokenRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "regauth", Name: "token_request_seconds",
			Help:    "Time /auth took to answer, from the parsed request to the last byte written (queueing in the kernel and the runtime before that is not included).",
			Buckets: tokenRequestBuckets,
		}),
		passwordVerifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "password_verifications_total",
			Help: "Passwords verified, by source: bcrypt (hashed) or cache (credential cache hit).",
		}, []string{"source"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "regauth", Name: "lockouts_total",
			Help: "Lockouts started after repeated authentication failures.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "reloads_total",
			Help: "Reloads of watched files, by target and result (ok, fail).",
		}, []string{"target", "result"}),
		reloadFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "reload_failures_total",
			Help: "Reloads that failed and kept the last good version, by target.",
		}, []string{"target"}),
		proxyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "proxy_requests_total",
			Help: "Registry (/v2/) requests through the front, by method and status code.",
		}, []string{"method", "code"}),
		proxyBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "regauth", Name: "proxy_bytes_total",
			Help: "Registry (/v2/) body bytes through the front: in (uploaded by clients) and out (sent to clients).",
		}, []string{"direction"}),
		upstreamErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "regauth", Name: "upstream_errors_total",
			Help: "Requests the upstream registry could not answer (connection refused, reset, timeout).",
		}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.tokensIssued, m.tokensDenied, m.authentication, m.tokenRequests, m.passwordVerifications, m.lockouts,
		m.reloads, m.reloadFailures, m.proxyRequests, m.proxyBytes, m.upstreamErrors,
	)
	// Known label values start at zero, so rate() and absent() work from the first scrape.
	for _, g := range grants {
		m.tokensIssued.WithLabelValues(g)
	}
	for _, r := range denyReasons {
		m.tokensDenied.WithLabelValues(r)
	}
	for _, s := range []string{"bcrypt", "cache"} {
		m.passwordVerifications.WithLabelValues(s)
	}
	for _, d := range []string{"in", "out"} {
		m.proxyBytes.WithLabelValues(d)
	}
	return m
}

// Handler serves the registry in the Prometheus text (or negotiated) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		Registry:      m.Registry, // counts its own scrape errors
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// TokenIssued counts a token handed out; grant is basic, password, refresh_token, anonymous
// or front (anything else is counted as "other").
func (m *Metrics) TokenIssued(grant string) {
	if m == nil {
		return
	}
	m.tokensIssued.WithLabelValues(oneOf(grant, grants)).Inc()
}

// TokenDenied counts a refused token request; reason is one of the Denied constants.
func (m *Metrics) TokenDenied(reason string) {
	if m == nil {
		return
	}
	m.tokensDenied.WithLabelValues(oneOf(reason, denyReasons)).Inc()
}

// ObserveAuthentication records how long checking credentials took; result is AuthOK,
// AuthFail or AuthCacheHit.
func (m *Metrics) ObserveAuthentication(d time.Duration, result string) {
	if m == nil {
		return
	}
	m.authentication.WithLabelValues(oneOf(result, authResults)).Observe(d.Seconds())
}

// ObserveTokenRequest records how long one /auth request took to answer.
func (m *Metrics) ObserveTokenRequest(d time.Duration) {
	if m == nil {
		return
	}
	m.tokenRequests.Observe(d.Seconds())
}

// PasswordVerification counts a password check, answered by the cache or by hashing.
func (m *Metrics) PasswordVerification(cacheHit bool) {
	if m == nil {
		return
	}
	source := "bcrypt"
	if cacheHit {
		source = "cache"
	}
	m.passwordVerifications.WithLabelValues(source).Inc()
}

// Lockout counts a lockout starting.
func (m *Metrics) Lockout() {
	if m == nil {
		return
	}
	m.lockouts.Inc()
}

// Reload counts a reload of a watched target ("users", "acl", "tls", "token key"); target
// names come from the configuration's fixed list, never from a client.
func (m *Metrics) Reload(target string, ok bool) {
	if m == nil {
		return
	}
	target = limit(target)
	result := "ok"
	if !ok {
		result = "fail"
		m.reloadFailures.WithLabelValues(target).Inc()
	}
	m.reloads.WithLabelValues(target, result).Inc()
}

// ProxyRequest counts one /v2/ request and its body bytes. InstrumentProxy calls it; call
// it directly only for requests that do not pass through that middleware.
func (m *Metrics) ProxyRequest(method string, status int, bytesIn, bytesOut int64) {
	if m == nil {
		return
	}
	m.proxyRequests.WithLabelValues(normalMethod(method), statusCode(status)).Inc()
	if bytesIn > 0 {
		m.proxyBytes.WithLabelValues("in").Add(float64(bytesIn))
	}
	if bytesOut > 0 {
		m.proxyBytes.WithLabelValues("out").Add(float64(bytesOut))
	}
}

// UpstreamError counts a request the upstream registry could not answer.
func (m *Metrics) UpstreamError() {
	if m == nil {
		return
	}
	m.upstreamErrors.Inc()
}

// CountAuditDropped exposes the audit log's lost-event counter (audit.JSONLogger.Dropped) as
// regauth_audit_dropped_total, so a full disk or a stuck log shows up on a dashboard. Call it
// once; a second call returns the registration error.
func (m *Metrics) CountAuditDropped(dropped func() uint64) error {
	if m == nil {
		return nil
	}
	return m.Registry.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "regauth", Name: "audit_dropped_total",
		Help: "Audit events lost because the log's queue was full or a write failed.",
	}, func() float64 { return float64(dropped()) }))
}
