package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/regauth/regauth/server"
)

// BenchmarkTokenRequestWarm is one warm GET /auth through the whole handler chain (request id,
// logging, credential cache hit, ACL decision, signing, JSON answer), without the network.
func BenchmarkTokenRequestWarm(b *testing.B) {
	// Production logs at info level, where a granted token writes nothing.
	quiet := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f := newFixture(b, func(o *server.Options) { o.Logger = quiet })
	req := httptest.NewRequest(http.MethodGet, "/auth?"+params("service", testService, "scope", "repository:bob/app:pull,push").Encode(), nil)
	req.Header.Set("Authorization", f.basicFor("bob"))
	if rec := f.serve(req); rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
