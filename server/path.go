package server

import (
	"net/http"
	"regexp"
	"strings"
)

// The distribution spec's grammar, checked at the front so that a hostile or broken client
// gets the registry's JSON error instead of a 500 or a plain-text 404 from deeper down.
var (
	repoComponent = `[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*`
	repoName      = regexp.MustCompile(`^` + repoComponent + `(?:/` + repoComponent + `)*$`)
	tagPattern    = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
)

// maxRepoName is the registry's limit on a repository name.
const maxRepoName = 255

// pathProblem is why a /v2/ path cannot be served, as the registry would say it.
type pathProblem struct {
	status  int
	code    string
	message string
}

// checkRegistryPath validates a /v2/ path: the route, the repository name and the reference.
// It returns nil for the base endpoint, the catalog and every well-formed route.
func checkRegistryPath(path string) *pathProblem {
	if path == "/v2/" || path == "/v2" || path == "/v2/_catalog" {
		return nil
	}
	m := registryRoute.FindStringSubmatch(path)
	if m == nil {
		return &pathProblem{http.StatusNotFound, "NOT_FOUND", "no such registry endpoint"}
	}
	name, route := m[1], m[2]
	if len(name) > maxRepoName || !repoName.MatchString(name) {
		return &pathProblem{http.StatusBadRequest, "NAME_INVALID", "invalid repository name"}
	}
	switch {
	case strings.HasPrefix(route, "manifests/"):
		ref := strings.TrimPrefix(route, "manifests/")
		if !tagPattern.MatchString(ref) && !digestPattern.MatchString(ref) {
			return &pathProblem{http.StatusBadRequest, "TAG_INVALID", "invalid tag or digest"}
		}
	case strings.HasPrefix(route, "blobs/uploads/"):
		// upload session ids are the registry's own
	case strings.HasPrefix(route, "blobs/"), strings.HasPrefix(route, "referrers/"):
		ref := route[strings.IndexByte(route, '/')+1:]
		if !digestPattern.MatchString(ref) {
			return &pathProblem{http.StatusBadRequest, "DIGEST_INVALID", "invalid digest"}
		}
	}
	return nil
}
