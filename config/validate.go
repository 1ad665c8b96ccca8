package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Validate checks every setting and reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	_, port, err := net.SplitHostPort(c.Listen)
	check(err == nil && port != "", "listen: %q is not host:port (like :5043)", c.Listen)
	u, err := url.Parse(c.PublicURL)
	check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && (u.Path == "" || u.Path == "/"),
		"public_url: %q is not an https://host[:port] address", c.PublicURL)
	check(c.DataDir != "", "data_dir: empty")
	check(c.ShutdownGrace >= 0, "shutdown_grace: negative")
	check(c.Audit.Output != "", "audit.output: empty (use stdout, off or a file path)")
	check(oneOf(c.Log.Level, "debug", "info", "warn", "error"), "log.level: %q is not debug, info, warn or error", c.Log.Level)
	check(oneOf(c.Log.Format, "text", "json"), "log.format: %q is not text or json", c.Log.Format)

	check(c.Token.Issuer != "", "token.issuer: empty")
	check(c.Token.Service != "", "token.service: empty")
	check(c.Token.TTL >= time.Minute && c.Token.TTL <= 24*time.Hour, "token.ttl: %s is outside 1m..24h", c.Token.TTL)
	check(c.Token.RefreshTTL >= c.Token.TTL, "token.refresh_ttl: %s is shorter than token.ttl (%s)", c.Token.RefreshTTL, c.Token.TTL)
	check((c.Token.Key == "") == (c.Token.Cert == ""), "token.key and token.cert: set both or neither")
	check(oneOf(c.Token.Algorithm, "ES256", "RS256"), "token.algorithm: %q is not ES256 or RS256", c.Token.Algorithm)

	check(c.Auth.CacheTTL >= 0 && c.Auth.CacheTTL <= time.Hour, "auth.cache_ttl: %s is outside 0..1h", c.Auth.CacheTTL)
	check((c.TLS.Cert == "") == (c.TLS.Key == ""), "tls.cert and tls.key: set both or neither")
	check(c.TLS.PFX == "" || c.TLS.Cert == "", "tls.pfx and tls.cert: choose one")
	check(c.TLS.Chain == "" || c.TLS.PFX != "" || c.TLS.Cert != "", "tls.chain: needs tls.pfx or tls.cert")
	check(c.TLS.PFXPasswordFile == "" || c.TLS.PFX != "", "tls.pfx_password_file: needs tls.pfx")

	if c.Lockout.Enabled {
		l := c.Lockout
		check(l.UserIPThreshold > 0 && l.IPThreshold >= l.UserIPThreshold, "lockout: thresholds must be positive, ip_threshold >= user_ip_threshold")
		check(l.BaseDelay > 0 && l.MaxDelay >= l.BaseDelay && l.Window >= l.MaxDelay, "lockout: want 0 < base_delay <= max_delay <= window")
		if l.Redis != "" {
			u, err := url.Parse(l.Redis)
			check(err == nil && (u.Scheme == "redis" || u.Scheme == "rediss"), "lockout.redis: %q is not a redis:// or rediss:// URL", l.Redis)
		}
	}
	if c.Registry.Upstream != "" {
		u, err := url.Parse(c.Registry.Upstream)
		check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"registry.upstream: %q is not an http(s)://host:port address", c.Registry.Upstream)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration:\n  %w", indent(errors.Join(errs...)))
	}
	return nil
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// indent keeps a joined error readable as a list.
func indent(err error) error {
	return errors.New(strings.ReplaceAll(err.Error(), "\n", "\n  "))
}
