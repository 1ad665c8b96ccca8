package auth

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// goBcrypt hashes pw with golang.org/x/crypto/bcrypt at the cheapest cost, in its "$2a$" form.
func goBcrypt(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func shaHash(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return "{SHA}" + base64.StdEncoding.EncodeToString(sum[:])
}

func mustParseHtpasswd(t *testing.T, content string) (*Htpasswd, []Warning) {
	t.Helper()
	h, warnings, err := ParseHtpasswd(strings.NewReader(content), "htpasswd.txt")
	if err != nil {
		t.Fatalf("ParseHtpasswd: %v", err)
	}
	return h, warnings
}

func TestHtpasswdVerify(t *testing.T) {
	y, err := HashBcrypt("y-pass", bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	a := goBcrypt(t, "a-pass")
	b := "$2b$" + goBcrypt(t, "b-pass")[len("$2a$"):]
	file := strings.Join([]string{
		"bcrypt2a:" + a,
		"bcrypt2b:" + b,
		"bcrypt2y:" + y,
		"tool2y:" + vecBcrypt2y,
		"toollong:" + vecBcryptLong,
		"apr1:" + vecAPR1,
		"apr1empty:" + vecAPR1Empty,
		"sha:" + vecSHA,
		"shagen:" + shaHash("generated"),
		"des:" + vecDES,
		"plain:secret",
		"sha256crypt:" + vecSHA256Crypt,
	}, "\n")
	h, _ := mustParseHtpasswd(t, file)

	tests := []struct {
		name, user, password string
		want                 bool
	}{
		{"a $2a$ bcrypt user logs in with the right password", "bcrypt2a", "a-pass", true},
		{"a $2a$ bcrypt user is refused with a wrong password", "bcrypt2a", "b-pass", false},
		{"a $2b$ bcrypt user logs in with the right password", "bcrypt2b", "b-pass", true},
		{"a $2b$ bcrypt user is refused with a wrong password", "bcrypt2b", "a-pass", false},
		{"a $2y$ bcrypt user from HashBcrypt logs in", "bcrypt2y", "y-pass", true},
		{"a $2y$ bcrypt user from HashBcrypt is refused with a wrong password", "bcrypt2y", "Y-pass", false},
		{"a $2y$ bcrypt user from the htpasswd tool logs in", "tool2y", "bcrypt pw", true},
		{"a $2y$ bcrypt user from the htpasswd tool is refused with a wrong password", "tool2y", "bcrypt pw ", false},
		{"a bcrypt password longer than 72 bytes is checked on its first 72 like htpasswd does", "toollong", strings.Repeat("a", 72), true},
		{"a bcrypt password is refused when the first 72 bytes differ", "toollong", strings.Repeat("a", 71), false},
		{"an apr1 user logs in with the right password", "apr1", "correct horse", true},
		{"an apr1 user is refused with a wrong password", "apr1", "correct horse!", false},
		{"an apr1 user with an empty password logs in with it", "apr1empty", "", true},
		{"an apr1 user with an empty password is refused with another", "apr1empty", " ", false},
		{"a {SHA} user from the htpasswd tool logs in", "sha", "battery staple", true},
		{"a {SHA} user is refused with a wrong password", "sha", "battery", false},
		{"a generated {SHA} user logs in", "shagen", "generated", true},
		{"a user with a DES hash does not log in with the DES string itself", "des", vecDES, false},
		{"a user with a DES hash does not log in with the original password", "des", "secret", false},
		{"a plaintext user does not log in with the plaintext value", "plain", "secret", false},
		{"a SHA-256 crypt user does not log in with the hash", "sha256crypt", vecSHA256Crypt, false},
		{"an unknown user is refused", "nobody", "anything", false},
		{"an empty user name is refused", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Verify(tt.user, Password(tt.password)); got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.user, got, tt.want)
			}
		})
	}
}

func TestDummyHashIsAValidCost10Bcrypt(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(dummyBcrypt))
	if err != nil || cost != 10 {
		t.Fatalf("bcrypt.Cost(dummyBcrypt) = %d, %v; want 10", cost, err)
	}
}

func TestParseHtpasswdAcceptsCommentsBlankLinesCRLFAndSpaces(t *testing.T) {
	content := "\ufeff# users\r\n\r\n   \r\n  alice:" + vecAPR1 + "  \r\n\t# another comment\r\ncarol:" + vecSHA + "\r\n"
	h, warnings := mustParseHtpasswd(t, content)
	if len(warnings) != 0 {
		t.Errorf("warnings = %v, want none", warnings)
	}
	if got, want := h.Users(), []string{"alice", "carol"}; !slices.Equal(got, want) {
		t.Errorf("Users() = %v, want %v", got, want)
	}
	if !h.Verify("alice", "correct horse") || !h.Verify("carol", "battery staple") {
		t.Error("users from a CRLF file do not verify")
	}
}

func TestParseHtpasswdRefusesPlaintextAndDESLinesWithAWarning(t *testing.T) {
	content := strings.Join([]string{
		"# line 1",
		"alice:" + vecAPR1,
		"",
		"bob:" + vecDES,
		"erin:plain-secret",
		"gina:" + vecSHA256Crypt,
		"hank:" + vecSHA512Crypt,
		"ivan:",
		"judy:$2y$05$tooshort",
		"kim:{SHA}bm90LXNoYTE=",
	}, "\n")
	h, warnings := mustParseHtpasswd(t, content)

	if got, want := h.Users(), []string{"alice"}; !slices.Equal(got, want) {
		t.Errorf("Users() = %v, want only %v", got, want)
	}
	want := []string{
		"htpasswd.txt:4: user \"bob\": unsupported hash (plaintext or DES crypt); re-create it with `regauth user passwd bob`",
		"htpasswd.txt:5: user \"erin\": unsupported hash (plaintext or DES crypt); re-create it with `regauth user passwd erin`",
		"htpasswd.txt:6: user \"gina\": unsupported hash (SHA-256 crypt); re-create it with `regauth user passwd gina`",
		"htpasswd.txt:7: user \"hank\": unsupported hash (SHA-512 crypt); re-create it with `regauth user passwd hank`",
		"htpasswd.txt:8: user \"ivan\": empty password hash; re-create it with `regauth user passwd ivan`",
		"htpasswd.txt:9: user \"judy\": malformed bcrypt hash; re-create it with `regauth user passwd judy`",
		"htpasswd.txt:10: user \"kim\": malformed {SHA} hash; re-create it with `regauth user passwd kim`",
	}
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
		for _, leak := range []string{vecDES, "plain-secret", vecSHA256Crypt, vecSHA512Crypt, "tooshort", "bm90"} {
			if strings.Contains(w.String(), leak) {
				t.Errorf("warning %q reveals %q", w, leak)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w := warnings[0]; w.File != "htpasswd.txt" || w.Line != 4 || w.User != "bob" {
		t.Errorf("warning fields = %+v", w)
	}
}

func TestParseHtpasswdReportsEveryMalformedLine(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // each LineError, in order
	}{
		{
			name:    "a line without a colon names file and line and does not echo the line",
			content: "alice:" + vecAPR1 + "\njust-a-password-by-mistake\n",
			want:    []string{"htpasswd.txt:2: expected user:hash, found no ':'"},
		},
		{
			name:    "an empty user name is an error",
			content: ":" + vecAPR1,
			want:    []string{"htpasswd.txt:1: user name is empty"},
		},
		{
			name:    "a user name with a space is an error",
			content: "bo b:" + vecAPR1,
			want:    []string{`htpasswd.txt:1: user name "bo b" contains white space`},
		},
		{
			name:    "a space before the colon is an error",
			content: "bob :" + vecAPR1,
			want:    []string{`htpasswd.txt:1: user name "bob " contains white space`},
		},
		{
			name:    "a user name with a control character is an error",
			content: "bo\x00b:" + vecAPR1,
			want:    []string{`htpasswd.txt:1: user name "bo\x00b" contains a control character`},
		},
		{
			name:    "a second colon is an error",
			content: "bob:" + vecAPR1 + ":comment",
			want:    []string{"htpasswd.txt:1: expected user:hash, found more than one ':'"},
		},
		{
			name:    "a duplicate user is an error naming both lines",
			content: "bob:" + vecAPR1 + "\n# c\nbob:" + vecSHA,
			want:    []string{`htpasswd.txt:3: duplicate user "bob" (first on line 1)`},
		},
		{
			name:    "a duplicate of a refused plaintext user is still an error",
			content: "bob:plain\nbob:" + vecSHA,
			want:    []string{`htpasswd.txt:2: duplicate user "bob" (first on line 1)`},
		},
		{
			name:    "all malformed lines are reported at once",
			content: "nocolon\nalice:" + vecAPR1 + "\n:x\nalice:" + vecSHA + "\n",
			want: []string{
				"htpasswd.txt:1: expected user:hash, found no ':'",
				"htpasswd.txt:3: user name is empty",
				`htpasswd.txt:4: duplicate user "alice" (first on line 2)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := ParseHtpasswd(strings.NewReader(tt.content), "htpasswd.txt")
			if err == nil {
				t.Fatalf("ParseHtpasswd succeeded with users %v", h.Users())
			}
			if h != nil {
				t.Error("ParseHtpasswd returned a file together with an error")
			}
			checkLineErrors(t, err, tt.want)
			if strings.Contains(err.Error(), "just-a-password") {
				t.Errorf("error echoes the line: %v", err)
			}
		})
	}
}

// checkLineErrors asserts that err joins exactly the *LineErrors with the wanted messages.
func checkLineErrors(t *testing.T, err error, want []string) {
	t.Helper()
	var got []string
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			var le *LineError
			if !errors.As(e, &le) {
				t.Errorf("%v is not a *LineError", e)
				continue
			}
			got = append(got, le.Error())
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseHtpasswdReportsAnOverlongLine(t *testing.T) {
	_, _, err := ParseHtpasswd(strings.NewReader("alice:"+strings.Repeat("x", maxLineBytes+1)), "big")
	if err == nil || !strings.Contains(err.Error(), "read big") {
		t.Fatalf("err = %v, want a read error naming the file", err)
	}
}

func TestLoadHtpasswd(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	writeFile(t, good, "alice:"+vecAPR1+"\n")
	bad := filepath.Join(dir, "bad")
	writeFile(t, bad, "alice:"+vecAPR1+"\nbroken\n")

	t.Run("a good file loads", func(t *testing.T) {
		h, _, err := LoadHtpasswd(good)
		if err != nil || !h.Verify("alice", "correct horse") {
			t.Fatalf("LoadHtpasswd: %v", err)
		}
	})
	t.Run("a malformed file names the file and the line", func(t *testing.T) {
		_, _, err := LoadHtpasswd(bad)
		want := `load htpasswd "` + bad + `": ` + bad + `:2: expected user:hash, found no ':'`
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
		var le *LineError
		if !errors.As(err, &le) || le.Line != 2 || le.File != bad {
			t.Errorf("errors.As(*LineError) = %+v", le)
		}
	})
	t.Run("a missing file is an error naming it", func(t *testing.T) {
		_, _, err := LoadHtpasswd(filepath.Join(dir, "missing"))
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "load htpasswd") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHtpasswdFingerprintAndKind(t *testing.T) {
	h1, _ := mustParseHtpasswd(t, "alice:"+vecAPR1+"\nbob:"+vecSHA+"\ncarol:"+vecBcrypt2y+"\ndave:"+vecDES)
	h2, _ := mustParseHtpasswd(t, "alice:"+vecAPR1+"\nbob:"+shaHash("a new password"))

	t.Run("the fingerprint is 16 bytes of unpadded base64url", func(t *testing.T) {
		fp, ok := h1.Fingerprint("alice")
		raw, err := base64.RawURLEncoding.DecodeString(fp)
		if !ok || err != nil || len(raw) != 16 {
			t.Fatalf("Fingerprint = %q, %v (%v)", fp, ok, err)
		}
		if strings.Contains(vecAPR1, fp) {
			t.Error("the fingerprint contains the hash")
		}
	})
	t.Run("the fingerprint stays the same while the hash does", func(t *testing.T) {
		a, _ := h1.Fingerprint("alice")
		b, _ := h2.Fingerprint("alice")
		if a != b {
			t.Errorf("%q != %q", a, b)
		}
	})
	t.Run("the fingerprint changes when the hash changes", func(t *testing.T) {
		a, _ := h1.Fingerprint("bob")
		b, _ := h2.Fingerprint("bob")
		if a == b {
			t.Errorf("both %q", a)
		}
	})
	t.Run("unknown and refused users have no fingerprint", func(t *testing.T) {
		for _, u := range []string{"nobody", "dave", ""} {
			if fp, ok := h1.Fingerprint(u); ok || fp != "" {
				t.Errorf("Fingerprint(%q) = %q, %v", u, fp, ok)
			}
		}
	})
	t.Run("Kind names each hash scheme", func(t *testing.T) {
		for user, want := range map[string]HashKind{"alice": KindAPR1, "bob": KindSHA1, "carol": KindBcrypt} {
			if got, ok := h1.Kind(user); !ok || got != want {
				t.Errorf("Kind(%q) = %q, %v; want %q", user, got, ok, want)
			}
		}
		if _, ok := h1.Kind("dave"); ok {
			t.Error("a refused user has a kind")
		}
	})
}

func TestNilHtpasswdHasNoUsers(t *testing.T) {
	var h *Htpasswd
	if h.Verify("alice", "x") || len(h.Users()) != 0 {
		t.Error("nil *Htpasswd has users")
	}
	if _, ok := h.Fingerprint("alice"); ok {
		t.Error("nil *Htpasswd has a fingerprint")
	}
}

func TestHashBcrypt(t *testing.T) {
	t.Run("it writes the $2y$ form at the requested cost", func(t *testing.T) {
		h, err := HashBcrypt("pw", 5)
		if err != nil {
			t.Fatal(err)
		}
		if cost, _ := bcrypt.Cost([]byte(h)); !strings.HasPrefix(h, "$2y$05$") || cost != 5 || len(h) != 60 {
			t.Errorf("HashBcrypt = %q (cost %d)", h, cost)
		}
		if kind, reason := classifyHash(h); kind != KindBcrypt {
			t.Errorf("classifyHash = %q, %q", kind, reason)
		}
	})
	t.Run("cost 0 means the default cost", func(t *testing.T) {
		h, err := HashBcrypt("pw", 0)
		if cost, _ := bcrypt.Cost([]byte(h)); err != nil || cost != bcrypt.DefaultCost {
			t.Errorf("HashBcrypt = %q, %v", h, err)
		}
	})
	t.Run("a cost out of range is an error", func(t *testing.T) {
		for _, cost := range []int{-1, 3, 32} {
			if _, err := HashBcrypt("pw", cost); err == nil {
				t.Errorf("cost %d accepted", cost)
			}
		}
	})
	t.Run("a password longer than 72 bytes is an error", func(t *testing.T) {
		if _, err := HashBcrypt(Password(strings.Repeat("a", 73)), 4); !errors.Is(err, bcrypt.ErrPasswordTooLong) {
			t.Errorf("err = %v", err)
		}
	})
}
