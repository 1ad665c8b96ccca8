package metrics

import (
	"net/http"
	"strconv"
)

// Label values are drawn from fixed sets so that no client can grow the number of series.
var (
	grants      = []string{"basic", "password", "refresh_token", "anonymous", "front"}
	denyReasons = []string{DeniedBadCredentials, DeniedInvalidRefresh, DeniedLockedOut, DeniedBadRequest}
	authResults = []string{AuthOK, AuthFail, AuthCacheHit}
)

// oneOf returns v when it is in the set, "other" when it is not.
func oneOf(v string, set []string) string {
	for _, s := range set {
		if v == s {
			return v
		}
	}
	return "other"
}

// limit keeps a code-chosen label value to a sane length.
func limit(v string) string {
	const max = 64
	if len(v) > max {
		return v[:max]
	}
	return v
}

// normalMethod maps a request method to one of the methods a registry client uses, or OTHER.
func normalMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// statusCode keeps the exact code for the answers a registry gives and that tell a story
// (201 upload done, 202 upload accepted, 206 range, 401 challenge, 416 bad range, 503 the
// upstream is down); every other code is reported by its class, "4xx".
func statusCode(code int) string {
	switch code {
	case 101, 200, 201, 202, 204, 206, 301, 302, 304, 307, 308,
		400, 401, 403, 404, 405, 409, 413, 416, 429,
		500, 502, 503, 504:
		return strconv.Itoa(code)
	}
	if code >= 100 && code < 600 {
		return strconv.Itoa(code/100) + "xx"
	}
	return "other"
}
