package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/regauth/regauth/acl"
	"github.com/regauth/regauth/auth"
	"github.com/regauth/regauth/internal/capture"
	"github.com/regauth/regauth/internal/listing"
	"github.com/regauth/regauth/tokens"
)

// Catalog paging, as the stock registry does it: 100 entries unless n says otherwise, and at
// most 1000 per page.
const (
	catalogDefaultPage = 100
	catalogMaxPage     = 1000
	catalogSubject     = "regauth:catalog" // the front's own identity when it reads the catalog
	catalogPageLimit   = 1 << 20           // 1,000 names of at most 255 bytes, with room to spare
)

// catalogFilter answers /v2/_catalog with only the repositories the caller may pull. It reads
// the registry's whole catalog with a token of its own, filters it through the ACL, and pages
// the result with the registry's n/last parameters and Link header.
type catalogFilter struct {
	tokens   *tokenService
	registry http.Handler
}

type catalogBody struct {
	Repositories []string `json:"repositories"`
}

func (cf *catalogFilter) serve(c *gin.Context) {
	id, ok := cf.caller(c)
	if !ok {
		return
	}
	n, last, ok := pageParams(c)
	if !ok {
		return
	}
	all, err := cf.readAll(c)
	if err != nil {
		cf.tokens.log(c).Error("read catalog from registry", "err", err)
		writeRegistryError(c, http.StatusServiceUnavailable, "UNAVAILABLE", "cannot read the registry's catalog")
		return
	}
	ip, _ := netip.ParseAddr(c.ClientIP())
	start := sort.SearchStrings(all, last)
	if last != "" && start < len(all) && all[start] == last {
		start++
	}
	page := make([]string, 0, min(n, 64))
	more := false
	for _, repo := range all[start:] {
		d := cf.tokens.opts.Authorizer.Authorize(acl.Request{
			Account: id.Name, Groups: id.Groups, IP: ip.Unmap(),
			Service: cf.tokens.opts.Issuer.Service(), Type: "repository", Name: repo, Actions: []string{"pull"},
		})
		if !d.Allowed("pull") {
			continue
		}
		if len(page) == n {
			more = true
			break
		}
		page = append(page, repo)
	}
	if more && len(page) > 0 {
		q := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
		c.Header("Link", fmt.Sprintf("</v2/_catalog?%s>; rel=\"next\"", q.Encode()))
	}
	c.Header("Docker-Distribution-Api-Version", "registry/2.0")
	c.JSON(http.StatusOK, catalogBody{Repositories: page})
}

// caller finds out who asks. Without credentials, or with a token that does not carry the
// catalog right, the request goes to the registry unchanged so that it answers with its own
// challenge or insufficient_scope, exactly as clients expect.
func (cf *catalogFilter) caller(c *gin.Context) (auth.Identity, bool) {
	header := c.GetHeader("Authorization")
	var id auth.Identity
	switch {
	case isBasic(header):
		user, pass, ok := c.Request.BasicAuth()
		if !ok {
			cf.tokens.unauthorized(c, "malformed Authorization header")
			return id, false
		}
		if id, ok = cf.tokens.authenticate(c, user, auth.Password(pass)); !ok {
			return id, false
		}
		if !cf.mayList(c, id) {
			// Let the registry refuse: forward with the (empty) token the caller would get.
			issued, _, ok := cf.tokens.mint(c, id, nil, "front", "")
			if ok {
				c.Request.Header.Set("Authorization", "Bearer "+issued.Token)
				cf.registry.ServeHTTP(c.Writer, c.Request)
			}
			return id, false
		}
		return id, true
	case len(header) > 7 && strings.EqualFold(header[:7], "bearer "):
		claims, err := cf.tokens.opts.Issuer.VerifyAccess(header[7:])
		if err != nil || !grantsCatalog(claims.Access) {
			cf.registry.ServeHTTP(c.Writer, c.Request)
			return id, false
		}
		if claims.Subject == "" {
			return id, true
		}
		found, _, ok := cf.tokens.opts.Directory.Lookup(claims.Subject)
		if !ok {
			found = auth.Identity{Name: claims.Subject} // removed since: no groups, still its name
		}
		return found, true
	default:
		cf.registry.ServeHTTP(c.Writer, c.Request)
		return id, false
	}
}

func (cf *catalogFilter) mayList(c *gin.Context, id auth.Identity) bool {
	access, _ := cf.tokens.decide(c, id, []tokens.Scope{{Type: "registry", Name: "catalog", Actions: []string{"*"}}}, false)
	return grantsCatalog(access)
}

func grantsCatalog(access []tokens.ResourceActions) bool {
	for _, a := range access {
		if a.Type == "registry" && a.Name == "catalog" {
			for _, act := range a.Actions {
				if act == "*" {
					return true
				}
			}
		}
	}
	return false
}

// pageParams reads n and last with the registry's rules and errors.
func pageParams(c *gin.Context) (n int, last string, ok bool) {
	q := c.Request.URL.Query()
	n = catalogDefaultPage
	if raw := q.Get("n"); raw != "" {
		v, err := strconv.Atoi(raw)
		if err != nil || v < 0 || v > catalogMaxPage {
			writeRegistryError(c, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested")
			return 0, "", false
		}
		n = v
	}
	return n, q.Get("last"), true
}

// readAll pages through the registry's full catalog with a token minted for the front.
func (cf *catalogFilter) readAll(c *gin.Context) ([]string, error) {
	issued, err := cf.tokens.opts.Issuer.IssueAccess(catalogSubject,
		[]tokens.ResourceActions{{Type: "registry", Name: "catalog", Actions: []string{"*"}}})
	if err != nil {
		return nil, err
	}
	return listing.All(func(last string) ([]string, bool, error) {
		req, err := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, "/v2/_catalog?"+listing.Query(catalogMaxPage, last), nil)
		if err != nil {
			return nil, false, err
		}
		req.Host = c.Request.Host
		req.RemoteAddr = c.Request.RemoteAddr
		req.Header.Set("Authorization", "Bearer "+issued.Token)
		rec := capture.Serve(cf.registry, req, catalogPageLimit)
		if rec.Status != http.StatusOK || rec.Overflow {
			return nil, false, fmt.Errorf("registry answered %d: %s", rec.Status, truncate(rec.Body.String()))
		}
		var page catalogBody
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			return nil, false, fmt.Errorf("registry catalog: %w", err)
		}
		return page.Repositories, rec.Header().Get("Link") != "", nil
	})
}

// writeRegistryError answers in the registry's own error format.
func writeRegistryError(c *gin.Context, status int, code, message string) {
	c.Header("Docker-Distribution-Api-Version", "registry/2.0")
	c.JSON(status, gin.H{"errors": []registryError{{Code: code, Message: message}}})
}
