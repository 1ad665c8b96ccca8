package audit

import (
	"io"
	"testing"
)

// BenchmarkLogToken is what auditing a token costs the request that issued it.
func BenchmarkLogToken(b *testing.B) {
	l := NewJSONLogger(io.Discard)
	defer l.Close()
	e := Event{
		Kind: KindToken, User: "ci-bot", ClientIP: "10.1.2.3", ClientID: "docker", Grant: "refresh_token",
		Requested: []string{"repository:team/app:pull,push"}, Granted: []string{"repository:team/app:pull,push"},
		Rules: []string{`acl.yaml:12 (rule 3: group "pusher" may push team/*)`}, RequestID: "3f2a9c0d1e2b4a5f",
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
}
