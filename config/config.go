package config

import (
	"net"
	"path/filepath"
	"time"
)

// Config is everything regauth reads at start. Paths left empty are derived from DataDir by
// Resolve; relative paths are relative to the working directory.
type Config struct {
	Listen    string `mapstructure:"listen"`     // TLS front, host:port
	PublicURL string `mapstructure:"public_url"` // how clients reach the front; the token realm is PublicURL+"/auth"
	DataDir   string `mapstructure:"data_dir"`   // generated keys, certificates, users, registry storage
	// ShutdownGrace is how long requests and uploads in flight may run after SIGTERM/SIGINT.
	ShutdownGrace time.Duration  `mapstructure:"shutdown_grace"`
	Log           LogConfig      `mapstructure:"log"`
	Token         TokenConfig    `mapstructure:"token"`
	Auth          AuthConfig     `mapstructure:"auth"`
	ACL           ACLConfig      `mapstructure:"acl"`
	TLS           TLSConfig      `mapstructure:"tls"`
	Registry      RegistryConfig `mapstructure:"registry"`
	Lockout       LockoutConfig  `mapstructure:"lockout"`
	Audit         AuditConfig    `mapstructure:"audit"`
	Metrics       MetricsConfig  `mapstructure:"metrics"`
}

// AuditConfig says where audit events (tokens issued, refused logins, reloads, deletes) go.
type AuditConfig struct {
	Output string `mapstructure:"output"` // "stdout", a file path (appended, 0600), or "off"
}

// MetricsConfig controls the Prometheus endpoint /metrics on the front's port.
type MetricsConfig struct {
	Enabled bool `mapstructure:"enabled"`
}

// LockoutConfig slows down and then locks repeated failed logins per (user, client IP) and
// per client IP. A correct password from another address always works.
type LockoutConfig struct {
	Enabled         bool          `mapstructure:"enabled"`
	UserIPThreshold int           `mapstructure:"user_ip_threshold"` // failures of one user from one address before locks start
	IPThreshold     int           `mapstructure:"ip_threshold"`      // failures from one address, all users together
	Window          time.Duration `mapstructure:"window"`            // a counter is forgotten this long after its last failure
	BaseDelay       time.Duration `mapstructure:"base_delay"`        // first lock, doubling with each further failure
	MaxDelay        time.Duration `mapstructure:"max_delay"`
	Redis           string        `mapstructure:"redis"` // redis://host:6379/0 to share counters between replicas; empty = in memory
}

// LogConfig selects the log format and level.
type LogConfig struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// TokenConfig describes the tokens regauth signs.
type TokenConfig struct {
	Issuer     string        `mapstructure:"issuer"`      // "iss"; the registry's auth.token.issuer
	Service    string        `mapstructure:"service"`     // "aud"; the registry's auth.token.service
	TTL        time.Duration `mapstructure:"ttl"`         // access token lifetime
	RefreshTTL time.Duration `mapstructure:"refresh_ttl"` // refresh (docker identity) token lifetime
	Key        string        `mapstructure:"key"`         // PEM signing key; empty = generated under data_dir/token
	Cert       string        `mapstructure:"cert"`        // PEM chain: signing certificate, intermediates, root
	Algorithm  string        `mapstructure:"algorithm"`   // for generated keys: ES256 or RS256
}

// AuthConfig names the Apache-format user and group files.
type AuthConfig struct {
	Htpasswd string        `mapstructure:"htpasswd"`
	Groups   string        `mapstructure:"groups"`
	CacheTTL time.Duration `mapstructure:"cache_ttl"` // remember a good password this long; 0 disables
}

// ACLConfig names the access rules file.
type ACLConfig struct {
	File string `mapstructure:"file"`
}

// TLSConfig selects the front's certificate: a .pfx, a PEM pair, or (all empty) a generated
// development certificate. The .pfx password comes from a file or REGAUTH_TLS_PFX_PASSWORD,
// never from a flag, so it cannot show in a process list.
type TLSConfig struct {
	Cert            string `mapstructure:"cert"`
	Key             string `mapstructure:"key"`
	Chain           string `mapstructure:"chain"` // extra intermediates, PEM
	PFX             string `mapstructure:"pfx"`
	PFXPasswordFile string `mapstructure:"pfx_password_file"`
	PFXPassword     Secret `mapstructure:"-"`
}

// RegistryConfig selects the registry behind the front.
type RegistryConfig struct {
	Upstream string `mapstructure:"upstream"` // empty = embedded registry; else http(s)://host:port of a stock registry
	Storage  string `mapstructure:"storage"`  // embedded registry's filesystem root
	Delete   bool   `mapstructure:"delete"`   // allow manifest/blob deletes in the embedded registry
}

// Secret is a string that never prints.
type Secret string

// String hides the value.
func (Secret) String() string { return "***" }

// GoString hides the value.
func (Secret) GoString() string { return "***" }

// Reveal returns the secret for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Default is the configuration before any file, environment or flag.
func Default() Config {
	return Config{
		Listen:        ":5043",
		ShutdownGrace: 30 * time.Second,
		DataDir:       "regauth-data",
		Log:           LogConfig{Level: "info", Format: "text"},
		Auth:          AuthConfig{CacheTTL: 5 * time.Minute},
		Audit:         AuditConfig{Output: "stdout"},
		Metrics:       MetricsConfig{Enabled: true},
		Lockout: LockoutConfig{
			Enabled: true, UserIPThreshold: 5, IPThreshold: 50,
			Window: 30 * time.Minute, BaseDelay: time.Second, MaxDelay: 15 * time.Minute,
		},
		Token: TokenConfig{
			Issuer:     "regauth",
			Service:    "registry",
			TTL:        5 * time.Minute,
			RefreshTTL: 30 * 24 * time.Hour,
			Algorithm:  "ES256",
		},
	}
}

// Resolve fills the derived defaults: file paths under DataDir and the public URL.
func (c *Config) Resolve() {
	def := func(p *string, name string) {
		if *p == "" {
			*p = filepath.Join(c.DataDir, name)
		}
	}
	def(&c.Auth.Htpasswd, "htpasswd")
	def(&c.Auth.Groups, "groups")
	def(&c.ACL.File, "acl.yaml")
	def(&c.Registry.Storage, "registry")
	if c.PublicURL == "" {
		host, port, err := net.SplitHostPort(c.Listen)
		if err == nil {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "localhost"
			}
			c.PublicURL = "https://" + net.JoinHostPort(host, port)
		}
	}
}

// TokenDir is where generated token keys live.
func (c *Config) TokenDir() string { return filepath.Join(c.DataDir, "token") }

// TLSDir is where the generated development certificate lives.
func (c *Config) TLSDir() string { return filepath.Join(c.DataDir, "tls") }

// Realm is the token endpoint clients are sent to by the registry's challenge.
func (c *Config) Realm() string { return c.PublicURL + "/auth" }
