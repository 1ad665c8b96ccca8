package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Check is one readiness condition.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Degraded marks a problem that does not stop serving, such as a configuration edit that
	// was refused while the last good version keeps working.
	Degraded bool `json:"degraded,omitempty"`
}

// Readiness reports the checks behind /readyz.
type Readiness func(ctx context.Context) []Check

type readyBody struct {
	Status string  `json:"status"` // ready, degraded, not_ready
	Checks []Check `json:"checks"`
}

// readyz answers 200 when regauth can serve (with status "degraded" when a refused reload or
// similar needs an admin's attention) and 503 when it cannot.
func (s *Server) readyz(c *gin.Context) {
	if s.opts.Readiness == nil {
		c.JSON(http.StatusOK, readyBody{Status: "ready", Checks: []Check{}})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	body := readyBody{Status: "ready", Checks: s.opts.Readiness(ctx)}
	status := http.StatusOK
	for _, ch := range body.Checks {
		switch {
		case !ch.OK && !ch.Degraded:
			body.Status, status = "not_ready", http.StatusServiceUnavailable
		case !ch.OK && body.Status == "ready":
			body.Status = "degraded"
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, body)
}
