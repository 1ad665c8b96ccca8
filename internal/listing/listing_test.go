package listing

import (
	"errors"
	"slices"
	"testing"
)

func TestAllFollowsThePagesFromTheLastNameSeen(t *testing.T) {
	pages := map[string][]string{"": {"c", "a"}, "a": {"d", "b"}, "b": {"e"}}
	var asked []string
	got, err := All(func(last string) ([]string, bool, error) {
		asked = append(asked, last)
		return pages[last], last != "b", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}
	if want := []string{"", "a", "b"}; !slices.Equal(asked, want) {
		t.Errorf("asked after %q, want %q", asked, want)
	}
}

func TestAllStopsOnAnEmptyPageAnErrorOrEndlessPages(t *testing.T) {
	got, err := All(func(string) ([]string, bool, error) { return nil, true, nil })
	if err != nil || len(got) != 0 {
		t.Errorf("empty page announcing more: %v, %v", got, err)
	}
	boom := errors.New("boom")
	if _, err := All(func(string) ([]string, bool, error) { return nil, false, boom }); !errors.Is(err, boom) {
		t.Errorf("error = %v, want boom", err)
	}
	n := 0
	if _, err := All(func(string) ([]string, bool, error) { n++; return []string{"x"}, true, nil }); err == nil || n != maxPages {
		t.Errorf("endless pages: err %v after %d pages", err, n)
	}
}
