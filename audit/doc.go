// Package audit records who got what — tokens, refused logins, reloads, deletions, lockouts —
// as one JSON object per line, written off the request path so a slow disk never stalls a client.
package audit
