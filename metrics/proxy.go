package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
)

// InstrumentProxy counts every /v2/ request that passes through next: method, status and
// body bytes in both directions. Bodies stream through untouched — nothing is buffered — and
// the wrapped ResponseWriter still flushes, still hijacks when the original could, and
// unwraps for http.ResponseController. Other paths go to next as they are.
func (m *Metrics) InstrumentProxy(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2" && !strings.HasPrefix(r.URL.Path, "/v2/") {
			next.ServeHTTP(w, r)
			return
		}
		var in *countingBody
		if r.Body != nil && r.Body != http.NoBody {
			in = &countingBody{ReadCloser: r.Body}
			r = r.WithContext(r.Context()) // a shallow copy: the caller's request stays as it was
			r.Body = in
		}
		rec := &recorder{ResponseWriter: w}
		// Recorded in a defer: the reverse proxy aborts a broken download with a panic
		// (http.ErrAbortHandler), and that request moved bytes too.
		defer func() {
			var bytesIn int64
			if in != nil {
				bytesIn = in.n.Load()
			}
			m.ProxyRequest(r.Method, rec.status(), bytesIn, rec.written)
		}()
		next.ServeHTTP(wrap(rec), r)
	})
}

// countingBody counts request body bytes. The proxy's transport reads it from another
// goroutine, hence the atomic.
type countingBody struct {
	io.ReadCloser
	n atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// recorder notes the status and counts body bytes on their way to the client.
type recorder struct {
	http.ResponseWriter
	code    int
	written int64
}

// wrap adds Hijack only when the original writer has it, so that a type assertion on the
// wrapper answers the same as one on the original (HTTP/2 writers cannot hijack).
func wrap(rec *recorder) http.ResponseWriter {
	if _, ok := rec.ResponseWriter.(http.Hijacker); ok {
		return hijackRecorder{rec}
	}
	return rec
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	return r.code
}

func (r *recorder) WriteHeader(code int) {
	// 1xx answers other than 101 are interim (103 Early Hints, 100 Continue): the final
	// status comes later.
	if r.code == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.written += int64(n)
	return n, err
}

// ReadFrom keeps the original's io.ReaderFrom fast path (sendfile on plain HTTP/1.1) for
// io.Copy and http.ServeContent.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	var (
		n   int64
		err error
	)
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{r.ResponseWriter}, src)
	}
	r.written += n
	return n, err
}

// Flush sends what has been written so far; the reverse proxy flushes after every write.
func (r *recorder) Flush() { _ = r.FlushError() }

// FlushError is the form http.ResponseController prefers; it reports http.ErrNotSupported
// when the original cannot flush.
func (r *recorder) FlushError() error {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the original for deadlines and full duplex.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type hijackRecorder struct{ *recorder }

// Hijack hands the connection over (protocol upgrades); bytes sent on it are not counted.
func (h hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := h.ResponseWriter.(http.Hijacker).Hijack()
	if err == nil && h.code == 0 {
		h.code = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// writerOnly hides every method but Write, so io.Copy cannot loop back into ReadFrom.
type writerOnly struct{ io.Writer }
