package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"github.com/gin-gonic/gin"
)

// requestIDs gives every request an id: the caller's X-Request-Id when it is a sane token (a
// proxy in front may have set it), a random one otherwise. The id goes back in the response
// and on every log line and audit event about the request.
func requestIDs() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !saneID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		// The response header is the one place the id is kept: nothing is allocated to find it.
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// saneID accepts up to 64 characters of letters, digits, '-', '_' and '.'.
func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// logFor is base with the request's id. It is built when something is about to be logged,
// so a request that logs nothing pays nothing for it.
func logFor(c *gin.Context, base *slog.Logger) *slog.Logger {
	if id := requestID(c); id != "" {
		return base.With("request_id", id)
	}
	return base
}

// requestID is the id requestIDs gave the request.
func requestID(c *gin.Context) string {
	return c.Writer.Header().Get("X-Request-Id")
}
