// Package app assembles a running regauth from a Config: it creates what a first start needs
// (keys, development certificate, an admin user), builds every part and serves them on one port.
package app
