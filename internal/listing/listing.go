// Package listing follows the registry's paged lists (/v2/_catalog, /v2/NAME/tags/list): each
// page holds up to n names, the next one starts after the last name seen (?last=), and a Link
// header says whether there is one.
package listing

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
)

// maxPages stops a registry that keeps announcing pages: 100,000 pages of 1,000 names.
const maxPages = 100_000

// Page asks for the page after last ("" for the first) and returns its names and whether the
// registry announced another one.
type Page func(last string) (names []string, more bool, err error)

// All reads every page and returns the names sorted.
func All(page Page) ([]string, error) {
	var all []string
	last := ""
	for range maxPages {
		names, more, err := page(last)
		if err != nil {
			return nil, err
		}
		all = append(all, names...)
		if !more || len(names) == 0 {
			sort.Strings(all)
			return all, nil
		}
		last = names[len(names)-1]
	}
	return nil, errors.New("the registry announced more than 100,000 pages")
}

// Query is the query string of the page of up to n names after last.
func Query(n int, last string) string {
	q := url.Values{"n": {strconv.Itoa(n)}}
	if last != "" {
		q.Set("last", last)
	}
	return q.Encode()
}
