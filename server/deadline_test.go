package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regauth/regauth/server"
)

// sink stands where the registry would: it reads a whole upload, however slowly it comes.
var sink = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "%d", n)
})

func TestSlowClientsAreCutOnAuthButNotOnV2(t *testing.T) {
	f := newFixture(t, func(o *server.Options) {
		o.RequestTimeout = 300 * time.Millisecond
		o.Registry = sink
	})
	ts := httptest.NewServer(f.handler)
	defer ts.Close()

	// trickle sends headers promising 20 bytes, then one byte every 100 ms.
	trickle := func(t *testing.T, method, path string) (string, error) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\n", method, path)
		for i := 0; i < 20; i++ {
			time.Sleep(100 * time.Millisecond)
			if _, err := conn.Write([]byte("a")); err != nil {
				return "", err
			}
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		return line, err
	}
	t.Run("a slow-loris POST to /auth is cut off", func(t *testing.T) {
		start := time.Now()
		line, err := trickle(t, http.MethodPost, "/auth")
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Fatalf("the server kept the connection for %v (answer %q, %v): it waited for the whole slow body", took, line, err)
		}
	})
	t.Run("a slow upload to /v2/ is never cut", func(t *testing.T) {
		line, err := trickle(t, http.MethodPatch, "/v2/team/app/blobs/uploads/x")
		if err != nil || !strings.Contains(line, " 201 ") {
			t.Fatalf("slow upload: %q %v, want 201 after 2 s", line, err)
		}
	})
}
