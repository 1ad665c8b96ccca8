package auth

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseGroups(t *testing.T) {
	content := strings.Join([]string{
		"\ufeff# Apache group file",
		"pusher: alice bob",
		"",
		"  readers:\tcarol   alice\t",
		"pusher: dave alice", // a second line for the same group merges, and alice is deduplicated
		"# comment",
		"empty:",
		"admins:alice\r",
	}, "\n")
	g, err := ParseGroups(strings.NewReader(content), "groups.txt")
	if err != nil {
		t.Fatalf("ParseGroups: %v", err)
	}

	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"several lines for one group are merged, sorted and deduplicated", g.Members("pusher"), []string{"alice", "bob", "dave"}},
		{"tabs and runs of spaces separate users", g.Members("readers"), []string{"alice", "carol"}},
		{"a user in several groups gets all of them, sorted", g.Of("alice"), []string{"admins", "pusher", "readers"}},
		{"a user in one group gets that group", g.Of("bob"), []string{"pusher"}},
		{"a user in no group gets none", g.Of("mallory"), nil},
		{"a group with no members has none", g.Members("empty"), nil},
		{"an unknown group has no members", g.Members("nope"), nil},
		{"Names lists every group, empty ones too, sorted", g.Names(), []string{"admins", "empty", "pusher", "readers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got) != len(tt.want) || !slices.Equal(tt.got, tt.want) {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}

	t.Run("callers cannot change the groups through a returned slice", func(t *testing.T) {
		g.Of("alice")[0] = "hacked"
		g.Members("pusher")[0] = "hacked"
		if g.Of("alice")[0] != "admins" || g.Members("pusher")[0] != "alice" {
			t.Error("a returned slice aliases the parsed groups")
		}
	})
}

func TestParseGroupsReportsEveryMalformedLine(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"a line without a colon is an error", "pusher alice", []string{"groups.txt:1: expected group: user1 user2, found no ':'"}},
		{"an empty group name is an error", "ok: a\n : alice", []string{"groups.txt:2: group name is empty"}},
		{"a group name with a space is an error", "my group: alice", []string{`groups.txt:1: group name "my group" contains white space`}},
		{"a user name with a colon is an error", "pusher: alice:x", []string{`groups.txt:1: group "pusher": user name "alice:x" contains ':'`}},
		{
			"all malformed lines are reported at once",
			"a\n# fine\nok: x\n: y\nb\n",
			[]string{
				"groups.txt:1: expected group: user1 user2, found no ':'",
				"groups.txt:4: group name is empty",
				"groups.txt:5: expected group: user1 user2, found no ':'",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseGroups(strings.NewReader(tt.content), "groups.txt")
			if err == nil {
				t.Fatalf("ParseGroups succeeded with groups %v", g.Names())
			}
			checkLineErrors(t, err, tt.want)
		})
	}
}

func TestLoadGroups(t *testing.T) {
	dir := t.TempDir()
	t.Run("a good file loads", func(t *testing.T) {
		path := filepath.Join(dir, "good")
		writeFile(t, path, "pusher: alice\n")
		g, err := LoadGroups(path)
		if err != nil || !slices.Equal(g.Of("alice"), []string{"pusher"}) {
			t.Fatalf("LoadGroups = %v, %v", g, err)
		}
	})
	t.Run("a malformed file names the file and the line", func(t *testing.T) {
		path := filepath.Join(dir, "bad")
		writeFile(t, path, "pusher: alice\nbroken\n")
		_, err := LoadGroups(path)
		if err == nil || !strings.HasPrefix(err.Error(), `load groups "`+path+`": `+path+":2: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a missing file is an error", func(t *testing.T) {
		if _, err := LoadGroups(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNilGroupsBehaveAsEmpty(t *testing.T) {
	var g *Groups
	if g.Of("alice") != nil || g.Members("pusher") != nil || g.Names() != nil {
		t.Error("a nil *Groups is not empty")
	}
}
