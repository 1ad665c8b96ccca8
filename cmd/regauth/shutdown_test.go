package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMLetsAnUploadInFlightFinishThenExitsZero runs the real binary: a slow upload is
// in flight when SIGTERM arrives; it must complete, and the process must then exit 0.
func TestSIGTERMLetsAnUploadInFlightFinishThenExitsZero(t *testing.T) {
	s := startServed(t, "shutdown_grace: 20s\n")
	cmd, exited, base, client, data := s.cmd, s.exited, s.base, s.client, s.data
	pw, err := os.ReadFile(filepath.Join(data, "admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"service": {"registry"}, "scope": {"repository:shutdown/app:pull,push"}}
	req, _ := http.NewRequest(http.MethodGet, base+"/auth?"+q.Encode(), nil)
	req.SetBasicAuth("admin", strings.TrimSpace(string(pw)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	req, _ = http.NewRequest(http.MethodPost, base+"/v2/shutdown/app/blobs/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: %v %v", resp, err)
	}
	resp.Body.Close()
	location := resp.Header.Get("Location")
	if strings.HasPrefix(location, "/") {
		location = base + location
	}

	body, w := io.Pipe()
	req, _ = http.NewRequest(http.MethodPatch, location, body)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/octet-stream")
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("upload in flight during shutdown: %v", err)
			done <- nil
			return
		}
		done <- resp
	}()
	chunk := make([]byte, 1<<20)
	if _, err := w.Write(chunk); err != nil {
		t.Fatal(err)
	}
	workers := hashWorkers(t, cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range 8 { // keep the upload going for about 2 s after SIGTERM
		time.Sleep(250 * time.Millisecond)
		if _, err := w.Write(chunk); err != nil {
			t.Fatalf("the upload was cut after SIGTERM: %v", err)
		}
	}
	w.Close()
	resp = <-done
	if resp == nil {
		t.FailNow()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload finished with %d, want 202", resp.StatusCode)
	}
	if got := resp.Header.Get("Range"); got != fmt.Sprintf("0-%d", 9<<20-1) {
		t.Errorf("registry holds Range %q, want all 9 MiB", got)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("regauth exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("regauth did not exit after the upload finished")
	}
	for _, pid := range workers { // stopped and reaped by regauth on its way out
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			t.Errorf("hash worker %d outlived regauth", pid)
		}
	}
}
