// Package watch reloads files when they change on disk or on SIGHUP. It watches directories,
// not files, so editors' rename-writes and Kubernetes/compose bind-mount swaps are seen, and a
// deleted file is picked up again when it returns. A failed reload keeps the last good version.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Target is one thing to reload: its files and the function that re-reads them. Reload must
// keep serving the previous version when it returns an error.
type Target struct {
	Name   string // "acl", "users", "tls", "token key"
	Paths  []string
	Reload func() error
}

// Status is a target's last reload outcome, for /readyz and metrics.
type Status struct {
	Name     string
	LastErr  error
	LastTry  time.Time
	Failures int // reloads that failed since start
	Reloads  int // reloads that succeeded since start
}

// Watcher runs reloads.
type Watcher struct {
	logger   *slog.Logger
	targets  []Target
	debounce time.Duration
	OnReload func(target string, err error) // optional hook: audit log, metrics

	mu     sync.Mutex
	status map[string]*Status
	kick   chan string
}

// New prepares a watcher; Run starts it.
func New(logger *slog.Logger, targets ...Target) *Watcher {
	w := &Watcher{
		logger:   logger,
		targets:  targets,
		debounce: 250 * time.Millisecond,
		status:   map[string]*Status{},
		kick:     make(chan string, len(targets)+1),
	}
	for _, t := range targets {
		w.status[t.Name] = &Status{Name: t.Name}
	}
	return w
}

// ReloadAll asks for every target to be reloaded (SIGHUP).
func (w *Watcher) ReloadAll() {
	for _, t := range w.targets {
		w.request(t.Name)
	}
}

func (w *Watcher) request(name string) {
	select {
	case w.kick <- name:
	default: // a reload of everything is already queued
	}
}

// Statuses returns a copy of every target's status.
func (w *Watcher) Statuses() []Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Status, 0, len(w.targets))
	for _, t := range w.targets {
		out = append(out, *w.status[t.Name])
	}
	return out
}

// Start registers every watch, so that no change made after it returns is missed, then
// watches in the background until ctx ends.
func (w *Watcher) Start(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch files: %w", err)
	}
	byPath := map[string][]string{} // absolute file path -> target names
	dirs := map[string]bool{}
	for _, t := range w.targets {
		for _, p := range t.Paths {
			if p == "" {
				continue
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return fmt.Errorf("watch %q: %w", p, err)
			}
			byPath[abs] = append(byPath[abs], t.Name)
			dirs[filepath.Dir(abs)] = true
		}
	}
	for d := range dirs {
		if err := fw.Add(d); err != nil {
			fw.Close()
			return fmt.Errorf("watch directory %q: %w", d, err)
		}
	}
	go func() {
		defer fw.Close()
		if err := w.loop(ctx, fw, byPath); err != nil {
			w.logger.Error("file watcher stopped: edits need a SIGHUP or a restart", "err", err)
		}
	}()
	return nil
}

func (w *Watcher) loop(ctx context.Context, fw *fsnotify.Watcher, byPath map[string][]string) error {
	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return errors.New("file watcher closed")
			}
			names := byPath[filepath.Clean(ev.Name)]
			if len(names) == 0 {
				// Kubernetes swaps a "..data" symlink: any change in the directory may be ours.
				if filepath.Base(ev.Name) != "..data" {
					continue
				}
				names = w.namesInDir(byPath, filepath.Dir(ev.Name))
			}
			for _, n := range names {
				pending[n] = true
			}
			timer.Reset(w.debounce)
		case err := <-fw.Errors:
			w.logger.Warn("file watcher", "err", err)
		case name := <-w.kick:
			pending[name] = true
			timer.Reset(0)
		case <-timer.C:
			for _, t := range w.targets {
				if pending[t.Name] {
					w.reload(t)
				}
			}
			clear(pending)
		}
	}
}

func (w *Watcher) namesInDir(byPath map[string][]string, dir string) []string {
	var names []string
	for p, ns := range byPath {
		if filepath.Dir(p) == dir {
			names = append(names, ns...)
		}
	}
	return names
}

func (w *Watcher) reload(t Target) {
	err := t.Reload()
	w.mu.Lock()
	st := w.status[t.Name]
	st.LastErr, st.LastTry = err, time.Now()
	if err != nil {
		st.Failures++
	} else {
		st.Reloads++
	}
	w.mu.Unlock()
	if err != nil {
		w.logger.Error("reload failed: keeping the last good version", "target", t.Name, "err", err)
	} else {
		w.logger.Info("reloaded", "target", t.Name)
	}
	if w.OnReload != nil {
		w.OnReload(t.Name, err)
	}
}
