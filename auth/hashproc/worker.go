// Package hashproc checks passwords in worker processes that the kernel runs only on CPU time
// nothing else wants (SCHED_IDLE), so that a burst of cold logins does not slow warm token
// requests. Being other processes, the workers also never hold up a stop-the-world garbage
// collection in regauth, which SCHED_IDLE threads inside it would on a busy machine.
//
// A Pool starts the workers (regauth's own binary, hidden command hash-worker) and implements
// auth.Hasher. A worker that makes no progress, because the machine is busy with other
// processes, is not waited for: the check goes to a fallback Hasher (in process, at a lowered
// priority) and the worker rejoins the pool when it has answered.
package hashproc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/regauth/regauth/auth"
)

// The wire format. A worker first sends ready once it runs at idle priority. Then, for each
// check, parent to worker: hash length and password length (uint32, big endian), the hash and
// the password; worker to parent: one byte, 1 for a match and 0 otherwise.
const (
	ready      = 'R'
	headerSize = 8
	// maxRequest bounds hash plus password so that a request with its header is at most
	// PIPE_BUF (4096 bytes on Linux): written at once into the empty pipe, even one the kernel
	// gave a single page, whatever the worker is doing. Longer passwords go to the fallback.
	maxRequest = 4096 - headerSize
)

// Work is a worker's life: it runs at idle priority and answers requests from in on out until
// in ends (the parent closed it or exited).
func Work(in io.Reader, out io.Writer) error {
	return work(in, out, true)
}

// work is Work, optionally at the priority it was started with (for tests that must not
// depend on idle CPU).
func work(in io.Reader, out io.Writer, idle bool) error {
	if idle {
		if err := enterIdlePriority(); err != nil {
			return fmt.Errorf("hash worker: %w", err)
		}
	}
	if _, err := out.Write([]byte{ready}); err != nil {
		return fmt.Errorf("hash worker: %w", err)
	}
	return serve(in, out)
}

// serve answers requests until in ends. The request buffer is cleared after each check: it
// holds a password.
func serve(in io.Reader, out io.Writer) error {
	var header [headerSize]byte
	buf := make([]byte, 0, 1024)
	for {
		if _, err := io.ReadFull(in, header[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("hash worker: reading a request: %w", err)
		}
		hashLen, pwLen := binary.BigEndian.Uint32(header[:4]), binary.BigEndian.Uint32(header[4:])
		if uint64(hashLen)+uint64(pwLen) > maxRequest {
			return fmt.Errorf("hash worker: request of %d bytes, more than %d", uint64(hashLen)+uint64(pwLen), maxRequest)
		}
		n := int(hashLen + pwLen)
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(in, buf); err != nil {
			clear(buf)
			return fmt.Errorf("hash worker: reading a request: %w", err)
		}
		ok := auth.CheckPassword(string(buf[:hashLen]), buf[hashLen:])
		clear(buf)
		answer := []byte{0}
		if ok {
			answer[0] = 1
		}
		if _, err := out.Write(answer); err != nil {
			return fmt.Errorf("hash worker: answering: %w", err)
		}
	}
}

// appendRequest appends the request for checking pw against hash to dst.
func appendRequest(dst []byte, hash string, pw []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(hash)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(pw)))
	dst = append(dst, hash...)
	return append(dst, pw...)
}
