package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

const (
	defaultTagPageSize = 50
	// maxSortedTags bounds how many tags are inspected to sort by date; a repository with
	// more is sorted by name and only the shown page is inspected.
	maxSortedTags = 1000
	fetchWorkers  = 8
)

type repoData struct {
	Name          string
	Namespace     string
	Tags          []tagSummary
	Sort          string
	Total         int
	From, To      int
	Page, Pages   int
	PrevURL       string
	NextURL       string
	NewestURL     string
	NameURL       string
	CanDelete     bool // the ACL grants delete and the registry deletes
	DeleteOff     bool // the ACL grants delete but the registry has deletes switched off
	Notice        string
	Deleted       string // digest just deleted (shown once after the redirect)
	PullCommand   string
	PullTag       string // latest, or the newest tag, for the copyable pull command
	HasIndexes    bool
	MissingDigest bool
}

func (h *handler) repository(w http.ResponseWriter, r *http.Request, v *viewer, name string) {
	ctx := r.Context()
	c, d, err := h.clientFor(r, v, name, "pull")
	if err != nil {
		h.registryTrouble(w, r, v, "repository", err)
		return
	}
	if !d.Allowed("pull") {
		h.notFound(w, r, v, "repository")
		return
	}
	tags, err := c.tags(ctx, name)
	if err != nil {
		h.registryTrouble(w, r, v, "repository", err)
		return
	}
	q := r.URL.Query()
	data := repoData{Name: name, Sort: q.Get("sort"), Total: len(tags), PullCommand: "docker pull " + h.opts.PublicHost + "/" + name}
	data.Namespace, _ = namespaceOf(name)
	if data.Sort != "name" {
		data.Sort = "newest"
	}
	if dg := q.Get("deleted"); checkDigest(dg) == nil {
		data.Deleted = dg
	}
	size := h.tagPageSize
	if size <= 0 {
		size = defaultTagPageSize
	}
	data.Pages = max(1, (len(tags)+size-1)/size)
	data.Page, _ = strconv.Atoi(q.Get("page"))
	data.Page = min(max(data.Page, 1), data.Pages)
	start := (data.Page - 1) * size
	end := min(start+size, len(tags))

	if data.Sort == "newest" && len(tags) > maxSortedTags {
		data.Sort = "name"
		data.Notice = "This repository has more than " + strconv.Itoa(maxSortedTags) + " tags: they are sorted by name."
	}
	var shown []tagSummary
	if data.Sort == "newest" {
		all := h.summaries(ctx, c, name, tags)
		sort.SliceStable(all, func(i, j int) bool {
			if !all[i].Created.Equal(all[j].Created) {
				return all[i].Created.After(all[j].Created)
			}
			return all[i].Tag < all[j].Tag
		})
		shown = all[start:end]
	} else {
		shown = h.summaries(ctx, c, name, tags[start:end])
	}
	data.Tags = shown
	switch {
	case slices.Contains(tags, "latest"):
		data.PullTag = "latest"
	case data.Sort == "newest" && data.Page == 1 && len(shown) > 0:
		data.PullTag = shown[0].Tag
	}
	for _, t := range shown {
		data.HasIndexes = data.HasIndexes || t.Kind == kindIndex
		data.MissingDigest = data.MissingDigest || t.Digest == ""
	}
	if start < end {
		data.From, data.To = start+1, end
	}
	link := func(sortBy string, page int) string {
		lq := url.Values{}
		if sortBy == "name" {
			lq.Set("sort", "name")
		}
		if page > 1 {
			lq.Set("page", strconv.Itoa(page))
		}
		if len(lq) == 0 {
			return Prefix + "repo/" + name
		}
		return Prefix + "repo/" + name + "?" + lq.Encode()
	}
	data.NewestURL, data.NameURL = link("newest", 1), link("name", 1)
	if data.Page > 1 {
		data.PrevURL = link(data.Sort, data.Page-1)
	}
	if data.Page < data.Pages {
		data.NextURL = link(data.Sort, data.Page+1)
	}
	data.CanDelete, data.DeleteOff = h.deleteState(r, v, name)
	h.render(w, r, v, http.StatusOK, "repo", name, data)
}

// deleteState reports whether v may delete in the repository and the registry deletes; off
// is set when only the registry stands in the way. Anonymous visitors never delete from the UI.
func (h *handler) deleteState(r *http.Request, v *viewer, name string) (can, off bool) {
	if !v.SignedIn() || !h.decide(v, name, "delete").Allowed("delete") {
		return false, false
	}
	if h.registryDeletes(r, v, name) {
		return true, false
	}
	return false, true
}

// deleteProbeTTL: whether the registry deletes is a registry-wide setting that changes only
// with its configuration, so one probe a minute is plenty (and keeps the registry's log quiet).
const deleteProbeTTL = time.Minute

type deleteProbe struct {
	mu      sync.Mutex
	at      time.Time
	enabled bool
}

// registryDeletes asks the registry (at most once a minute) whether it deletes manifests,
// with a token for v, who may delete in name.
func (h *handler) registryDeletes(r *http.Request, v *viewer, name string) bool {
	p := &h.deletes
	p.mu.Lock()
	defer p.mu.Unlock()
	now := h.opts.Now()
	if !p.at.IsZero() && now.Sub(p.at) < deleteProbeTTL && now.After(p.at) {
		return p.enabled
	}
	c, _, err := h.clientFor(r, v, name, "delete")
	if err != nil {
		return false
	}
	p.enabled, p.at = c.deletesEnabled(r.Context(), name), now
	return p.enabled
}

// summaries inspects tags concurrently; each costs one manifest read, plus a few more the
// first time a digest is seen.
func (h *handler) summaries(ctx context.Context, c *registryClient, name string, tags []string) []tagSummary {
	out := make([]tagSummary, len(tags))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(fetchWorkers, len(tags)) {
		wg.Go(func() {
			for i := range work {
				out[i] = h.summary1(ctx, c, name, tags[i])
			}
		})
	}
	for i := range tags {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

func (h *handler) summary1(ctx context.Context, c *registryClient, name, tag string) tagSummary {
	raw, err := c.manifest(ctx, name, tag)
	if err != nil {
		return tagSummary{Tag: tag, Problem: "manifest unavailable"}
	}
	key := name + "@" + raw.Digest
	if s, ok := h.summary.get(key); ok {
		s.Tag = tag
		return s
	}
	s := summarize(ctx, c, name, raw)
	if !s.partial {
		h.summary.put(key, s)
	}
	s.Tag = tag
	return s
}
