package auth

import (
	"context"
	"errors"
)

// ErrInvalidCredentials is the only answer a caller gets for a failed login, so that nobody
// can learn whether the user name or the password was wrong.
var ErrInvalidCredentials = errors.New("invalid username or password")

// Identity is the result of authentication. Name "" is the anonymous user.
type Identity struct {
	Name   string
	Groups []string
}

// Anonymous reports whether nobody has authenticated.
func (i Identity) Anonymous() bool { return i.Name == "" }

// Authenticator checks a user name and password. A failed check returns ErrInvalidCredentials;
// any other error means the check could not be made.
type Authenticator interface {
	Authenticate(ctx context.Context, username string, password Password) (Identity, error)
}

// Directory answers questions about a user without a password, for refresh tokens that must
// stop working when the user is removed or changes password.
type Directory interface {
	// Lookup returns the user's identity and a fingerprint that changes whenever the user's
	// password hash changes; ok is false when the user no longer exists.
	Lookup(username string) (id Identity, fingerprint string, ok bool)
}
