package clients

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
)

// Users of the classic setup: test may pull, testpush (group pusher) may push too, admin
// (group admins) may do everything. They all start with this password.
const password = "password"

// regauth is one `regauth serve` process on a free port (of 127.0.0.1 unless asked otherwise),
// started from a config file the way an admin would run it.
type regauth struct {
	Host    string // address:port, as image references and docker's certs.d name it
	URL     string // https://Host
	CAFile  string // the development CA regauth generated under data_dir/tls
	CertDir string // a directory holding only ca.crt, for --cert-dir style flags
	LogFile string

	bin, dir  string
	passwords map[string]string
	cmd       *exec.Cmd
	exited    chan error
}

// newRegauth writes the configuration, users, groups and ACL under dir and starts regauth
// on a free loopback port.
func newRegauth(bin, dir string) (*regauth, error) {
	return newRegauthWith(bin, dir, regauthOptions{})
}

// regauthOptions change what newRegauthWith writes before regauth starts.
type regauthOptions struct {
	ip     string            // the address to listen on and name in public_url; 127.0.0.1 when empty
	config string            // more configuration, appended to regauth.yaml
	acl    []byte            // the rules; the classic ones when nil
	users  map[string]string // more users and their passwords; they belong to no group
	// beforeStart runs once the files are written and before `regauth serve`: for commands
	// an admin runs first, such as `regauth registry-config` for a stock registry.
	beforeStart func(r *regauth) error
}

// newRegauthWith is newRegauth with extra configuration, rules or users.
func newRegauthWith(bin, dir string, opts regauthOptions) (*regauth, error) {
	ip := cmp.Or(opts.ip, "127.0.0.1")
	port, err := freePortOn(ip)
	if err != nil {
		return nil, err
	}
	r := &regauth{
		Host:      net.JoinHostPort(ip, fmt.Sprint(port)),
		bin:       bin,
		dir:       dir,
		passwords: map[string]string{"test": password, "testpush": password, "admin": password},
		LogFile:   filepath.Join(dir, "regauth.log"),
		CertDir:   filepath.Join(dir, "certs"),
	}
	for u, pw := range opts.users {
		r.passwords[u] = pw
	}
	r.URL = "https://" + r.Host
	r.CAFile = filepath.Join(dir, "data", "tls", "ca.crt")
	cfg := fmt.Sprintf(`# written by integration/clients
listen: %[1]s
public_url: https://%[1]s
data_dir: %[2]s/data
log:
  level: info
auth:
  htpasswd: %[2]s/htpasswd
  groups: %[2]s/groups
acl:
  file: %[2]s/acl.yaml
`, r.Host, dir) + opts.config
	rules := opts.acl
	if rules == nil {
		rules = acl.ClassicYAML()
	}
	files := map[string][]byte{
		"regauth.yaml": []byte(cfg),
		"groups":       []byte(classicGroups),
		"acl.yaml":     rules,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			return nil, err
		}
	}
	if err := r.writeUsers(); err != nil {
		return nil, err
	}
	if opts.beforeStart != nil {
		if err := opts.beforeStart(r); err != nil {
			return nil, err
		}
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	if err := r.writeCertDir(); err != nil {
		return nil, errors.Join(err, r.stop())
	}
	return r, nil
}

// writeCertDir copies the development CA into CertDir, for clients that take a directory.
func (r *regauth) writeCertDir() error {
	if err := os.MkdirAll(r.CertDir, 0o755); err != nil {
		return err
	}
	ca, err := os.ReadFile(r.CAFile)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.CertDir, "ca.crt"), ca, 0o644)
}

// startRegauth runs a regauth of the test's own in dir (a new temporary directory when empty):
// stopped when the test ends, its log shown when the test fails.
func startRegauth(t *testing.T, dir string, opts regauthOptions) *regauth {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	reg, err := newRegauthWith(env.bin, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reg.stop(); err != nil {
			t.Error(err)
		}
	})
	reg.showLogOnFailure(t)
	return reg
}

// classicGroups is the Apache group file of the classic setup.
const classicGroups = "pusher: testpush\nadmins: admin\n"

func freePort() (int, error) { return freePortOn("127.0.0.1") }

// freePortOn is a TCP port nobody listens on at the address ip.
func freePortOn(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeUsers writes the htpasswd file from r.passwords.
func (r *regauth) writeUsers() error {
	return writeHtpasswd(filepath.Join(r.dir, "htpasswd"), r.passwords)
}

// writeHtpasswd writes an htpasswd file by replacing it, as admins' tools do. The bcrypt
// cost is the lowest one: what is tested is the protocol, and cost 10 under the race
// detector costs seconds a hash.
func writeHtpasswd(path string, passwords map[string]string) error {
	var b strings.Builder
	for _, u := range slices.Sorted(maps.Keys(passwords)) {
		h, err := auth.HashBcrypt(auth.Password(passwords[u]), bcrypt.MinCost)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s:%s\n", u, h)
	}
	if err := os.WriteFile(path+".new", []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(path+".new", path)
}

// start runs the process and waits until /healthz answers over TLS with the generated CA.
func (r *regauth) start() error {
	logf, err := os.OpenFile(r.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "----- %s starting regauth serve\n", time.Now().Format(time.RFC3339))
	r.cmd = exec.Command(r.bin, "serve", "--config", filepath.Join(r.dir, "regauth.yaml"))
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.cmd.Env = append(os.Environ(), "REGAUTH_CONFIG=")
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start regauth: %w", err)
	}
	r.exited = make(chan error, 1)
	go func() { r.exited <- r.cmd.Wait() }()

	deadline := time.Now().Add(90 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-r.exited:
			r.exited <- err
			return fmt.Errorf("regauth exited during start (%v):\n%s", err, r.logTail(40))
		case <-time.After(200 * time.Millisecond):
		}
		if last = r.answersOK("/healthz"); last == nil {
			return nil
		}
	}
	_ = r.cmd.Process.Kill()
	return fmt.Errorf("regauth not healthy after 90s (%v):\n%s", last, r.logTail(40))
}

// stop sends SIGTERM, as a service manager would, and requires a clean exit.
func (r *regauth) stop() error {
	if r.cmd == nil {
		return nil
	}
	defer func() { r.cmd = nil }()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-r.exited:
		if err != nil {
			return fmt.Errorf("regauth did not exit cleanly on SIGTERM (exit code 66 is a data race): %w\n%s", err, r.logTail(150))
		}
		return nil
	case <-time.After(45 * time.Second):
		_ = r.cmd.Process.Kill()
		return errors.New("regauth still running 45s after SIGTERM")
	}
}

// setPassword rewrites the htpasswd file with a new password for user, the way an admin's
// tool replaces it (write a new file, rename it over the old one), and waits until regauth
// has reloaded it: regauth watches its user file and needs no restart.
func (r *regauth) setPassword(user, pw string) error {
	before := strings.Count(r.logTail(1<<20), reloadedUsers)
	r.passwords[user] = pw
	if err := r.writeUsers(); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(r.logTail(1<<20), reloadedUsers) > before {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("regauth did not log %q within 20s of the htpasswd rewrite:\n%s", reloadedUsers, r.logTail(20))
}

// reloadedUsers is what regauth logs when it has swapped in a new user or group file.
const reloadedUsers = "msg=reloaded target=users"

// restart stops regauth with SIGTERM and starts it again on the same port and data
// directory, as an upgrade or a host reboot would.
func (r *regauth) restart() error {
	if err := r.stop(); err != nil {
		return err
	}
	return r.start()
}

// answersOK GETs path from the front (trusting regauth's CA, once it exists) and wants a 200.
func (r *regauth) answersOK(path string) error {
	client, err := r.httpClient()
	if err != nil {
		return err
	}
	resp, err := client.Get(r.URL + path)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return nil
}

// httpClient trusts only regauth's CA.
func (r *regauth) httpClient() (*http.Client, error) {
	pool, err := r.certPool()
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

func (r *regauth) certPool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", r.CAFile)
	}
	return pool, nil
}

func (r *regauth) client(t testing.TB) *http.Client {
	t.Helper()
	c, err := r.httpClient()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logTail is the end of regauth's log, for failure messages.
func (r *regauth) logTail(lines int) string {
	b, _ := os.ReadFile(r.LogFile)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// loggedLine reports whether one line of regauth's output (its process log, and its audit
// log on stdout) holds every one of parts: the server's side of what a client did (which
// grant it used, what was revoked).
func (r *regauth) loggedLine(parts ...string) bool {
	b, _ := os.ReadFile(r.LogFile)
	for line := range strings.Lines(string(b)) {
		found := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				found = false
				break
			}
		}
		if found {
			return true
		}
	}
	return false
}

// showLogOnFailure prints what regauth logged during t when t fails: the server's side of a
// client's failure is usually the explanation.
func (r *regauth) showLogOnFailure(t testing.TB) {
	t.Helper()
	fi, err := os.Stat(r.LogFile)
	var from int64
	if err == nil {
		from = fi.Size()
	}
	t.Cleanup(func() {
		f, err := os.Open(r.LogFile)
		if err != nil {
			return
		}
		defer f.Close()
		if _, err := f.Seek(from, io.SeekStart); err != nil {
			return
		}
		b, _ := io.ReadAll(io.LimitReader(f, 256<<10))
		if strings.Contains(string(b), "WARNING: DATA RACE") {
			t.Error("regauth hit a data race during this test (its log follows)")
		}
		if t.Failed() {
			t.Logf("regauth log during this test:\n%s", indent(strings.TrimRight(string(b), "\n")))
		}
	})
}

// get performs a request with optional Basic credentials and returns status and body.
func (r *regauth) get(ctx context.Context, t testing.TB, path, user, pw string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	resp, err := r.client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}
