package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Media types the UI tells apart.
const (
	mtOCIIndex      = "application/vnd.oci.image.index.v1+json"
	mtDockerList    = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtOCIManifest   = "application/vnd.oci.image.manifest.v1+json"
	mtDockerV2      = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	mtOCIConfig     = "application/vnd.oci.image.config.v1+json"
	mtDockerConfig  = "application/vnd.docker.container.image.v1+json"
)

// manifestKind sorts a manifest into index, image or something the UI does not open.
type manifestKind string

const (
	kindIndex   manifestKind = "index"
	kindImage   manifestKind = "image"
	kindSchema1 manifestKind = "schema1"
	kindUnknown manifestKind = "unknown"
)

// probe reads the fields that say what a manifest is, whatever the Content-Type said.
func classify(raw rawManifest) (manifestKind, string) {
	var p struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Layers        json.RawMessage `json:"layers"`
	}
	if err := json.Unmarshal(raw.Body, &p); err != nil {
		return kindUnknown, raw.MediaType
	}
	mt := p.MediaType
	if mt == "" {
		mt = raw.MediaType
	}
	switch {
	case p.SchemaVersion == 1 || mt == mtDockerSchema1 || mt == "application/vnd.docker.distribution.manifest.v1+json":
		return kindSchema1, mt
	case mt == mtOCIIndex || mt == mtDockerList || (mt == "" && p.Manifests != nil):
		if mt == "" {
			mt = mtOCIIndex
		}
		return kindIndex, mt
	case mt == mtOCIManifest || mt == mtDockerV2 || (mt == "" && p.Layers != nil):
		if mt == "" {
			mt = mtOCIManifest
		}
		return kindImage, mt
	}
	return kindUnknown, mt
}

// platformName reads like linux/arm64/v8.
func platformName(p *v1.Platform) string {
	if p == nil || (p.OS == "" && p.Architecture == "") {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	if p.OSVersion != "" {
		s += " (" + p.OSVersion + ")"
	}
	return s
}

// isAttestation: build attestations (provenance, SBOM) ride along in an index as manifests
// for the platform unknown/unknown; they are not something to pull.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// tagSummary is one row of the repository page.
type tagSummary struct {
	Tag       string
	Digest    string
	MediaType string
	Kind      manifestKind
	Size      int64 // image: config + layers; index: the smallest platform
	MaxSize   int64 // index: the largest platform
	Created   time.Time
	Platforms []string
	Problem   string // why details are missing
	partial   bool   // a read failed: do not cache
}

// summarize reads what the repository page shows about a manifest: one more manifest per
// platform of an index, and one configuration.
func summarize(ctx context.Context, c *registryClient, name string, raw rawManifest) tagSummary {
	kind, mt := classify(raw)
	s := tagSummary{Digest: raw.Digest, MediaType: mt, Kind: kind}
	switch kind {
	case kindImage:
		var m v1.Manifest
		if err := json.Unmarshal(raw.Body, &m); err != nil {
			s.Problem = "unreadable manifest"
			return s
		}
		s.Size = imageSize(&m)
		cfg, err := readConfig(ctx, c, name, &m)
		s.partial = err != nil
		if cfg != nil {
			s.Created = cfg.Created.Time
			if p := platformName(&v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}); p != "" {
				s.Platforms = []string{p}
			}
		}
	case kindIndex:
		var idx v1.IndexManifest
		if err := json.Unmarshal(raw.Body, &idx); err != nil {
			s.Problem = "unreadable index"
			return s
		}
		first := true
		for _, d := range idx.Manifests {
			if isAttestation(d) {
				continue
			}
			if p := platformName(d.Platform); p != "" {
				s.Platforms = append(s.Platforms, p)
			}
			child, err := c.manifest(ctx, name, d.Digest.String())
			if err != nil {
				s.partial = true
				continue
			}
			var m v1.Manifest
			if k, _ := classify(child); k != kindImage || json.Unmarshal(child.Body, &m) != nil {
				continue
			}
			size := imageSize(&m)
			if first || size < s.Size {
				s.Size = size
			}
			if size > s.MaxSize {
				s.MaxSize = size
			}
			if first {
				cfg, err := readConfig(ctx, c, name, &m)
				s.partial = s.partial || err != nil
				if cfg != nil {
					s.Created = cfg.Created.Time
				}
				first = false
			}
		}
		if created, ok := idx.Annotations["org.opencontainers.image.created"]; ok && s.Created.IsZero() {
			s.Created, _ = time.Parse(time.RFC3339, created)
		}
	case kindSchema1:
		s.Problem = "legacy schema 1 manifest"
	default:
		s.Problem = "unknown manifest type"
	}
	return s
}

func imageSize(m *v1.Manifest) int64 {
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// readConfig fetches and parses an image configuration; nil (no error) when the manifest
// carries something else (an artifact).
func readConfig(ctx context.Context, c *registryClient, name string, m *v1.Manifest) (*v1.ConfigFile, error) {
	mt := string(m.Config.MediaType)
	if mt != mtOCIConfig && mt != mtDockerConfig {
		return nil, nil
	}
	body, err := c.blob(ctx, name, m.Config.Digest.String())
	if err != nil {
		return nil, err
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(body, &cfg); err != nil {
		return nil, fmt.Errorf("configuration %s: %w", m.Config.Digest, err)
	}
	return &cfg, nil
}

// imageView is everything the tag page shows about one image manifest.
type imageView struct {
	Digest          string
	MediaType       string
	Platform        string
	ArtifactType    string
	ConfigDigest    string
	ConfigMediaType string
	ConfigSize      int64
	Layers          []layerView
	TotalSize       int64
	Annotations     []keyValue
	HasConfig       bool
	Created         time.Time
	Author          string
	User            string
	WorkingDir      string
	Entrypoint      []string
	Cmd             []string
	Env             []string
	ExposedPorts    []string
	Volumes         []string
	Labels          []keyValue
	StopSignal      string
	History         []historyView
	ConfigProblem   string
}

type layerView struct {
	Index     int
	Digest    string
	MediaType string
	Size      int64
}

type historyView struct {
	Created   time.Time
	CreatedBy string
	Comment   string
	Empty     bool
	Size      int64 // the layer this step made; -1 when unknown
}

type keyValue struct{ Key, Value string }

func sortedPairs(m map[string]string) []keyValue {
	out := make([]keyValue, 0, len(m))
	for k, v := range m {
		out = append(out, keyValue{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var errNotImage = errors.New("not an image manifest")

// inspectImage parses an image manifest and its configuration.
func inspectImage(ctx context.Context, c *registryClient, name string, raw rawManifest) (*imageView, error) {
	kind, mt := classify(raw)
	if kind != kindImage {
		return nil, errNotImage
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw.Body, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", raw.Digest, err)
	}
	iv := &imageView{
		Digest: raw.Digest, MediaType: mt, ArtifactType: m.ArtifactType,
		ConfigDigest: m.Config.Digest.String(), ConfigMediaType: string(m.Config.MediaType), ConfigSize: m.Config.Size,
		TotalSize: imageSize(&m), Annotations: sortedPairs(m.Annotations),
	}
	for i, l := range m.Layers {
		iv.Layers = append(iv.Layers, layerView{Index: i + 1, Digest: l.Digest.String(), MediaType: string(l.MediaType), Size: l.Size})
	}
	cfg, err := readConfig(ctx, c, name, &m)
	switch {
	case err != nil:
		iv.ConfigProblem = "The image configuration could not be read."
	case cfg == nil:
		iv.ConfigProblem = "This manifest carries an artifact, not a container image."
	default:
		iv.HasConfig = true
		iv.Platform = platformName(&v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant})
		iv.Created, iv.Author = cfg.Created.Time, cfg.Author
		cc := cfg.Config
		iv.User, iv.WorkingDir, iv.StopSignal = cc.User, cc.WorkingDir, cc.StopSignal
		iv.Entrypoint, iv.Cmd, iv.Env = cc.Entrypoint, cc.Cmd, cc.Env
		iv.ExposedPorts, iv.Volumes = sortedKeys(cc.ExposedPorts), sortedKeys(cc.Volumes)
		iv.Labels = sortedPairs(cc.Labels)
		layer := 0
		for _, hst := range cfg.History {
			hv := historyView{Created: hst.Created.Time, CreatedBy: hst.CreatedBy, Comment: hst.Comment, Empty: hst.EmptyLayer, Size: -1}
			if !hst.EmptyLayer {
				if layer < len(m.Layers) {
					hv.Size = m.Layers[layer].Size
				}
				layer++
			}
			iv.History = append(iv.History, hv)
		}
	}
	return iv, nil
}

// platformChoice is one entry of an index on the tag page.
type platformChoice struct {
	Platform    string
	Digest      string
	MediaType   string
	Size        int64
	Attestation bool
	Selected    bool
}

// indexEntries lists an index's manifests, platforms first in the order given, attestations
// last.
func indexEntries(raw rawManifest) ([]platformChoice, error) {
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw.Body, &idx); err != nil {
		return nil, fmt.Errorf("index %s: %w", raw.Digest, err)
	}
	var plats, atts []platformChoice
	for _, d := range idx.Manifests {
		pc := platformChoice{Platform: platformName(d.Platform), Digest: d.Digest.String(), MediaType: string(d.MediaType), Size: d.Size}
		if pc.Platform == "" {
			pc.Platform = "unspecified"
		}
		if isAttestation(d) {
			pc.Attestation = true
			atts = append(atts, pc)
			continue
		}
		plats = append(plats, pc)
	}
	return append(plats, atts...), nil
}

// summaryCache keeps tag summaries by repository@digest: a manifest never changes under its
// digest, and a summary is consulted only after the viewer's own token resolved the tag to
// that digest in that repository.
type summaryCache struct {
	mu    sync.Mutex
	max   int
	items map[string]tagSummary
	order []string // insertion order, for eviction
}

func newSummaryCache(max int) *summaryCache {
	return &summaryCache{max: max, items: map[string]tagSummary{}}
}

func (sc *summaryCache) get(key string) (tagSummary, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	s, ok := sc.items[key]
	return s, ok
}

func (sc *summaryCache) put(key string, s tagSummary) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, ok := sc.items[key]; ok {
		return
	}
	if len(sc.order) >= sc.max {
		delete(sc.items, sc.order[0])
		sc.order = sc.order[1:]
	}
	sc.items[key] = s
	sc.order = append(sc.order, key)
}

// shortDigest is the first 12 hex digits, as docker shows image IDs.
func shortDigest(d string) string {
	_, hexPart, ok := strings.Cut(d, ":")
	if !ok || len(hexPart) < 12 {
		return d
	}
	return hexPart[:12]
}
