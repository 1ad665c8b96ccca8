// Package server is regauth's HTTP layer: the gin engine that serves the token endpoint (/auth),
// the JWKS, health checks and, in front of the registry, /v2/. It holds no matching, hashing or
// signing logic of its own: it calls auth, acl and tokens.
package server
