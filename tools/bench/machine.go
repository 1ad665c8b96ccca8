package main

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the numbers were measured.
type machine struct {
	CPUs      int
	CPUModel  string
	MemoryGiB float64
	Kernel    string
	Go        string
	Commit    string // regauth's commit, with "+ local changes" when the tree is dirty
	Apache    string // "" when not installed
	Registry  string
}

func describeMachine(ctx context.Context, root string) machine {
	m := machine{CPUs: runtime.NumCPU(), CPUModel: "unknown", Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					kb, _ := strconv.ParseFloat(f[0], 64)
					m.MemoryGiB = kb / (1 << 20)
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := runTool(ctx, root, nil, "git", "rev-parse", "--short", "HEAD"); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := runTool(ctx, root, nil, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && len(strings.TrimSpace(string(st))) > 0 {
			m.Commit += " + local changes"
		}
	}
	return m
}
