package server

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTokenAnswersAreWhatEncodingJSONWrites(t *testing.T) {
	const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl-_"
	plain := tokenResponse{Token: jwt, AccessToken: jwt, ExpiresIn: 300, IssuedAt: "2026-11-29T01:02:03Z"}
	withRefresh := plain
	withRefresh.RefreshToken = jwt + "r"
	cases := map[string]tokenResponse{"access token": plain, "with a refresh token": withRefresh, "empty": {}}
	// One string at a time that JSON must escape, in each field in turn.
	for _, bad := range []string{`a"b`, `a\b`, "a\nb", "a\x00b", "é", "\u2028"} {
		for field, set := range map[string]func(*tokenResponse){
			"token":         func(r *tokenResponse) { r.Token = bad },
			"access_token":  func(r *tokenResponse) { r.AccessToken = bad },
			"issued_at":     func(r *tokenResponse) { r.IssuedAt = bad },
			"refresh_token": func(r *tokenResponse) { r.RefreshToken = bad },
		} {
			r := withRefresh
			set(&r)
			cases[field+" "+bad] = r
		}
	}
	for name, r := range cases {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON([]byte("kept:")); string(got) != "kept:"+want.String() {
			t.Errorf("%q: appendJSON = %s\nwant             %s", name, got, want.Bytes())
		}
	}
}

func TestJSONVerbatimAcceptsOnlyWhatNeedsNoEscaping(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "eyJ0.eyJ0-_.c2ln": true, "2026-11-29T01:02:03Z": true, "<&> ~": true,
		`"`: false, `\`: false, "\n": false, "\x00": false, "\x1f": false, "\x7f": false, "é": false, "\u2028": false,
	} {
		if got := jsonVerbatim(s); got != want {
			t.Errorf("jsonVerbatim(%q) = %v, want %v", s, got, want)
		}
	}
}
