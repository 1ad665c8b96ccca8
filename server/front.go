package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
)

// front sits before the registry on /v2/. A request with Basic credentials — the classic
// Apache setup's `curl -u user:pass https://host/v2/...` — is authenticated here, given a
// token for exactly what its method and path need, and forwarded as Bearer, so old scripts
// keep working. Bearer and anonymous requests pass through untouched; the catalog is filtered.
type front struct {
	tokens   *tokenService
	registry http.Handler
	catalog  *catalogFilter
}

func (f *front) serve(c *gin.Context) {
	if p := checkRegistryPath(c.Request.URL.Path); p != nil {
		writeRegistryError(c, p.status, p.code, p.message)
		return
	}
	if c.Request.URL.Path == "/v2/_catalog" && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
		f.catalog.serve(c)
		return
	}
	var user string
	if isBasic(c.GetHeader("Authorization")) {
		id, ok := f.basicIdentity(c)
		if !ok {
			return
		}
		user = id.Name
		issued, _, ok := f.tokens.mint(c, id, requiredScopes(c.Request), "front", "")
		if !ok {
			return
		}
		c.Request.Header.Set("Authorization", "Bearer "+issued.Token)
	}
	f.registry.ServeHTTP(c.Writer, c.Request)
	if c.Request.Method == http.MethodDelete {
		f.auditDelete(c, user)
	}
}

// auditDelete records a delete and its outcome. For a Bearer request the user is the
// token's subject (a token that does not verify was refused by the registry anyway).
func (f *front) auditDelete(c *gin.Context, user string) {
	if h := c.GetHeader("Authorization"); user == "" && len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		if claims, err := f.tokens.opts.Issuer.VerifyAccess(h[7:]); err == nil {
			user = claims.Subject
		}
	}
	status := c.Writer.Status()
	f.tokens.opts.Audit.Log(audit.Event{
		RequestID: requestID(c), Kind: audit.KindDelete, User: user, ClientIP: c.ClientIP(), Target: truncate(c.Request.URL.Path),
		OK: audit.Bool(status < 300), Error: deleteError(status),
	})
}

func deleteError(status int) string {
	if status < 300 {
		return ""
	}
	return http.StatusText(status)
}

// basicIdentity authenticates a Basic request to /v2/. On failure the 401 carries both
// challenges: Basic for curl-style clients and Bearer for token-aware ones.
func (f *front) basicIdentity(c *gin.Context) (auth.Identity, bool) {
	user, pass, ok := c.Request.BasicAuth()
	if !ok {
		f.tokens.unauthorized(c, "malformed Authorization header")
		return auth.Identity{}, false
	}
	return f.tokens.authenticate(c, user, auth.Password(pass))
}

func isBasic(header string) bool {
	return len(header) > 6 && strings.EqualFold(header[:6], "basic ")
}
