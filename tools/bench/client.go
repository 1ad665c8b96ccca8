package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// wireClient is one keep-alive HTTP/1.1 connection over TLS that sends the same request, written
// out once, again and again, and reads each answer with net/http's own response parser. It does
// what an http.Client does for this traffic at a fraction of the CPU (no goroutine hand-offs,
// no per-request headers to build), so the load generator leaves more of the machine to regauth.
type wireClient struct {
	addr    string
	config  *tls.Config
	request []byte
	conn    net.Conn
	br      *bufio.Reader
	body    bytes.Buffer
	stop    func() bool // ends the context watch of the current connection
}

// newWireClient prepares a client for req; it connects on first use.
func newWireClient(req *http.Request, roots *x509.CertPool) (*wireClient, error) {
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		return nil, fmt.Errorf("serialise request: %w", err)
	}
	host := req.URL.Host
	if req.URL.Port() == "" {
		host = net.JoinHostPort(req.URL.Hostname(), "443")
	}
	return &wireClient{
		addr:    host,
		config:  &tls.Config{RootCAs: roots, ServerName: req.URL.Hostname(), NextProtos: []string{"http/1.1"}},
		request: wire.Bytes(),
		br:      bufio.NewReaderSize(nil, 16<<10),
	}, nil
}

// do sends the request once and reports whether a token came back.
func (c *wireClient) do(ctx context.Context) (bool, string) {
	status, err := c.exchange(ctx)
	switch {
	case err != nil:
		return false, err.Error()
	case status != http.StatusOK:
		return false, fmt.Sprintf("status %d: %.200s", status, c.body.Bytes())
	case !bytes.Contains(c.body.Bytes(), tokenMarker):
		return false, fmt.Sprintf("no token in %.200s", c.body.Bytes())
	}
	return true, ""
}

// exchange sends the request once and reads the answer into c.body. ctx bounds the whole
// exchange: when it ends, the connection is closed under the request.
func (c *wireClient) exchange(ctx context.Context) (int, error) {
	if c.conn == nil {
		d := tls.Dialer{Config: c.config}
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.conn = conn
		c.br.Reset(conn)
		c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	}
	if _, err := c.conn.Write(c.request); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, err
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *wireClient) close() {
	if c.conn == nil {
		return
	}
	c.stop()
	c.conn.Close()
	c.conn = nil
	c.br.Reset(io.MultiReader()) // drop what was buffered from the old connection
}
