package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/regauth/regauth/internal/atomicfile"
)

// This file holds the editors behind `regauth user ...` and `regauth group ...`. They change
// the lines they must and keep every other byte (comments, blank lines, line endings, refused
// and malformed lines), so an admin's file survives a command the way it would survive a
// careful hand edit.

// ErrEditLocked is returned (wrapped) when another command holds a file's edit lock.
var ErrEditLocked = atomicfile.ErrLocked

// EditLock holds the edit locks of the files one command changes.
type EditLock struct {
	locks []*atomicfile.Lock
}

// LockForEdit takes the edit lock of every path, in order, without waiting. When any is held
// elsewhere it releases the ones it took and returns an error wrapping ErrEditLocked that
// names the file. Every command locks the user file before the group file.
func LockForEdit(paths ...string) (*EditLock, error) {
	l := &EditLock{}
	for _, p := range paths {
		lk, err := atomicfile.TryLock(p)
		if err != nil {
			l.Unlock()
			return nil, err
		}
		l.locks = append(l.locks, lk)
	}
	return l, nil
}

// Unlock releases every lock; it may be called more than once.
func (l *EditLock) Unlock() {
	for i := len(l.locks) - 1; i >= 0; i-- {
		l.locks[i].Unlock()
	}
	l.locks = nil
}

// CheckName returns why name cannot be a user or group name in the Apache files, or nil.
func CheckName(name string) error {
	if msg := checkName(name); msg != "" {
		return fmt.Errorf("name %s", msg)
	}
	if strings.Contains(name, ":") {
		return fmt.Errorf("name %q contains ':'", name)
	}
	if strings.HasPrefix(name, "#") {
		return fmt.Errorf("name %q starts with '#', which marks a comment", name)
	}
	return nil
}

// lineFile is a text file as its lines, each with its own line ending, so that an edit
// rewrites only the lines it touches.
type lineFile struct {
	lines []string // with their terminator; the last may have none
	eol   string   // what new lines end with: the file's first line ending, else "\n"
}

func splitLines(data []byte) lineFile {
	lf := lineFile{eol: "\n"}
	s := string(data)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lf.lines = append(lf.lines, s)
			break
		}
		lf.lines = append(lf.lines, s[:i+1])
		s = s[i+1:]
	}
	if len(lf.lines) > 0 && strings.HasSuffix(lf.lines[0], "\r\n") {
		lf.eol = "\r\n"
	}
	return lf
}

func (lf *lineFile) bytes() []byte { return []byte(strings.Join(lf.lines, "")) }

// split parts line i the way the parsers see it: a byte order mark (first line only) and
// leading white space, the text they read, and the rest (trailing white space and the ending).
func (lf *lineFile) split(i int) (head, text, tail string) {
	line := lf.lines[i]
	if i == 0 && strings.HasPrefix(line, "\ufeff") {
		head, line = "\ufeff", line[len("\ufeff"):]
	}
	trimmedLeft := strings.TrimLeftFunc(line, unicode.IsSpace)
	trimmed := strings.TrimRightFunc(trimmedLeft, unicode.IsSpace)
	head += line[:len(line)-len(trimmedLeft)]
	return head, trimmed, trimmedLeft[len(trimmed):]
}

// entry returns the name before ':' of line i, and the text after it, for lines the parsers
// read; ok is false for blank lines, comments and lines without ':'.
func (lf *lineFile) entry(i int) (name, rest string, ok bool) {
	_, text, _ := lf.split(i)
	if text == "" || strings.HasPrefix(text, "#") {
		return "", "", false
	}
	name, rest, ok = strings.Cut(text, ":")
	return strings.TrimSpace(name), rest, ok
}

// replace sets the text of line i, keeping its indentation, byte order mark and line ending.
func (lf *lineFile) replace(i int, text string) {
	head, _, tail := lf.split(i)
	ending := ""
	switch {
	case strings.HasSuffix(tail, "\r\n"):
		ending = "\r\n"
	case strings.HasSuffix(tail, "\n"):
		ending = "\n"
	}
	lf.lines[i] = head + text + ending
}

// add appends a line, ending the current last line first if it has no line ending.
func (lf *lineFile) add(text string) {
	if n := len(lf.lines); n > 0 && !strings.HasSuffix(lf.lines[n-1], "\n") {
		lf.lines[n-1] += lf.eol
	}
	lf.lines = append(lf.lines, text+lf.eol)
}

func (lf *lineFile) remove(i int) { lf.lines = slices.Delete(lf.lines, i, i+1) }

// readLines reads path; a missing file is empty, and exists tells which it was.
func readLines(path string) (lf lineFile, exists bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return splitLines(nil), false, nil
	case err != nil:
		return lineFile{}, false, err
	}
	return splitLines(data), true, nil
}

// HtpasswdFile is an htpasswd file opened for editing.
type HtpasswdFile struct {
	path   string
	lf     lineFile
	exists bool
}

// HtpasswdUser is one user line as `regauth user list` shows it. It never holds the hash.
type HtpasswdUser struct {
	Name    string
	Line    int      // 1-based
	Kind    HashKind // "" when the line is refused
	Refused string   // why the server ignores this user, or ""
}

// Weak reports hash kinds that a stolen file gives away quickly ({SHA}: unsalted SHA-1;
// apr1: 1000 rounds of MD5), which should be re-hashed with bcrypt.
func (k HashKind) Weak() bool { return k == KindSHA1 || k == KindAPR1 }

// Label is how an admin knows the kind from htpasswd's options: bcrypt, apr1, {SHA}.
func (k HashKind) Label() string {
	if k == KindSHA1 {
		return shaPrefix
	}
	return string(k)
}

// LoadHtpasswdFile reads path for editing; a missing file is an empty one (Exists says which).
// Take LockForEdit first when the file will be saved.
func LoadHtpasswdFile(path string) (*HtpasswdFile, error) {
	lf, exists, err := readLines(path)
	if err != nil {
		return nil, fmt.Errorf("load htpasswd: %w", err)
	}
	return &HtpasswdFile{path: path, lf: lf, exists: exists}, nil
}

// ParseHtpasswdFile makes an editor over data, for callers that hold the bytes themselves.
func ParseHtpasswdFile(data []byte) *HtpasswdFile {
	return &HtpasswdFile{lf: splitLines(data), exists: data != nil}
}

// Exists reports whether the file was there when loaded.
func (h *HtpasswdFile) Exists() bool { return h.exists }

// Path is the file's path ("" for ParseHtpasswdFile).
func (h *HtpasswdFile) Path() string { return h.path }

func (h *HtpasswdFile) find(user string) []int {
	var idx []int
	for i := range h.lf.lines {
		if name, _, ok := h.lf.entry(i); ok && name == user {
			idx = append(idx, i)
		}
	}
	return idx
}

// Has reports whether user has a line, refused lines included.
func (h *HtpasswdFile) Has(user string) bool { return len(h.find(user)) > 0 }

// Set gives user the stored hash: it rewrites the user's line in place (dropping any
// duplicate lines of the same user) or appends a new one. added tells which.
func (h *HtpasswdFile) Set(user, hash string) (added bool, err error) {
	if err := CheckName(user); err != nil {
		return false, fmt.Errorf("user %w", err)
	}
	if hash == "" || strings.ContainsAny(hash, ":\r\n") || strings.TrimSpace(hash) != hash {
		return false, errors.New("set user: hash is empty or holds ':', white space or a line break")
	}
	idx := h.find(user)
	if len(idx) == 0 {
		h.lf.add(user + ":" + hash)
		return true, nil
	}
	h.lf.replace(idx[0], user+":"+hash)
	for _, i := range slices.Backward(idx[1:]) {
		h.lf.remove(i)
	}
	return false, nil
}

// Delete removes every line of user and reports whether there was one.
func (h *HtpasswdFile) Delete(user string) bool {
	idx := h.find(user)
	for _, i := range slices.Backward(idx) {
		h.lf.remove(i)
	}
	return len(idx) > 0
}

// Users lists the user lines in file order, with the hash kind or why the line is refused.
func (h *HtpasswdFile) Users() []HtpasswdUser {
	var users []HtpasswdUser
	for i := range h.lf.lines {
		name, hash, ok := h.lf.entry(i)
		if !ok {
			continue
		}
		kind, reason := classifyHash(strings.TrimSpace(hash))
		users = append(users, HtpasswdUser{Name: name, Line: i + 1, Kind: kind, Refused: reason})
	}
	return users
}

// Bytes is the edited file.
func (h *HtpasswdFile) Bytes() []byte { return h.lf.bytes() }

// Check reports whether the edited file would load: the server refuses a file with
// malformed lines, so Save never writes one.
func (h *HtpasswdFile) Check() error {
	if _, _, err := ParseHtpasswd(strings.NewReader(string(h.Bytes())), h.path); err != nil {
		return fmt.Errorf("not saving %s: the server would refuse it; fix these lines first:\n%w", h.path, err)
	}
	return nil
}

// Save runs Check and replaces the file atomically, keeping its mode and owner (a new file
// is 0600).
func (h *HtpasswdFile) Save() error {
	if err := h.Check(); err != nil {
		return err
	}
	return atomicfile.Replace(h.path, h.Bytes(), 0o600)
}

// GroupFile is an Apache group file opened for editing.
type GroupFile struct {
	path   string
	lf     lineFile
	exists bool
}

// Group is a group and its members, in the order the file names them.
type Group struct {
	Name    string
	Members []string
	Line    int // first line of the group, 1-based
}

// LoadGroupFile reads path for editing; a missing file is an empty one (Exists says which).
// Take LockForEdit first when the file will be saved.
func LoadGroupFile(path string) (*GroupFile, error) {
	lf, exists, err := readLines(path)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	return &GroupFile{path: path, lf: lf, exists: exists}, nil
}

// ParseGroupFile makes an editor over data, for callers that hold the bytes themselves.
func ParseGroupFile(data []byte) *GroupFile {
	return &GroupFile{lf: splitLines(data), exists: data != nil}
}

// Exists reports whether the file was there when loaded.
func (g *GroupFile) Exists() bool { return g.exists }

// Path is the file's path ("" for ParseGroupFile).
func (g *GroupFile) Path() string { return g.path }

// Groups lists the groups in the order they first appear; a group spread over several lines
// is merged, and its members are listed once each.
func (g *GroupFile) Groups() []Group {
	var out []Group
	at := map[string]int{}
	for i := range g.lf.lines {
		name, rest, ok := g.lf.entry(i)
		if !ok {
			continue
		}
		j, seen := at[name]
		if !seen {
			j = len(out)
			at[name] = j
			out = append(out, Group{Name: name, Line: i + 1})
		}
		for _, u := range strings.Fields(rest) {
			if !slices.Contains(out[j].Members, u) {
				out[j].Members = append(out[j].Members, u)
			}
		}
	}
	return out
}

// Has reports whether group has a line.
func (g *GroupFile) Has(group string) bool { return len(g.lines(group)) > 0 }

func (g *GroupFile) lines(group string) []int {
	var idx []int
	for i := range g.lf.lines {
		if name, _, ok := g.lf.entry(i); ok && name == group {
			idx = append(idx, i)
		}
	}
	return idx
}

// members returns line i's group prefix as written ("pusher:") and its users.
func (g *GroupFile) members(i int) (prefix string, users []string) {
	_, text, _ := g.lf.split(i)
	prefix, rest, _ := strings.Cut(text, ":")
	return prefix + ":", strings.Fields(rest)
}

func groupLine(prefix string, users []string) string {
	if len(users) == 0 {
		return prefix
	}
	return prefix + " " + strings.Join(users, " ")
}

// Add puts users into group, creating the group when it has no line yet; new members go at
// the end of the group's last line. It returns the users that were not members before.
func (g *GroupFile) Add(group string, users ...string) (added []string, err error) {
	if err := CheckName(group); err != nil {
		return nil, fmt.Errorf("group %w", err)
	}
	for _, u := range users {
		if err := CheckName(u); err != nil {
			return nil, fmt.Errorf("user %w", err)
		}
	}
	current := map[string]bool{}
	for _, grp := range g.Groups() {
		if grp.Name == group {
			for _, m := range grp.Members {
				current[m] = true
			}
		}
	}
	for _, u := range users {
		if !current[u] && !slices.Contains(added, u) {
			added = append(added, u)
		}
	}
	idx := g.lines(group)
	switch {
	case len(idx) == 0:
		g.lf.add(groupLine(group+":", added))
	case len(added) > 0:
		last := idx[len(idx)-1]
		prefix, members := g.members(last)
		g.lf.replace(last, groupLine(prefix, append(members, added...)))
	}
	return added, nil
}

// Remove takes users out of group and returns those that were members. The group stays,
// possibly empty; a continuation line left empty is dropped.
func (g *GroupFile) Remove(group string, users ...string) (removed []string) {
	idx := g.lines(group)
	var emptied []int
	for _, i := range idx {
		prefix, members := g.members(i)
		kept := members[:0:0]
		for _, m := range members {
			if slices.Contains(users, m) {
				if !slices.Contains(removed, m) {
					removed = append(removed, m)
				}
				continue
			}
			kept = append(kept, m)
		}
		if len(kept) == len(members) {
			continue
		}
		g.lf.replace(i, groupLine(prefix, kept))
		if len(kept) == 0 {
			emptied = append(emptied, i)
		}
	}
	// Keep one line so the group still exists: drop emptied lines while others remain.
	remaining := len(idx)
	for _, i := range slices.Backward(emptied) {
		if remaining == 1 {
			break
		}
		g.lf.remove(i)
		remaining--
	}
	return removed
}

// DeleteGroup removes every line of group and reports whether there was one.
func (g *GroupFile) DeleteGroup(group string) bool {
	idx := g.lines(group)
	for _, i := range slices.Backward(idx) {
		g.lf.remove(i)
	}
	return len(idx) > 0
}

// RemoveUser takes user out of every group and returns those groups, in file order.
func (g *GroupFile) RemoveUser(user string) (groups []string) {
	for _, grp := range g.Groups() {
		if slices.Contains(grp.Members, user) {
			g.Remove(grp.Name, user)
			groups = append(groups, grp.Name)
		}
	}
	return groups
}

// Bytes is the edited file.
func (g *GroupFile) Bytes() []byte { return g.lf.bytes() }

// Check reports whether the edited file would load; Save never writes one that would not.
func (g *GroupFile) Check() error {
	if _, err := ParseGroups(strings.NewReader(string(g.Bytes())), g.path); err != nil {
		return fmt.Errorf("not saving %s: the server would refuse it; fix these lines first:\n%w", g.path, err)
	}
	return nil
}

// Save runs Check and replaces the file atomically, keeping its mode and owner (a new file
// is 0644).
func (g *GroupFile) Save() error {
	if err := g.Check(); err != nil {
		return err
	}
	return atomicfile.Replace(g.path, g.Bytes(), 0o644)
}
