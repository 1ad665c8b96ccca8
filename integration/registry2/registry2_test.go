// Package registry2 proves regauth's tokens against the registry:2 code: the handlers of
// github.com/docker/distribution v2.8.3, run in-process. It is its own test binary because the
// two registry generations cannot be linked together.
package registry2

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/docker/distribution/configuration"
	"github.com/docker/distribution/registry/handlers"
	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

	// The registry finds its access controller and storage driver by name.
	_ "github.com/docker/distribution/registry/auth/token"
	_ "github.com/docker/distribution/registry/storage/driver/filesystem"

	"github.com/regauth/regauth/integration/harness"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	logrus.SetLevel(logrus.WarnLevel)
	os.Exit(m.Run())
}

// newRegistry configures registry:2 as its documentation says: auth.token with realm,
// service, issuer and rootcertbundle (v2.8.3 knows no jwks).
func newRegistry(cfg harness.RegistryConfig) (h http.Handler, err error) {
	c := &configuration.Configuration{
		Version: "0.1",
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": cfg.StorageDir},
			"delete":     configuration.Parameters{"enabled": true},
		},
		Auth: configuration.Auth{"token": configuration.Parameters{
			"realm": cfg.Realm, "service": cfg.Service, "issuer": cfg.Issuer, "rootcertbundle": cfg.RootCertBundle,
			"jwks": cfg.JWKS, // what `regauth registry-config` prints: registry:2 must ignore it
		}},
	}
	c.HTTP.Secret = "integration-secret"
	c.Catalog.MaxEntries = 1000
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("registry:2: %v", r)
		}
	}()
	return handlers.NewApp(context.Background(), c), nil
}

func start(t *testing.T) *harness.Stack { return harness.Start(t, newRegistry) }

func TestRegistry2ClassicWalkthrough(t *testing.T) { harness.ClassicWalkthrough(t, start(t)) }
func TestRegistry2AcceptsTokensFromCurl(t *testing.T) {
	harness.CurlTokenIsAcceptedByTheRegistry(t, start(t))
}
func TestRegistry2RefreshTokenFlow(t *testing.T)            { harness.RefreshTokenFlow(t, start(t)) }
func TestRegistry2CatalogNeedsTheCatalogRight(t *testing.T) { harness.Catalog(t, start(t)) }

func TestRegistry2BasicCompatibility(t *testing.T) { harness.BasicCompatibility(t, start(t)) }
func TestRegistry2CatalogFiltering(t *testing.T)   { harness.CatalogFiltering(t, start(t)) }

// Layer uploads over HTTP/1.1 (the registry 2 code, without the embedded registry 3's read-ahead).
func TestRegistry2LayerUploadsOverHTTP11(t *testing.T) { harness.LayerUploadsOverHTTP11(t, start(t)) }

// Upstream mode: registry:2 as a separate server behind regauth's proxy, the production
// layout of docker-compose.yml.
func startUpstream(t *testing.T) (*harness.Stack, *harness.Upstream) {
	var up *harness.Upstream
	st := harness.Start(t, func(cfg harness.RegistryConfig) (http.Handler, error) {
		reg, err := newRegistry(cfg)
		if err != nil {
			return nil, err
		}
		up = harness.StartUpstream(t, reg)
		return up.Proxy()
	})
	return st, up
}

func TestRegistry2UpstreamClassicWalkthrough(t *testing.T) {
	st, _ := startUpstream(t)
	harness.ClassicWalkthrough(t, st)
}

func TestRegistry2UpstreamRefreshTokenFlow(t *testing.T) {
	st, _ := startUpstream(t)
	harness.RefreshTokenFlow(t, st)
}

func TestRegistry2UpstreamCatalogFiltering(t *testing.T) {
	st, _ := startUpstream(t)
	harness.CatalogFiltering(t, st)
}

func TestRegistry2UpstreamDownAndBack(t *testing.T) {
	st, up := startUpstream(t)
	harness.UpstreamDownAndBack(t, st, up)
}

func TestRegistry2RefusesForgedTokens(t *testing.T) { harness.ForgedTokensAreRefused(t, start(t)) }

func TestRegistry2RefusesPathAndNameAbuse(t *testing.T) {
	harness.PathAndNameAbuseIsRefusedCleanly(t, start(t))
}

func TestRegistry2PushesSurviveARegistryRestart(t *testing.T) {
	st, up := startUpstream(t)
	harness.PushesSurviveARegistryRestart(t, st, up)
}

func TestRegistry2UpstreamManyPullsOfALargeLayer(t *testing.T) {
	st, _ := startUpstream(t)
	harness.ManyPullsOfALargeLayer(t, st)
}
