package audit

import (
	"io"
	"testing"
)

// BenchmarkLogToken is what auditing a token costs the request that issued it. The queue is
// large enough that no event is dropped (a drop would be cheaper than a write).
func BenchmarkLogToken(b *testing.B) {
	l := newJSONLogger(io.Discard, nil, 1<<20)
	e := Event{
		Kind: KindToken, User: "ci-bot", ClientIP: "10.1.2.3", ClientID: "docker", Grant: "refresh_token",
		Requested: []string{"repository:team/app:pull,push"}, Granted: []string{"repository:team/app:pull,push"},
		Rules: []string{`acl.yaml:12 (rule 3: group "pusher" may push team/*)`}, RequestID: "3f2a9c0d1e2b4a5f",
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
	b.StopTimer()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	if n := l.Dropped(); n != 0 {
		b.Fatalf("%d events dropped: the benchmark measured the drop path", n)
	}
}
