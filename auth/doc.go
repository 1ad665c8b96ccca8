// Package auth answers "who is this?": it checks user names and passwords against an Apache
// htpasswd file, adds groups from an Apache group file, and knows nothing about HTTP or JWT.
package auth
