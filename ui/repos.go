package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

const defaultPageSize = 100

type repoGroup struct {
	Namespace string // "" for top-level repositories
	Continued bool   // the group started on an earlier page
	Repos     []repoEntry
}

type repoEntry struct {
	Name  string // full name
	Short string // the part after the namespace
}

type reposData struct {
	Query      string
	Groups     []repoGroup
	Total      int // matching the filter
	All        int // visible without a filter
	From, To   int // 1-based, on this page
	Page       int
	Pages      int
	PrevURL    string
	NextURL    string
	Namespaces int
	PublicHost string
}

func namespaceOf(name string) (ns, short string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// repositories lists what the viewer may pull, grouped by namespace, filtered and paged on
// the server: one catalog read and one ACL decision per name, never a registry request per
// repository.
func (h *handler) repositories(w http.ResponseWriter, r *http.Request, v *viewer) {
	visible, err := h.visibleRepositories(r, v)
	if err != nil {
		h.registryTrouble(w, r, v, "repository", err)
		return
	}
	if !v.SignedIn() && len(visible) == 0 {
		// Nothing to browse anonymously: the visitor has to sign in.
		target := Prefix + "signin"
		if v.Ended {
			target += "?ended=1"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	if len(query) > maxRepoName {
		query = query[:maxRepoName]
	}
	matching := visible
	if query != "" {
		needle := strings.ToLower(query)
		matching = make([]string, 0, len(visible))
		for _, name := range visible {
			if strings.Contains(name, needle) {
				matching = append(matching, name)
			}
		}
	}
	// Group: top-level names first, then by namespace.
	sort.SliceStable(matching, func(i, j int) bool {
		ni, _ := namespaceOf(matching[i])
		nj, _ := namespaceOf(matching[j])
		if ni != nj {
			return ni < nj
		}
		return matching[i] < matching[j]
	})
	size := h.pageSize
	if size <= 0 {
		size = defaultPageSize
	}
	pages := max(1, (len(matching)+size-1)/size)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, pages)
	start := (page - 1) * size
	end := min(start+size, len(matching))

	data := reposData{Query: query, Total: len(matching), All: len(visible), Page: page, Pages: pages, PublicHost: h.opts.PublicHost}
	namespaces := map[string]bool{}
	for _, name := range matching {
		ns, _ := namespaceOf(name)
		namespaces[ns] = true
	}
	data.Namespaces = len(namespaces)
	if start < end {
		data.From, data.To = start+1, end
	}
	for i, name := range matching[start:end] {
		ns, short := namespaceOf(name)
		if n := len(data.Groups); n == 0 || data.Groups[n-1].Namespace != ns {
			cont := false
			if i == 0 && start > 0 {
				prevNS, _ := namespaceOf(matching[start-1])
				cont = prevNS == ns
			}
			data.Groups = append(data.Groups, repoGroup{Namespace: ns, Continued: cont})
		}
		g := &data.Groups[len(data.Groups)-1]
		g.Repos = append(g.Repos, repoEntry{Name: name, Short: short})
	}
	link := func(p int) string {
		lq := url.Values{}
		if query != "" {
			lq.Set("q", query)
		}
		if p > 1 {
			lq.Set("page", strconv.Itoa(p))
		}
		if len(lq) == 0 {
			return Prefix
		}
		return Prefix + "?" + lq.Encode()
	}
	if page > 1 {
		data.PrevURL = link(page - 1)
	}
	if page < pages {
		data.NextURL = link(page + 1)
	}
	h.render(w, r, v, http.StatusOK, "repos", "Repositories", data)
}
