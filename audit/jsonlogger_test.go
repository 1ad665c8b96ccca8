package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// callWriter keeps every Write call apart, to prove that a call carries whole lines only.
type callWriter struct {
	mu    sync.Mutex
	calls [][]byte
}

func (w *callWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, append([]byte(nil), p...))
	return len(p), nil
}

func (w *callWriter) Calls() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls
}

// Lines is every line written, in order, each with its newline.
func (w *callWriter) Lines(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, call := range w.Calls() {
		if len(call) == 0 || call[len(call)-1] != '\n' {
			t.Fatalf("a write does not end a line: %q", call)
		}
		for line := range bytes.Lines(call) {
			out = append(out, line)
		}
	}
	return out
}

// blockingWriter stalls every Write until released, like a hung disk.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	callWriter
}

func newBlockingWriter() *blockingWriter {
	return &blockingWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return w.callWriter.Write(p)
}

func TestAnEventIsOneCompactJSONLineWithoutEmptyFields(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name  string
		event Event
		want  string
	}{
		{
			name: "token with partial grant",
			event: Event{
				Time: at, Kind: KindToken, User: "alice", ClientIP: "10.0.0.7", ClientID: "docker", Grant: "refresh_token",
				Requested: []string{"repository:team/app:pull,push"},
				Granted:   []string{"repository:team/app:pull"},
				Rules:     []string{`acl.yaml:12 (rule 3: group "dev" may pull team/*)`},
				RequestID: "r-1",
			},
			want: `{"time":"2026-11-28T08:30:00Z","event":"token","user":"alice","client_ip":"10.0.0.7","client_id":"docker","grant":"refresh_token","requested":["repository:team/app:pull,push"],"granted":["repository:team/app:pull"],"rules":["acl.yaml:12 (rule 3: group \"dev\" may pull team/*)"],"request_id":"r-1"}`,
		},
		{
			name:  "reload with only what is known",
			event: Event{Time: at, Kind: KindReload, Target: "acl", OK: Bool(false), Error: `acl.yaml: line 3: unknown key "acton" <here>`},
			want:  `{"time":"2026-11-28T08:30:00Z","event":"reload","target":"acl","ok":false,"error":"acl.yaml: line 3: unknown key \"acton\" <here>"}`,
		},
		{
			name:  "bare kind",
			event: Event{Time: at, Kind: KindLockout},
			want:  `{"time":"2026-11-28T08:30:00Z","event":"lockout"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w callWriter
			l := NewJSONLogger(&w)
			l.Log(tt.event)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			calls := w.Calls()
			if len(calls) != 1 {
				t.Fatalf("got %d writes, want 1", len(calls))
			}
			if got := string(calls[0]); got != tt.want+"\n" {
				t.Errorf("line\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAZeroTimeBecomesNowInUTC(t *testing.T) {
	var w callWriter
	l := NewJSONLogger(&w)
	before := time.Now()
	l.Log(Event{Kind: KindDelete, Target: "team/app@sha256:0123"})
	l.Close()
	var got Event
	if err := json.Unmarshal(w.Calls()[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Time.Before(before.Add(-time.Second)) || got.Time.After(time.Now().Add(time.Second)) || got.Time.Location() != time.UTC {
		t.Errorf("time = %v, want now in UTC", got.Time)
	}
}

func TestConcurrentLoggersNeverInterleaveLines(t *testing.T) {
	const goroutines, each = 50, 200
	var w callWriter
	l := newJSONLogger(&w, nil, goroutines*each) // room for all: this test is about interleaving
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				l.Log(Event{
					Kind: KindToken, User: fmt.Sprintf("user-%d", g), RequestID: fmt.Sprintf("%d-%d", g, i),
					Requested: []string{strings.Repeat("repository:big/name:pull,", 20)},
				})
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.Dropped() != 0 {
		t.Fatalf("dropped %d events", l.Dropped())
	}
	seen := map[string]bool{}
	for _, line := range w.Lines(t) {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		if seen[e.RequestID] {
			t.Fatalf("event %s written twice", e.RequestID)
		}
		seen[e.RequestID] = true
	}
	if len(seen) != goroutines*each {
		t.Errorf("got %d events, want %d", len(seen), goroutines*each)
	}
}

func TestEventsLoggedTogetherAreWrittenTogether(t *testing.T) {
	var w callWriter
	l := NewJSONLogger(&w)
	logged := make(chan struct{})
	l.gather = func() { <-logged } // the writer holds its batch open until all are logged
	for i := range 500 {
		l.Log(Event{Kind: KindToken, RequestID: fmt.Sprint(i), Rules: []string{strings.Repeat("r", 200)}})
	}
	close(logged)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := w.Lines(t)
	if len(lines) != 500 {
		t.Fatalf("wrote %d lines, want 500", len(lines))
	}
	for i, line := range lines {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil || e.RequestID != fmt.Sprint(i) {
			t.Fatalf("line %d = %q (%v), want request %d in order", i, line, err, i)
		}
	}
	// ~135 KB of lines in as few writes as maxWrite allows: each write is full, that is
	// the next line would not have fitted.
	calls := w.Calls()
	if len(calls) < 2 {
		t.Fatalf("%d writes for %d bytes, want them split at %d", len(calls), len(bytes.Join(calls, nil)), maxWrite)
	}
	for i, call := range calls {
		if len(call) > maxWrite {
			t.Errorf("write %d has %d bytes, more than %d", i, len(call), maxWrite)
		}
		if i+1 < len(calls) {
			next, _, _ := bytes.Cut(calls[i+1], []byte("\n"))
			if len(call)+len(next)+1 <= maxWrite {
				t.Errorf("write %d (%d bytes) ended although the next line (%d bytes) fitted", i, len(call), len(next)+1)
			}
		}
	}
}

func TestAnEventReachesTheWriterWithoutClose(t *testing.T) {
	var w callWriter
	l := NewJSONLogger(&w)
	defer l.Close()
	l.Log(Event{Kind: KindReload, Target: "acl"})
	deadline := time.Now().Add(5 * time.Second)
	for len(w.Calls()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the event was not written within 5 s of Log")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCloseWritesEveryQueuedEvent(t *testing.T) {
	w := newBlockingWriter()
	l := NewJSONLogger(w)
	for i := range 100 {
		l.Log(Event{Kind: KindToken, RequestID: fmt.Sprint(i)})
	}
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned before the queued events were written")
	case <-time.After(50 * time.Millisecond):
	}
	close(w.release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n := len(w.Lines(t)); n != 100 {
		t.Errorf("wrote %d lines, want 100", n)
	}
	if l.Dropped() != 0 {
		t.Errorf("dropped %d", l.Dropped())
	}
}

func TestAFullQueueDropsAndCountsInsteadOfBlocking(t *testing.T) {
	const buffer = 8
	w := newBlockingWriter()
	l := newJSONLogger(w, nil, buffer)
	l.Log(Event{Kind: KindToken, RequestID: "in-writer"})
	<-w.entered // the writer holds one event and is stuck on the disk

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range buffer + 10 {
			l.Log(Event{Kind: KindToken, RequestID: fmt.Sprint(i)})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Log blocked on a stuck writer")
	}
	if got := l.Dropped(); got != 10 {
		t.Errorf("Dropped() = %d, want 10", got)
	}
	close(w.release)
	l.Close()
	if n := len(w.Lines(t)); n != 1+buffer {
		t.Errorf("wrote %d lines, want %d", n, 1+buffer)
	}
}

func TestFailedWritesAndLateEventsAreCountedAsDropped(t *testing.T) {
	l := NewJSONLogger(writerFunc(func([]byte) (int, error) { return 0, errors.New("disk full") }))
	l.Log(Event{Kind: KindToken})
	l.Log(Event{Kind: KindToken})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Log(Event{Kind: KindToken}) // after Close: neither a panic nor a write
	if err := l.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if got := l.Dropped(); got != 3 {
		t.Errorf("Dropped() = %d, want 3", got)
	}
}

func TestAShortWriteCountsOnlyTheLostEventsAndEndsTheCutLine(t *testing.T) {
	var out bytes.Buffer
	writes := 0
	l := NewJSONLogger(writerFunc(func(p []byte) (int, error) {
		writes++
		if writes == 1 { // the disk fills up in the middle of the second line
			first := bytes.IndexByte(p, '\n') + 1
			n := first + 10
			out.Write(p[:n])
			return n, errors.New("disk full")
		}
		return out.Write(p)
	}))
	logged := make(chan struct{})
	l.gather = func() { <-logged }
	for i := range 3 {
		l.Log(Event{Kind: KindToken, RequestID: fmt.Sprint(i)})
	}
	close(logged)
	l.Log(Event{Kind: KindToken, RequestID: "after"}) // may join the failed batch or follow it
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var got []string
	for _, line := range lines {
		var e Event
		if json.Unmarshal([]byte(line), &e) == nil {
			got = append(got, e.RequestID)
		}
	}
	// Line 0 made it, line 1 was cut and ended, line 2 was lost with it; "after" is whole
	// either way, on a line of its own.
	if fmt.Sprint(got) != "[0 after]" && fmt.Sprint(got) != "[0]" {
		t.Errorf("whole lines written: %v, want [0 after] (or [0] when after joined the failed batch)\n%s", got, out.String())
	}
	wantDropped := uint64(2)
	if len(got) == 1 {
		wantDropped = 3
	}
	if l.Dropped() != wantDropped {
		t.Errorf("Dropped() = %d, want %d", l.Dropped(), wantDropped)
	}
	if len(lines) != 1+len(got) { // the cut line is there, ended, and nothing else
		t.Errorf("%d lines in the output, want %d:\n%s", len(lines), 1+len(got), out.String())
	}
}

func TestTheLoggerKeepsNoReferenceToTheCallersSlices(t *testing.T) {
	var out bytes.Buffer
	l := NewJSONLogger(&out)
	scopes := []string{"repository:a:pull"}
	l.Log(Event{Kind: KindToken, Requested: scopes})
	scopes[0] = "repository:changed:pull"
	l.Close()
	if !strings.Contains(out.String(), "repository:a:pull") {
		t.Errorf("line changed after Log returned: %s", out.String())
	}
}

func TestDiscardAcceptsEvents(t *testing.T) {
	Discard().Log(Event{Kind: KindToken, User: "alice"})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// lines splits a log into its JSON lines, failing the test on anything else.
func lines(t *testing.T, b []byte) []Event {
	t.Helper()
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}
