package auth

import (
	"fmt"
	"log/slog"
)

const masked = "***"

// Password is a secret that renders as "***" through fmt, encoding/json, encoding.TextMarshaler
// and log/slog, so that logging a request or a config by accident leaks nothing. (One gap:
// encoding/json writes map keys of any string type as they are, so never key a map by Password.)
type Password string

// Reveal returns the secret; it is the only way to get it, which makes every use easy to find.
func (p Password) Reveal() string { return string(p) }

// String implements fmt.Stringer.
func (p Password) String() string { return masked }

// GoString implements fmt.GoStringer (%#v).
func (p Password) GoString() string { return masked }

// Format implements fmt.Formatter, so that no verb or flag (%x, %+v, %#v ...) bypasses String.
func (p Password) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(`"` + masked + `"`))
		return
	}
	_, _ = f.Write([]byte(masked))
}

// MarshalJSON implements json.Marshaler.
func (p Password) MarshalJSON() ([]byte, error) { return []byte(`"` + masked + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (p Password) MarshalText() ([]byte, error) { return []byte(masked), nil }

// LogValue implements slog.LogValuer.
func (p Password) LogValue() slog.Value { return slog.StringValue(masked) }
