// Package capture records the answer of an in-process http.Handler: how the front, the UI and
// the readiness check talk to the registry handler without a network round trip.
package capture

import (
	"bytes"
	"net/http"
)

// Response is an http.ResponseWriter that keeps the status, the headers and at most Limit
// bytes of body (0: no limit); Overflow tells that more was written than kept.
type Response struct {
	Status   int
	Body     bytes.Buffer
	Limit    int
	Overflow bool
	header   http.Header
}

// Serve runs h for req and returns what it answered; limit bounds the body kept.
func Serve(h http.Handler, req *http.Request, limit int) *Response {
	r := &Response{Limit: limit, header: http.Header{}}
	h.ServeHTTP(r, req)
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	return r
}

// Header is the answer's header.
func (r *Response) Header() http.Header { return r.header }

// WriteHeader keeps the first status written.
func (r *Response) WriteHeader(status int) {
	if r.Status == 0 {
		r.Status = status
	}
}

// Write keeps the body up to Limit and reports every byte as written.
func (r *Response) Write(b []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	if r.Limit > 0 {
		if room := r.Limit - r.Body.Len(); len(b) > room {
			r.Overflow = true
			if room > 0 {
				r.Body.Write(b[:room])
			}
			return len(b), nil
		}
	}
	return r.Body.Write(b)
}
