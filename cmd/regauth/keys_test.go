package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/regauth/regauth/tokens"
)

func TestKeysInitCreatesOnceThenReuses(t *testing.T) {
	e := newTestEnv(t)
	stdout, _ := e.mustRun(0, "", "keys", "init")
	root, _ := filepath.Abs(filepath.Join(e.dataDir, "token", tokens.RootCertFile))
	mustContain(t, "first run", stdout, "created the ES256 token signing key", "root certificate: "+root,
		"rootcertbundle: "+root, "service: registry.test", "issuer: regauth-test", "realm: https://localhost:5043/auth")
	kid := regexp.MustCompile(`key id: +(\S+)`).FindStringSubmatch(stdout)
	if kid == nil {
		t.Fatalf("no key id in:\n%s", stdout)
	}
	gen, err := tokens.EnsureKeys(filepath.Join(e.dataDir, "token"), "ES256", time.Now())
	if err != nil || gen.Created || gen.KeyPair.KeyID != kid[1] {
		t.Fatalf("printed key id %s, the files hold %+v (created %v, %v)", kid[1], gen.KeyPair.KeyID, gen.Created, err)
	}

	again, stderr := e.mustRun(0, "", "keys", "init", "--algorithm", "RS256")
	mustContain(t, "second run", again, "reusing the ES256 token signing key", "key id:           "+kid[1])
	mustContain(t, "stderr", stderr, "the existing key is ES256, not RS256")
}

func TestKeysInitWithRS256(t *testing.T) {
	e := newTestEnv(t)
	stdout, _ := e.mustRun(0, "", "keys", "init", "--algorithm", "RS256")
	mustContain(t, "stdout", stdout, "created the RS256 token signing key")
	if _, err := os.Stat(filepath.Join(e.dataDir, "token", tokens.SigningKeyFile)); err != nil {
		t.Error(err)
	}
}

func TestKeysInitExitCodes(t *testing.T) {
	e := newTestEnv(t)
	_, stderr := e.mustRun(2, "", "keys", "init", "--algorithm", "EdDSA")
	mustContain(t, "stderr", stderr, `token.algorithm: "EdDSA" is not ES256 or RS256`)
	e.write(e.config, "data_dir: "+e.dataDir+"\ntoken:\n  key: k.pem\n  cert: c.pem\n")
	_, stderr = e.mustRun(2, "", "keys", "init")
	mustContain(t, "stderr", stderr, "token.key and token.cert are configured")
}
