package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"time"
)

// tokenPhase runs every scenario at every concurrency, each scenario against a fresh regauth.
func tokenPhase(ctx context.Context, setup *regauthSetup, o options, rep *report) error {
	for _, name := range o.scenarios {
		sr, err := runScenario(ctx, setup, o, name, rep)
		if sr != nil {
			rep.Scenarios = append(rep.Scenarios, *sr)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func runScenario(ctx context.Context, setup *regauthSetup, o options, name string, rep *report) (*scenarioResult, error) {
	ro := regauthOptions{name: name, cacheTTL: 5 * time.Minute, noLockout: name == scBurst}
	if name == scCold {
		ro.cacheTTL = 0
		// The bcrypt limit is measured right before the cold logins, under the same load.
		logf("bcrypt: timing cost-10 compares in-process (load %s)", loadAvg())
		bl, err := measureBcrypt(ctx, 2*time.Second)
		if err != nil {
			return nil, err
		}
		rep.Bcrypt = &bl
		logf("bcrypt: one compare %s, limit %.1f/s (%d cores / one compare), measured in parallel %.1f/s",
			bl.One.Round(100*time.Microsecond), bl.Limit, bl.Cores, bl.Parallel)
	}
	inst, err := setup.start(ctx, ro)
	if err != nil {
		return nil, err
	}
	defer inst.stop()
	var sc scenario
	switch name {
	case scWarm, scCold:
		sc = basicScenario(name, inst.url, setup.password)
	case scRefresh:
		rt, err := refreshTokenFor(ctx, inst.roots, inst.url, setup.password)
		if err != nil {
			return nil, err
		}
		sc = refreshScenario(inst.url, rt)
	case scAnonymous:
		sc = anonymousScenario(inst.url)
	case scBurst:
		sc = burstScenario(inst.url, setup.password)
	}
	sc.metricsURL = inst.url + "/metrics"
	if err := checkScenario(ctx, inst.roots, sc); err != nil {
		return nil, err
	}
	sr := &scenarioResult{Name: name, Doc: sc.Doc}
	levels := scenarioLevels(name, o)
	// The clients need about half a core: on one P the generator answers its timers and
	// sockets from one thread instead of waking threads across cores for every answer, and
	// leaves regauth about 0.1 core more (measured at 10,000 tokens/s).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, lo := range levels {
		lr := runLevel(ctx, sc, inst.roots, lo, inst.pid())
		if err := ctx.Err(); err != nil {
			return sr, err
		}
		if err := inst.exitedErr(); err != nil {
			return sr, err
		}
		if lr.Tokens > 0 {
			if err := inst.emptyAudit(); err != nil {
				return sr, err
			}
		}
		sr.Levels = append(sr.Levels, lr)
		logf("tokens %-9s %3d clients, offered %s: %8.1f/s  p50 %-9s p99 %-9s in regauth %s / %s  errors %d  regauth RSS %s  CPU regauth %.2f bench %.2f others %.2f  load %s -> %s",
			name, lr.Clients, lr.offered(), lr.PerSecond, fmtLatency(lr.P50, lr.P50AtLeast), lr.p99(),
			fmtBucket(lr.ServerP50, lr.ServerP50Over), fmtBucket(lr.ServerP99, lr.ServerP99Over), lr.Errors,
			fmtMiB(lr.PeakRSS), lr.CPU.Server, lr.CPU.Bench, lr.CPU.Others, lr.LoadBefore, lr.LoadAfter)
		if st := lr.Stalls; st.Slow > 0 {
			logf("  %d of %d requests over %s, in %d bursts; the largest: %d within %s, sent up to %s late",
				st.Slow, st.Requests, fmtLatency(targetWarmP99, false), st.Bursts, st.Largest, fmtLatency(st.LargestSpan, false), fmtLatency(st.LargestLate, false))
		}
		if lr.FirstError != "" {
			logf("  first error: %s", lr.FirstError)
		}
	}
	return sr, nil
}

// scenarioLevels is what a scenario runs: every concurrency as fast as answered; for warm, also
// 64 clients paced to each rate (the latency target is about serving a given rate); for burst,
// 64 clients paced to half the target rate, alone and then beside the cold clients. Paced
// levels are measured -paced-runs times, round-robin, so that a busy moment of a shared
// machine lands in one window of a level rather than deciding it.
func scenarioLevels(name string, o options) []loadOptions {
	level := func(clients int, rate float64, cold, run int) loadOptions {
		return loadOptions{clients: clients, warmup: o.warmup, duration: o.duration, drain: o.drain, rate: rate, cold: cold, run: run}
	}
	var levels []loadOptions
	if name != scBurst {
		for _, n := range o.clients {
			levels = append(levels, level(n, 0, 0, 0))
		}
	}
	for run := 1; run <= o.pacedRuns; run++ {
		switch name {
		case scBurst:
			levels = append(levels, level(targetClients, burstRate, 0, run), level(targetClients, burstRate, burstClients, run))
		case scWarm:
			for _, rate := range o.pacedRates {
				levels = append(levels, level(targetClients, float64(rate), 0, run))
			}
		}
	}
	return levels
}

// blobPhase starts the stock registry twice (own TLS; plain HTTP), regauth in upstream mode,
// the bare Go proxy and Apache in front of the plain one, and regauth with its embedded
// registry, then moves blobs over every path.
func blobPhase(ctx context.Context, setup *regauthSetup, registryBin string, o options, rep *report) error {
	ports := make([]int, 3)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	plainURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	inst, err := setup.start(ctx, regauthOptions{name: "blobs", cacheTTL: 5 * time.Minute, upstream: plainURL})
	if err != nil {
		return err
	}
	defer inst.stop()
	authBlock, err := setup.registryConfig(ctx, inst.config, filepath.Join(setup.dir, "registry-auth"))
	if err != nil {
		return err
	}
	ro := registryOptions{
		bin: registryBin, dir: setup.dir, storage: filepath.Join(setup.dir, "registry-storage"),
		secret: rand.Text(), authBlock: authBlock,
	}
	plainOpts := ro
	plainOpts.name, plainOpts.port = "plain", ports[0]
	plain, err := startRegistry(ctx, plainOpts, inst.roots)
	if err != nil {
		return err
	}
	defer plain.stop()
	tlsOpts := ro
	tlsOpts.name, tlsOpts.port, tlsOpts.cert, tlsOpts.key = "tls", ports[1], setup.serverCert(), setup.serverKey()
	direct, err := startRegistry(ctx, tlsOpts, inst.roots)
	if err != nil {
		return err
	}
	defer direct.stop()

	// The default deployment: the registry inside regauth, on its own storage under data_dir.
	emb, err := setup.start(ctx, regauthOptions{name: "embedded", cacheTTL: 5 * time.Minute})
	if err != nil {
		return err
	}
	defer emb.stop()

	roots := inst.roots
	bare, bareURL, err := startBareProxy(ctx, bareProxyOptions{
		dir: setup.dir, upstream: plainURL, cert: setup.serverCert(), key: setup.serverKey(),
	}, roots)
	if err != nil {
		return err
	}
	defer bare.stop()
	paths := []blobPath{
		{Key: pathDirectTLS, Label: "registry, own TLS", Proto: protoH1, base: direct.url, servers: []int{direct.pid()}},
		{Key: pathDirectTLS, Label: "registry, own TLS", Proto: protoH2, base: direct.url, servers: []int{direct.pid()}},
		{Key: pathDirectPlain, Label: "registry, plain HTTP", Proto: protoH1, base: plain.url, servers: []int{plain.pid()}},
		{Key: pathFront, Label: "regauth → registry", Proto: protoH1, base: inst.url, servers: []int{inst.pid(), plain.pid()}, regauthPID: inst.pid()},
		{Key: pathFront, Label: "regauth → registry", Proto: protoH2, base: inst.url, servers: []int{inst.pid(), plain.pid()}, regauthPID: inst.pid()},
		{Key: pathBareProxy, Label: "bare Go proxy → registry", Proto: protoH1, base: bareURL, servers: []int{bare.pid(), plain.pid()}},
		{Key: pathBareProxy, Label: "bare Go proxy → registry", Proto: protoH2, base: bareURL, servers: []int{bare.pid(), plain.pid()}},
		{Key: pathEmbedded, Label: "regauth, embedded registry", Proto: protoH1, base: emb.url, servers: []int{emb.pid()}, regauthPID: emb.pid()},
		{Key: pathEmbedded, Label: "regauth, embedded registry", Proto: protoH2, base: emb.url, servers: []int{emb.pid()}, regauthPID: emb.pid()},
	}
	if rep.Machine.Apache == "" {
		rep.ApacheNote = fmt.Sprintf("Apache httpd is not installed (%s not found or not runnable; on Debian: apt-get install apache2), so there is no Apache line.", o.apache)
		logf("%s", rep.ApacheNote)
	} else {
		ap, err := startApache(ctx, apacheOptions{
			bin: o.apache, dir: setup.dir, port: ports[2], upstream: plainURL,
			cert: setup.serverCert(), key: setup.serverKey(),
		}, roots)
		if err != nil {
			return err
		}
		defer ap.stop()
		paths = append(paths, blobPath{Key: pathApache, Label: "Apache mod_ssl + mod_proxy", Proto: protoH1,
			base: fmt.Sprintf("https://127.0.0.1:%d", ports[2]), servers: []int{ap.pid(), plain.pid()}})
	}
	for i := range paths {
		paths[i].client = newBlobClient(roots, paths[i].Proto)
	}
	tokenClient := newTokenClient(roots)
	tokenURL := authURL(inst.url, "repository:"+blobRepo+":pull,push")
	bb := &blobBench{
		src: newBlobSource(), paths: paths, sizes: o.blobSizes, runs: o.blobRuns, logf: logf,
		token: func(ctx context.Context) (string, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tokenURL, nil)
			req.SetBasicAuth(benchUser, setup.password)
			tr, err := fetchToken(ctx, tokenClient, req)
			return tr.Token, err
		},
	}
	rep.BlobLoadBefore = loadAvg()
	rep.Blobs, err = bb.run(ctx)
	rep.BlobLoadAfter = loadAvg()
	for _, r := range rep.Blobs {
		if r.Err != "" {
			rep.Problems = append(rep.Problems, fmt.Sprintf("blob %s %s over %s: %s", r.Op, sizeLabel(r.Size), r.Label+", "+r.Proto, r.Err))
		}
	}
	return err
}
