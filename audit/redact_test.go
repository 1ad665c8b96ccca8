package audit

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// A token as the issuer makes them (ES256, x5c header shortened), and one with alg "none".
const (
	jwt     = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsIng1YyI6WyJNSUlCIl19.eyJpc3MiOiJyZWdhdXRoIiwic3ViIjoiYWxpY2UifQ.MEUCIQDx_3k-9aZ"
	jwtNone = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."
)

func TestScrubRedactsCredentialLookingValues(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	tests := []struct {
		name, in, want string
	}{
		{"a whole JWT", jwt, Redacted},
		{"an unsigned JWT", jwtNone, Redacted},
		{"a JWT inside an error", "verify " + jwt + ": token expired", "verify " + Redacted + ": token expired"},
		{"a bearer header", "Bearer " + jwt, "Bearer " + Redacted},
		{"basic credentials", "Authorization: Basic " + basic, "Authorization: Basic " + Redacted},
		{"basic credentials in lower case", "basic  " + basic + " rest", "basic " + Redacted + " rest"},
		{"the word basic before a plain word", "malformed Authorization header: want Basic credentials", "malformed Authorization header: want Basic credentials"},
		{"a scope", "repository:team/app:pull,push", "repository:team/app:pull,push"},
		{"a rule", `acl.yaml:12 (rule 3: user "alice" may push team/*)`, `acl.yaml:12 (rule 3: user "alice" may push team/*)`},
		{"a digest target", "team/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "team/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"a user whose name starts like a JWT", "eyJohn.doe.jr", "eyJohn.doe.jr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scrubString(tt.in); got != tt.want {
				t.Errorf("scrub(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNoJWTReachesTheLogWhicheverFieldItIsIn(t *testing.T) {
	var out bytes.Buffer
	l := NewJSONLogger(&out)
	requested := []string{"repository:a:pull", jwt}
	l.Log(Event{
		Kind: KindLoginRefused, User: jwt, ClientIP: jwt, ClientID: jwt, Grant: jwt,
		Requested: requested, Granted: []string{jwt}, Rules: []string{jwt},
		Target: jwt, Error: "refresh token " + jwtNone + " revoked", RequestID: jwt,
	})
	l.Close()
	if strings.Contains(out.String(), "eyJ") {
		t.Fatalf("a token reached the log: %s", out.String())
	}
	e := lines(t, out.Bytes())[0]
	if e.User != Redacted || e.Requested[0] != "repository:a:pull" || e.Requested[1] != Redacted || e.Error != "refresh token "+Redacted+" revoked" {
		t.Errorf("unexpected event %+v", e)
	}
	if requested[1] != jwt {
		t.Error("scrub wrote into the caller's slice")
	}
}

func TestOversizedValuesAreCut(t *testing.T) {
	long := strings.Repeat("é", maxFieldBytes) // two bytes each: a cut must not split one
	got := scrubString(long)
	if len(got) > maxFieldBytes+40 || !strings.HasSuffix(got, " more bytes)") || !strings.HasPrefix(got, "éé") {
		t.Errorf("cut value is %d bytes ending %q", len(got), got[len(got)-20:])
	}
	if !strings.HasPrefix(got, strings.Repeat("é", maxFieldBytes/2)+"...") {
		t.Error("cut split a character or kept too little")
	}
	many := make([]string, maxListItems+5)
	list := scrubList(many)
	if len(list) != maxListItems+1 || list[maxListItems] != "...(5 more)" {
		t.Errorf("list of %d kept %d ending %q", len(many), len(list), list[len(list)-1])
	}
}
