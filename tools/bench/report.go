package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	reportFile = "benchmarks.md"
	chartFile  = "benchmarks.png"
)

// report is everything one run measured.
type report struct {
	Date      time.Time
	Elapsed   time.Duration
	Options   options
	Machine   machine
	LoadStart string
	LoadEnd   string

	Bcrypt    *bcryptLimit
	Scenarios []scenarioResult

	Blobs          []*blobResult
	BlobLoadBefore string
	BlobLoadAfter  string
	ApacheNote     string

	Micro []microResult

	Problems []string // parts that failed; the rest of the report still stands
}

type scenarioResult struct {
	Name   string
	Doc    string
	Levels []levelResult
}

func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeChart(r, filepath.Join(dir, chartFile)); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, reportFile), []byte(r.markdown()), 0o644)
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Written by `make bench` (`go run ./tools/bench -out docs`) on %s, in %s. Everything runs on\n", r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	p("this machine over 127.0.0.1: regauth is built from this tree and runs as its own process (its\n")
	p("memory is read from `/proc/<pid>/status` every 50 ms), the load generator is the bench process.\n")
	p("The machine may be shared: the load average is printed with every measurement and the CPU\n")
	p("columns say how much went to regauth, to the load generator and to everything else.\n\n")
	p("![tokens per second by concurrency, and blob throughput by path](%s)\n\n", chartFile)

	r.writeTargets(p)
	r.writeMachine(p)
	r.writeTokens(p)
	r.writeBlobs(p)
	r.writeMicro(p)
	r.writeReproduce(p)
	if len(r.Problems) > 0 {
		p("## Problems in this run\n\n")
		for _, pr := range r.Problems {
			p("- %s\n", oneLine(pr))
		}
		p("\n")
	}
	return b.String()
}

type printer func(format string, args ...any)

func (r *report) writeTargets(p printer) {
	p("## Targets (issue 8)\n\n| target | goal | measured | |\n|---|---|---|---|\n")
	for _, t := range r.targets() {
		m := t.Measured
		if m == "" {
			m = "—"
		}
		p("| %s | %s | %s | %s |\n", t.What, t.Goal, m, t.Verdict())
	}
	p("\n")
	if notes := r.notes(); len(notes) > 0 {
		for _, n := range notes {
			p("- %s\n", n)
		}
		p("\n")
	}
}

// notes are observations computed from this run's numbers, to read the targets by.
func (r *report) notes() []string {
	var out []string
	if warm, ok := r.level(scWarm, targetClients); ok && warm.PerSecond > 0 {
		server := warm.CPUPerToken()
		both := server + time.Duration(warm.CPU.Bench/warm.PerSecond*float64(time.Second))
		cores := float64(r.Machine.CPUs)
		out = append(out, fmt.Sprintf("Warm tokens at %d clients: regauth used %.2f cores, the load generator %.2f and other processes %.2f of the %d. "+
			"A token cost regauth %s of CPU and the load generator %s more: on an otherwise idle machine this setup would top out near %.0f tokens/s "+
			"(%.0f/s for regauth with the cores to itself).",
			warm.Clients, warm.CPU.Server, warm.CPU.Bench, warm.CPU.Others, r.Machine.CPUs,
			server.Round(time.Microsecond), (both-server).Round(time.Microsecond), cores/both.Seconds(), cores/server.Seconds()))
		out = append(out, fmt.Sprintf("Clients that send as soon as they have an answer keep the server saturated, so their mean latency is clients / throughput "+
			"(Little's law: %.1f ms at %d clients and %.0f tokens/s) and says more about the queue than the server; the latency target is read from the "+
			"clients paced to %d tokens/s.",
			float64(warm.Clients)/warm.PerSecond*1000, warm.Clients, warm.PerSecond, targetWarmPerSecond))
	}
	if paced, ok := r.pacedLevel(scWarm, targetWarmPerSecond, 0); ok && paced.Stalls.Slow > 0 {
		out = append(out, paced.stallNote())
	}
	if r.Bcrypt != nil {
		out = append(out, fmt.Sprintf("bcrypt limit: one cost-10 compare takes %s here (median of 15, in the bench process), so %d cores allow %.1f compares/s; %d goroutines measured %.1f/s (load %s).",
			r.Bcrypt.One.Round(100*time.Microsecond), r.Bcrypt.Cores, r.Bcrypt.Limit, r.Bcrypt.Cores, r.Bcrypt.Parallel, r.Bcrypt.Load))
	}
	return out
}

func (r *report) writeMachine(p printer) {
	m := r.Machine
	p("## Machine\n\n| | |\n|---|---|\n")
	p("| CPUs (nproc) | %d |\n| CPU model | %s |\n| memory | %.1f GiB |\n| kernel | %s |\n| Go | %s |\n", m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.Go)
	p("| regauth | commit %s |\n| registry | `%s` (stock, built with go install) |\n", orDash(m.Commit), m.Registry)
	apache := m.Apache
	if apache == "" {
		apache = "not installed"
	}
	p("| Apache httpd | %s |\n| load average (1, 5, 15 min) | %s at start, %s at the end |\n\n", apache, r.LoadStart, r.LoadEnd)
}

func (r *report) writeTokens(p printer) {
	if len(r.Scenarios) == 0 {
		return
	}
	p("## Tokens\n\n")
	p("Each client is one keep-alive HTTP/1.1 connection over TLS that sends the same request (written\n")
	p("out once) again and again and reads every answer with net/http's response parser; the\n")
	p("clients run on one Go P (GOMAXPROCS=1), so the generator takes as little of the shared cores as it can. Each\n")
	p("concurrency runs %s of warm-up, then is measured for %s.\n", r.Options.warmup, r.Options.duration)
	p("Every scenario runs against a fresh regauth process with the default settings (process log at\n")
	p("info, every token in the audit log, here a file), except that the burst scenario turns lockout\n")
	p("off (its cold clients fail logins from one address).\n")
	p("*tokens/s* counts answers with a token\n")
	p("that arrived in the measured window; latencies are those of the requests started in the window,\n")
	p("each waited for to the end (up to %s after the window; `>=` marks a percentile that includes\n", r.Options.drain)
	p("requests cut off there; for paced clients the p99 counted from the actual send follows in brackets).\n")
	p("*offered* says how the clients send: *max* — the next request as soon as\n")
	p("the answer is in, so the rate is all the server can do and the mean latency is clients / rate;\n")
	p("a rate — the clients paced to that many requests per second in all, each latency counted from\n")
	p("when its request was due, so falling behind shows as latency (no coordinated omission). Each\n")
	p("paced level is measured in %d windows, round-robin with the other paced levels of its scenario;\n", r.Options.pacedRuns)
	p("the targets and the chart read the window with the median p99.\n")
	p("*in regauth* is regauth's own histogram `%s` over the window (from the parsed request to the\n", tokenRequestSeries)
	p("last byte written; `≤` a bucket's upper bound): what the latencies above spend outside it was spent\n")
	p("queued in the kernel, in the Go runtime or in the load generator. For the median window at the\n")
	p("target rate, the notes under the targets also say how its requests over the latency target bunched\n")
	p("in time, and how late the load generator itself sent the ones in the largest burst.\n")
	p("*CPU/token* is the CPU time of regauth and its password-hashing workers divided by tokens; *CPU cores* are averages\n")
	p("over the window. *Peak RSS* is regauth's resident set plus its workers' own (anonymous) memory.\n\n")
	for _, s := range r.Scenarios {
		p("### %s\n\n%s.\n\n", s.Name, s.Doc)
		p("| clients | offered | tokens/s | p50 | p99 | in regauth: p50 / p99 | errors | regauth peak RSS | regauth CPU/token | CPU cores: regauth / load generator / others | load avg before → after |\n")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
		for _, l := range s.Levels {
			p("| %d | %s | %s | %s | %s | %s / %s | %d | %s | %s | %.2f / %.2f / %.2f | %s → %s |\n",
				l.Clients, l.offered(), fmtRate(l.PerSecond), fmtLatency(l.P50, l.P50AtLeast), l.p99(),
				fmtBucket(l.ServerP50, l.ServerP50Over), fmtBucket(l.ServerP99, l.ServerP99Over), l.Errors,
				fmtMiB(l.PeakRSS), fmtCPU(l.CPUPerToken()), l.CPU.Server, l.CPU.Bench, l.CPU.Others, l.LoadBefore, l.LoadAfter)
		}
		for _, l := range s.Levels {
			if l.FirstError != "" {
				p("\nFirst error at %d clients: `%s`\n", l.Clients, oneLine(l.FirstError))
				break
			}
		}
		p("\n")
	}
}

func (r *report) writeBlobs(p printer) {
	if len(r.Blobs) == 0 && r.ApacheNote == "" {
		return
	}
	p("## Blobs\n\n")
	p("One blob pushed (`POST` upload, then one monolithic `PUT ?digest=` streamed from a generator) and\n")
	p("pulled (`GET`, body discarded) by one client. Each line is measured %d time(s), round-robin over the\n", r.Options.blobRuns)
	p("paths so a busy neighbour slows them alike, after one unmeasured round that warms every path; the\n")
	p("table shows the median and the range. MB/s are 10^6 bytes per\n")
	p("second over the whole exchange. Every path ends in filesystem storage on local disk (one for the\n")
	p("stock registry processes, regauth's own for the embedded registry); pulls are served from the\n")
	p("page cache. A fresh token from regauth is fetched before each transfer.\n\n")
	p("- **registry, own TLS**: the stock registry serving TLS itself (regauth's development certificate) — *direct*.\n")
	p("- **registry, plain HTTP**: a second registry process on the same storage, plain HTTP on loopback — what the fronts forward to.\n")
	p("- **regauth → registry**: regauth with `registry.upstream` = that plain registry; TLS ends in regauth, which passes a Bearer request through and streams both ways.\n")
	p("- **bare Go proxy → registry**: this bench binary serving as the least a TLS proxy in Go does — net/http's server with the same certificate and HTTP/2 tuning, and regauth's upstream handler (net/http's ReverseProxy, same transport and copy buffers) as the whole handler: no routing, authentication, logging or metrics. What a separate front process reaches on this machine.\n")
	p("- **regauth, embedded registry**: regauth's default mode, the same registry code in-process (its storage under `data_dir`), no hop.\n")
	if r.ApacheNote == "" {
		p("- **Apache mod_ssl + mod_proxy**: Apache httpd (mpm_event, Debian defaults) terminating TLS with the same certificate and proxying to the plain registry; no Basic-auth check, which favours Apache.\n\n")
	} else {
		p("\n%s\n\n", r.ApacheNote)
	}
	p("Load average %s before, %s after.\n\n", r.BlobLoadBefore, r.BlobLoadAfter)
	p("*server CPU* is the CPU time of the processes serving the path (front and registry; Apache's\n")
	p("workers included) per 10^9 bytes: what a path costs, however busy the machine is; *client CPU*\n")
	p("is the bench's own (TLS, HTTP and, for pushes, generating the bytes), which shares the same cores. *× direct*\n")
	p("compares with the registry's own TLS over the same protocol, *× Apache* with Apache over HTTP/1.1;\n")
	p("each is the median, over the runs, of the two paths' MB/s in the same run divided (transfers of\n")
	p("a run follow each other within seconds, so a machine that slows down between runs moves both\n")
	p("alike). The targets read these ratios.\n\n")
	p("| size | | path | protocol | MB/s (median) | range | × direct (same protocol) | × Apache | server CPU s/GB | client CPU s/GB | regauth peak RSS |\n")
	p("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|\n")
	for _, b := range r.Blobs {
		if len(b.MBps) == 0 {
			p("| %s | %s | %s | %s | failed | | | | | | |\n", sizeLabel(b.Size), b.Op, b.Label, b.Proto)
			continue
		}
		vsDirect, vsApache, rss := "", "", ""
		if b.Path != pathDirectTLS {
			vsDirect = ratioCell(b, r.blob(pathDirectTLS, b.Proto, b.Size, b.Op))
		}
		if throughRegauth(b.Path) || b.Path == pathBareProxy {
			vsApache = ratioCell(b, r.blob(pathApache, protoH1, b.Size, b.Op))
		}
		if throughRegauth(b.Path) {
			rss = fmtMiB(b.RegauthRSS)
		}
		lo, hi := b.MBps[0], b.MBps[0]
		for _, v := range b.MBps {
			lo, hi = min(lo, v), max(hi, v)
		}
		p("| %s | %s | %s | %s | %.0f | %.0f–%.0f | %s | %s | %.2f | %.2f | %s |\n", sizeLabel(b.Size), b.Op, b.Label, b.Proto, b.Median(), lo, hi, vsDirect, vsApache, b.MedianCPU(), b.MedianClientCPU(), rss)
	}
	p("\n")
}

// ratioCell is b's pairedRatio to c for the table, empty when c is missing or shares no run.
func ratioCell(b, c *blobResult) string {
	if c == nil {
		return ""
	}
	if ratio, n := pairedRatio(b, c); n > 0 {
		return fmt.Sprintf("%.2f", ratio)
	}
	return ""
}

func (r *report) writeMicro(p printer) {
	if len(r.Micro) == 0 {
		return
	}
	p("## Go micro-benchmarks\n\n")
	p("`go test -run '^$' -bench . -benchmem -benchtime %s %s` (one goroutine each):\n\n", r.Options.microBenchtime, strings.Join(microPackages, " "))
	p("| package | benchmark | time/op | B/op | allocs/op |\n|---|---|---:|---:|---:|\n")
	for _, m := range r.Micro {
		bop, allocs := "", ""
		if m.HasAlloc {
			bop, allocs = fmt.Sprintf("%.0f", m.BPerOp), fmt.Sprintf("%.0f", m.Allocs)
		}
		p("| %s | %s | %s | %s | %s |\n", m.Package, m.Name, fmtNs(m.NsPerOp), bop, allocs)
	}
	p("\n")
}

func (r *report) writeReproduce(p printer) {
	o := r.Options
	p("## Reproduce\n\n```sh\nmake bench        # = scripts/install-bench-deps.sh, then go run ./tools/bench -out docs\n```\n\n")
	p("It needs Go, network access to the module proxy the first time (to build `%s`) and, for the\n", registryModule)
	p("Apache lines, Debian's `apache2` package, which `make bench` installs when run as root on Debian (and stops\n")
	p("the system service the package starts). Flags for longer or narrower runs:\n\n")
	p("```sh\ngo run ./tools/bench -out docs -warmup %s -duration %s -drain %s -clients %s -paced-rates %s -paced-runs %d \\\n  -scenarios %s -blob-sizes %s -blob-runs %d \\\n  -micro-benchtime %s   # also: -skip tokens,blobs,micro  -regauth BINARY  -keep\n```\n",
		o.warmup, o.duration, o.drain, joinInts(o.clients), joinInts(o.pacedRates), o.pacedRuns, strings.Join(o.scenarios, ","), joinSizes(o.blobSizes), o.blobRuns, o.microBenchtime)
}

// fmtBucket shows a histogram percentile: "≤ bound", "> bound" past the last bucket, "–" if
// not measured.
func fmtBucket(d time.Duration, over bool) string {
	switch {
	case d == 0:
		return "–"
	case over:
		return "> " + fmtLatency(d, false)
	}
	return "≤ " + fmtLatency(d, false)
}

func fmtLatency(d time.Duration, atLeast bool) string {
	var s string
	switch {
	case d == 0:
		return "—"
	case d < time.Millisecond:
		s = fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		s = fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		s = fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		s = fmt.Sprintf("%.2f s", d.Seconds())
	}
	if atLeast {
		s = ">= " + s
	}
	return s
}

func fmtRate(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func fmtMiB(b uint64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func fmtCPU(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

func joinInts(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, fmt.Sprint(n))
	}
	return strings.Join(s, ",")
}

func joinSizes(v []int64) string {
	var s []string
	for _, n := range v {
		s = append(s, strings.ReplaceAll(sizeLabel(n), " ", ""))
	}
	return strings.Join(s, ",")
}
