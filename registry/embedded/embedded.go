// Package embedded runs the stock distribution registry (the registry:3 code) inside regauth's
// process, configured for token auth against regauth, so one command serves everything.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"

	// The registry finds its token access controller and storage driver by name.
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// Options configure the embedded registry. Storage is the same map a stock registry's
// `storage:` section takes, so S3-compatible storage is a configuration change.
type Options struct {
	Storage        configuration.Storage // e.g. {"filesystem": {"rootdirectory": "/var/lib/regauth/registry"}}
	Delete         bool
	Realm          string // token endpoint, as clients reach it
	Service        string
	Issuer         string
	RootCertBundle string // PEM file with the token signing root
	JWKS           string // optional JWKS file
	Secret         string // http.secret: signs upload state; must be shared by replicas
}

// FilesystemStorage is the storage section for a directory on local disk.
func FilesystemStorage(dir string) configuration.Storage {
	return configuration.Storage{"filesystem": configuration.Parameters{"rootdirectory": dir}}
}

// New builds the registry's HTTP handler. It serves /v2/ and answers 401 with a Bearer
// challenge naming Realm until a token from regauth is presented.
func New(ctx context.Context, opts Options) (h http.Handler, err error) {
	if opts.Realm == "" || opts.Service == "" || opts.Issuer == "" || opts.RootCertBundle == "" {
		return nil, errors.New("embedded registry: realm, service, issuer and root certificate bundle are required")
	}
	if len(opts.Storage) == 0 {
		return nil, errors.New("embedded registry: no storage configured")
	}
	storage := configuration.Storage{}
	for k, v := range opts.Storage {
		storage[k] = v
	}
	storage["delete"] = configuration.Parameters{"enabled": opts.Delete}
	storage["redirect"] = configuration.Parameters{"disable": true}

	tokenParams := configuration.Parameters{
		"realm":          opts.Realm,
		"service":        opts.Service,
		"issuer":         opts.Issuer,
		"rootcertbundle": opts.RootCertBundle,
	}
	if opts.JWKS != "" {
		tokenParams["jwks"] = opts.JWKS
	}
	cfg := &configuration.Configuration{
		Version: "0.1",
		Storage: storage,
		Auth:    configuration.Auth{"token": tokenParams},
	}
	cfg.Catalog.MaxEntries = 1000 // the stock default; Parse sets it, a Configuration literal does not
	cfg.HTTP.Secret = opts.Secret
	cfg.HTTP.RelativeURLs = true
	cfg.HTTP.Headers = http.Header{"X-Content-Type-Options": []string{"nosniff"}}

	// NewApp panics on configuration it cannot use (a bad storage driver, an unreadable
	// certificate bundle): turn that into an error for the caller.
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("embedded registry: %v", r)
		}
	}()
	return pipelineUploads(handlers.NewApp(ctx, cfg), newUploadBuffers(uploadBufferSize, maxPipelined)), nil
}
