package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// blobSource makes a blob of any size from one 1 MiB block of pseudo-random bytes repeated, so
// a 1 GiB push is streamed from a generator and never held in memory.
type blobSource struct {
	block []byte
}

func newBlobSource() *blobSource {
	s := &blobSource{block: make([]byte, 1<<20)}
	x := uint64(0x2545f4914f6cdd1d) // xorshift64: incompressible enough, and reproducible
	for i := range s.block {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		s.block[i] = byte(x >> 24)
	}
	return s
}

// reader streams size bytes.
func (s *blobSource) reader(size int64) io.Reader {
	return &blobReader{src: s, left: size}
}

// digest is the sha256 digest of a blob of size bytes.
func (s *blobSource) digest(size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, s.reader(size)); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

type blobReader struct {
	src  *blobSource
	off  int
	left int64
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := copy(p, r.src.block[r.off:])
	r.off = (r.off + n) % len(r.src.block)
	r.left -= int64(n)
	return n, nil
}
