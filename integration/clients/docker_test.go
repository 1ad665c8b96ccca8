package clients

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dockerDaemon is the docker engine the tests talk to: the machine's own when one answers on
// the default socket, else a dockerd this test binary started and will stop.
type dockerDaemon struct {
	cli        string   // the docker CLI
	env        []string // DOCKER_HOST when the daemon is ours
	containerd string   // containerd's socket, for ctr; "" when unknown
	version    string

	dir  string // our daemon's root; short, because unix socket paths are limited to 108 bytes
	cmd  *exec.Cmd
	done chan error
}

// startDocker finds or starts a docker engine. It returns a reason instead of an error when
// docker is simply not installed, so tests can skip (or fail under CI) with that reason.
func startDocker() (*dockerDaemon, string, error) {
	cli := findPeer("docker")
	if cli == "" {
		return nil, "the docker CLI is not installed", nil
	}
	d := &dockerDaemon{cli: cli}
	if v, err := d.serverVersion(10 * time.Second); err == nil {
		d.version = v
		if os.Getenv("DOCKER_HOST") == "" {
			d.containerd = "/run/containerd/containerd.sock"
		}
		return d, "", nil
	}
	dockerd := findPeer("dockerd")
	if dockerd == "" {
		return nil, "no docker daemon answers and dockerd is not installed", nil
	}
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "rgd")
	if err != nil {
		return nil, "", err
	}
	d.dir = dir
	sock := filepath.Join(dir, "d.sock")
	d.env = []string{"DOCKER_HOST=unix://" + sock}
	d.containerd = filepath.Join(dir, "exec", "containerd", "containerd.sock")
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		return nil, "", err
	}
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		return nil, "", err
	}
	defer logf.Close()
	// No iptables and no default bridge: the tests must not change the machine's firewall or
	// routing. Only the compose tests run containers; the production stack's own compose
	// network is a user-defined bridge that docker creates for it and removes with it, and
	// its published ports go through docker's userland proxy. Our own config file, so a
	// daemon.json on the machine cannot change what is tested.
	d.cmd = exec.Command(dockerd,
		"--iptables=false", "--ip6tables=false", "--bridge=none",
		"--config-file", filepath.Join(dir, "daemon.json"),
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "pid"),
		"-H", "unix://"+sock,
		"--log-level", "warn",
	)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	// Its own process group, so a ^C to the tests does not kill it before we stop it cleanly;
	// ended with the test binary if that dies without tearing down (a -timeout panic).
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := d.cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start dockerd: %w", err)
	}
	d.done = make(chan error, 1)
	go func() { d.done <- d.cmd.Wait() }()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-d.done:
			d.done <- err
			log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
			return nil, "", fmt.Errorf("dockerd exited during start (%v):\n%s", err, tail(string(log), 30))
		case <-time.After(500 * time.Millisecond):
		}
		if v, err := d.serverVersion(5 * time.Second); err == nil {
			d.version = v
			return d, "", nil
		}
	}
	d.stop()
	log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
	return nil, "", fmt.Errorf("dockerd did not answer within 90s:\n%s", tail(string(log), 30))
}

func (d *dockerDaemon) serverVersion(timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.cli, "version", "--format", "client {{.Client.Version}} (API {{.Client.APIVersion}}), daemon {{.Server.Version}} (API {{.Server.APIVersion}})")
	cmd.Env = append(os.Environ(), d.env...)
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// stop ends only the daemon we started, and removes its directories.
func (d *dockerDaemon) stop() {
	if d == nil || d.cmd == nil {
		return
	}
	d.removeNetworks()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
	d.cmd = nil
	unmountUnder(d.dir)
	if err := os.RemoveAll(d.dir); err != nil {
		fmt.Fprintf(os.Stderr, "clients: leaving %s behind: %v\n", d.dir, err)
	}
}

// removeNetworks removes what a compose test left behind in our daemon — containers, then
// networks — before it stops: a user-defined network's bridge is a host interface that
// outlives the daemon and its removed data directory.
func (d *dockerDaemon) removeNetworks() {
	docker := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, d.cli, args...)
		cmd.Env = append(os.Environ(), d.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "clients: docker %s: %v: %s\n", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if ids := strings.Fields(docker("ps", "-aq")); len(ids) > 0 {
		docker(append([]string{"rm", "-f"}, ids...)...)
	}
	docker("network", "prune", "-f")
}

// unmountUnder detaches what dockerd left mounted below dir — the network namespace it
// bind-mounts under its exec root once a container has run — so dir can be removed.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) }) // deepest first
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			fmt.Fprintf(os.Stderr, "clients: unmount %s: %v\n", p, err)
		}
	}
}

// dockerCLI is the docker command line with its own config directory, so logins from one
// test never leak into another.
type dockerCLI struct {
	d         *dockerDaemon
	configDir string
}

func (d *dockerDaemon) newCLI(t testing.TB) *dockerCLI {
	t.Helper()
	return &dockerCLI{d: d, configDir: t.TempDir()}
}

func (c *dockerCLI) cmd(stdin string, args ...string) command {
	return command{Path: c.d.cli, Args: args, Stdin: stdin, Env: append([]string{"DOCKER_CONFIG=" + c.configDir}, c.d.env...)}
}

func (c *dockerCLI) run(t testing.TB, args ...string) result {
	t.Helper()
	return run(t, c.cmd("", args...))
}

func (c *dockerCLI) must(t testing.TB, args ...string) result {
	t.Helper()
	return mustRun(t, c.cmd("", args...))
}

// login is `docker login HOST -u USER --password-stdin`, the documented way.
func (c *dockerCLI) login(t testing.TB, host, user, pw string) result {
	t.Helper()
	return run(t, c.cmd(pw+"\n", "login", host, "-u", user, "--password-stdin"))
}

// trustCertsD installs regauth's CA where the docker daemon looks for a registry's CA:
// /etc/docker/certs.d/HOST/ca.crt — the step regauth prints at start for a development
// certificate. dockerd reads that directory on every connection, whatever --config-file or
// --exec-root it runs with, so no restart is needed. The directory is removed at the end.
//
// Docker always counts 127.0.0.0/8 as an "insecure registry" (dockerd appends it to
// insecure-registries unconditionally), and for an insecure registry it neither reads
// certs.d nor verifies the certificate. So against a loopback regauth this step is what
// users do, but the daemon's TLS verification is not what is proven there; the test in
// dockertls_test.go proves it on a non-loopback address (and the other clients — curl, skopeo,
// podman, crane, regctl, oras, ctr — verify against the CA everywhere).
func trustCertsD(host, caFile string) (func(), error) {
	dir := filepath.Join("/etc/docker/certs.d", host)
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s (tests need root for the docker daemon's certs.d): %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644); err != nil {
		return nil, err
	}
	return func() { _ = os.RemoveAll(dir) }, nil
}

// needDocker returns the shared docker engine, or ends the test when there is none.
func needDocker(t testing.TB) *dockerDaemon {
	t.Helper()
	if env.docker == nil {
		if env.dockerErr != nil {
			t.Fatalf("docker engine: %v", env.dockerErr)
		}
		missingPeer(t, "docker", env.dockerMissing)
	}
	if env.certsDErr != nil {
		// Not fatal: dockerd skips certs.d for a loopback registry anyway (see trustCertsD).
		t.Logf("warning: could not put regauth's CA in docker's certs.d: %v", env.certsDErr)
	}
	t.Logf("client: docker %s", env.docker.version)
	return env.docker
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

var errNoDigest = errors.New("no digest in the output")
