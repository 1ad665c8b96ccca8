package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/internal/capture"
	"github.com/regauth/regauth/internal/listing"
	"github.com/regauth/regauth/tokens"
)

// catalogSubject is the identity of the token that lists repository names. It grants
// registry:catalog:* and nothing else; what a visitor sees of the list is decided by the ACL
// for the visitor, and everything about a repository's content is read with the visitor's own
// token.
const catalogSubject = "regauth:ui-catalog"

// Bounds on what the UI reads from the registry into memory.
const (
	maxManifest  = 4 << 20
	maxConfig    = 8 << 20
	maxTagsPage  = 4 << 20
	catalogBatch = 1000
)

// manifestAccept lists every manifest kind the UI understands.
var manifestAccept = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// decide asks the ACL what v may do on a repository.
func (h *handler) decide(v *viewer, name string, actions ...string) acl.Decision {
	return h.opts.Authorizer.Authorize(acl.Request{
		Account: v.ID.Name, Groups: v.ID.Groups, IP: v.IP, Service: h.opts.Issuer.Service(),
		Type: "repository", Name: name, Actions: actions,
	})
}

// registryClient calls the registry handler in-process with one bearer token.
type registryClient struct {
	handler http.Handler
	orig    *http.Request
	token   string
}

// clientFor mints a token for the viewer holding exactly what the ACL grants them on repo
// among actions. It never holds more than the viewer could get from /auth.
func (h *handler) clientFor(r *http.Request, v *viewer, repo string, actions ...string) (*registryClient, acl.Decision, error) {
	d := h.decide(v, repo, actions...)
	var access []tokens.ResourceActions
	if len(d.Granted) > 0 {
		access = []tokens.ResourceActions{{Type: "repository", Name: repo, Actions: d.Granted}}
	}
	issued, err := h.opts.Issuer.IssueAccess(v.ID.Name, access)
	if err != nil {
		return nil, d, fmt.Errorf("issue token for %q: %w", v.ID.Name, err)
	}
	return &registryClient{handler: h.opts.Registry, orig: r, token: issued.Token}, d, nil
}

// registryError is the registry's answer when it is not a success.
type registryError struct {
	Status int
	Code   string // first error code in the body, e.g. NAME_UNKNOWN
}

func (e *registryError) Error() string {
	return fmt.Sprintf("registry answered %d %s", e.Status, e.Code)
}

func (e *registryError) notFound() bool {
	return e.Status == http.StatusNotFound || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

func asRegistryError(err error) (*registryError, bool) {
	var re *registryError
	ok := errors.As(err, &re)
	return re, ok
}

func (c *registryClient) do(ctx context.Context, method, path, accept string, limit int) (*capture.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, path, nil)
	if err != nil {
		return nil, err
	}
	req.Host = c.orig.Host
	req.RemoteAddr = c.orig.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+c.token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c.orig.TLS != nil {
		req.TLS = c.orig.TLS
	}
	resp := capture.Serve(c.handler, req, limit)
	if resp.Status >= 300 {
		var body struct {
			Errors []struct {
				Code string `json:"code"`
			} `json:"errors"`
		}
		re := &registryError{Status: resp.Status}
		if json.Unmarshal(resp.Body.Bytes(), &body) == nil && len(body.Errors) > 0 {
			re.Code = body.Errors[0].Code
		}
		return resp, re
	}
	if resp.Overflow {
		return resp, fmt.Errorf("%s %s: answer larger than %d bytes", method, path, limit)
	}
	return resp, nil
}

// repoPath builds /v2/NAME/KIND/REF; names and references were validated before.
func repoPath(name, kind, ref string) string {
	return "/v2/" + name + "/" + kind + "/" + ref
}

// tags lists every tag of a repository, following the registry's pages.
func (c *registryClient) tags(ctx context.Context, name string) ([]string, error) {
	return listing.All(func(last string) ([]string, bool, error) {
		resp, err := c.do(ctx, http.MethodGet, "/v2/"+name+"/tags/list?"+listing.Query(catalogBatch, last), "", maxTagsPage)
		if err != nil {
			return nil, false, err
		}
		var page struct {
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(resp.Body.Bytes(), &page); err != nil {
			return nil, false, fmt.Errorf("tags of %s: %w", name, err)
		}
		return page.Tags, resp.Header().Get("Link") != "", nil
	})
}

// rawManifest is a manifest as the registry stored it, with the digest computed here.
type rawManifest struct {
	Digest    string
	MediaType string
	Body      []byte
}

// manifest fetches a manifest by tag or digest. A manifest fetched by digest must hash to it.
func (c *registryClient) manifest(ctx context.Context, name, ref string) (rawManifest, error) {
	resp, err := c.do(ctx, http.MethodGet, repoPath(name, "manifests", ref), manifestAccept, maxManifest)
	if err != nil {
		return rawManifest{}, err
	}
	body := resp.Body.Bytes()
	sum := sha256.Sum256(body)
	d := "sha256:" + hex.EncodeToString(sum[:])
	if strings.HasPrefix(ref, "sha256:") && ref != d {
		return rawManifest{}, fmt.Errorf("manifest %s@%s: content hashes to %s", name, ref, d)
	}
	if strings.HasPrefix(ref, "sha512:") {
		d = ref // rare; trust the address it was fetched by
	}
	mt := resp.Header().Get("Content-Type")
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	return rawManifest{Digest: d, MediaType: mt, Body: body}, nil
}

// blob fetches a small blob (an image configuration).
func (c *registryClient) blob(ctx context.Context, name, digest string) ([]byte, error) {
	if err := checkDigest(digest); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodGet, repoPath(name, "blobs", digest), "", maxConfig)
	if err != nil {
		return nil, err
	}
	return resp.Body.Bytes(), nil
}

// deleteManifest deletes a manifest by digest.
func (c *registryClient) deleteManifest(ctx context.Context, name, digest string) error {
	_, err := c.do(ctx, http.MethodDelete, repoPath(name, "manifests", digest), "", 64<<10)
	return err
}

// deletesEnabled asks the registry, without changing anything, whether it deletes manifests:
// deleting a digest that cannot exist answers UNSUPPORTED when deletes are off and
// MANIFEST_UNKNOWN when they are on. The token must grant delete.
func (c *registryClient) deletesEnabled(ctx context.Context, name string) bool {
	const nothing = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	err := c.deleteManifest(ctx, name, nothing)
	re, ok := asRegistryError(err)
	return ok && re.Status == http.StatusNotFound
}

// catalog lists every repository name in the registry, sorted, with the catalog token.
func (h *handler) catalog(r *http.Request) ([]string, error) {
	issued, err := h.opts.Issuer.IssueAccess(catalogSubject,
		[]tokens.ResourceActions{{Type: "registry", Name: "catalog", Actions: []string{"*"}}})
	if err != nil {
		return nil, err
	}
	c := &registryClient{handler: h.opts.Registry, orig: r, token: issued.Token}
	return listing.All(func(last string) ([]string, bool, error) {
		resp, err := c.do(r.Context(), http.MethodGet, "/v2/_catalog?"+listing.Query(catalogBatch, last), "", 16<<20)
		if err != nil {
			return nil, false, err
		}
		var page struct {
			Repositories []string `json:"repositories"`
		}
		if err := json.Unmarshal(resp.Body.Bytes(), &page); err != nil {
			return nil, false, fmt.Errorf("registry catalog: %w", err)
		}
		return page.Repositories, resp.Header().Get("Link") != "", nil
	})
}

// visibleRepositories filters the catalog to what v may pull.
func (h *handler) visibleRepositories(r *http.Request, v *viewer) ([]string, error) {
	all, err := h.catalog(r)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(all))
	for _, name := range all {
		if h.decide(v, name, "pull").Allowed("pull") {
			out = append(out, name)
		}
	}
	return out, nil
}
