package audit

import "time"

// Event kinds, the "event" field of every line.
const (
	KindToken        = "token"         // a token was issued (possibly granting less than requested)
	KindLoginRefused = "login_refused" // bad credentials or an unusable refresh token
	KindReload       = "reload"        // a watched file was re-read (OK tells whether it took)
	KindDelete       = "delete"        // a manifest or blob was deleted from the registry
	KindLockout      = "lockout"       // an account or client was locked out after failures
)

// Event is one audit line. Every field but Time and Kind is left out when empty, so a line
// says only what is known. Callers choose what goes in; secrets never belong here, and values
// that look like tokens or Authorization headers are redacted anyway.
type Event struct {
	Time      time.Time `json:"time"`                // set to now (UTC) when zero
	Kind      string    `json:"event"`               // one of the Kind constants
	User      string    `json:"user,omitempty"`      // account name; empty for anonymous
	ClientIP  string    `json:"client_ip,omitempty"` // as the front sees it
	ClientID  string    `json:"client_id,omitempty"` // the client's own name (docker, containerd, ...)
	Grant     string    `json:"grant,omitempty"`     // basic, password, refresh_token, anonymous, front
	Requested []string  `json:"requested,omitempty"` // scopes asked for, as strings
	Granted   []string  `json:"granted,omitempty"`   // scopes put in the token
	Rules     []string  `json:"rules,omitempty"`     // the deciding rule per requested scope
	Target    string    `json:"target,omitempty"`    // reload target, or deleted repository@digest
	OK        *bool     `json:"ok,omitempty"`        // outcome where one is not implied by Kind
	Error     string    `json:"error,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
}

// Logger receives audit events. Log must not block the caller for long and must not keep
// references to the event's slices after it returns.
type Logger interface {
	Log(Event)
}

// Bool returns a pointer to b, for Event.OK.
func Bool(b bool) *bool { return &b }

// Discard returns a Logger that drops every event, for when auditing is off.
func Discard() Logger { return discard{} }

// Discards reports whether l drops every event, so that callers can skip building them.
func Discards(l Logger) bool {
	_, ok := l.(discard)
	return l == nil || ok
}

type discard struct{}

func (discard) Log(Event) {}
