package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/regauth/regauth/auth"
)

// TestMain keeps gin quiet when tests build a real server.
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// testEnv is a regauth configuration in a temporary directory, with every file under it.
type testEnv struct {
	t        *testing.T
	dir      string
	config   string
	htpasswd string
	groups   string
	aclFile  string
	dataDir  string
	secrets  []string // must never appear in any output
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	for _, v := range []string{"REGAUTH_CONFIG", "REGAUTH_PASSWORD", "REGAUTH_TLS_PFX_PASSWORD"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	e := &testEnv{
		t: t, dir: dir,
		config:   filepath.Join(dir, "regauth.yaml"),
		htpasswd: filepath.Join(dir, "htpasswd"),
		groups:   filepath.Join(dir, "groups"),
		aclFile:  filepath.Join(dir, "acl.yaml"),
		dataDir:  filepath.Join(dir, "data"),
	}
	e.writeConfig("")
	return e
}

// writeConfig writes the configuration file; extra is appended YAML.
func (e *testEnv) writeConfig(extra string) {
	e.t.Helper()
	yaml := "data_dir: " + e.dataDir + "\n" +
		"token:\n  issuer: regauth-test\n  service: registry.test\n" +
		"auth:\n  htpasswd: " + e.htpasswd + "\n  groups: " + e.groups + "\n" +
		"acl:\n  file: " + e.aclFile + "\n" + extra
	e.write(e.config, yaml)
}

func (e *testEnv) write(path, content string) {
	e.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *testEnv) read(path string) string {
	e.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

// run executes regauth -c config ARGS with stdin, checks that no secret leaked into the
// output, and returns the exit code and both outputs.
func (e *testEnv) run(stdin string, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errOut strings.Builder
	code = run(append([]string{"-c", e.config}, args...), strings.NewReader(stdin), &out, &errOut)
	for _, s := range e.secrets {
		if strings.Contains(out.String(), s) || strings.Contains(errOut.String(), s) {
			e.t.Errorf("regauth %s printed a password:\nstdout: %s\nstderr: %s", strings.Join(args, " "), out.String(), errOut.String())
		}
	}
	return code, out.String(), errOut.String()
}

// mustRun is run expecting exit code want.
func (e *testEnv) mustRun(want int, stdin string, args ...string) (stdout, stderr string) {
	e.t.Helper()
	code, stdout, stderr := e.run(stdin, args...)
	if code != want {
		e.t.Fatalf("regauth %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// secret registers a password that must never be printed and returns it.
func (e *testEnv) secret(pw string) string {
	e.secrets = append(e.secrets, pw)
	return pw
}

// addUser adds a user through the command, the way an admin would.
func (e *testEnv) addUser(name, password string) {
	e.t.Helper()
	e.mustRun(0, e.secret(password)+"\n", "user", "add", name, "--password-stdin", "--cost", "4")
}

// login checks a password through the same store the server uses.
func (e *testEnv) login(user, password string) (auth.Identity, error) {
	e.t.Helper()
	groups := e.groups
	if _, err := os.Stat(groups); err != nil {
		groups = ""
	}
	store, err := auth.NewStore(auth.StoreOptions{HtpasswdPath: e.htpasswd, GroupsPath: groups})
	if err != nil {
		e.t.Fatal(err)
	}
	return store.Authenticate(context.Background(), user, auth.Password(password))
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
