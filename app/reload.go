package app

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/regauth/regauth/tokens"
	"github.com/regauth/regauth/watch"
)

// reloadTargets lists every file regauth reads after start, with what re-reads it. Each
// reload builds the new version completely and swaps it in only when it is valid.
func (a *App) reloadTargets() []watch.Target {
	cfg := a.Config
	targets := []watch.Target{
		{Name: "users", Paths: []string{cfg.Auth.Htpasswd, cfg.Auth.Groups}, Reload: a.Users.Reload},
		{Name: "acl", Paths: []string{cfg.ACL.File}, Reload: a.ACL.Reload},
	}
	if cfg.TLS.PFX != "" || cfg.TLS.Cert != "" {
		targets = append(targets, watch.Target{
			Name:   "tls",
			Paths:  []string{cfg.TLS.PFX, cfg.TLS.PFXPasswordFile, cfg.TLS.Cert, cfg.TLS.Key, cfg.TLS.Chain},
			Reload: a.reloadCertificate,
		})
	}
	keyPath, certPath := cfg.Token.Key, cfg.Token.Cert
	if keyPath == "" {
		keyPath, certPath = filepath.Join(cfg.TokenDir(), tokens.SigningKeyFile), filepath.Join(cfg.TokenDir(), tokens.SigningCertFile)
	}
	targets = append(targets, watch.Target{
		Name:  "token key",
		Paths: []string{keyPath, certPath},
		Reload: func() error {
			kp, err := tokens.LoadKeyPair(keyPath, certPath)
			if err != nil {
				return err
			}
			if !kp.Root.Equal(a.Keys.Current().Root) {
				return fmt.Errorf("token key %q chains to another root than the one the registry trusts: restart regauth (and the registry) to change roots", keyPath)
			}
			a.Keys.Rotate(kp)
			return nil
		},
	})
	return targets
}

func (a *App) reloadCertificate() error {
	cfg := a.Config
	if cfg.TLS.PFXPasswordFile != "" {
		if err := cfg.ReadPFXPassword(); err != nil {
			return err
		}
	}
	b, _, err := loadBundle(cfg)
	if err != nil {
		return err
	}
	for _, w := range b.Check(time.Now()) {
		a.logger.Warn("TLS certificate: " + w)
	}
	a.Certificates.Swap(b)
	return nil
}
