package clients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// env is what every test in the package shares: one regauth binary, one regauth process for
// the tests that do not restart it, one docker engine.
var env struct {
	work    string // temporary directory for everything below
	bin     string // the regauth binary under test
	reg     *regauth
	rootfs  string // tar of the test image's file system, for `docker import`
	image   v1.Image
	imgTar  string // the same image in `docker save` format
	missing []string

	docker        *dockerDaemon
	dockerMissing string // why there is no docker engine, when it is not installed
	dockerErr     error  // docker is installed but would not start
	certsDErr     error
	untrust       func()

	imagesOnce sync.Once // buildImages
	imagesErr  error
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	start := time.Now()
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, "clients: set-up failed:", err)
		_ = tearDown()
		return 1
	}
	fmt.Printf("clients: set up in %v: regauth at %s, docker: %s\n", time.Since(start).Round(time.Millisecond), env.reg.URL, dockerSummary())
	if len(env.missing) > 0 {
		fmt.Fprintf(os.Stderr, "\n!!! clients: NOT INSTALLED: %s\n!!! their tests %s; %s\n\n",
			strings.Join(env.missing, ", "), map[bool]string{true: "FAIL (CI=true)", false: "are SKIPPED"}[inCI()], installHint)
	}
	code := m.Run()
	if err := tearDown(); err != nil {
		fmt.Fprintln(os.Stderr, "clients:", err)
		code = 1
	}
	return code
}

func setUp() error {
	var err error
	if env.work, err = os.MkdirTemp("", "regauth-clients"); err != nil {
		return err
	}
	if env.bin, err = buildRegauth(env.work); err != nil {
		return err
	}
	env.rootfs = filepath.Join(env.work, "rootfs.tar")
	if err := writeRootfs(env.rootfs); err != nil {
		return err
	}
	if env.image, err = imageFromRootfs(env.rootfs); err != nil {
		return err
	}
	env.imgTar = filepath.Join(env.work, "image.tar")
	if err := writeImageTar(env.imgTar, env.image); err != nil {
		return err
	}
	dir := filepath.Join(env.work, "shared")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if env.reg, err = newRegauth(env.bin, dir); err != nil {
		return err
	}
	env.docker, env.dockerMissing, env.dockerErr = startDocker()
	if env.docker != nil {
		env.untrust, env.certsDErr = trustCertsD(env.reg.Host, env.reg.CAFile)
	}
	for _, p := range []string{"docker", "dockerd", "docker-compose", "ctr", "curl", "skopeo", "podman", "crane", "regctl", "oras", "conformance", "registry"} {
		if p == "dockerd" && env.docker != nil {
			continue // the machine's own daemon answered
		}
		if findPeer(p) == "" {
			env.missing = append(env.missing, p)
		}
	}
	return nil
}

// buildRegauth builds the binary once per test run; REGAUTH_TEST_BINARY tests a given one
// (a release build, say) instead.
func buildRegauth(dir string) (string, error) {
	if bin := os.Getenv("REGAUTH_TEST_BINARY"); bin != "" {
		return filepath.Abs(bin)
	}
	bin := filepath.Join(dir, "regauth")
	args := []string{"build", "-o", bin}
	if raceDetector {
		args = append(args, "-race")
	}
	start := time.Now()
	out, err := exec.Command("go", append(args, "github.com/regauth/regauth/cmd/regauth")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/regauth: %w\n%s", err, out)
	}
	fmt.Printf("clients: built regauth (race detector: %v) in %v\n", raceDetector, time.Since(start).Round(time.Millisecond))
	return bin, nil
}

func dockerSummary() string {
	switch {
	case env.docker != nil && env.docker.cmd != nil:
		return env.docker.version + ", a dockerd started for these tests"
	case env.docker != nil:
		return env.docker.version + ", the machine's daemon"
	case env.dockerErr != nil:
		return "failed to start: " + env.dockerErr.Error()
	default:
		return env.dockerMissing
	}
}

// tearDown stops what setUp started; regauth must exit cleanly on SIGTERM.
func tearDown() error {
	if env.untrust != nil {
		env.untrust()
	}
	var err error
	if env.reg != nil {
		err = env.reg.stop()
	}
	env.docker.stop()
	if env.work != "" {
		if os.Getenv("REGAUTH_TEST_KEEP") != "" {
			fmt.Printf("clients: REGAUTH_TEST_KEEP is set: logs and data kept in %s\n", env.work)
		} else {
			_ = os.RemoveAll(env.work)
		}
	}
	return err
}
