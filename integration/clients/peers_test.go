package clients

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// inCI is true under CI=true: a missing client then fails the run instead of skipping.
func inCI() bool {
	ok, _ := strconv.ParseBool(os.Getenv("CI"))
	return ok
}

// installHint is what to run to get every peer.
const installHint = "run scripts/install-test-deps.sh as root on Debian (or `scripts/install-test-deps.sh --print` for the commands)"

// peerDirs are searched after PATH: `go install` puts crane, regctl and oras there.
var peerDirs = sync.OnceValue(func() []string {
	out, err := exec.Command("go", "env", "GOPATH", "GOBIN").Output()
	if err != nil {
		return nil
	}
	var dirs []string
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 1 && lines[1] != "" {
		dirs = append(dirs, lines[1])
	}
	for _, p := range filepath.SplitList(lines[0]) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	return dirs
})

// findPeer returns the path of a client program, or "" when it is not installed.
func findPeer(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range peerDirs() {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// missingPeer ends the test for a client that is not there: a failure under CI (a run that
// silently tests nothing must not pass), a loud skip elsewhere.
func missingPeer(t testing.TB, what, why string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available (%s): %s", what, why, installHint)
	if inCI() {
		t.Fatal("CI=true and " + msg)
	}
	t.Skip("SKIPPED, NOTHING TESTED: " + msg)
}

// needPeer returns the path of name, ending the test when it is missing.
func needPeer(t testing.TB, name string) string {
	t.Helper()
	p := findPeer(name)
	if p == "" {
		missingPeer(t, name, "not on PATH nor in $(go env GOPATH)/bin")
	}
	return p
}

// logVersion records which build of a client a test used; versionArgs print it.
func logVersion(t testing.TB, path string, versionArgs ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, versionArgs...).CombinedOutput()
	v := strings.TrimSpace(string(out))
	if first, _, ok := strings.Cut(v, "\n"); ok {
		v = first
	}
	if err != nil {
		v = fmt.Sprintf("(version unknown: %v: %s)", err, v)
	}
	t.Logf("client: %s %s", filepath.Base(path), v)
	return v
}

// command is one run of a client program.
type command struct {
	Path  string
	Args  []string
	Env   []string // added to the test process's environment
	Dir   string
	Stdin string
	// Timeout ends the command; 3 minutes when zero.
	Timeout time.Duration
}

// result is what a command printed and how it ended.
type result struct {
	Stdout, Stderr string
	Err            error
}

// Output is both streams, for messages and for checks that do not care which one a client
// used.
func (r result) Output() string { return strings.TrimSpace(r.Stdout + "\n" + r.Stderr) }

// run executes c with a deadline and logs the command line and what it printed.
func run(t testing.TB, c command) result {
	t.Helper()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Dir = c.Dir
	cmd.Stdin = strings.NewReader(c.Stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", time.Since(start).Round(time.Second), err)
	}
	r := result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	status := "ok"
	if err != nil {
		status = err.Error()
	}
	t.Logf("$ %s %s  [%s, %v]\n%s", filepath.Base(c.Path), strings.Join(redact(c.Args), " "), status,
		time.Since(start).Round(time.Millisecond), indent(r.Output()))
	return r
}

// mustRun is run that fails the test when the command fails.
func mustRun(t testing.TB, c command) result {
	t.Helper()
	r := run(t, c)
	if r.Err != nil {
		t.Fatalf("%s %s failed: %v\n%s", filepath.Base(c.Path), strings.Join(redact(c.Args), " "), r.Err, r.Output())
	}
	return r
}

// mustRefuse fails the test unless c failed with the registry's refusal: denied,
// unauthorized or insufficient_scope, in whatever words the client uses.
func mustRefuse(t testing.TB, c command) result {
	t.Helper()
	return expectRefused(t, c, run(t, c))
}

// expectRefused is mustRefuse's check of r, what c did.
func expectRefused(t testing.TB, c command, r result) result {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("%s %s succeeded; the ACL does not allow it", filepath.Base(c.Path), strings.Join(redact(c.Args), " "))
	}
	if !saysRefused(r.Output()) {
		t.Fatalf("%s failed, but not with a refusal (want denied/unauthorized/insufficient):\n%s", filepath.Base(c.Path), r.Output())
	}
	return r
}

func saysRefused(out string) bool {
	low := strings.ToLower(out)
	for _, w := range []string{"denied", "unauthorized", "insufficient", "401", "403"} {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// redact hides credentials passed as arguments in the logged command line.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		switch {
		case i > 0 && (args[i-1] == "-p" || args[i-1] == "--password" || args[i-1] == "--cacert"):
			out[i] = "***"
		case i > 0 && (args[i-1] == "-u" || args[i-1] == "--user") && strings.Contains(a, ":"):
			user, _, _ := strings.Cut(a, ":")
			out[i] = user + ":***"
		case strings.HasPrefix(a, "--creds=") || strings.HasPrefix(a, "--src-creds=") || strings.HasPrefix(a, "--dest-creds="):
			k, v, _ := strings.Cut(a, "=")
			user, _, _ := strings.Cut(v, ":")
			out[i] = k + "=" + user + ":***"
		}
	}
	return out
}

func indent(s string) string {
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
