package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/regauth/regauth/audit"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/lockout"
)

const maxForm = 64 << 10

type signInData struct {
	Username string
	Next     string
	Error    string
	Notice   string
}

func (h *handler) signIn(w http.ResponseWriter, r *http.Request, v *viewer) {
	if r.Method != http.MethodPost {
		if v.SignedIn() {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		data := signInData{Next: safeNext(r.URL.Query().Get("next"))}
		switch {
		case v.Ended || r.URL.Query().Get("ended") != "":
			data.Notice = "Your session has ended. Please sign in again."
		case r.URL.Query().Get("signedout") != "":
			data.Notice = "You have signed out."
		}
		h.renderSignIn(w, r, v, http.StatusOK, data)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, v, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("username"))
	data := signInData{Username: truncate(user), Next: safeNext(r.PostForm.Get("next"))}
	if !h.checkCSRF(r, v) {
		// Without a session cookie (expired, or cookies blocked) there is no secret to check.
		h.startFresh(w, v)
		data.Error = "This form expired. Please sign in again."
		h.renderSignIn(w, r, v, http.StatusForbidden, data)
		return
	}
	if user == "" {
		data.Error = "Enter your user name and password."
		h.renderSignIn(w, r, v, http.StatusUnauthorized, data)
		return
	}
	ctx := r.Context()
	if l := h.opts.Limiter; l != nil {
		wait, err := l.Check(ctx, user, v.IP)
		if err != nil {
			h.opts.Logger.Warn("ui: lockout check failed", "err", err)
		}
		if wait > 0 {
			h.opts.Logger.Info("ui: sign-in locked out", "user", truncate(user), "client", v.IP, "retry_after", wait)
			h.opts.Audit.Log(audit.Event{Kind: audit.KindLockout, User: truncate(user), ClientIP: v.IP.String(), Grant: "ui"})
			secs := lockout.RetryAfterSeconds(wait)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			data.Error = "Too many failed sign-ins. Please wait " + humanWait(secs) + " and try again."
			h.renderSignIn(w, r, v, http.StatusTooManyRequests, data)
			return
		}
	}
	id, err := h.opts.Authenticator.Authenticate(ctx, user, auth.Password(r.PostForm.Get("password")))
	if l := h.opts.Limiter; l != nil && (err == nil || errors.Is(err, auth.ErrInvalidCredentials)) {
		record := l.Success
		if err != nil {
			record = l.Failure
		}
		if lerr := record(ctx, user, v.IP); lerr != nil {
			h.opts.Logger.Warn("ui: lockout record failed", "err", lerr)
		}
	}
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		h.opts.Logger.Info("ui: sign-in refused", "user", truncate(user), "client", v.IP)
		h.opts.Audit.Log(audit.Event{Kind: audit.KindLoginRefused, User: truncate(user), ClientIP: v.IP.String(), Grant: "ui", Error: "bad credentials"})
		data.Error = "Wrong user name or password."
		h.renderSignIn(w, r, v, http.StatusUnauthorized, data)
		return
	case err != nil:
		h.opts.Logger.Error("ui: authenticate", "user", truncate(user), "err", err)
		h.renderError(w, r, v, http.StatusInternalServerError, "Cannot sign in", "The server could not check your password. Please try again.")
		return
	}
	_, fp, ok := h.opts.Directory.Lookup(id.Name)
	if !ok {
		// Removed between the password check and now.
		data.Error = "Wrong user name or password."
		h.renderSignIn(w, r, v, http.StatusUnauthorized, data)
		return
	}
	if _, err := h.startSession(w, id.Name, fp); err != nil {
		h.opts.Logger.Error("ui: start session", "err", err)
		h.renderError(w, r, v, http.StatusInternalServerError, "Cannot sign in", "The server could not start a session.")
		return
	}
	h.opts.Logger.Info("ui: signed in", "user", id.Name, "client", v.IP)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

// startFresh replaces whatever session the visitor had with a new anonymous one.
func (h *handler) startFresh(w http.ResponseWriter, v *viewer) {
	v.Session = nil
	if err := h.ensureSession(w, v); err != nil {
		h.opts.Logger.Error("ui: start session", "err", err)
	}
}

func (h *handler) renderSignIn(w http.ResponseWriter, r *http.Request, v *viewer, status int, data signInData) {
	if err := h.ensureSession(w, v); err != nil {
		h.opts.Logger.Error("ui: start session", "err", err)
		h.renderError(w, r, v, http.StatusInternalServerError, "Cannot sign in", "The server could not start a session.")
		return
	}
	h.render(w, r, v, status, "signin", "Sign in", data)
}

func (h *handler) signOut(w http.ResponseWriter, r *http.Request, v *viewer) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil || !h.checkCSRF(r, v) {
		h.renderError(w, r, v, http.StatusForbidden, "Form expired", "This form expired. Reload the page and try again.")
		return
	}
	h.clearSession(w)
	http.Redirect(w, r, Prefix+"signin?signedout=1", http.StatusSeeOther)
}

// safeNext keeps redirects after sign-in inside the UI.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, Prefix+"signin") || strings.ContainsAny(next, "\\\r\n") ||
		strings.Contains(next, "//") || strings.Contains(next, "/../") || strings.HasSuffix(next, "/..") || len(next) > 1024 {
		return Prefix
	}
	return next
}

func humanWait(secs int) string {
	d := time.Duration(secs) * time.Second
	switch {
	case secs <= 1:
		return "a second"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", secs)
	case d < 2*time.Minute:
		return "a minute"
	default:
		return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
	}
}

// truncate keeps visitor-controlled strings in logs and pages short.
func truncate(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
