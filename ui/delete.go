package ui

import (
	"net/http"
	"net/url"
	"time"

	"github.com/regauth/regauth/audit"
)

type deleteData struct {
	Name      string
	Digest    string
	Tags      []string // tags that point at the manifest and disappear with it
	FromTag   string   // the tag page the visitor came from
	DeleteOff bool
	Error     string
}

// delete confirms (GET) and performs (POST) deleting a manifest by digest. It needs a signed-in
// user with the delete right, a valid CSRF token, and a registry that deletes.
func (h *handler) delete(w http.ResponseWriter, r *http.Request, v *viewer, name, digest string) {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil || !h.checkCSRF(r, v) {
			h.renderError(w, r, v, http.StatusForbidden, "Form expired", "This form expired or did not come from this site. Nothing was deleted. Reload the page and try again.")
			return
		}
	}
	if !v.SignedIn() {
		if r.Method == http.MethodPost {
			h.renderError(w, r, v, http.StatusForbidden, "Sign in to delete", "Only signed-in users can delete. Nothing was deleted.")
			return
		}
		http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if !h.decide(v, name, "pull").Allowed("pull") {
		h.notFound(w, r, v, "manifest")
		return
	}
	if !h.decide(v, name, "delete").Allowed("delete") {
		h.renderError(w, r, v, http.StatusForbidden, "Not allowed",
			"You may not delete in "+name+". An administrator can grant the delete action in acl.yaml.")
		return
	}
	reader, _, err := h.clientFor(r, v, name, "pull")
	if err != nil {
		h.registryTrouble(w, r, v, "manifest", err)
		return
	}
	if _, err := reader.manifest(r.Context(), name, digest); err != nil {
		h.registryTrouble(w, r, v, "manifest", err)
		return
	}
	deleter, _, err := h.clientFor(r, v, name, "delete")
	if err != nil {
		h.registryTrouble(w, r, v, "manifest", err)
		return
	}
	data := deleteData{Name: name, Digest: digest}
	if t := r.FormValue("tag"); checkTag(t) == nil {
		data.FromTag = t
	}
	if r.Method != http.MethodPost {
		if tags, err := reader.tags(r.Context(), name); err == nil && len(tags) <= maxSortedTags {
			for _, s := range h.summaries(r.Context(), reader, name, tags) {
				if s.Digest == digest {
					data.Tags = append(data.Tags, s.Tag)
				}
			}
		}
		data.DeleteOff = !h.registryDeletes(r, v, name)
		h.render(w, r, v, http.StatusOK, "delete", "Delete "+name+"@"+shortDigest(digest), data)
		return
	}

	err = deleter.deleteManifest(r.Context(), name, digest)
	event := audit.Event{Kind: audit.KindDelete, User: v.ID.Name, ClientIP: v.IP.String(), Grant: "ui", Target: name + "@" + digest, OK: audit.Bool(err == nil)}
	if err != nil {
		event.Error = err.Error()
	}
	h.opts.Audit.Log(event)
	if re, ok := asRegistryError(err); ok && re.Code == "UNSUPPORTED" {
		h.forgetDeleteProbe()
	}
	if err == nil {
		h.opts.Logger.Info("ui: deleted manifest", "user", v.ID.Name, "repository", name, "digest", digest)
		http.Redirect(w, r, Prefix+"repo/"+name+"?deleted="+url.QueryEscape(digest), http.StatusSeeOther)
		return
	}
	re, ok := asRegistryError(err)
	switch {
	case ok && re.Code == "UNSUPPORTED" || ok && re.Status == http.StatusMethodNotAllowed:
		data.DeleteOff = true
		data.Error = "The registry does not allow deletes. Nothing was deleted."
		h.render(w, r, v, http.StatusConflict, "delete", "Delete "+name+"@"+shortDigest(digest), data)
	case ok && re.notFound():
		h.notFound(w, r, v, "manifest")
	default:
		h.registryTrouble(w, r, v, "manifest", err)
	}
}

// forgetDeleteProbe makes the next page ask the registry again.
func (h *handler) forgetDeleteProbe() {
	h.deletes.mu.Lock()
	h.deletes.at = time.Time{}
	h.deletes.mu.Unlock()
}
