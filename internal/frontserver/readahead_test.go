//go:build linux

package frontserver

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpPair returns the two ends of a loopback TCP connection, the server's as ServeTLS's
// listener accepts it.
func tcpPair(t *testing.T, shared *readAheads) (client net.Conn, server *gatheringConn) {
	t.Helper()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := gatheringListener{Listener: tcp, buffers: &sync.Pool{}, readAheads: shared}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := <-accepted
	if c == nil {
		t.FailNow()
	}
	server = c.(*gatheringConn)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// sendAll writes b to c and waits until the reader's socket, to, holds all of it.
func sendAll(t *testing.T, c net.Conn, b []byte, to net.Conn) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	raw, err := to.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		var queued int
		var qerr error
		if err := raw.Control(func(fd uintptr) { queued, qerr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil || qerr != nil {
			t.Fatal(err, qerr)
		}
		if queued >= len(b) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the socket holds %d of the %d bytes sent", queued, len(b))
		}
	}
}

// A read for one record takes what the socket holds, up to a buffer, and the following reads
// are served from it; the buffer goes back once they have taken all of it.
func TestReadAheadTakesWhatTheSocketHolds(t *testing.T) {
	shared := newReadAheads(readAheadSize, 4)
	client, server := tcpPair(t, shared)
	r := server.ahead
	if r == nil {
		t.Fatal("the listener's TCP connection is not read ahead")
	}
	sent := make([]byte, 100<<10)
	if _, err := rand.Read(sent); err != nil {
		t.Fatal(err)
	}
	sendAll(t, client, sent, server.Conn)

	p := make([]byte, 16<<10+5) // about what TLS asks for
	n, err := server.Read(p)
	if err != nil || n != len(p) {
		t.Fatalf("first read: %d bytes, %v", n, err)
	}
	if got := len(r.data); got != len(sent)-n {
		t.Fatalf("after the first read %d bytes wait in the buffer, want the other %d the socket held", got, len(sent)-n)
	}
	if shared.lent() != 1 {
		t.Fatalf("%d buffers lent while bytes wait, want 1", shared.lent())
	}
	got := append([]byte(nil), p[:n]...)
	for len(got) < len(sent) {
		n, err := server.Read(p)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, p[:n]...)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("the bytes read are not the bytes sent")
	}
	if shared.lent() != 0 {
		t.Fatalf("%d buffers still lent after every byte was read", shared.lent())
	}
	client.Close()
	if n, err := server.Read(p); n != 0 || err != io.EOF {
		t.Fatalf("after the peer closed: %d, %v; want io.EOF", n, err)
	}
}

// A connection waiting for its client holds no buffer.
func TestReadAheadHoldsNoBufferWhileWaiting(t *testing.T) {
	shared := newReadAheads(readAheadSize, 4)
	client, server := tcpPair(t, shared)
	done := make(chan []byte)
	go func() {
		p := make([]byte, 1024)
		n, err := server.Read(p)
		if err != nil {
			t.Error(err)
		}
		done <- p[:n]
	}()
	time.Sleep(50 * time.Millisecond) // the reader is waiting for the socket
	if n := shared.lent(); n != 0 {
		t.Fatalf("%d buffers lent while nothing has arrived", n)
	}
	if _, err := client.Write([]byte("GET / HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := <-done; string(got) != "GET / HTTP/1.1\r\n" {
		t.Fatalf("read %q", got)
	}
	if n := shared.lent(); n != 0 {
		t.Fatalf("%d buffers lent after a read took every byte", n)
	}
}

// Beyond the budget a connection reads into the caller's buffer, and reads stay whole.
func TestReadAheadBeyondTheBudgetReadsDirectly(t *testing.T) {
	shared := newReadAheads(readAheadSize, 1)
	c1, s1 := tcpPair(t, shared)
	c2, s2 := tcpPair(t, shared)
	sendAll(t, c1, bytes.Repeat([]byte("a"), 64<<10), s1.Conn)
	sendAll(t, c2, bytes.Repeat([]byte("b"), 64<<10), s2.Conn)
	p := make([]byte, 1000)
	if n, err := s1.Read(p); err != nil || n != len(p) || shared.lent() != 1 {
		t.Fatalf("first connection: %d bytes, %v, %d lent", n, err, shared.lent())
	}
	n, err := s2.Read(p)
	if err != nil || n != len(p) || p[0] != 'b' {
		t.Fatalf("second connection over the budget: %d bytes, %v", n, err)
	}
	if shared.lent() != 1 || len(s2.ahead.data) != 0 {
		t.Fatalf("over the budget: %d lent and %d bytes kept, want 1 and none", shared.lent(), len(s2.ahead.data))
	}
}

// Deadlines and Close end a waiting read as they end net.Conn's, with the same errors.
func TestReadAheadKeepsDeadlinesAndCloseErrors(t *testing.T) {
	_, server := tcpPair(t, newReadAheads(readAheadSize, 4))
	if err := server.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := server.Read(make([]byte, 10))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("past the deadline: %v, want a timeout", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "read" || strings.Contains(err.Error(), "raw-read") {
		t.Fatalf("past the deadline: %q, want a read's *net.OpError, as net.Conn's", err)
	}
	if err := server.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() {
		_, err := server.Read(make([]byte, 10))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	server.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("after Close: %v, want net.ErrClosed", err)
	}
}
