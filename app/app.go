package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/certs"
	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/internal/atomicfile"
	"github.com/regauth/regauth/internal/frontserver"
	"github.com/regauth/regauth/metrics"
	"github.com/regauth/regauth/registry/embedded"
	"github.com/regauth/regauth/registry/upstream"
	"github.com/regauth/regauth/server"
	"github.com/regauth/regauth/tokens"
	"github.com/regauth/regauth/watch"
)

// App is a fully built regauth, ready to serve.
type App struct {
	Config        *config.Config
	Users         *auth.Store
	ACL           *acl.Store
	Issuer        *tokens.Issuer
	Keys          *tokens.KeyRing
	RootCertFile  string         // the bundle a stock registry needs as rootcertbundle
	Certificates  *certs.Holder  // the front's TLS certificate
	DevCAFile     string         // set when a development certificate is served
	AdminPassword auth.Password  // set only on the start that created the admin user
	Watcher       *watch.Watcher // reloads users, groups, ACL, certificate and token key
	Metrics       *metrics.Metrics
	Audit         audit.Logger
	closers       []func() error
	handler       http.Handler
	logger        *slog.Logger
}

// New builds every part from cfg, creating first-start files under the data directory.
// hasher runs the password hashes (nil: auth.InProcess).
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, hasher auth.Hasher) (*App, error) {
	a := &App{Config: cfg, logger: logger}
	var err error
	if err := a.openAudit(); err != nil {
		return nil, err
	}
	if cfg.Metrics.Enabled {
		a.Metrics = metrics.New()
	}
	if a.AdminPassword, err = firstStart(cfg, logger); err != nil {
		return nil, err
	}
	kp, rootFile, err := LoadTokenKeys(cfg, logger)
	if err != nil {
		return nil, err
	}
	// A replaced key stays trusted for as long as the tokens it signed live.
	a.Keys, a.RootCertFile = tokens.NewKeyRing(kp, cfg.Token.TTL+time.Minute, nil), rootFile
	cacheTTL := cfg.Auth.CacheTTL
	if cacheTTL == 0 {
		cacheTTL = -1 // disabled
	}
	a.Users, err = auth.NewStore(auth.StoreOptions{
		HtpasswdPath: cfg.Auth.Htpasswd, GroupsPath: cfg.Auth.Groups, Logger: logger,
		CacheTTL: cacheTTL, OnVerify: a.Metrics.PasswordVerification, Hasher: hasher,
	})
	if err != nil {
		return nil, err
	}
	a.ACL, err = acl.NewStore(cfg.ACL.File, logger)
	if err != nil {
		return nil, err
	}
	keys := a.Keys
	a.Issuer, err = tokens.NewIssuer(tokens.IssuerOptions{
		Issuer: cfg.Token.Issuer, Service: cfg.Token.Service,
		TTL: cfg.Token.TTL, RefreshTTL: cfg.Token.RefreshTTL, Keys: keys,
	})
	if err != nil {
		return nil, err
	}
	if err := a.loadCertificate(); err != nil {
		return nil, err
	}
	registry, err := a.registry(ctx)
	if err != nil {
		return nil, err
	}
	limiter, err := newLimiter(cfg.Lockout)
	if err != nil {
		return nil, err
	}
	webUI, err := a.webUI(registry, limiter)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Options{
		Logger: logger, Authenticator: a.Users, Directory: a.Users, Authorizer: a.ACL,
		Issuer: a.Issuer, Keys: keys, Registry: registry, Limiter: limiter,
		Readiness: a.readiness(registry), Audit: a.Audit, Metrics: a.Metrics, UI: webUI,
	})
	if err != nil {
		return nil, err
	}
	a.Watcher = watch.New(logger, a.reloadTargets()...)
	a.Watcher.OnReload = a.onReload
	a.handler = srv.Handler()
	return a, nil
}

// Handler is the whole HTTP surface of the front.
func (a *App) Handler() http.Handler { return a.handler }

// TLSConfig is the front's TLS policy with the current certificate.
func (a *App) TLSConfig() *tls.Config { return certs.ServerTLSConfig(a.Certificates.GetCertificate) }

// LoadTokenKeys loads the configured token signing key, or the generated one under the data
// directory (creating it on first use). rootFile is the PEM bundle a registry must trust.
func LoadTokenKeys(cfg *config.Config, logger *slog.Logger) (kp *tokens.KeyPair, rootFile string, err error) {
	if cfg.Token.Key != "" {
		kp, err := tokens.LoadKeyPair(cfg.Token.Key, cfg.Token.Cert)
		if err != nil {
			return nil, "", err
		}
		rootFile = filepath.Join(cfg.TokenDir(), "configured-root.crt")
		if err := os.MkdirAll(cfg.TokenDir(), 0o700); err != nil {
			return nil, "", fmt.Errorf("create token directory: %w", err)
		}
		return kp, rootFile, atomicfile.Write(rootFile, kp.RootPEM(), 0o644)
	}
	gen, err := tokens.EnsureKeys(cfg.TokenDir(), cfg.Token.Algorithm, time.Now())
	if err != nil {
		return nil, "", err
	}
	if gen.Created {
		logger.Info("created token signing key", "dir", cfg.TokenDir(), "root", gen.RootFile)
	}
	return gen.KeyPair, gen.RootFile, nil
}

func (a *App) loadCertificate() error {
	b, devCA, err := loadBundle(a.Config)
	if err != nil {
		return err
	}
	for _, w := range b.Check(time.Now()) {
		a.logger.Warn("TLS certificate: " + w)
	}
	a.Certificates, a.DevCAFile = certs.NewHolder(b), devCA
	return nil
}

// loadBundle reads the configured certificate: a .pfx, a PEM pair, or the development
// certificate (whose CA file it returns).
func loadBundle(c *config.Config) (*certs.Bundle, string, error) {
	cfg := c.TLS
	var (
		b     *certs.Bundle
		devCA string
		err   error
	)
	switch {
	case cfg.PFX != "":
		b, err = certs.LoadPFX(cfg.PFX, cfg.PFXPassword.Reveal())
	case cfg.Cert != "":
		b, err = certs.LoadPEM(cfg.Cert, cfg.Key)
	default:
		host := "localhost"
		if u, perr := url.Parse(c.PublicURL); perr == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		var dev *certs.DevCertificate
		dev, err = certs.EnsureDevCertificate(c.TLSDir(), []string{host}, time.Now())
		if err == nil {
			b, devCA = dev.Bundle, dev.CAFile
		}
	}
	if err != nil {
		return nil, "", err
	}
	if cfg.Chain != "" {
		extra, err := certs.LoadChainFile(cfg.Chain)
		if err != nil {
			return nil, "", err
		}
		if err := b.AddIntermediates(extra); err != nil {
			return nil, "", fmt.Errorf("tls.chain %q: %w", cfg.Chain, err)
		}
	}
	return b, devCA, nil
}

func (a *App) registry(ctx context.Context) (http.Handler, error) {
	cfg := a.Config
	if cfg.Registry.Upstream != "" {
		return upstream.New(upstream.Options{URL: cfg.Registry.Upstream, Logger: a.logger, OnError: a.Metrics.UpstreamError})
	}
	secret, err := a.httpSecret()
	if err != nil {
		return nil, err
	}
	return embedded.New(ctx, embedded.Options{
		Storage:        embedded.FilesystemStorage(cfg.Registry.Storage),
		Delete:         cfg.Registry.Delete,
		Realm:          cfg.Realm(),
		Service:        cfg.Token.Service,
		Issuer:         cfg.Token.Issuer,
		RootCertBundle: a.RootCertFile,
		Secret:         secret,
	})
}

// httpSecret signs the registry's upload state; it is kept in the data directory so that
// uploads survive a restart and replicas sharing the directory agree.
func (a *App) httpSecret() (string, error) {
	path := filepath.Join(a.Config.DataDir, "registry-http-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	secret := rand.Text()
	if err := atomicfile.Write(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return secret, nil
}

// Serve serves the front on ln until ctx ends, then shuts down gracefully, letting requests
// in flight finish for up to grace.
func (a *App) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv, err := frontserver.New(a.handler, a.TLSConfig(), slog.NewLogLogger(a.logger.Handler(), slog.LevelDebug))
	if err != nil {
		return err
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	if err := a.Watcher.Start(watchCtx); err != nil {
		a.logger.Error("cannot watch files: edits need a SIGHUP or a restart", "err", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- frontserver.ServeTLS(srv, ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", "grace", grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	a.Close()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close flushes and closes what New opened (the audit file).
func (a *App) Close() {
	for _, c := range a.closers {
		if err := c(); err != nil {
			a.logger.Warn("close", "err", err)
		}
	}
	a.closers = nil
}
