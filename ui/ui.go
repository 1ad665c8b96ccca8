package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/lockout"
	"github.com/regauth/regauth/tokens"
)

// Options are the already-built parts the UI is made of.
type Options struct {
	Logger        *slog.Logger
	Authenticator auth.Authenticator
	Directory     auth.Directory // who a signed-in user is now: groups, and whether they still exist
	Authorizer    acl.Authorizer
	// Issuer mints the tokens the UI shows the registry: always for the signed-in user (or the
	// anonymous user), with exactly what the ACL grants them; names-only catalog listing uses a
	// dedicated subject.
	Issuer *tokens.Issuer
	// Registry is the /v2/ handler the front serves (embedded or upstream proxy), called
	// in-process.
	Registry   http.Handler
	Limiter    *lockout.Limiter // optional: failed sign-ins count toward the /auth lockout
	Audit      audit.Logger     // optional: deletes and refused sign-ins
	PublicHost string           // host:port in `docker pull host:port/repo:tag`
	AdminGroup string           // members may open the admin page (default "admins")
	SessionKey []byte           // 32+ bytes, shared by replicas
	// Users lists every user for the admin page (optional: without it the page shows only
	// the explain box).
	Users func() []auth.Identity
	Now   func() time.Time // defaults to time.Now
}

// Prefix is where the UI lives; every path it serves starts with it.
const Prefix = "/ui/"

// handler serves the UI.
type handler struct {
	opts     Options
	sessions *sessionCodec
	pages    *pages
	static   staticFiles
	summary  *summaryCache
	deletes  deleteProbe
	// Page sizes; zero means the defaults (tests make them small).
	pageSize, tagPageSize int
}

// New checks opts and builds the UI handler. It serves every path under /ui/ (and /ui itself,
// redirected); the caller mounts it there.
func New(opts Options) (http.Handler, error) {
	var errs []error
	if opts.Logger == nil {
		errs = append(errs, errors.New("ui: no logger"))
	}
	if opts.Authenticator == nil || opts.Directory == nil {
		errs = append(errs, errors.New("ui: no user store"))
	}
	if opts.Authorizer == nil {
		errs = append(errs, errors.New("ui: no authorizer"))
	}
	if opts.Issuer == nil {
		errs = append(errs, errors.New("ui: no token issuer"))
	}
	if opts.Registry == nil {
		errs = append(errs, errors.New("ui: no registry"))
	}
	if len(opts.SessionKey) < 32 {
		errs = append(errs, fmt.Errorf("ui: session key has %d bytes, want at least 32", len(opts.SessionKey)))
	}
	if opts.PublicHost == "" {
		errs = append(errs, errors.New("ui: no public host for pull commands"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if opts.Audit == nil {
		opts.Audit = audit.Discard()
	}
	if opts.AdminGroup == "" {
		opts.AdminGroup = "admins"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	static, err := loadStatic()
	if err != nil {
		return nil, err
	}
	p, err := loadPages(static)
	if err != nil {
		return nil, err
	}
	h := &handler{
		opts:     opts,
		sessions: newSessionCodec(opts.SessionKey),
		pages:    p,
		static:   static,
		summary:  newSummaryCache(4096),
	}
	return h, nil
}

// ServeHTTP routes by hand rather than with a ServeMux: repository names contain slashes, and
// a mux would clean `..` into a redirect where the UI must answer 400.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.opts.Logger.Error("ui: panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			h.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "The server could not show this page. The error has been logged.")
		}
	}()
	securityHeaders(w.Header())

	path := r.URL.Path
	if path == "/ui" {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if !strings.HasPrefix(path, Prefix) {
		h.renderError(w, r, nil, http.StatusNotFound, "Not found", "There is no such page.")
		return
	}
	rest := path[len(Prefix):]
	if strings.HasPrefix(rest, "static/") {
		h.serveStatic(w, r, rest[len("static/"):])
		return
	}
	v := h.viewer(w, r)
	if msg := badPath(r); msg != "" {
		h.renderError(w, r, v, http.StatusBadRequest, "Bad request", msg)
		return
	}
	switch {
	case rest == "":
		h.only(w, r, v, h.repositories, http.MethodGet)
	case rest == "signin":
		h.only(w, r, v, h.signIn, http.MethodGet, http.MethodPost)
	case rest == "signout":
		h.only(w, r, v, h.signOut, http.MethodPost)
	case rest == "admin":
		h.only(w, r, v, h.admin, http.MethodGet)
	case strings.HasPrefix(rest, "repo/"):
		h.routeRepository(w, r, v, rest[len("repo/"):])
	default:
		h.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such page.")
	}
}

// routeRepository splits /ui/repo/NAME[/-/KIND/ARG]. "-" is never a repository path
// component, so the split is unambiguous.
func (h *handler) routeRepository(w http.ResponseWriter, r *http.Request, v *viewer, rest string) {
	name, sub, _ := strings.Cut(rest, "/-/")
	if err := checkRepoName(name); err != nil {
		h.renderError(w, r, v, http.StatusBadRequest, "Bad repository name", err.Error())
		return
	}
	if sub == "" && !strings.HasSuffix(rest, "/-/") {
		h.only(w, r, v, func(w http.ResponseWriter, r *http.Request, v *viewer) { h.repository(w, r, v, name) }, http.MethodGet)
		return
	}
	kind, arg, _ := strings.Cut(sub, "/")
	switch kind {
	case "tag":
		if err := checkTag(arg); err != nil {
			h.renderError(w, r, v, http.StatusBadRequest, "Bad tag", err.Error())
			return
		}
		h.only(w, r, v, func(w http.ResponseWriter, r *http.Request, v *viewer) { h.tag(w, r, v, name, arg) }, http.MethodGet)
	case "manifest":
		if err := checkDigest(arg); err != nil {
			h.renderError(w, r, v, http.StatusBadRequest, "Bad digest", err.Error())
			return
		}
		h.only(w, r, v, func(w http.ResponseWriter, r *http.Request, v *viewer) { h.tag(w, r, v, name, arg) }, http.MethodGet)
	case "delete":
		if err := checkDigest(arg); err != nil {
			h.renderError(w, r, v, http.StatusBadRequest, "Bad digest", err.Error())
			return
		}
		h.only(w, r, v, func(w http.ResponseWriter, r *http.Request, v *viewer) { h.delete(w, r, v, name, arg) }, http.MethodGet, http.MethodPost)
	default:
		h.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no such page.")
	}
}

type pageFunc func(http.ResponseWriter, *http.Request, *viewer)

// only runs fn for the listed methods (GET implies HEAD) and answers 405 otherwise.
func (h *handler) only(w http.ResponseWriter, r *http.Request, v *viewer, fn pageFunc, methods ...string) {
	for _, m := range methods {
		if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
			fn(w, r, v)
			return
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	h.renderError(w, r, v, http.StatusMethodNotAllowed, "Method not allowed", "This page does not accept "+r.Method+" requests.")
}

// securityHeaders: no inline script or style anywhere, so the policy can be strict.
func securityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
}

// clientIP is the address ip rules see. The front trusts no forwarding header, so neither
// does the UI.
func clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// staticFiles are the embedded assets with a content hash for cache busting.
type staticFiles struct {
	fsys    fs.FS
	version map[string]string // file -> short hash
}

func loadStatic() (staticFiles, error) {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		return staticFiles{}, err
	}
	sf := staticFiles{fsys: sub, version: map[string]string{}}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return staticFiles{}, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return staticFiles{}, err
		}
		sum := sha256.Sum256(b)
		sf.version[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return sf, nil
}

// url is the versioned address of an asset, for templates.
func (s staticFiles) url(name string) string {
	return Prefix + "static/" + name + "?v=" + s.version[name]
}

func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	if _, ok := h.static.version[name]; !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(h.static.fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	if r.URL.Query().Get("v") == h.static.version[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+h.static.version[name]+`"`)
	if r.Header.Get("If-None-Match") == `"`+h.static.version[name]+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b)
}
