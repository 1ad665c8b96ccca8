// Package registry3 proves regauth's tokens against the registry:3 code (distribution v3),
// embedded in-process exactly as `regauth serve` embeds it.
package registry3

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/sirupsen/logrus"

	"github.com/regauth/regauth/integration/harness"
	"github.com/regauth/regauth/registry/embedded"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	logrus.SetLevel(logrus.WarnLevel)
	os.Exit(m.Run())
}

func newEmbedded(cfg harness.RegistryConfig) (http.Handler, error) {
	return embedded.New(context.Background(), embedded.Options{
		Storage: embedded.FilesystemStorage(cfg.StorageDir), Realm: cfg.Realm, Service: cfg.Service,
		Issuer: cfg.Issuer, RootCertBundle: cfg.RootCertBundle, Secret: "integration-secret",
	})
}

func start(t *testing.T) *harness.Stack { return harness.Start(t, newEmbedded) }

func TestRegistry3ClassicWalkthrough(t *testing.T) { harness.ClassicWalkthrough(t, start(t)) }
func TestRegistry3AcceptsTokensFromCurl(t *testing.T) {
	harness.CurlTokenIsAcceptedByTheRegistry(t, start(t))
}
func TestRegistry3RefreshTokenFlow(t *testing.T)            { harness.RefreshTokenFlow(t, start(t)) }
func TestRegistry3CatalogNeedsTheCatalogRight(t *testing.T) { harness.Catalog(t, start(t)) }

func TestRegistry3BasicCompatibility(t *testing.T) { harness.BasicCompatibility(t, start(t)) }
func TestRegistry3CatalogFiltering(t *testing.T)   { harness.CatalogFiltering(t, start(t)) }

// Layer uploads over HTTP/1.1, where regauth reads the body ahead of the registry.
func TestRegistry3LayerUploadsOverHTTP11(t *testing.T) { harness.LayerUploadsOverHTTP11(t, start(t)) }

// Upstream mode: the same registry:3 code as a separate server, regauth proxying to it.
func startUpstream(t *testing.T) (*harness.Stack, *harness.Upstream) {
	var up *harness.Upstream
	st := harness.Start(t, func(cfg harness.RegistryConfig) (http.Handler, error) {
		reg, err := newEmbedded(cfg)
		if err != nil {
			return nil, err
		}
		up = harness.StartUpstream(t, reg)
		return up.Proxy()
	})
	return st, up
}

func TestRegistry3UpstreamClassicWalkthrough(t *testing.T) {
	st, _ := startUpstream(t)
	harness.ClassicWalkthrough(t, st)
}

func TestRegistry3UpstreamCatalogFiltering(t *testing.T) {
	st, _ := startUpstream(t)
	harness.CatalogFiltering(t, st)
}

func TestRegistry3UpstreamDownAndBack(t *testing.T) {
	st, up := startUpstream(t)
	harness.UpstreamDownAndBack(t, st, up)
}

func TestRegistry3RefusesForgedTokens(t *testing.T) { harness.ForgedTokensAreRefused(t, start(t)) }

func TestRegistry3RefusesPathAndNameAbuse(t *testing.T) {
	harness.PathAndNameAbuseIsRefusedCleanly(t, start(t))
}

func TestRegistry3FiveHundredClientsOnAuth(t *testing.T) { harness.ManyClientsOnAuth(t, start(t)) }

func TestRegistry3PushesSurviveARegistryRestart(t *testing.T) {
	st, up := startUpstream(t)
	harness.PushesSurviveARegistryRestart(t, st, up)
}

func TestRegistry3UpstreamManyPullsOfALargeLayer(t *testing.T) {
	st, _ := startUpstream(t)
	harness.ManyPullsOfALargeLayer(t, st)
}
