// Package metrics counts what regauth does — tokens, refusals, password checks, reloads and
// the /v2/ traffic it proxies — on its own Prometheus registry, served by Metrics.Handler.
package metrics
