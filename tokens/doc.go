// Package tokens issues and verifies the JSON Web Tokens a Docker/OCI registry trusts.
// It owns the scope grammar, signing keys and their certificates, refresh tokens and the JWKS.
//
// Access tokens carry the signing certificate chain in the "x5c" header and an RFC 7638
// thumbprint as "kid": the only form that both registry:2 (distribution v2.8.x, which ignores
// JWKS) and registry:3 (which refuses a libtrust kid) accept. "aud" is always one string.
package tokens
