package server

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTokenAnswersAreWhatEncodingJSONWrites(t *testing.T) {
	const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl-_"
	for name, r := range map[string]tokenResponse{
		"access token":          {Token: jwt, AccessToken: jwt, ExpiresIn: 300, IssuedAt: "2026-11-29T01:02:03Z"},
		"with a refresh token":  {Token: jwt, AccessToken: jwt, ExpiresIn: 300, IssuedAt: "2026-11-29T01:02:03Z", RefreshToken: jwt + "r"},
		"strings to be escaped": {Token: "a\"b\\c\nd", AccessToken: "é<&>", ExpiresIn: -1, IssuedAt: "\x00", RefreshToken: "\u2028"},
		"empty":                 {},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON([]byte("kept:")); string(got) != "kept:"+want.String() {
			t.Errorf("%s: appendJSON = %s\nwant             %s", name, got, want.Bytes())
		}
	}
}
