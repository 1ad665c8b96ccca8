package server_test

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestMain keeps gin quiet: debug mode prints every route and a warning per engine.
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}
