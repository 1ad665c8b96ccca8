package clients

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// registryVersion is the registry:3 code regauth embeds (go.mod) and the stock registry
// binary the bare run uses (scripts/install-test-deps.sh): the same code on both sides, so
// any difference in the suite's results is the front's doing.
const registryVersion = "v3.1.2"

// conformanceACL lets the suite's user do everything in the suite's two repositories.
const conformanceACL = `rules:
  - match: {account: conformance, type: repository, name: "conformance/*"}
    actions: ["*"]
    comment: the OCI conformance suite owns conformance/*
`

// The OCI distribution-spec conformance suite, run twice: against the bare registry (the
// stock registry:3 binary, no auth) and through regauth's front, which asks the suite for
// credentials with a Bearer challenge and runs the same registry:3 code embedded, with
// deletes on. The front must pass exactly what the bare registry passes, test by test.
func TestOCIConformanceFrontMatchesTheBareRegistry(t *testing.T) {
	suite := needPeer(t, "conformance")
	t.Logf("client: OCI distribution-spec conformance %s", goModVersion(t, suite))
	registryBin := needPeer(t, "registry")
	if v := logVersion(t, registryBin, "--version"); !strings.Contains(v, "distribution/v3 "+registryVersion) {
		t.Fatalf("%s is %q; the bare run needs the registry:3 code regauth embeds, %s: %s", registryBin, v, registryVersion, installHint)
	}

	bareHost := startBareRegistry(t, registryBin)
	reg := startRegauth(t, "", regauthOptions{
		config: "registry:\n  delete: true\n",
		acl:    []byte(conformanceACL),
		users:  map[string]string{"conformance": password},
	})

	start := time.Now()
	bare := runConformance(t, suite, conformanceTarget{name: "bare", registry: bareHost, tls: "disabled"})
	bareTime := time.Since(start)
	start = time.Now()
	front := runConformance(t, suite, conformanceTarget{name: "front", registry: reg.Host, tls: "enabled",
		user: "conformance", caFile: reg.CAFile})
	frontTime := time.Since(start)

	summary := fmt.Sprintf("OCI conformance: bare registry:3 %s %s in %v; through regauth's front (token auth) %s in %v",
		registryVersion, bare, bareTime.Round(time.Second), front, frontTime.Round(time.Second))
	t.Log(summary)
	fmt.Println("clients: " + summary)

	// The front did stand in the way: without credentials it answers with its challenge.
	status, header, _ := reg.get(context.Background(), t, "/v2/conformance/repo1/tags/list", "", "")
	if status != http.StatusUnauthorized || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("anonymous tags/list through the front = %d %q, want 401 with a Bearer challenge", status, header.Get("WWW-Authenticate"))
	}
	if bare.passed() == 0 {
		t.Fatal("the suite passed nothing against the bare registry: the run itself is broken")
	}
	if front.passed() != bare.passed() {
		t.Errorf("the front passes %d tests, the bare registry %d", front.passed(), bare.passed())
	}
	if diff := bare.diff(front); len(diff) > 0 {
		t.Errorf("tests whose result differs (bare -> front):\n%s", indent(strings.Join(diff, "\n")))
		t.Logf("the front's failures are in %s (report.html has every request)", front.dir)
	}
}

// startBareRegistry runs the stock registry with no auth on a free loopback port, configured
// like regauth's embedded one (filesystem storage, deletes on, no redirects), and returns
// its host:port.
func startBareRegistry(t *testing.T, bin string) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  redirect:
    disable: true
http:
  addr: %s
  secret: integration-clients
  relativeurls: true
`, filepath.Join(dir, "storage"), host)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "registry.log")
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("bare registry log:\n%s", indent(tail(string(log), 40)))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(logFile)
			t.Fatalf("the bare registry exited during start (%v):\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return host
			}
		}
	}
	t.Fatalf("the bare registry did not answer on %s within 30s", host)
	return ""
}

// conformanceTarget is one registry the suite runs against.
type conformanceTarget struct {
	name, registry, tls string
	user                string // with the shared test password; "" for none
	caFile              string // the CA to trust, for tls "enabled"
}

// conformanceResult is what one run of the suite reported in its junit.xml.
type conformanceResult struct {
	dir                                        string
	tests, failures, errors, skipped, disabled int
	cases                                      []string // "name: status", sorted
}

func (r conformanceResult) passed() int {
	return r.tests - r.failures - r.errors - r.skipped - r.disabled
}

func (r conformanceResult) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d errors, %d skipped, %d disabled of %d",
		r.passed(), r.failures, r.errors, r.skipped, r.disabled, r.tests)
}

// diff lists the test cases whose result is not the same in r and other.
func (r conformanceResult) diff(other conformanceResult) []string {
	count := func(cases []string) map[string]int {
		m := map[string]int{}
		for _, c := range cases {
			m[c]++
		}
		return m
	}
	a, b := count(r.cases), count(other.cases)
	var out []string
	for c, n := range a {
		if b[c] < n {
			out = append(out, fmt.Sprintf("- %s (x%d)", c, n-b[c]))
		}
	}
	for c, n := range b {
		if a[c] < n {
			out = append(out, fmt.Sprintf("+ %s (x%d)", c, n-a[c]))
		}
	}
	slices.Sort(out)
	if len(out) > 60 {
		out = append(out[:60], fmt.Sprintf("... and %d more", len(out)-60))
	}
	return out
}

// runConformance runs the suite against target with a configuration file of its own (the
// suite also reads OCI_* variables, so none are inherited) and reads its junit.xml. The
// suite exits 1 whenever any test fails, which the bare registry does too, so the exit
// status is not the verdict: the comparison is.
func runConformance(t *testing.T, suite string, target conformanceTarget) conformanceResult {
	t.Helper()
	dir := filepath.Join(t.TempDir(), target.name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`version: "1.1"
registry: %q
tls: %s
repo1: conformance/repo1
repo2: conformance/repo2
resultsDir: %q
logging: warn
`, target.registry, target.tls, filepath.Join(dir, "results"))
	if target.user != "" {
		cfg += fmt.Sprintf("username: %s\npassword: %q\n", target.user, password)
	}
	confFile := filepath.Join(dir, "oci-conformance.yaml")
	if err := os.WriteFile(confFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCI_") && !strings.HasPrefix(kv, "SSL_CERT_") {
			env = append(env, kv)
		}
	}
	env = append(env, "OCI_CONFIGURATION="+confFile)
	if target.caFile != "" {
		env = append(env, "SSL_CERT_FILE="+target.caFile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	summary := stdout.String()
	if i := strings.Index(summary, "OCI Conformance Result"); i >= 0 {
		summary = summary[i:]
		if j := strings.Index(summary, "\n\n"); j >= 0 {
			summary = summary[:j]
		}
	}
	t.Logf("$ conformance against %s (%s, tls %s)  [exit: %v, %v]\n%s", target.registry, target.name, target.tls,
		err, time.Since(start).Round(time.Millisecond), indent(summary))
	if err := os.WriteFile(filepath.Join(dir, "stdout.txt"), stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stderr.txt"), stderr.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	res, perr := readJunit(filepath.Join(dir, "results", "junit.xml"))
	if perr != nil {
		t.Fatalf("conformance against %s wrote no usable report (%v; exit %v):\n%s", target.name, perr, err, indent(tail(stderr.String(), 30)))
	}
	res.dir = dir
	return res
}

func readJunit(path string) (conformanceResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return conformanceResult{}, err
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Disabled int `xml:"disabled,attr"`
		Suites   []struct {
			Cases []struct {
				Name   string `xml:"name,attr"`
				Status string `xml:"status,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return conformanceResult{}, fmt.Errorf("parse %s: %w", path, err)
	}
	if doc.Tests == 0 {
		return conformanceResult{}, fmt.Errorf("%s counts no tests", path)
	}
	r := conformanceResult{tests: doc.Tests, failures: doc.Failures, errors: doc.Errors, skipped: doc.Skipped, disabled: doc.Disabled}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			r.cases = append(r.cases, c.Name+": "+c.Status)
		}
	}
	slices.Sort(r.cases)
	return r, nil
}

// goModVersion is the main module's version recorded in a Go binary (`go version -m`), for
// tools such as the conformance suite that print none of their own.
func goModVersion(t testing.TB, bin string) string {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return fmt.Sprintf("(version unknown: %v)", err)
	}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "mod" {
			return f[1] + " " + f[2]
		}
	}
	return "(version unknown)"
}
