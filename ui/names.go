package ui

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
)

// The distribution grammar: a repository is path components of lower-case letters and digits
// joined by separators, a tag is a word of up to 128 characters, a digest names its algorithm.
var (
	pathComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagRE           = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE        = regexp.MustCompile(`^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)
)

const maxRepoName = 255

func checkRepoName(name string) error {
	if name == "" {
		return errors.New("the repository name is empty")
	}
	if len(name) > maxRepoName {
		return errors.New("the repository name is longer than 255 characters")
	}
	for _, c := range strings.Split(name, "/") {
		if !pathComponentRE.MatchString(c) {
			return errors.New("a repository name is lower-case letters, digits and . _ - separators, in parts joined by /")
		}
	}
	return nil
}

func checkTag(tag string) error {
	if !tagRE.MatchString(tag) {
		return errors.New("a tag is up to 128 letters, digits, _ . and -, not starting with . or -")
	}
	return nil
}

func checkDigest(d string) error {
	if !digestRE.MatchString(d) {
		return errors.New("a digest looks like sha256: followed by 64 hexadecimal digits")
	}
	return nil
}

// badPath refuses paths a browser never sends: dot segments (a mux would silently redirect
// them), encoded slashes and backslashes (which would let a name hide a separator), and
// overlong paths.
func badPath(r *http.Request) string {
	const maxPath = 1024
	raw := r.URL.EscapedPath()
	if len(raw) > maxPath || len(r.URL.RawQuery) > maxPath {
		return "The address is too long."
	}
	lower := strings.ToLower(raw)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(r.URL.Path, "\\") {
		return "Encoded slashes are not allowed in addresses."
	}
	for _, seg := range strings.Split(r.URL.Path, "/") {
		if seg == "." || seg == ".." {
			return "Addresses may not contain . or .. segments."
		}
	}
	if strings.Contains(r.URL.Path[1:], "//") {
		return "Addresses may not contain empty segments."
	}
	return ""
}
