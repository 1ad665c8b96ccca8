package server

import (
	"net/http"
	"strings"
	"testing"
)

func TestCheckRegistryPathFollowsTheDistributionGrammar(t *testing.T) {
	tests := []struct {
		name, path string
		want       string // "" = accepted, else the registry error code
	}{
		{"the base endpoint", "/v2/", ""},
		{"the catalog", "/v2/_catalog", ""},
		{"a tag", "/v2/team/app/manifests/v1.2_3-rc", ""},
		{"a digest", "/v2/team/app/manifests/sha256:" + strings.Repeat("a", 64), ""},
		{"a blob", "/v2/a/blobs/sha256:" + strings.Repeat("0", 64), ""},
		{"an upload", "/v2/a/b/c/blobs/uploads/4f0e-11", ""},
		{"a new upload", "/v2/a/blobs/uploads/", ""},
		{"tags", "/v2/a.b/c__d/e--f/tags/list", ""},
		{"a name containing a route word", "/v2/team/blobs/app/tags/list", ""},
		{"an unknown route", "/v2/a/whatever", "NOT_FOUND"},
		{"upper case", "/v2/Team/tags/list", "NAME_INVALID"},
		{"a leading separator", "/v2/-a/tags/list", "NAME_INVALID"},
		{"dot-dot", "/v2/a/../b/tags/list", "NAME_INVALID"},
		{"a name over 255 bytes", "/v2/" + strings.Repeat("a", 256) + "/tags/list", "NAME_INVALID"},
		{"a tag over 128 bytes", "/v2/a/manifests/" + strings.Repeat("t", 129), "TAG_INVALID"},
		{"a bad blob digest", "/v2/a/blobs/sha256:ZZ!", "DIGEST_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := checkRegistryPath(tt.path)
			got := ""
			if p != nil {
				got = p.code
				if p.status != http.StatusBadRequest && p.status != http.StatusNotFound {
					t.Errorf("status %d", p.status)
				}
			}
			if got != tt.want {
				t.Fatalf("checkRegistryPath(%.60q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
