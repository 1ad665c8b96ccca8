package ui

import (
	"net/http"
	"strings"
)

type tagData struct {
	Name       string
	Ref        string // the tag, or the digest the page was opened by
	ByDigest   bool
	Digest     string
	MediaType  string
	Kind       manifestKind
	Platforms  []platformChoice // an index's entries
	Selected   string           // digest of the platform shown
	Image      *imageView
	PullTag    string
	PullDigest string
	CanDelete  bool
	DeleteOff  bool
	Problem    string
}

// tag shows one tag (or a manifest by digest): for an index, its platforms and the chosen
// platform's image; for an image, its layers, configuration and history.
func (h *handler) tag(w http.ResponseWriter, r *http.Request, v *viewer, name, ref string) {
	ctx := r.Context()
	c, d, err := h.clientFor(r, v, name, "pull")
	if err != nil {
		h.registryTrouble(w, r, v, "tag", err)
		return
	}
	if !d.Allowed("pull") {
		h.notFound(w, r, v, "tag")
		return
	}
	raw, err := c.manifest(ctx, name, ref)
	if err != nil {
		h.registryTrouble(w, r, v, "tag", err)
		return
	}
	kind, mt := classify(raw)
	data := tagData{Name: name, Ref: ref, ByDigest: strings.Contains(ref, ":"), Digest: raw.Digest, MediaType: mt, Kind: kind}
	base := h.opts.PublicHost + "/" + name
	if !data.ByDigest {
		data.PullTag = "docker pull " + base + ":" + ref
	}
	data.PullDigest = "docker pull " + base + "@" + raw.Digest

	switch kind {
	case kindIndex:
		entries, err := indexEntries(raw)
		if err != nil {
			data.Problem = "The index could not be read."
			break
		}
		want := r.URL.Query().Get("platform")
		if want != "" && checkDigest(want) != nil {
			h.renderError(w, r, v, http.StatusBadRequest, "Bad platform", "The platform is chosen by its manifest digest.")
			return
		}
		data.Selected = pickPlatform(entries, want)
		if want != "" && data.Selected != want {
			h.notFound(w, r, v, "platform")
			return
		}
		for i := range entries {
			entries[i].Selected = entries[i].Digest == data.Selected
		}
		data.Platforms = entries
		if data.Selected != "" {
			child, err := c.manifest(ctx, name, data.Selected)
			if err != nil {
				data.Problem = "The manifest of this platform could not be read."
				break
			}
			if data.Image, err = inspectImage(ctx, c, name, child); err != nil {
				data.Problem = "This platform's manifest is not an image manifest."
			}
		}
	case kindImage:
		if data.Image, err = inspectImage(ctx, c, name, raw); err != nil {
			data.Problem = "The manifest could not be read."
		}
	case kindSchema1:
		data.Problem = "This is a legacy schema 1 manifest; the UI does not open it. Push it again with a current client."
	default:
		data.Problem = "The UI does not know this kind of manifest."
	}
	data.CanDelete, data.DeleteOff = h.deleteState(r, v, name)
	title := name + ":" + ref
	if data.ByDigest {
		title = name + "@" + shortDigest(ref)
	}
	h.render(w, r, v, http.StatusOK, "tag", title, data)
}

// pickPlatform returns want when the index has it, else linux/amd64, else the first platform.
func pickPlatform(entries []platformChoice, want string) string {
	if want != "" {
		for _, e := range entries {
			if e.Digest == want {
				return want
			}
		}
		return ""
	}
	for _, e := range entries {
		if !e.Attestation && e.Platform == "linux/amd64" {
			return e.Digest
		}
	}
	for _, e := range entries {
		if !e.Attestation {
			return e.Digest
		}
	}
	return ""
}
