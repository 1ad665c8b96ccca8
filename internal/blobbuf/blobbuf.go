// Package blobbuf lends the large buffers layers move through, within a memory budget, and
// fills them from a stream.
package blobbuf

import (
	"io"
	"sync"
)

// Pool lends buffers of one size.
type Pool struct {
	size int
	pool sync.Pool
}

// NewPool returns a pool of size-byte buffers.
func NewPool(size int) *Pool {
	p := &Pool{size: size}
	p.pool.New = func() any { b := make([]byte, size); return &b }
	return p
}

// Size is the length of the pool's buffers.
func (p *Pool) Size() int { return p.size }

// Get lends a buffer (httputil.BufferPool).
func (p *Pool) Get() []byte { return *(p.pool.Get().(*[]byte)) }

// Put takes a buffer back (httputil.BufferPool).
func (p *Pool) Put(b []byte) { p.pool.Put(&b) }

// Budget lends a pool's buffers while fewer than max are out, so that many transfers at once
// cannot grow memory without bound.
type Budget struct {
	*Pool
	out chan struct{} // one token per buffer lent
}

// NewBudget lends at most max size-byte buffers at once.
func NewBudget(size, max int) *Budget {
	return &Budget{Pool: NewPool(size), out: make(chan struct{}, max)}
}

// TryGet lends a buffer, or reports false when max are out.
func (b *Budget) TryGet() ([]byte, bool) {
	select {
	case b.out <- struct{}{}:
		return b.Pool.Get(), true
	default:
		return nil, false
	}
}

// Put takes back a buffer TryGet lent.
func (b *Budget) Put(buf []byte) {
	b.Pool.Put(buf)
	<-b.out
}

// Lent is the number of buffers out.
func (b *Budget) Lent() int { return len(b.out) }

// Fill reads src into buf until buf is full or src returns an error, which it returns with
// the bytes read before it (io.EOF as it came: unlike io.ReadFull, a short last buffer is
// not an error, and an error cutting the stream short is not turned into one).
func Fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
