package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html static/*
var assets embed.FS

// pages holds one parsed template set per page, each the layout plus that page's content.
type pages struct {
	byName map[string]*template.Template
}

var pageNames = []string{"signin", "repos", "repo", "tag", "delete", "admin", "error"}

func loadPages(static staticFiles) (*pages, error) {
	funcs := template.FuncMap{
		"asset":       static.url,
		"size":        humanSize,
		"shortDigest": shortDigest,
		"date":        formatDate,
		"ago":         ago,
		"iso":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":        strings.Join,
		"repoURL":     func(name string) string { return Prefix + "repo/" + name },
		"tagURL":      func(name, tag string) string { return Prefix + "repo/" + name + "/-/tag/" + tag },
		"manifestURL": func(name, digest string) string { return Prefix + "repo/" + name + "/-/manifest/" + digest },
		"deleteURL":   func(name, digest string) string { return Prefix + "repo/" + name + "/-/delete/" + digest },
		"quoteArgs":   quoteArgs,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
		"add": func(a, b int) int { return a + b },
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("ui templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(assets, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("ui template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// layoutData is what every page template receives.
type layoutData struct {
	Title  string
	Viewer *viewer
	CSRF   string // the form token, when the viewer has a session
	Page   any
	Path   string // the current path, for "sign in and come back"
	Status int
}

// render executes a page into memory first, so a template failure becomes a clean error page
// rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, v *viewer, status int, page, title string, data any) {
	t, ok := h.pages.byName[page]
	if !ok {
		panic("ui: no template " + page)
	}
	ld := layoutData{Title: title, Viewer: v, Page: data, Path: r.URL.RequestURI(), Status: status}
	if v == nil {
		ld.Viewer = &viewer{}
	}
	if ld.Viewer.Session != nil {
		ld.CSRF = h.sessions.formToken(ld.Viewer.Session)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", ld); err != nil {
		h.opts.Logger.Error("ui: render", "page", page, "err", err)
		if page != "error" {
			h.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong", "The server could not show this page.")
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

type errorData struct {
	Message    string
	SignInHint bool // an anonymous visitor might see more after signing in
}

func (h *handler) renderError(w http.ResponseWriter, r *http.Request, v *viewer, status int, title, message string) {
	h.render(w, r, v, status, "error", title, errorData{
		Message:    message,
		SignInHint: (status == http.StatusNotFound || status == http.StatusForbidden) && !v.SignedIn(),
	})
}

// notFound is the answer for a repository or tag that does not exist and for one the viewer
// may not see: the two must look the same, or the UI would confirm secret names.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request, v *viewer, what string) {
	h.renderError(w, r, v, http.StatusNotFound, "Not found", "There is no "+what+" here, or you may not see it.")
}

// registryTrouble turns a registry failure into a page.
func (h *handler) registryTrouble(w http.ResponseWriter, r *http.Request, v *viewer, what string, err error) {
	if re, ok := asRegistryError(err); ok && re.notFound() {
		h.notFound(w, r, v, what)
		return
	}
	h.opts.Logger.Error("ui: registry", "path", r.URL.Path, "err", err)
	h.renderError(w, r, v, http.StatusBadGateway, "Registry unavailable", "The registry did not answer as expected. Try again in a moment.")
}

// humanSize uses decimal units, as docker does.
func humanSize(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	for _, u := range units {
		f /= 1000
		if f < 1000 {
			if f < 10 {
				return strconv.FormatFloat(f, 'f', 2, 64) + " " + u
			}
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + u
		}
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + " EB"
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago is a coarse relative time; the exact one is in the title attribute.
func ago(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return formatDate(t)
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	case d < 2*365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month") + " ago"
	default:
		return plural(int(d/(365*24*time.Hour)), "year") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// quoteArgs shows an exec-form command as a JSON-ish list, the way Dockerfiles write it.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
