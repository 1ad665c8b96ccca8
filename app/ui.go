package app

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/regauth/regauth/internal/atomicfile"
	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/ui"
)

// UISessionKeyFile holds the key that seals web UI session cookies (0600). Replicas sharing the
// data directory share it; deleting it signs everybody out at the next start.
const UISessionKeyFile = "ui-session-key"

// webUI builds the web interface on the same users, ACL, token issuer, lockout and registry
// handler as the front.
func (a *App) webUI(registry http.Handler, limiter *lockout.Limiter) (http.Handler, error) {
	key, err := a.uiSessionKey()
	if err != nil {
		return nil, err
	}
	host := a.Config.PublicURL
	if u, err := url.Parse(a.Config.PublicURL); err == nil && u.Host != "" {
		host = u.Host
	}
	return ui.New(ui.Options{
		Logger: a.logger, Authenticator: a.Users, Directory: a.Users, Authorizer: a.ACL,
		Issuer: a.Issuer, Registry: registry, Limiter: limiter, Audit: a.Audit,
		PublicHost: host, SessionKey: key, Users: a.Users.Users,
	})
}

func (a *App) uiSessionKey() ([]byte, error) {
	path := filepath.Join(a.Config.DataDir, UISessionKeyFile)
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never returns an error (Go 1.24+)
	if err := atomicfile.Write(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("ui session key: %w", err)
	}
	return key, nil
}
