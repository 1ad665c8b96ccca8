//go:build !unix

package frontserver

import "net"

// aheadReader is built on Unix systems only; elsewhere a connection reads as it is.
type aheadReader struct{ net.Conn }

func newAheadReader(net.Conn, *readAheads) *aheadReader { return nil }
