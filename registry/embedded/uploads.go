package embedded

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/regauth/regauth/internal/blobbuf"
)

// An HTTP/1.x layer upload is one goroutine's work in net/http: the registry's handler reads
// the body (each read decrypts TLS records from the client's socket), then hashes and writes
// what it read, then reads again, so one core decrypts while the other waits. Behind a front
// in another process (Apache, regauth's upstream mode) the front decrypts while the registry
// hashes, and those setups pushed 1 GiB layers faster than the registry serving TLS itself.
// pipelineUploads gives the embedded registry the same overlap inside one process: a
// goroutine of the upload's own reads the body into one buffer while the registry hashes and
// writes the other. (HTTP/2 bodies already arrive through the connection's frame-reading
// goroutine.)

// Upload buffers: two per upload, each filled before it changes hands (about 8,000 hand-overs
// a GiB). At most maxPipelined uploads are pipelined at once (16 MiB of buffers); beyond that
// an upload is read as before. The registry still takes the body 32 KiB at a time (its copy
// writes each piece to the layer file, then hashes it, while the piece is in the core's
// cache): handing it whole buffers instead (a WriteTo) cost more CPU than it saved.
const (
	uploadBufferSize = 256 << 10
	maxPipelined     = 32
)

// quietClient is how long a stopped upload's reader may wait for the client's next bytes:
// a client still sending, even slowly, delivers a TLS record well within it.
const quietClient = time.Second

// newUploadBuffers lends each pipelined upload one buffer of two halves of size bytes, while
// fewer than max uploads have one.
func newUploadBuffers(size, max int) *blobbuf.Budget { return blobbuf.NewBudget(2*size, max) }

// pipelineUploads wraps the registry's handler so that HTTP/1.x blob uploads (PATCH and PUT
// under /blobs/uploads/) are read ahead by a goroutine of their own.
func pipelineUploads(next http.Handler, buffers *blobbuf.Budget) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 || (r.Method != http.MethodPatch && r.Method != http.MethodPut) ||
			r.Body == nil || r.Body == http.NoBody || !strings.Contains(r.URL.Path, "/blobs/uploads/") {
			next.ServeHTTP(w, r)
			return
		}
		body := &pipelinedBody{src: r.Body, buffers: buffers, conn: http.NewResponseController(w)}
		defer body.stop()
		r = r.WithContext(r.Context()) // a shallow copy: net/http keeps the request it made
		r.Body = body
		next.ServeHTTP(w, r)
	})
}

// pipelinedBody is a request body read ahead by a goroutine of its own. Nothing is read from
// the client until the registry reads (it checks the token and the upload first), and the
// body's order, its end and any error cutting it short reach the registry as they happened.
type pipelinedBody struct {
	src     io.ReadCloser
	buffers *blobbuf.Budget
	conn    *http.ResponseController // to end a read the registry no longer wants

	started bool
	direct  bool        // no buffers were free: reads go straight to src
	lent    []byte      // lent for the upload; its two halves take turns
	filled  chan filled // the reader's buffers, in order
	empty   chan []byte // buffers the registry has finished with
	quit    chan struct{}
	done    chan struct{} // closed when the reader has returned

	cur  filled // the buffer Read is taking bytes from
	off  int    // bytes of cur already taken
	last bool   // cur is the reader's last buffer
	once sync.Once
}

// filled is one buffer's worth of the body; err, when not nil, comes after its n bytes and
// ends the body (io.EOF at its end).
type filled struct {
	buf []byte
	n   int
	err error
}

// start lends the buffers and starts the reader on first use.
func (b *pipelinedBody) start() {
	if b.started {
		return
	}
	b.started = true
	var ok bool
	if b.lent, ok = b.buffers.TryGet(); !ok {
		b.direct = true
		return
	}
	b.filled = make(chan filled, 2)
	b.empty = make(chan []byte, 2)
	b.quit = make(chan struct{})
	b.done = make(chan struct{})
	half := len(b.lent) / 2
	b.empty <- b.lent[:half:half]
	b.empty <- b.lent[half:]
	go b.readAhead()
}

// readAhead fills empty buffers from src and passes them on until src ends or fails, or the
// upload stops.
func (b *pipelinedBody) readAhead() {
	defer close(b.done)
	for {
		select { // a stopped upload reads nothing more, even with a buffer free
		case <-b.quit:
			return
		default:
		}
		var buf []byte
		select {
		case buf = <-b.empty:
		case <-b.quit:
			return
		}
		n, err := blobbuf.Fill(b.src, buf)
		b.filled <- filled{buf: buf, n: n, err: err} // never blocks: two buffers, two slots
		if err != nil {
			return
		}
	}
}

// next makes the reader's next buffer current, handing the current one back; false when the
// body has ended (or failed) with the current buffer.
func (b *pipelinedBody) next() bool {
	if b.last {
		return false
	}
	if b.cur.buf != nil {
		b.empty <- b.cur.buf
	}
	b.cur, b.off = <-b.filled, 0
	b.last = b.cur.err != nil
	return true
}

func (b *pipelinedBody) Read(p []byte) (int, error) {
	b.start()
	if b.direct {
		return b.src.Read(p)
	}
	for b.off == b.cur.n {
		if !b.next() {
			return 0, b.cur.err
		}
	}
	n := copy(p, b.cur.buf[b.off:b.cur.n])
	b.off += n
	return n, nil
}

// Close stops the reader; net/http closes the client's body itself.
func (b *pipelinedBody) Close() error {
	b.stop()
	return nil
}

// stop ends the reader and gives the buffers back; reads after it fail. A reader stopped
// mid-body returns as soon as its read from a client that is still sending does. One still
// waiting after quietClient (a registry that gave up while the client went quiet) has its wait
// cut short by a read deadline on the connection, so that the registry's answer goes out; the
// connection then closes after it.
func (b *pipelinedBody) stop() {
	b.once.Do(func() {
		b.started = true // a body stopped before its first read never starts
		if b.lent != nil {
			close(b.quit)
			quiet := time.NewTimer(quietClient)
			select {
			case <-b.done:
			case <-quiet.C:
				_ = b.conn.SetReadDeadline(time.Now()) // unsupported: wait for the client instead
				<-b.done
			}
			quiet.Stop()
			b.buffers.Put(b.lent)
		}
		b.direct = false
		b.cur, b.off, b.last = filled{err: http.ErrBodyReadAfterClose}, 0, true
	})
}
