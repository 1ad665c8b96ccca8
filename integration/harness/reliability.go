package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// durationFromEnv reads a duration in seconds from the environment, for longer local runs.
func durationFromEnv(name string, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(os.Getenv(name)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// heapInUse is the live heap after a collection, in MiB.
func heapInUse() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// ManyClientsOnAuth keeps 500 keep-alive clients asking /auth for tokens for 30 s (bounded,
// loopback only) and requires zero errors and a heap that does not grow with the requests.
func ManyClientsOnAuth(t *testing.T, st *Stack) {
	const clients = 500
	duration := durationFromEnv("REGAUTH_LOAD_SECONDS", 30*time.Second)
	q := url.Values{"service": {Service}, "scope": {"repository:load/app:pull"}}
	target := st.URL + "/auth?" + q.Encode()
	tlsCfg := st.TLSConfig()
	tlsCfg.NextProtos = []string{"http/1.1"}

	var requests, failures atomic.Int64
	var firstErr atomic.Value
	run := func(ctx context.Context, c *http.Client) {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			req.SetBasicAuth("test", Password)
			resp, err := c.Do(req)
			if ctx.Err() != nil {
				return
			}
			requests.Add(1)
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d", resp.StatusCode))
			}
		}
	}
	warm, stopWarm := context.WithTimeout(context.Background(), 3*time.Second)
	var wg sync.WaitGroup
	transports := make([]*http.Transport, clients)
	for i := range transports {
		transports[i] = &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 1, DisableCompression: true}
		c := &http.Client{Transport: transports[i], Timeout: 30 * time.Second}
		wg.Add(1)
		go func() { defer wg.Done(); run(warm, c) }()
	}
	wg.Wait()
	stopWarm()
	before := heapInUse()
	warmRequests := requests.Load()
	requests.Store(0)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	for _, tr := range transports {
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx, c) }()
	}
	wg.Wait()
	after := heapInUse()
	for _, tr := range transports {
		tr.CloseIdleConnections()
	}
	n := requests.Load()
	t.Logf("%d clients for %v: %d token requests (%.0f/s), %d failed; heap %.1f MiB after warm-up (%d requests), %.1f MiB at the end",
		clients, duration, n, float64(n)/duration.Seconds(), failures.Load(), before, warmRequests, after)
	if failures.Load() != 0 {
		t.Fatalf("%d of %d requests failed; first: %v", failures.Load(), n, firstErr.Load())
	}
	if after > before*1.5+32 {
		t.Fatalf("heap grew from %.1f to %.1f MiB under a steady load", before, after)
	}
}

// PushesSurviveARegistryRestart pushes images continuously while the registry behind the
// front is killed and started again. Clients see the registry's 503 while it is down and
// succeed on retry; every image that was pushed pulls back with its digest.
func PushesSurviveARegistryRestart(t *testing.T, st *Stack, up *Upstream) {
	ctx := context.Background()
	const workers = 4
	var mu sync.Mutex
	pushed := map[string]v1.Hash{}
	var unavailable, retries atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ref := st.Ref(t, fmt.Sprintf("restart/w%d:%d", w, i))
				img := RandomImage(t)
				var err error
				for attempt := 0; attempt < 40; attempt++ {
					// The client's own retries are off, so every 503 reaches this loop and is counted.
					opts := append(st.Options(ctx, Basic("testpush")), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
					if err = remote.Write(ref, img, opts...); err == nil {
						break
					}
					retries.Add(1)
					if isUnavailable(err) {
						unavailable.Add(1)
					}
					time.Sleep(100 * time.Millisecond)
				}
				if err != nil {
					t.Errorf("push %s never succeeded: %v", ref, err)
					return
				}
				d, _ := img.Digest()
				mu.Lock()
				pushed[ref.String()] = d
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	up.Stop()
	time.Sleep(1500 * time.Millisecond)
	up.Restart(t)
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	for ref, want := range pushed {
		img, err := remote.Image(st.Ref(t, ref[len(st.Host)+1:]), st.Options(ctx, Basic("test"))...)
		if err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		got, err := img.Digest()
		if err != nil || got != want {
			t.Fatalf("%s pulled as %s, pushed %s", ref, got, want)
		}
		layers, _ := img.Layers()
		for _, l := range layers {
			if _, err := readLayer(l); err != nil {
				t.Fatalf("layer of %s: %v", ref, err)
			}
		}
	}
	t.Logf("%d images pushed across a registry restart and verified; %d retries, %d of them on 503 UNAVAILABLE", len(pushed), retries.Load(), unavailable.Load())
	if unavailable.Load() == 0 {
		t.Error("no client ever saw the registry down: the restart happened between pushes, nothing was proven")
	}
}

func isUnavailable(err error) bool {
	return strings.Contains(err.Error(), "UNAVAILABLE") || strings.Contains(err.Error(), "503")
}

// ManyPullsOfALargeLayer pulls one multi-MB layer with more clients at once than the front
// lends large copy buffers to, so that pulls through both buffer sizes run side by side; every
// client checks the layer's digest.
func ManyPullsOfALargeLayer(t *testing.T, st *Stack) {
	ctx := context.Background()
	const clients = 24
	layer, err := random.Layer(6<<20+4321, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	ref := st.Ref(t, "large/app:1")
	if err := remote.Write(ref, img, st.Options(ctx, Basic("testpush"))...); err != nil {
		t.Fatal(err)
	}
	digest, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, err := layer.Size()
	if err != nil {
		t.Fatal(err)
	}
	blob := ref.Context().Digest(digest.String())
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			l, err := remote.Layer(blob, st.Options(ctx, Basic("test"))...)
			if err != nil {
				t.Error(err)
				return
			}
			n, err := readLayer(l)
			if err != nil || n != size {
				t.Errorf("pulled %d of %d bytes: %v", n, size, err)
			}
		})
	}
	wg.Wait()
	t.Logf("%d clients pulled the %d-byte layer %s at once, digest checked", clients, size, digest)
}

// readLayer reads a pulled layer to the end, which checks its digest, and returns its size.
func readLayer(l v1.Layer) (int64, error) {
	rc, err := l.Compressed() // verifies the digest while reading
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
