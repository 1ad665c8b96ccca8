package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/metrics"
	"github.com/regauth/regauth/tokens"
)

// tokenService implements the Docker token protocol (GET) and its OAuth2 form (POST).
type tokenService struct {
	opts *Options
	// answers hold token answers (*[]byte) while they are written: an answer is kilobytes
	// (the token's x5c chain twice, and a refresh token when asked), so reusing them spares an
	// allocation and its collection per token.
	answers sync.Pool
}

// tokenResponse is what docker, containerd and the OAuth2 clients read. token and
// access_token carry the same value because clients differ in which one they look at.
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// tokenRequest is a request after parsing, whichever form it came in.
type tokenRequest struct {
	identity auth.Identity
	scopes   []tokens.Scope
	clientID string
	offline  bool
	grant    string // "basic", "anonymous", "password", "refresh_token"
}

// get serves the Docker token spec: Basic credentials (or none, for anonymous), service,
// scope (repeated or space-joined), account, client_id, offline_token.
func (ts *tokenService) get(c *gin.Context) {
	q := c.Request.URL.Query()
	if !ts.checkService(c, q.Get("service")) {
		return
	}
	scopes, err := tokens.ParseScopes(q["scope"])
	if err != nil {
		writeError(c, http.StatusBadRequest, "invalid_scope", "DENIED", err.Error())
		return
	}
	req := tokenRequest{scopes: scopes, clientID: q.Get("client_id"), offline: q.Get("offline_token") == "true", grant: "anonymous"}
	if c.GetHeader("Authorization") != "" {
		user, pass, ok := c.Request.BasicAuth()
		if !ok {
			ts.unauthorized(c, "malformed Authorization header: want Basic credentials")
			return
		}
		if account := q.Get("account"); account != "" && account != user {
			writeError(c, http.StatusBadRequest, "invalid_request", "DENIED", "account does not match the credentials")
			return
		}
		id, ok := ts.authenticate(c, user, auth.Password(pass))
		if !ok {
			return
		}
		req.identity, req.grant = id, "basic"
	}
	ts.respond(c, req)
}

// post serves the OAuth2 form: grant_type password (credentials in the body) or refresh_token.
func (ts *tokenService) post(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxAuthBody)
	if err := c.Request.ParseForm(); err != nil {
		writeError(c, http.StatusBadRequest, "invalid_request", "UNSUPPORTED", "cannot read the form: "+err.Error())
		return
	}
	form := c.Request.PostForm
	if !ts.checkService(c, form.Get("service")) {
		return
	}
	scopes, err := tokens.ParseScopes(form["scope"])
	if err != nil {
		writeError(c, http.StatusBadRequest, "invalid_scope", "DENIED", err.Error())
		return
	}
	req := tokenRequest{scopes: scopes, clientID: form.Get("client_id"), offline: form.Get("access_type") == "offline", grant: form.Get("grant_type")}
	switch req.grant {
	case "password":
		user := form.Get("username")
		if user == "" {
			writeError(c, http.StatusBadRequest, "invalid_request", "UNAUTHORIZED", "username is required")
			return
		}
		id, ok := ts.authenticate(c, user, auth.Password(form.Get("password")))
		if !ok {
			return
		}
		req.identity = id
	case "refresh_token":
		id, ok := ts.refresh(c, form.Get("refresh_token"), form.Get("username"))
		if !ok {
			return
		}
		req.identity, req.offline = id, false // docker keeps the refresh token it has
	case "":
		writeError(c, http.StatusBadRequest, "invalid_request", "UNSUPPORTED", "grant_type is required")
		return
	default:
		writeError(c, http.StatusBadRequest, "unsupported_grant_type", "UNSUPPORTED",
			fmt.Sprintf("grant_type %q is not supported: use password or refresh_token", truncate(req.grant)))
		return
	}
	ts.respond(c, req)
}

// checkService refuses a token request for another registry; an absent service means ours.
func (ts *tokenService) checkService(c *gin.Context, service string) bool {
	if service == "" || service == ts.opts.Issuer.Service() {
		return true
	}
	writeError(c, http.StatusBadRequest, "invalid_request", "DENIED",
		fmt.Sprintf("unknown service %q: this token service serves %q", truncate(service), ts.opts.Issuer.Service()))
	return false
}

func (ts *tokenService) authenticate(c *gin.Context, user string, pass auth.Password) (auth.Identity, bool) {
	ctx := c.Request.Context()
	ip, _ := netip.ParseAddr(c.ClientIP())
	if l := ts.opts.Limiter; l != nil {
		wait, err := l.Check(ctx, user, ip)
		if err != nil {
			// The counters are a second line of defence behind bcrypt: keep serving.
			ts.log(c).Warn("lockout check failed", "err", err)
		}
		if wait > 0 {
			ts.log(c).Info("login locked out", "user", truncate(user), "client", c.ClientIP(), "retry_after", wait)
			ts.opts.Audit.Log(audit.Event{RequestID: requestID(c), Kind: audit.KindLockout, User: truncate(user), ClientIP: c.ClientIP()})
			ts.opts.Metrics.Lockout()
			ts.opts.Metrics.TokenDenied(metrics.DeniedLockedOut)
			c.Header("Retry-After", strconv.Itoa(lockout.RetryAfterSeconds(wait)))
			writeError(c, http.StatusTooManyRequests, "temporarily_unavailable", "TOOMANYREQUESTS",
				fmt.Sprintf("too many failed logins: try again in %d seconds", lockout.RetryAfterSeconds(wait)))
			return auth.Identity{}, false
		}
	}
	start := time.Now()
	id, err := ts.opts.Authenticator.Authenticate(ctx, user, pass)
	result := metrics.AuthOK
	if err != nil {
		result = metrics.AuthFail
	}
	ts.opts.Metrics.ObserveAuthentication(time.Since(start), result)
	if l := ts.opts.Limiter; l != nil && (err == nil || errors.Is(err, auth.ErrInvalidCredentials)) {
		record := l.Success
		if err != nil {
			record = l.Failure
		}
		if lerr := record(ctx, user, ip); lerr != nil {
			ts.log(c).Warn("lockout record failed", "err", lerr)
		}
	}
	switch {
	case err == nil:
		return id, true
	case errors.Is(err, auth.ErrInvalidCredentials):
		ts.log(c).Info("login refused", "user", truncate(user), "client", c.ClientIP())
		ts.opts.Audit.Log(audit.Event{RequestID: requestID(c), Kind: audit.KindLoginRefused, User: truncate(user), ClientIP: c.ClientIP(), Error: "bad credentials"})
		ts.opts.Metrics.TokenDenied(metrics.DeniedBadCredentials)
		ts.unauthorized(c, auth.ErrInvalidCredentials.Error())
	default:
		ts.log(c).Error("authenticate", "user", truncate(user), "err", err)
		writeError(c, http.StatusInternalServerError, "server_error", "UNKNOWN", "cannot check credentials")
	}
	return auth.Identity{}, false
}

// refresh turns a refresh token back into the identity it was issued to, provided the user
// still exists with the same password.
func (ts *tokenService) refresh(c *gin.Context, raw, username string) (auth.Identity, bool) {
	if raw == "" {
		writeError(c, http.StatusBadRequest, "invalid_request", "UNAUTHORIZED", "refresh_token is required")
		return auth.Identity{}, false
	}
	claims, err := ts.opts.Issuer.VerifyRefresh(raw)
	if err != nil {
		ts.log(c).Info("refresh token refused", "client", c.ClientIP(), "reason", err)
		ts.refreshRefused(c, "", "invalid or expired refresh token")
		ts.unauthorized(c, "invalid or expired refresh token: log in again")
		return auth.Identity{}, false
	}
	if username != "" && username != claims.Subject {
		ts.refreshRefused(c, claims.Subject, "refresh token of another user")
		ts.unauthorized(c, "refresh token belongs to another user")
		return auth.Identity{}, false
	}
	id, fingerprint, ok := ts.opts.Directory.Lookup(claims.Subject)
	if !ok || fingerprint != claims.Fingerprint {
		ts.log(c).Info("refresh token revoked", "user", claims.Subject, "client", c.ClientIP(), "user_exists", ok)
		ts.refreshRefused(c, claims.Subject, "refresh token revoked")
		ts.unauthorized(c, "refresh token revoked (password changed or user removed): log in again")
		return auth.Identity{}, false
	}
	return id, true
}

func (ts *tokenService) respond(c *gin.Context, req tokenRequest) {
	issued, access, ok := ts.mint(c, req.identity, req.scopes, req.grant, req.clientID)
	if !ok {
		return
	}
	resp := tokenResponse{
		Token:       issued.Token,
		AccessToken: issued.Token,
		ExpiresIn:   int(issued.ExpiresIn / time.Second),
		IssuedAt:    issued.IssuedAt.UTC().Format(time.RFC3339),
	}
	if req.offline && !req.identity.Anonymous() {
		_, fingerprint, found := ts.opts.Directory.Lookup(req.identity.Name)
		if found {
			var err error
			resp.RefreshToken, err = ts.opts.Issuer.IssueRefresh(req.identity.Name, fingerprint, req.clientID)
			if err != nil {
				ts.log(c).Error("issue refresh token", "err", err)
				writeError(c, http.StatusInternalServerError, "server_error", "UNKNOWN", "cannot issue a refresh token")
				return
			}
		}
	}
	// Every token is already in the audit log; the process log repeats it only at debug. At
	// info, a line per token written under the handler's lock cost 0.1 core and took p99 at
	// 10,000 tokens/s from 17 ms to 73–140 ms.
	if ts.opts.Logger.Enabled(c.Request.Context(), slog.LevelDebug) {
		ts.log(c).Debug("token issued",
			"user", req.identity.Name,
			"client", c.ClientIP(),
			"client_id", truncate(req.clientID),
			"grant", req.grant,
			"access", accessSummary(access),
			"refresh", resp.RefreshToken != "")
	}
	body, _ := ts.answers.Get().(*[]byte)
	if body == nil {
		body = new([]byte)
	}
	*body = resp.appendJSON((*body)[:0])
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(*body)))
	c.Status(http.StatusOK)
	if _, err := c.Writer.Write(*body); err != nil {
		ts.log(c).Debug("write token response", "err", err)
		return // the buffer goes to the collector, as net/http's HTTP/2 does after a failed write
	}
	clear(*body) // a refresh token is a credential: do not keep it around between requests
	ts.answers.Put(body)
}

// appendJSON appends r as JSON, as encoding/json writes it (SetEscapeHTML(false)), without
// reflection: its strings are JWTs in compact form (base64url and dots) and an RFC 3339 time,
// which JSON carries as they are. Should a string ever need escaping, encoding/json writes it.
func (r tokenResponse) appendJSON(b []byte) []byte {
	// access_token is token again (respond sets both): one scan covers both.
	sameToken := r.AccessToken == r.Token
	if !jsonVerbatim(r.Token) || (!sameToken && !jsonVerbatim(r.AccessToken)) || !jsonVerbatim(r.IssuedAt) || !jsonVerbatim(r.RefreshToken) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(r) // a struct of strings and an int always encodes
		return append(b, buf.Bytes()...)
	}
	b = append(b, `{"token":"`...)
	b = append(b, r.Token...)
	b = append(b, `","access_token":"`...)
	b = append(b, r.AccessToken...)
	b = append(b, `","expires_in":`...)
	b = strconv.AppendInt(b, int64(r.ExpiresIn), 10)
	b = append(b, `,"issued_at":"`...)
	b = append(b, r.IssuedAt...)
	b = append(b, '"')
	if r.RefreshToken != "" {
		b = append(b, `,"refresh_token":"`...)
		b = append(b, r.RefreshToken...)
		b = append(b, '"')
	}
	return append(b, "}\n"...)
}

// jsonVerbatim reports whether s goes into a JSON string as it is: printable ASCII other
// than the quote and the backslash.
func jsonVerbatim(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// mint decides every scope and signs a token with what was granted. On failure it has
// already written the error response.
// grant names how the caller proved who it is, for the audit log and metrics.
func (ts *tokenService) mint(c *gin.Context, id auth.Identity, scopes []tokens.Scope, grant, clientID string) (tokens.Issued, []tokens.ResourceActions, bool) {
	audited := !audit.Discards(ts.opts.Audit)
	access, rules := ts.decide(c, id, scopes, audited)
	issued, err := ts.opts.Issuer.IssueAccess(id.Name, access)
	if err != nil {
		ts.log(c).Error("issue token", "err", err)
		writeError(c, http.StatusInternalServerError, "server_error", "UNKNOWN", "cannot issue a token")
		return tokens.Issued{}, nil, false
	}
	if audited {
		requested := make([]string, 0, len(scopes))
		for _, s := range scopes {
			requested = append(requested, s.String())
		}
		ts.opts.Audit.Log(audit.Event{
			RequestID: requestID(c),
			Kind:      audit.KindToken, User: id.Name, ClientIP: c.ClientIP(), ClientID: truncate(clientID),
			Grant: grant, Requested: requested, Granted: accessSummary(access), Rules: rules,
		})
	}
	ts.opts.Metrics.TokenIssued(grant)
	return issued, access, true
}

// decide asks the ACL about every scope and keeps what was granted. Being refused some or all
// of it is not an error: the registry answers insufficient_scope with the reduced token.
// The deciding rules are described only when explain is set (the audit log reads them).
func (ts *tokenService) decide(c *gin.Context, id auth.Identity, scopes []tokens.Scope, explain bool) (access []tokens.ResourceActions, rules []string) {
	ip, _ := netip.ParseAddr(c.ClientIP())
	debug := ts.opts.Logger.Enabled(c.Request.Context(), slog.LevelDebug)
	for _, s := range scopes {
		d := ts.opts.Authorizer.Authorize(acl.Request{
			Account: id.Name,
			Groups:  id.Groups,
			IP:      ip.Unmap(),
			Service: ts.opts.Issuer.Service(),
			Type:    s.Type,
			Name:    s.Name,
			Actions: s.Actions,
		})
		if debug {
			ts.log(c).Debug("access decision", "user", id.Name, "scope", s.String(), "granted", d.Granted, "rule", d.String())
		}
		if explain {
			rules = append(rules, s.String()+": "+d.String())
		}
		if len(d.Granted) > 0 {
			access = append(access, tokens.ResourceActions{Type: s.Type, Class: s.Class, Name: s.Name, Actions: d.Granted})
		}
	}
	return access, rules
}

func (ts *tokenService) refreshRefused(c *gin.Context, user, why string) {
	ts.opts.Audit.Log(audit.Event{RequestID: requestID(c), Kind: audit.KindLoginRefused, User: user, ClientIP: c.ClientIP(), Grant: "refresh_token", Error: why})
	ts.opts.Metrics.TokenDenied(metrics.DeniedInvalidRefresh)
}

// log is the logger of the request, with its request id.
func (ts *tokenService) log(c *gin.Context) *slog.Logger { return logFor(c, ts.opts.Logger) }

// unauthorized answers every 401, refused refresh tokens included: a 401 must carry a
// challenge (RFC 7235 section 3.1).
func (ts *tokenService) unauthorized(c *gin.Context, message string) {
	c.Header("WWW-Authenticate", "Basic realm="+strconv.Quote(ts.opts.BasicRealm))
	writeError(c, http.StatusUnauthorized, "invalid_grant", "UNAUTHORIZED", message)
}

func accessSummary(access []tokens.ResourceActions) []string {
	out := make([]string, 0, len(access))
	for _, a := range access {
		out = append(out, tokens.Scope{Type: a.Type, Class: a.Class, Name: a.Name, Actions: a.Actions}.String())
	}
	return out
}

// truncate keeps client-controlled strings in logs and messages short.
func truncate(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
