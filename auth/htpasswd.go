package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Htpasswd is a parsed Apache htpasswd file. It is immutable, so one value can serve many
// goroutines; a reload builds a new one. A nil *Htpasswd has no users.
type Htpasswd struct {
	users map[string]htpasswdEntry
	decoy htpasswdEntry // what unknown users are compared against
}

type htpasswdEntry struct {
	kind HashKind
	hash string
}

// LoadHtpasswd reads and parses the htpasswd file at path.
func LoadHtpasswd(path string) (*Htpasswd, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load htpasswd: %w", err)
	}
	defer f.Close()
	h, warnings, err := ParseHtpasswd(f, path)
	if err != nil {
		return nil, nil, fmt.Errorf("load htpasswd %q: %w", path, err)
	}
	return h, warnings, nil
}

// ParseHtpasswd parses "user:hash" lines as written by "htpasswd -B", "-m" or "-s"; filename
// only labels errors and warnings. Users whose hash is plaintext, DES crypt or otherwise
// unusable are left out and reported as warnings. Malformed lines make it fail, and the
// error lists every one of them as a *LineError.
func ParseHtpasswd(r io.Reader, filename string) (*Htpasswd, []Warning, error) {
	h := &Htpasswd{users: make(map[string]htpasswdEntry)}
	var (
		warnings []Warning
		errs     []error
		seen     = make(map[string]int) // user -> first line, refused users included
	)
	readErr := eachLine(r, filename, func(lineNo int, line string) {
		lineErr := func(format string, args ...any) {
			errs = append(errs, &LineError{File: filename, Line: lineNo, Msg: fmt.Sprintf(format, args...)})
		}
		user, hash, found := strings.Cut(line, ":")
		switch {
		case !found:
			lineErr("expected user:hash, found no ':'")
			return
		case strings.Contains(hash, ":"):
			lineErr("expected user:hash, found more than one ':'")
			return
		}
		if msg := checkName(user); msg != "" {
			lineErr("user name %s", msg)
			return
		}
		if first, dup := seen[user]; dup {
			lineErr("duplicate user %q (first on line %d)", user, first)
			return
		}
		seen[user] = lineNo
		kind, reason := classifyHash(hash)
		if reason != "" {
			warnings = append(warnings, Warning{
				File: filename, Line: lineNo, User: user,
				Msg: fmt.Sprintf("%s; re-create it with `regauth user passwd %s`", reason, user),
			})
			return
		}
		h.users[user] = htpasswdEntry{kind: kind, hash: hash}
	})
	if readErr != nil {
		errs = append(errs, readErr)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	h.decoy = typicalEntry(h.users)
	return h, warnings, nil
}

// typicalEntry is a hash of the file's most common kind and cost. Comparing an unknown user's
// password with it costs what a wrong password of a real user costs, so response time does
// not tell which names exist — even for a file of cost-5 hashes from `htpasswd -B`.
func typicalEntry(users map[string]htpasswdEntry) htpasswdEntry {
	class := func(e htpasswdEntry) string {
		if e.kind == KindBcrypt {
			return e.hash[:7] // "$2y$05$": variant and cost
		}
		return string(e.kind)
	}
	counts := map[string]int{}
	best, bestEntry := 0, htpasswdEntry{kind: KindBcrypt, hash: dummyBcrypt}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	slices.Sort(names) // deterministic choice
	for _, u := range names {
		e := users[u]
		c := class(e)
		counts[c]++
		if counts[c] > best {
			best, bestEntry = counts[c], e
		}
	}
	return bestEntry
}

// checkName returns why name cannot be a user or group name, or "" when it can.
func checkName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case !utf8.ValidString(name):
		return "is not valid UTF-8"
	case strings.IndexFunc(name, unicode.IsSpace) >= 0:
		return fmt.Sprintf("%q contains white space", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Sprintf("%q contains a control character", name)
	}
	return ""
}

// Verify reports whether pw is user's password, hashing on the calling goroutine. Unknown and
// refused users cost one bcrypt comparison too, so that timing does not tell which user names
// exist.
func (h *Htpasswd) Verify(user string, pw Password) bool {
	return h.verifyWith(hasherFunc(CheckPassword), user, pw)
}

// verifyWith is Verify with the hash run by hasher. An unknown or refused user's password is
// checked against a decoy that costs the same, and never matches whatever hasher answers.
func (h *Htpasswd) verifyWith(hasher Hasher, user string, pw Password) bool {
	e, known := h.entry(user)
	if !known {
		e = htpasswdEntry{kind: KindBcrypt, hash: dummyBcrypt}
		if h != nil && h.decoy.hash != "" {
			e = h.decoy
		}
	}
	return hasher.CheckPassword(e.hash, []byte(pw.Reveal())) && known
}

// Users returns the usable user names, sorted.
func (h *Htpasswd) Users() []string {
	if h == nil {
		return nil
	}
	users := make([]string, 0, len(h.users))
	for u := range h.users {
		users = append(users, u)
	}
	slices.Sort(users)
	return users
}

// Fingerprint identifies user's current hash without revealing it: the unpadded base64url
// of the first 16 bytes of its SHA-256. It changes whenever the password is changed.
func (h *Htpasswd) Fingerprint(user string) (string, bool) {
	e, ok := h.entry(user)
	if !ok {
		return "", false
	}
	sum := sha256.Sum256([]byte(e.hash))
	return base64.RawURLEncoding.EncodeToString(sum[:16]), true
}

// Kind returns the hash scheme of user's password.
func (h *Htpasswd) Kind(user string) (HashKind, bool) {
	e, ok := h.entry(user)
	return e.kind, ok
}

func (h *Htpasswd) entry(user string) (htpasswdEntry, bool) {
	if h == nil {
		return htpasswdEntry{}, false
	}
	e, ok := h.users[user]
	return e, ok
}
