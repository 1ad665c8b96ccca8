package auth

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const secret = "hunter2-s3cret"

func TestPasswordRevealReturnsTheSecret(t *testing.T) {
	if got := Password(secret).Reveal(); got != secret {
		t.Fatalf("Reveal() = %q, want %q", got, secret)
	}
}

func TestPasswordNeverPrintsItsValue(t *testing.T) {
	pw := Password(secret)
	type login struct {
		User     string
		Password Password
	}
	in := login{User: "alice", Password: pw}

	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	logWith := func(newHandler func(*bytes.Buffer) slog.Handler, args ...any) string {
		var buf bytes.Buffer
		slog.New(newHandler(&buf)).Info("login", args...)
		return buf.String()
	}
	textHandler := func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }
	jsonHandler := func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }
	text, err := pw.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	xmlOut, err := xml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		got  string
		want string // a substring the output must contain
	}{
		{"String returns stars", pw.String(), "***"},
		{"GoString returns stars", pw.GoString(), "***"},
		{"%v prints stars", fmt.Sprintf("%v", pw), "***"},
		{"%s prints stars", fmt.Sprintf("%s", pw), "***"},
		{"%q prints quoted stars", fmt.Sprintf("%q", pw), `"***"`},
		{"%+v prints stars", fmt.Sprintf("%+v", pw), "***"},
		{"%#v prints stars", fmt.Sprintf("%#v", pw), "***"},
		{"%x prints stars", fmt.Sprintf("%x", pw), "***"},
		{"%10.3s prints stars", fmt.Sprintf("%10.3s", pw), "***"},
		{"a pointer prints stars", fmt.Sprintf("%v", &pw), "***"},
		{"a struct field prints stars with %v", fmt.Sprintf("%v", in), "{alice ***}"},
		{"a struct field prints stars with %+v", fmt.Sprintf("%+v", in), "Password:***"},
		{"a struct field prints stars with %#v", fmt.Sprintf("%#v", in), "Password:***"},
		{"a wrapped error prints stars", fmt.Errorf("login with %v failed", pw).Error(), "***"},
		{"json.Marshal writes stars", jsonOf(pw), `"***"`},
		{"json.Marshal of a struct writes stars", jsonOf(in), `"Password":"***"`},
		{"MarshalText writes stars", string(text), "***"},
		{"xml.Marshal writes stars", string(xmlOut), "<Password>***</Password>"},
		{"slog text handler logs stars", logWith(textHandler, "password", pw), "password=***"},
		{"slog JSON handler logs stars", logWith(jsonHandler, "password", pw), `"password":"***"`},
		{"slog logs stars inside a struct", logWith(jsonHandler, "req", in), `"Password":"***"`},
		{"slog text handler logs stars inside a struct", logWith(textHandler, "req", in), "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.got, secret) {
				t.Fatalf("output reveals the password: %s", tt.got)
			}
			if !strings.Contains(tt.got, tt.want) {
				t.Fatalf("output %q does not contain %q", tt.got, tt.want)
			}
		})
	}
}

func TestPasswordCanStillBeDecodedFromJSON(t *testing.T) {
	var v struct{ Password Password }
	if err := json.Unmarshal([]byte(`{"Password":"`+secret+`"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Password.Reveal() != secret {
		t.Fatalf("decoded %q, want %q", v.Password.Reveal(), secret)
	}
}
