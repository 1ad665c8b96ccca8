package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/metrics"
	"github.com/regauth/regauth/tokens"
)

// Options are the already-built parts a Server is made of.
type Options struct {
	Logger        *slog.Logger
	Authenticator auth.Authenticator
	Directory     auth.Directory // for refresh tokens
	Authorizer    acl.Authorizer
	Issuer        *tokens.Issuer
	Keys          tokens.Keys // for the JWKS document
	BasicRealm    string      // realm of the Basic challenge on a failed login
	Registry      http.Handler
	Limiter       *lockout.Limiter // optional: slows and locks repeated failed logins
	Readiness     Readiness        // optional: the checks behind /readyz
	Audit         audit.Logger     // optional: who got what, refused logins, deletes
	Metrics       *metrics.Metrics // optional: Prometheus series, served at /metrics
	UI            http.Handler     // optional: the web UI, served under /ui/; "/" then redirects there
	// RequestTimeout bounds reading a request and writing its answer everywhere but /v2/
	// (0: 30s to read, twice that to answer).
	RequestTimeout time.Duration
}

// Server routes requests to the token service and the registry.
type Server struct {
	opts   Options
	engine *gin.Engine
}

// maxAuthBody bounds a POST to /auth: an OAuth2 form is a few hundred bytes.
const maxAuthBody = 64 << 10

// New checks opts and builds the routes.
func New(opts Options) (*Server, error) {
	var errs []error
	if opts.Logger == nil {
		errs = append(errs, errors.New("server: no logger"))
	}
	if opts.Authenticator == nil || opts.Directory == nil {
		errs = append(errs, errors.New("server: no user store"))
	}
	if opts.Authorizer == nil {
		errs = append(errs, errors.New("server: no authorizer"))
	}
	if opts.Issuer == nil || opts.Keys == nil {
		errs = append(errs, errors.New("server: no token issuer"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.BasicRealm == "" {
		opts.BasicRealm = "regauth"
	}
	if opts.Audit == nil {
		opts.Audit = audit.Discard()
	}
	s := &Server{opts: opts, engine: gin.New()}
	s.engine.HandleMethodNotAllowed = true
	// Client addresses feed ip rules: never trust X-Forwarded-For from anybody by default.
	if err := s.engine.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	s.opts.RequestTimeout = opts.RequestTimeout
	s.engine.Use(requestIDs(), s.recoverer(), s.logRequests(), deadlines(opts.RequestTimeout))
	s.engine.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, "not_found", "NOT_FOUND", "no such endpoint") })
	s.engine.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, "invalid_request", "UNSUPPORTED", "method not allowed")
	})

	ts := &tokenService{opts: &s.opts}
	s.engine.GET("/auth", s.timeTokenRequests, ts.get)
	s.engine.POST("/auth", s.timeTokenRequests, ts.post)
	s.engine.GET("/auth/jwks.json", s.jwks)
	s.engine.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	s.engine.GET("/readyz", s.readyz)
	if opts.Metrics != nil {
		s.engine.GET("/metrics", gin.WrapH(opts.Metrics.Handler()))
	}
	if opts.Registry != nil {
		registry := opts.Metrics.InstrumentProxy(opts.Registry)
		f := &front{tokens: ts, registry: registry, catalog: &catalogFilter{tokens: ts, registry: registry}}
		s.engine.Any("/v2/*path", f.serve)
		s.engine.Any("/v2", f.serve)
	}
	if opts.UI != nil {
		s.engine.Any("/ui/*path", gin.WrapH(opts.UI))
		s.engine.Any("/ui", gin.WrapH(opts.UI))
		s.engine.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/ui/") })
	}
	return s, nil
}

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.engine }

func (s *Server) jwks(c *gin.Context) {
	set, err := tokens.BuildJWKS(s.opts.Keys)
	if err != nil {
		logFor(c, s.opts.Logger).Error("build jwks", "err", err)
		writeError(c, http.StatusInternalServerError, "server_error", "UNKNOWN", "cannot list keys")
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.Data(http.StatusOK, "application/json", set.JSON())
}

// deadlines: everywhere but /v2/ a client must send its request within timeout and take its
// answer within twice that, so slow-loris clients cannot hold the token service or the UI.
// Layer uploads and downloads on /v2/ may take as long as they need.
func deadlines(timeout time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !strings.HasPrefix(c.Request.URL.Path, "/v2") {
			rc := http.NewResponseController(c.Writer)
			now := time.Now()
			// Errors mean the connection cannot take deadlines (a test recorder): nothing to do.
			_ = rc.SetReadDeadline(now.Add(timeout))
			_ = rc.SetWriteDeadline(now.Add(2 * timeout))
		}
		c.Next()
	}
}

// timeTokenRequests records how long each /auth request takes to answer.
func (s *Server) timeTokenRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.opts.Metrics.ObserveTokenRequest(time.Since(start))
}

// recoverer turns a panic into a JSON 500 and a log line instead of a dropped connection.
func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				logFor(c, s.opts.Logger).Error("panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", r)
				writeError(c, http.StatusInternalServerError, "server_error", "UNKNOWN", "internal error")
				c.Abort()
			}
		}()
		c.Next()
	}
}

// logRequests writes one line per request. It logs the path without the query string, which
// may carry credentials-adjacent data, and never a header.
func (s *Server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if !s.opts.Logger.Enabled(c.Request.Context(), slog.LevelDebug) {
			return
		}
		logFor(c, s.opts.Logger).Debug("request",
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"client", c.ClientIP(),
			"duration", time.Since(start))
	}
}
