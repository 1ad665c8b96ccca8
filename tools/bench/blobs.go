package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// blobPath is one way to reach a registry's storage: a base URL and a client speaking one
// protocol.
type blobPath struct {
	Key    string // one of the path constants below
	Label  string // what the report calls it
	Proto  string // HTTP/1.1 or HTTP/2
	base   string
	client *http.Client
	// servers are the processes that serve this path (the front and the registry behind it);
	// their CPU time per GB says what a path costs, however busy the machine is.
	servers []int
	// regauthPID is the regauth process on this path, whose peak RSS is recorded; 0 for none.
	regauthPID int
}

func (p blobPath) Name() string { return p.Label + ", " + p.Proto }

const (
	pathDirectTLS   = "direct-tls"
	pathDirectPlain = "direct-plain"
	pathFront       = "front"    // regauth with registry.upstream
	pathEmbedded    = "embedded" // regauth with the registry in-process (the default)
	pathApache      = "apache"
	pathBareProxy   = "bare-proxy" // the least a Go TLS proxy does (bareproxy.go)
	protoH1         = "HTTP/1.1"
	protoH2         = "HTTP/2"
)

// newBlobClient speaks exactly one protocol, so a result can never be silently over the other.
// Its HTTP/2 receive windows are as wide as regauth's, so pulls measure the server, not the
// client's flow control.
func newBlobClient(roots *x509.CertPool, proto string) *http.Client {
	protocols := new(http.Protocols)
	tr := &http.Transport{
		TLSClientConfig:    &tls.Config{RootCAs: roots},
		DisableCompression: true,
		WriteBufferSize:    256 << 10,
		ReadBufferSize:     256 << 10,
		Protocols:          protocols,
	}
	if proto == protoH2 {
		protocols.SetHTTP2(true)
		tr.HTTP2 = &http.HTTP2Config{
			MaxReadFrameSize:              1 << 20,
			MaxReceiveBufferPerConnection: 64 << 20,
			MaxReceiveBufferPerStream:     16 << 20,
		}
	} else {
		protocols.SetHTTP1(true)
	}
	return &http.Client{Transport: tr}
}

// blobResult is one operation (push or pull) of one size over one path, over every run.
type blobResult struct {
	Path       string // key
	Label      string
	Proto      string
	Size       int64
	Op         string // push or pull
	Runs       []int  // the run of each measurement below, from 1
	MBps       []float64
	CPUPerGB   []float64 // CPU seconds the serving processes spent per 10^9 bytes
	ClientCPU  []float64 // CPU seconds the bench's client spent per 10^9 bytes
	RegauthRSS uint64    // peak during these transfers; only through regauth
	Err        string
}

func (r blobResult) Median() float64 { return median(r.MBps) }

// pairedRatio compares f with c run by run: the median, over the runs both were measured in,
// of f's MB/s over c's in the same run. Transfers of one run follow each other within
// seconds, so a machine that slows down or speeds up between runs moves both sides of a ratio
// alike, where it would move a ratio of two medians. n is the number of runs compared.
func pairedRatio(f, c *blobResult) (ratio float64, n int) {
	var ratios []float64
	for i, run := range f.Runs {
		if j := slices.Index(c.Runs, run); j >= 0 && c.MBps[j] > 0 {
			ratios = append(ratios, f.MBps[i]/c.MBps[j])
		}
	}
	return median(ratios), len(ratios)
}

// MedianCPU is the median server CPU time per GB, in seconds.
func (r blobResult) MedianCPU() float64 { return median(r.CPUPerGB) }

// MedianClientCPU is the median CPU time per GB of the client, in seconds.
func (r blobResult) MedianClientCPU() float64 { return median(r.ClientCPU) }

// blobBench pushes and pulls blobs over every path, round-robin within each run so that a
// noisy neighbour slows all paths alike rather than one of them. Before the runs of each size
// one unmeasured round warms every path: the first push of a blob also moves it into place,
// and each path's connections, buffers and page cache start cold.
type blobBench struct {
	src   *blobSource
	paths []blobPath
	sizes []int64
	runs  int
	token func(context.Context) (string, error) // a fresh pull+push token for bench/blob
	logf  func(format string, args ...any)
}

func (b *blobBench) run(ctx context.Context) ([]*blobResult, error) {
	var results []*blobResult
	byKey := map[string]*blobResult{}
	result := func(p blobPath, size int64, op string) *blobResult {
		k := fmt.Sprint(p.Key, p.Proto, size, op)
		if r, ok := byKey[k]; ok {
			return r
		}
		r := &blobResult{Path: p.Key, Label: p.Label, Proto: p.Proto, Size: size, Op: op}
		byKey[k] = r
		results = append(results, r)
		return r
	}
	for _, size := range b.sizes {
		digest, err := b.src.digest(size)
		if err != nil {
			return nil, err
		}
		for run := 0; run <= b.runs; run++ {
			if run == 0 {
				b.logf("blobs %s, warm-up round, not measured (load %s)", sizeLabel(size), loadAvg())
			} else {
				b.logf("blobs %s, run %d/%d (load %s)", sizeLabel(size), run, b.runs, loadAvg())
			}
			for _, p := range b.paths {
				for _, op := range []string{"push", "pull"} {
					if err := ctx.Err(); err != nil {
						return results, err
					}
					m, err := b.transfer(ctx, p, op, size, digest)
					if run == 0 {
						if err != nil {
							b.logf("  %-36s %s (warm-up): %v", p.Name(), op, err)
						}
						continue
					}
					r := result(p, size, op)
					if err != nil {
						if r.Err == "" {
							r.Err = err.Error()
						}
						b.logf("  %-36s %s: %v", p.Name(), op, err)
						continue
					}
					r.Runs = append(r.Runs, run)
					r.MBps = append(r.MBps, m.mbps)
					r.CPUPerGB = append(r.CPUPerGB, m.cpuPerGB)
					r.ClientCPU = append(r.ClientCPU, m.clientPerGB)
					r.RegauthRSS = max(r.RegauthRSS, m.rss)
					b.logf("  %-36s %s %7.0f MB/s  server CPU %.2f s/GB  (load %s)", p.Name(), op, m.mbps, m.cpuPerGB, loadAvg())
				}
			}
		}
	}
	return results, nil
}

// measurement is one transfer.
type measurement struct {
	mbps        float64
	cpuPerGB    float64 // server CPU seconds per 10^9 bytes
	clientPerGB float64 // the bench's own CPU seconds per 10^9 bytes: the client's share
	rss         uint64  // regauth's peak, through regauth
}

// transfer does one push or pull and measures it.
func (b *blobBench) transfer(ctx context.Context, p blobPath, op string, size int64, digest string) (measurement, error) {
	token, err := b.token(ctx)
	if err != nil {
		return measurement{}, fmt.Errorf("token: %w", err)
	}
	var rss *rssSampler
	if p.regauthPID != 0 {
		rss = sampleRSS(p.regauthPID)
	}
	cpu0, self0 := serversCPU(p.servers), selfCPU()
	t0 := time.Now()
	if op == "push" {
		err = pushBlob(ctx, p, token, b.src.reader(size), size, digest)
	} else {
		err = pullBlob(ctx, p, token, size, digest)
	}
	elapsed := time.Since(t0)
	cpu, self := serversCPU(p.servers)-cpu0, selfCPU()-self0
	var m measurement
	if rss != nil {
		m.rss = rss.Peak()
	}
	if err != nil {
		return m, err
	}
	m.mbps = float64(size) / 1e6 / elapsed.Seconds()
	m.cpuPerGB = cpu.Seconds() / (float64(size) / 1e9)
	m.clientPerGB = self.Seconds() / (float64(size) / 1e9)
	return m, nil
}

func serversCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		total += processTreeCPU(pid)
	}
	return total
}

// pushBlob is a monolithic upload: POST to open it, then one PUT with the whole body and its
// digest, as crane and docker do for a layer they can size.
func pushBlob(ctx context.Context, p blobPath, token string, body io.Reader, size int64, digest string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/v2/"+blobRepo+"/blobs/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := doCheck(p, req, http.StatusAccepted)
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path == "" {
		return fmt.Errorf("open upload: bad Location %q", resp.Header.Get("Location"))
	}
	// Keep only path and query: the host in Location depends on how each front forwards Host.
	q := loc.Query()
	q.Set("digest", digest)
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, p.base+loc.EscapedPath()+"?"+q.Encode(), body)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	if _, err := doCheck(p, req, http.StatusCreated); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	return nil
}

func pullBlob(ctx context.Context, p blobPath, token string, size int64, digest string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/v2/"+blobRepo+"/blobs/"+digest, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := checkResponse(p, resp, http.StatusOK); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if n != size {
		return fmt.Errorf("got %d bytes, want %d", n, size)
	}
	return nil
}

// doCheck sends req, reads the (small) answer and wants status over the path's protocol.
func doCheck(p blobPath, req *http.Request, want int) (*http.Response, error) {
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := checkResponse(p, resp, want); err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp, nil
}

func checkResponse(p blobPath, resp *http.Response, want int) error {
	if resp.StatusCode != want {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %d %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if got := fmt.Sprintf("HTTP/%d", resp.ProtoMajor); !strings.HasPrefix(p.Proto, got) {
		return fmt.Errorf("negotiated %s, want %s", resp.Proto, p.Proto)
	}
	return nil
}

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// throughRegauth reports whether a path goes through regauth (either mode).
func throughRegauth(path string) bool { return path == pathFront || path == pathEmbedded }
