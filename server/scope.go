package server

import (
	"net/http"
	"regexp"

	"github.com/regauth/regauth/tokens"
)

// registryRoute splits a /v2/ path into the repository name and the registry route after it.
// The name is matched lazily and every route is anchored, so a repository called
// "team/blobs/x" still parses: the shortest name that leaves a whole valid route wins.
var registryRoute = regexp.MustCompile(`^/v2/(.+?)/(tags/list|manifests/[^/]+|blobs/uploads/[^/]*|blobs/[^/]+|referrers/[^/]+)$`)

// requiredScopes is what a request to the registry needs, by the rules the registry itself
// applies: GET/HEAD pull, POST/PUT/PATCH pull+push, DELETE delete, and a cross-repository
// mount (?mount=&from=) also pull on the source. The base /v2/ needs no scope.
func requiredScopes(r *http.Request) []tokens.Scope {
	path := r.URL.Path
	if path == "/v2/" || path == "/v2" {
		return nil
	}
	if path == "/v2/_catalog" {
		return []tokens.Scope{{Type: "registry", Name: "catalog", Actions: []string{"*"}}}
	}
	m := registryRoute.FindStringSubmatch(path)
	if m == nil {
		return nil // not a registry route: the registry answers 404 itself
	}
	name := m[1]
	var actions []string
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		actions = []string{"pull"}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		actions = []string{"pull", "push"}
	case http.MethodDelete:
		actions = []string{"delete"}
	default:
		return nil
	}
	scopes := []tokens.Scope{{Type: "repository", Name: name, Actions: actions}}
	if from := r.URL.Query().Get("from"); r.Method == http.MethodPost && from != "" && r.URL.Query().Get("mount") != "" && from != name {
		scopes = append(scopes, tokens.Scope{Type: "repository", Name: from, Actions: []string{"pull"}})
	}
	return scopes
}
