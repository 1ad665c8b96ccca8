package frontserver

import "sync"

// crypto/tls reads a client's records one at a time, each with a system call of its own (on
// this host about 30 KiB a call during an upload). While a client uploads, its socket holds
// far more than that: reading up to readAheadSize a call took a 768 MiB HTTP/1.1 push from
// 24,715 reads to 3,176 and regauth's CPU from about 1.4 to 1.25 s per GB.
//
// A buffer is taken only once the socket has data to put in it and goes back as soon as TLS
// has taken all of it, so idle and slow connections hold none. At most maxReadAheads are out
// at once; beyond that a connection reads into TLS's own buffer as before. The reader itself,
// aheadReader, is built on Unix systems (readahead_unix.go).
const (
	readAheadSize = 256 << 10
	maxReadAheads = 64 // 16 MiB
)

// readAheads are the buffers a listener's connections share.
type readAheads struct {
	pool sync.Pool
	out  chan struct{} // one token per buffer lent
}

func newReadAheads(size, max int) *readAheads {
	a := &readAheads{out: make(chan struct{}, max)}
	a.pool.New = func() any { b := make([]byte, size); return &b }
	return a
}

// get lends a buffer while fewer than max are out, and nil beyond.
func (a *readAheads) get() *[]byte {
	select {
	case a.out <- struct{}{}:
		return a.pool.Get().(*[]byte)
	default:
		return nil
	}
}

func (a *readAheads) put(b *[]byte) {
	a.pool.Put(b)
	<-a.out
}

// lent is the number of buffers out.
func (a *readAheads) lent() int { return len(a.out) }
