package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/regauth/regauth/internal/capture"
	"github.com/regauth/regauth/server"
)

// readiness checks what regauth needs to serve: a signing key, a certificate that is valid
// now, users and rules loaded (a refused reload is reported as degraded: the last good
// version still serves), and the registry answering.
func (a *App) readiness(registry http.Handler) server.Readiness {
	return func(ctx context.Context) []server.Check {
		var checks []server.Check
		checks = append(checks, server.Check{Name: "token key", OK: a.Keys.Current() != nil})

		cert := server.Check{Name: "certificate", OK: true}
		if b := a.Certificates.Current(); b == nil {
			cert.OK, cert.Detail = false, "no certificate loaded"
		} else if err := b.Validity(time.Now()); err != nil {
			cert.OK, cert.Detail = false, err.Error()
		}
		checks = append(checks, cert)

		for _, st := range a.Watcher.Statuses() {
			c := server.Check{Name: st.Name, OK: st.LastErr == nil}
			if st.LastErr != nil {
				c.Degraded = true
				c.Detail = fmt.Sprintf("last reload failed, serving the previous version: %v", st.LastErr)
			}
			checks = append(checks, c)
		}
		return append(checks, registryCheck(ctx, registry))
	}
}

// registryCheck asks the registry's base endpoint; any answer but a 5xx means it is there
// (without a token it answers 401).
func registryCheck(ctx context.Context, registry http.Handler) server.Check {
	c := server.Check{Name: "registry", OK: true}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/v2/", nil)
	if err != nil {
		return server.Check{Name: "registry", Detail: err.Error()}
	}
	if status := capture.Serve(registry, req, 4096).Status; status >= 500 {
		c.OK, c.Detail = false, fmt.Sprintf("registry answered %d", status)
	}
	return c
}
