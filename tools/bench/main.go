// Command bench measures regauth on loopback — token throughput and latency by concurrency,
// blob throughput through regauth (upstream and embedded registry) against the stock registry
// alone, a bare Go proxy and Apache httpd, and regauth's memory — and writes docs/benchmarks.md
// with a chart, docs/benchmarks.png.
//
//	go run ./tools/bench -out docs        (make bench)
//
// regauth runs as a separate process, built once from this tree, so its resident memory can
// be read from /proc; the stock registry is built with go install; everything listens on
// 127.0.0.1 and every process the bench starts is stopped when it ends, fails or is interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	out             string
	warmup          time.Duration
	duration        time.Duration
	drain           time.Duration
	clients         []int
	pacedRates      []int
	pacedRuns       int
	scenarios       []string
	blobSizes       []int64
	blobRuns        int
	regauthBin      string
	registryVersion string
	apache          string
	microBenchtime  string
	skip            map[string]bool
	keep            bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runCommand(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// runCommand runs the bench, or the bare proxy that the bench starts as a child, and returns
// the exit code.
func runCommand(ctx context.Context, args []string) int {
	if len(args) > 0 && args[0] == bareProxyCommand {
		ln, err := inheritedListener()
		if err == nil {
			err = serveBareProxy(ctx, ln, args[1:])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		return 0
	}
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	var clients, scenarios, sizes, skip string
	fs.StringVar(&o.out, "out", "docs", "directory for benchmarks.md and benchmarks.png")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each token measurement")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each token scenario at each concurrency")
	fs.DurationVar(&o.drain, "drain", 60*time.Second, "how long requests started in a token window may take to finish after it")
	fs.StringVar(&clients, "clients", "1,16,64,256", "concurrent keep-alive token clients, comma-separated")
	var pacedRates string
	fs.StringVar(&pacedRates, "paced-rates", fmt.Sprintf("2500,5000,7500,%d", targetWarmPerSecond), fmt.Sprintf("warm tokens/s offered by %d paced clients, to measure latency at those rates (comma-separated; empty: none)", targetClients))
	fs.IntVar(&o.pacedRuns, "paced-runs", 5, "windows per paced level, round-robin over the levels; odd, as the latency targets read the window with the median p99")
	fs.StringVar(&scenarios, "scenarios", strings.Join(scenarioOrder, ","), "token scenarios")
	fs.StringVar(&sizes, "blob-sizes", "256MiB,1GiB", "blob sizes (MiB or GiB), comma-separated")
	fs.IntVar(&o.blobRuns, "blob-runs", 7, "measured transfers per blob size, path and direction, after one warm-up round (the report shows the median)")
	fs.StringVar(&o.regauthBin, "regauth", "", "benchmark this regauth binary instead of building one from the tree")
	fs.StringVar(&o.registryVersion, "registry-version", "v3.1.2", "version of "+registryModule+" to go install")
	fs.StringVar(&o.apache, "apache", apacheBin, "Apache httpd binary (Debian apache2)")
	fs.StringVar(&o.microBenchtime, "micro-benchtime", "1s", "-benchtime for the Go micro-benchmarks")
	fs.StringVar(&skip, "skip", "", "parts to skip: tokens, blobs, micro (comma-separated)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configs, logs, storage)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.clients, err = parseInts(clients, 4096); err != nil {
		return o, fmt.Errorf("-clients: %w", err)
	}
	if o.pacedRates, err = parseInts(pacedRates, 1_000_000); err != nil {
		return o, fmt.Errorf("-paced-rates: %w", err)
	}
	if o.blobSizes, err = parseSizes(sizes); err != nil {
		return o, fmt.Errorf("-blob-sizes: %w", err)
	}
	for _, s := range splitList(scenarios) {
		if !slices.Contains(scenarioOrder, s) {
			return o, fmt.Errorf("-scenarios: unknown %q (want %s)", s, strings.Join(scenarioOrder, ", "))
		}
		o.scenarios = append(o.scenarios, s)
	}
	o.skip = map[string]bool{}
	for _, s := range splitList(skip) {
		if !slices.Contains([]string{"tokens", "blobs", "micro"}, s) {
			return o, fmt.Errorf("-skip: unknown part %q", s)
		}
		o.skip[s] = true
	}
	if o.warmup < 0 || o.duration <= 0 || o.duration > 10*time.Minute || o.drain < 0 || o.drain > 10*time.Minute || o.blobRuns < 1 || o.blobRuns > 20 || o.pacedRuns < 1 || o.pacedRuns > 19 || o.pacedRuns%2 == 0 {
		return o, errors.New("want -warmup >= 0, 0 < -duration <= 10m, 0 <= -drain <= 10m, 1 <= -blob-runs <= 20, -paced-runs odd from 1 to 19")
	}
	return o, nil
}

func run(ctx context.Context, o options) error {
	// The load generator shares the machine with regauth: collect garbage less often so it
	// takes as little CPU from the server as it can.
	debug.SetGCPercent(400)
	started := time.Now()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "regauth-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	rep := &report{Date: started, Options: o, Machine: describeMachine(ctx, root), LoadStart: loadAvg()}
	rep.Machine.Registry = registryModule + "@" + o.registryVersion
	rep.Machine.Apache = apacheVersion(o.apache)
	logf("machine: %d CPUs (%s), %s, load %s", rep.Machine.CPUs, rep.Machine.CPUModel, rep.Machine.Go, rep.LoadStart)

	bin := o.regauthBin
	if bin == "" {
		logf("building regauth")
		if bin, err = buildRegauth(ctx, root, tmp); err != nil {
			return err
		}
	} else {
		rep.Machine.Commit = "binary " + bin
	}
	var registryBin string
	if !o.skip["blobs"] {
		logf("building the stock registry (%s)", rep.Machine.Registry)
		if registryBin, err = installRegistry(ctx, o.registryVersion, filepath.Join(tmp, "gobin")); err != nil {
			return err
		}
	}
	setup, err := newRegauthSetup(bin, tmp)
	if err != nil {
		return err
	}

	if !o.skip["micro"] {
		logf("Go micro-benchmarks (load %s)", loadAvg())
		if rep.Micro, err = runMicro(ctx, root, o.microBenchtime); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Problems = append(rep.Problems, "micro-benchmarks: "+err.Error())
		}
	}
	if !o.skip["tokens"] {
		if err := tokenPhase(ctx, setup, o, rep); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Problems = append(rep.Problems, "tokens: "+err.Error())
		}
	}
	if !o.skip["blobs"] {
		if err := blobPhase(ctx, setup, registryBin, o, rep); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Problems = append(rep.Problems, "blobs: "+err.Error())
		}
	}
	rep.LoadEnd = loadAvg()
	rep.Elapsed = time.Since(started)
	if err := rep.write(o.out); err != nil {
		return err
	}
	logf("wrote %s and %s in %s", filepath.Join(o.out, reportFile), filepath.Join(o.out, chartFile), rep.Elapsed.Round(time.Second))
	if len(rep.Problems) > 0 {
		return fmt.Errorf("%d part(s) failed (see the report):\n%s", len(rep.Problems), strings.Join(rep.Problems, "\n"))
	}
	return nil
}

// moduleRoot is the directory of regauth's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := runTool(ctx, ".", nil, "go", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the bench from inside the regauth module")
	}
	return filepath.Dir(gomod), nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseInts reads a comma-separated list of whole numbers between 1 and most.
func parseInts(s string, most int) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > most {
			return nil, fmt.Errorf("%q is not a whole number between 1 and %d", f, most)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseSizes(s string) ([]int64, error) {
	var out []int64
	for _, f := range splitList(s) {
		unit := int64(1 << 20)
		num, ok := strings.CutSuffix(f, "MiB")
		if !ok {
			if num, ok = strings.CutSuffix(f, "GiB"); ok {
				unit = 1 << 30
			}
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || n < 1 || n*unit > 16<<30 {
			return nil, fmt.Errorf("%q is not a size like 256MiB or 1GiB (at most 16GiB)", f)
		}
		out = append(out, n*unit)
	}
	return out, nil
}
