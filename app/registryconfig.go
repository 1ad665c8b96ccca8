package app

import (
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/internal/atomicfile"
	"github.com/regauth/regauth/tokens"
)

// RegistryAuth is what a stock registry:2 / registry:3 needs to trust regauth.
type RegistryAuth struct {
	YAML  string   // the auth.token block for the registry's config.yml
	Env   string   // the same as REGISTRY_AUTH_TOKEN_* environment variables
	Files []string // files written for the registry to read
}

// Files a registry reads, written into the output directory.
const (
	RegistryRootFile = "root.crt"
	RegistryJWKSFile = "jwks.json"
)

// WriteRegistryAuth writes the token root bundle and JWKS into outDir and renders the
// configuration that points a registry at them. mountDir is where the registry sees outDir
// (inside its container); empty means the same path.
func WriteRegistryAuth(cfg *config.Config, logger *slog.Logger, outDir, mountDir string) (*RegistryAuth, error) {
	kp, _, err := LoadTokenKeys(cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %q: %w", outDir, err)
	}
	jwks, err := tokens.BuildJWKS(tokens.StaticKeys{Pair: kp})
	if err != nil {
		return nil, err
	}
	rootPath, jwksPath := filepath.Join(outDir, RegistryRootFile), filepath.Join(outDir, RegistryJWKSFile)
	if err := atomicfile.Write(rootPath, kp.RootPEM(), 0o644); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(jwksPath, jwks.JSON(), 0o644); err != nil {
		return nil, err
	}
	seen := func(name string) string {
		if mountDir == "" {
			abs, err := filepath.Abs(filepath.Join(outDir, name))
			if err != nil {
				return filepath.Join(outDir, name)
			}
			return abs
		}
		return path.Join(mountDir, name)
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	var y strings.Builder
	fmt.Fprintf(&y, "auth:\n  token:\n")
	fmt.Fprintf(&y, "    realm: %s\n", q(cfg.Realm()))
	fmt.Fprintf(&y, "    service: %s\n", q(cfg.Token.Service))
	fmt.Fprintf(&y, "    issuer: %s\n", q(cfg.Token.Issuer))
	fmt.Fprintf(&y, "    rootcertbundle: %s\n", q(seen(RegistryRootFile)))
	fmt.Fprintf(&y, "    # registry:3 also reads the key set; registry:2 ignores this line\n")
	fmt.Fprintf(&y, "    jwks: %s\n", q(seen(RegistryJWKSFile)))
	var e strings.Builder
	fmt.Fprintf(&e, "REGISTRY_AUTH=token\n")
	fmt.Fprintf(&e, "REGISTRY_AUTH_TOKEN_REALM=%s\n", cfg.Realm())
	fmt.Fprintf(&e, "REGISTRY_AUTH_TOKEN_SERVICE=%s\n", cfg.Token.Service)
	fmt.Fprintf(&e, "REGISTRY_AUTH_TOKEN_ISSUER=%s\n", cfg.Token.Issuer)
	fmt.Fprintf(&e, "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE=%s\n", seen(RegistryRootFile))
	return &RegistryAuth{YAML: y.String(), Env: e.String(), Files: []string{rootPath, jwksPath}}, nil
}
