package audit

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
)

// Redacted replaces anything that looks like a credential.
const Redacted = "[redacted]"

// Limits that keep one client from writing megabytes of audit log with a silly request.
const (
	maxFieldBytes = 2048
	maxListItems  = 256
)

var (
	// A JWS/JWE in compact form: a base64url JSON header ("eyJ" is `{"`; the shortest real
	// one, {"alg":"none"}, takes 19 characters) and two to four more dot-separated base64url
	// segments (the last may be empty, as with alg "none").
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{12,}(?:\.[A-Za-z0-9_-]*){2,4}`)
	// Basic credentials that slipped into a message; redacted only when the value decodes
	// to "user:password", so "want Basic credentials" stays readable. Bearer tokens are JWTs.
	basicPattern = regexp.MustCompile(`(?i)\bbasic\s+[A-Za-z0-9+/]+={0,2}`)
)

// scrub returns e with every credential-looking value redacted and oversized values cut. The
// caller's slices are never written to.
func scrub(e Event) Event {
	e.Kind = scrubString(e.Kind)
	e.User = scrubString(e.User)
	e.ClientIP = scrubString(e.ClientIP)
	e.ClientID = scrubString(e.ClientID)
	e.Grant = scrubString(e.Grant)
	e.Requested = scrubList(e.Requested)
	e.Granted = scrubList(e.Granted)
	e.Rules = scrubList(e.Rules)
	e.Target = scrubString(e.Target)
	e.Error = scrubString(e.Error)
	e.RequestID = scrubString(e.RequestID)
	return e
}

func scrubString(s string) string {
	if strings.Contains(s, "eyJ") {
		s = jwtPattern.ReplaceAllLiteralString(s, Redacted)
	}
	if mentionsBasic(s) {
		s = basicPattern.ReplaceAllStringFunc(s, redactBasic)
	}
	if len(s) > maxFieldBytes {
		cut := maxFieldBytes
		for cut > 0 && !startsRune(s[cut]) {
			cut--
		}
		s = s[:cut] + "...(" + strconv.Itoa(len(s)-cut) + " more bytes)"
	}
	return s
}

func scrubList(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	n := min(len(in), maxListItems)
	out := make([]string, n, n+1)
	for i := range n {
		out[i] = scrubString(in[i])
	}
	if len(in) > n {
		out = append(out, "...("+strconv.Itoa(len(in)-n)+" more)")
	}
	return out
}

// startsRune reports whether b can begin a UTF-8 sequence, so a cut never splits a character.
func startsRune(b byte) bool { return b&0xC0 != 0x80 }

// mentionsBasic is a cheap test that spares most values the case-insensitive regexp.
func mentionsBasic(s string) bool {
	for i := 0; i+len("basic ") <= len(s); i++ {
		if s[i]|0x20 == 'b' && strings.EqualFold(s[i:i+len("basic")], "basic") {
			return true
		}
	}
	return false
}

// redactBasic keeps the scheme word of a "Basic <base64>" match and hides the credentials.
func redactBasic(m string) string {
	scheme, value := m[:len("basic")], strings.TrimLeft(m[len("basic"):], " \t\n\f\r")
	decoded, err := base64.StdEncoding.DecodeString(value)
	if err != nil || !bytes.Contains(decoded, []byte(":")) {
		return m
	}
	return scheme + " " + Redacted
}
