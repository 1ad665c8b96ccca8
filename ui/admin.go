package ui

import (
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
)

type adminUser struct {
	Name   string
	Groups []string
	Admin  bool
}

type adminGroup struct {
	Name    string
	Members []string
}

type explainForm struct {
	User    string
	Actions string
	Type    string
	Name    string
	IP      string
}

type explainResult struct {
	Subject     string // "alice" or "the anonymous user"
	Groups      []string
	UnknownUser bool
	Actions     []string
	Granted     []string
	Denied      []string
	Rule        string // the deciding rule, "" when none matched
}

type adminData struct {
	AdminGroup     string
	Users          []adminUser
	Groups         []adminGroup
	NoUserList     bool
	Form           explainForm
	Explain        *explainResult
	ExplainProblem string
}

// admin shows users and groups and answers "can USER do ACTIONS on NAME?" with the rule that
// decides. It changes nothing, so it is a GET form.
func (h *handler) admin(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !v.SignedIn() {
		http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(Prefix+"admin"), http.StatusSeeOther)
		return
	}
	if !v.Admin {
		h.renderError(w, r, v, http.StatusForbidden, "Administrators only",
			"This page is for members of the group "+h.opts.AdminGroup+".")
		return
	}
	data := adminData{AdminGroup: h.opts.AdminGroup}
	if h.opts.Users == nil {
		data.NoUserList = true
	} else {
		members := map[string][]string{}
		for _, id := range h.opts.Users() {
			groups := slices.Clone(id.Groups)
			sort.Strings(groups)
			data.Users = append(data.Users, adminUser{Name: id.Name, Groups: groups, Admin: slices.Contains(groups, h.opts.AdminGroup)})
			for _, g := range groups {
				members[g] = append(members[g], id.Name)
			}
		}
		sort.Slice(data.Users, func(i, j int) bool { return data.Users[i].Name < data.Users[j].Name })
		for g, m := range members {
			sort.Strings(m)
			data.Groups = append(data.Groups, adminGroup{Name: g, Members: m})
		}
		sort.Slice(data.Groups, func(i, j int) bool { return data.Groups[i].Name < data.Groups[j].Name })
	}

	q := r.URL.Query()
	data.Form = explainForm{
		User: strings.TrimSpace(q.Get("user")), Actions: strings.TrimSpace(q.Get("actions")),
		Type: strings.TrimSpace(q.Get("type")), Name: strings.TrimSpace(q.Get("name")), IP: strings.TrimSpace(q.Get("ip")),
	}
	if data.Form.Type == "" {
		data.Form.Type = "repository"
	}
	if data.Form.Actions == "" {
		data.Form.Actions = "pull,push"
	}
	if q.Has("name") {
		data.Explain, data.ExplainProblem = h.explain(data.Form)
	}
	h.render(w, r, v, http.StatusOK, "admin", "Administration", data)
}

func (h *handler) explain(f explainForm) (*explainResult, string) {
	if f.Name == "" {
		return nil, "Enter a repository name (or catalog, with type registry)."
	}
	if len(f.Name) > maxRepoName || len(f.User) > 256 || len(f.Actions) > 256 || len(f.Type) > 64 {
		return nil, "The question is too long."
	}
	actions := strings.FieldsFunc(f.Actions, func(r rune) bool { return r == ',' || r == ' ' })
	if len(actions) == 0 {
		return nil, "Enter at least one action: pull, push, delete or *."
	}
	var ip netip.Addr
	if f.IP != "" {
		var err error
		if ip, err = netip.ParseAddr(f.IP); err != nil {
			return nil, "The client address is not an IP address."
		}
	}
	res := &explainResult{Subject: f.User, Actions: actions}
	id := auth.Identity{}
	if f.User == "" {
		res.Subject = "the anonymous user"
	} else {
		found, _, ok := h.opts.Directory.Lookup(f.User)
		if ok {
			id = found
		} else {
			id = auth.Identity{Name: f.User}
			res.UnknownUser = true
		}
	}
	res.Groups = id.Groups
	d := h.opts.Authorizer.Authorize(acl.Request{
		Account: id.Name, Groups: id.Groups, IP: ip.Unmap(), Service: h.opts.Issuer.Service(),
		Type: f.Type, Name: f.Name, Actions: actions,
	})
	for _, a := range actions {
		if d.Allowed(a) {
			res.Granted = append(res.Granted, a)
		} else {
			res.Denied = append(res.Denied, a)
		}
	}
	if d.Rule != nil {
		res.Rule = d.Rule.String()
	}
	return res, ""
}
