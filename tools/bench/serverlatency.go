package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// tokenRequestSeries is regauth's histogram of /auth answer times, measured inside regauth from
// the parsed request to the last byte written.
const tokenRequestSeries = "regauth_token_request_seconds"

// histogram is a cumulative Prometheus histogram at one moment.
type histogram struct {
	bounds []float64 // upper bounds, ascending; the +Inf bucket is total
	counts []uint64  // cumulative counts per bound
	total  uint64
}

// scrapeTokenRequests reads regauth's /metrics and returns the /auth histogram.
func scrapeTokenRequests(ctx context.Context, roots *x509.CertPool, metricsURL string) (histogram, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return histogram{}, err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return histogram{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return histogram{}, fmt.Errorf("GET %s: %s", metricsURL, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return histogram{}, fmt.Errorf("GET %s: %w", metricsURL, err)
	}
	f, ok := families[tokenRequestSeries]
	if !ok || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetHistogram() == nil {
		return histogram{}, fmt.Errorf("GET %s: no %s histogram", metricsURL, tokenRequestSeries)
	}
	h := f.GetMetric()[0].GetHistogram()
	var out histogram
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			continue
		}
		out.bounds = append(out.bounds, b.GetUpperBound())
		out.counts = append(out.counts, b.GetCumulativeCount())
	}
	out.total = h.GetSampleCount()
	return out, nil
}

// since is what was observed between an earlier snapshot and this one.
func (h histogram) since(earlier histogram) histogram {
	if len(earlier.counts) != len(h.counts) {
		return h
	}
	d := histogram{bounds: h.bounds, counts: make([]uint64, len(h.counts)), total: h.total - earlier.total}
	for i := range h.counts {
		d.counts[i] = h.counts[i] - earlier.counts[i]
	}
	return d
}

// quantile is the upper bound of the bucket that holds the q-quantile; over is true when it
// lies beyond the last bound (then the last bound is returned, as a lower limit).
func (h histogram) quantile(q float64) (d time.Duration, over bool, ok bool) {
	if h.total == 0 || len(h.bounds) == 0 {
		return 0, false, false
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	for i, c := range h.counts {
		if c >= rank {
			return time.Duration(h.bounds[i] * float64(time.Second)), false, true
		}
	}
	return time.Duration(h.bounds[len(h.bounds)-1] * float64(time.Second)), true, true
}
