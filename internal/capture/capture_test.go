package capture

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServeKeepsStatusHeaderAndBoundedBody(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", "next")
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusTeapot) // ignored, as by net/http
		_, _ = w.Write([]byte("0123456789"))
	})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	r := Serve(h, req, 4)
	if r.Status != http.StatusAccepted || r.Header().Get("Link") != "next" {
		t.Fatalf("status %d, Link %q", r.Status, r.Header().Get("Link"))
	}
	if r.Body.String() != "0123" || !r.Overflow {
		t.Fatalf("body %q overflow %v, want the first 4 bytes and overflow", r.Body.String(), r.Overflow)
	}
	if all := Serve(h, req, 0); all.Body.String() != "0123456789" || all.Overflow {
		t.Fatalf("unlimited body %q overflow %v", all.Body.String(), all.Overflow)
	}
	empty := Serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), req, 0)
	if empty.Status != http.StatusOK {
		t.Fatalf("a handler that writes nothing answered %d, want 200", empty.Status)
	}
}
