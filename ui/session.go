package ui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/regauth/regauth/auth"
)

const (
	// sessionCookie: the __Secure- prefix makes browsers refuse the cookie unless it is
	// Secure and set over HTTPS.
	sessionCookie = "__Secure-regauth-ui"
	sessionTTL    = 8 * time.Hour
	clockSkew     = time.Minute
	maxCookie     = 2048
)

// session is what the cookie holds, sealed with AES-GCM: nobody can read or change it without
// the key. An anonymous visitor gets one too, so the sign-in form has a CSRF secret.
type session struct {
	User   string `json:"u,omitempty"`
	Issued int64  `json:"iat"` // unix seconds
	CSRF   []byte `json:"c"`   // 32 random bytes
	// Password binds the session to the user's password hash: changing the password or
	// removing the user ends every session.
	Password []byte `json:"p,omitempty"`
}

type sessionCodec struct {
	aead cipher.AEAD
	csrf []byte // derives form tokens from a session's secret
}

func newSessionCodec(key []byte) *sessionCodec {
	// Derive purpose-bound keys so the configured key is never used directly.
	encKey := derive(key, "regauth ui session encryption v1")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &sessionCodec{aead: aead, csrf: derive(key, "regauth ui csrf v1")}
}

func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func (c *sessionCodec) seal(s session) (string, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := c.aead.Seal(nonce, nonce, plain, []byte(sessionCookie))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

var errBadSession = errors.New("bad session cookie")

func (c *sessionCodec) open(value string, now time.Time) (session, error) {
	if len(value) > maxCookie {
		return session{}, errBadSession
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(raw) < c.aead.NonceSize()+c.aead.Overhead() {
		return session{}, errBadSession
	}
	ns := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:ns], raw[ns:], []byte(sessionCookie))
	if err != nil {
		return session{}, errBadSession
	}
	var s session
	if err := json.Unmarshal(plain, &s); err != nil || len(s.CSRF) != 32 {
		return session{}, errBadSession
	}
	issued := time.Unix(s.Issued, 0)
	if now.Sub(issued) > sessionTTL || issued.Sub(now) > clockSkew {
		return session{}, errBadSession
	}
	return s, nil
}

// formToken is the CSRF value a form carries: derived from the session's secret, so the page
// never shows the secret itself.
func (c *sessionCodec) formToken(s *session) string {
	m := hmac.New(sha256.New, c.csrf)
	m.Write(s.CSRF)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c *sessionCodec) checkForm(s *session, token string) bool {
	if s == nil || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.formToken(s)), []byte(token)) == 1
}

func passwordBinding(fingerprint string) []byte {
	sum := sha256.Sum256([]byte("regauth ui password binding\x00" + fingerprint))
	return sum[:16]
}

// viewer is who is looking at a page.
type viewer struct {
	ID      auth.Identity // Name "" = anonymous
	Session *session      // nil until the visitor has one
	Admin   bool
	IP      netip.Addr
	Ended   bool // a session cookie was there but is no longer valid (user removed, expired)
}

func (v *viewer) SignedIn() bool { return v != nil && v.ID.Name != "" }

// viewer reads the session cookie and checks, on every request, that its user still exists
// with the same password. An invalid cookie is dropped.
func (h *handler) viewer(w http.ResponseWriter, r *http.Request) *viewer {
	v := &viewer{IP: clientIP(r)}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return v
	}
	s, err := h.sessions.open(ck.Value, h.opts.Now())
	if err != nil {
		h.clearSession(w)
		v.Ended = true
		return v
	}
	if s.User != "" {
		id, fp, ok := h.opts.Directory.Lookup(s.User)
		if !ok || subtle.ConstantTimeCompare(passwordBinding(fp), s.Password) != 1 {
			h.clearSession(w)
			v.Ended = true
			return v
		}
		v.ID = id
		v.Admin = slices.Contains(id.Groups, h.opts.AdminGroup)
	}
	v.Session = &s
	return v
}

// startSession issues a new session (new CSRF secret: a sign-in never keeps the anonymous
// one, so a planted cookie cannot be carried across) and sets its cookie.
func (h *handler) startSession(w http.ResponseWriter, user, fingerprint string) (*session, error) {
	s := session{User: user, Issued: h.opts.Now().Unix(), CSRF: make([]byte, 32)}
	if _, err := rand.Read(s.CSRF); err != nil {
		return nil, err
	}
	if user != "" {
		s.Password = passwordBinding(fingerprint)
	}
	value, err := h.sessions.seal(s)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: Prefix,
		Expires: h.opts.Now().Add(sessionTTL), MaxAge: int(sessionTTL / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	return &s, nil
}

func (h *handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// ensureSession gives an anonymous visitor a session, for the sign-in form's CSRF token.
func (h *handler) ensureSession(w http.ResponseWriter, v *viewer) error {
	if v.Session != nil {
		return nil
	}
	s, err := h.startSession(w, "", "")
	if err != nil {
		return err
	}
	v.Session = s
	return nil
}

// checkCSRF verifies a POST's form token; the caller has parsed the form.
func (h *handler) checkCSRF(r *http.Request, v *viewer) bool {
	return h.sessions.checkForm(v.Session, r.PostForm.Get("csrf"))
}
