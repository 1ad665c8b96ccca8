package server

import (
	"github.com/gin-gonic/gin"
)

// errorBody is understood by every client we serve: "errors" is the registry's error format
// that docker prints ("unauthorized: invalid username or password"), "error" and
// "error_description" are the OAuth2 fields (RFC 6749 section 5.2) containerd reads.
type errorBody struct {
	Errors           []registryError `json:"errors"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

type registryError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(c *gin.Context, status int, oauthCode, registryCode, message string) {
	c.Header("Cache-Control", "no-store")
	c.JSON(status, errorBody{
		Errors:           []registryError{{Code: registryCode, Message: message}},
		Error:            oauthCode,
		ErrorDescription: message,
	})
}
