package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/metrics"
	"github.com/regauth/regauth/server"
)

func TestEveryTokenAndRefusalIsAuditedAndCounted(t *testing.T) {
	var buf bytes.Buffer
	trail := audit.NewJSONLogger(&buf)
	m := metrics.New()
	f := newFixture(t, func(o *server.Options) { o.Audit, o.Metrics = trail, m })

	ok := f.get(f.basicFor("alice"), params("service", testService, "scope", "repository:team/app:pull,push"))
	if ok.Code != http.StatusOK {
		t.Fatalf("token request = %d", ok.Code)
	}
	var issued struct{ Token string }
	_ = json.Unmarshal(ok.Body.Bytes(), &issued)
	if bad := f.get(basic("alice", "wrong-password"), params("service", testService)); bad.Code != http.StatusUnauthorized {
		t.Fatalf("bad login = %d", bad.Code)
	}
	if err := trail.Close(); err != nil {
		t.Fatal(err)
	}

	var events []audit.Event
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e audit.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		events = append(events, e)
	}
	if len(events) != 2 {
		t.Fatalf("audit has %d events, want 2:\n%s", len(events), buf.String())
	}
	tok, refused := events[0], events[1]
	if tok.Kind != audit.KindToken || tok.User != "alice" || tok.Grant != "basic" || tok.ClientIP == "" ||
		len(tok.Requested) != 1 || len(tok.Rules) != 1 || !strings.Contains(tok.Rules[0], "acl.yaml:") {
		t.Errorf("token event = %+v, want user, grant, client, requested scope and the deciding rule", tok)
	}
	if refused.Kind != audit.KindLoginRefused || refused.User != "alice" {
		t.Errorf("refusal event = %+v", refused)
	}
	for _, secret := range []string{testPasswords["alice"], "wrong-password", issued.Token} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the audit log contains a secret (%.12s...)", secret)
		}
	}

	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, series := range []string{
		`regauth_tokens_issued_total{grant="basic"} 1`,
		`regauth_tokens_denied_total{reason="bad_credentials"} 1`,
		`regauth_authentication_seconds_count{result="ok"} 1`,
		`regauth_authentication_seconds_count{result="fail"} 1`,
		`regauth_token_request_seconds_count 2`, // both /auth requests, granted or refused
	} {
		if !strings.Contains(string(body), series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

func TestEveryLogLineOfARequestCarriesItsRequestID(t *testing.T) {
	f := newFixture(t)
	startLen := len(f.logs.String())
	req := httptest.NewRequest(http.MethodGet, "/auth?"+params("service", testService, "scope", "repository:team/app:pull").Encode(), nil)
	req.Header.Set("Authorization", f.basicFor("alice"))
	req.Header.Set("X-Request-Id", "trace-42")
	rec := f.serve(req)
	if rec.Header().Get("X-Request-Id") != "trace-42" {
		t.Errorf("X-Request-Id = %q, want the caller's id echoed", rec.Header().Get("X-Request-Id"))
	}
	bad := f.get(basic("alice", "nope"), params("service", testService))
	generated := bad.Header().Get("X-Request-Id")
	if len(generated) != 16 {
		t.Errorf("generated request id %q, want 16 hex digits", generated)
	}
	injected := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	injected.Header.Set("X-Request-Id", "bad id\r\nX-Evil: 1")
	if got := f.serve(injected).Header().Get("X-Request-Id"); strings.ContainsAny(got, " \r\n") {
		t.Errorf("an unsafe caller id was echoed: %q", got)
	}

	lines := strings.Split(strings.TrimSpace(f.logs.String()[startLen:]), "\n")
	if len(lines) < 3 {
		t.Fatalf("only %d log lines for three requests", len(lines))
	}
	for _, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if id, _ := entry["request_id"].(string); id == "" {
			t.Errorf("log line without request_id: %s", line)
		}
	}
}
