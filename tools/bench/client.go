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

// do sends the request once and reports whether a token came back. ctx bounds the whole
// exchange: when it ends, the connection is closed under the request.
func (c *wireClient) do(ctx context.Context) (bool, string) {
	if c.conn == nil {
		d := tls.Dialer{Config: c.config}
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return false, err.Error()
		}
		c.conn = conn
		c.br.Reset(conn)
		c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	}
	if _, err := c.conn.Write(c.request); err != nil {
		c.close()
		return false, err.Error()
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return false, err.Error()
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		c.close()
		return false, err.Error()
	case resp.Close:
		c.close()
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Sprintf("status %d: %.200s", resp.StatusCode, c.body.Bytes())
	case !bytes.Contains(c.body.Bytes(), tokenMarker):
		return false, fmt.Sprintf("no token in %.200s", c.body.Bytes())
	}
	return true, ""
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
