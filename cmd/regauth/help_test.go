package main

import (
	"strings"
	"testing"
)

func TestEveryAdminCommandHasHelp(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{
		"user", "user add", "user passwd", "user del", "user list",
		"group", "group add", "group del", "group list",
		"cert", "cert inspect", "cert import",
		"keys", "keys init",
		"acl", "acl check", "acl lint",
		"token",
	} {
		t.Run(path, func(t *testing.T) {
			stdout, _ := e.mustRun(0, "", append(strings.Fields(path), "--help")...)
			mustContain(t, "help", stdout, "Usage:", "regauth "+path, "--config")
		})
	}
}
