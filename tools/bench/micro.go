package main

import (
	"bufio"
	"bytes"
	"context"
	"strconv"
	"strings"
)

// microPackages hold the Go benchmarks of the hot path: scope parsing, token signing and
// refresh-token checks (tokens), the ACL decision over 1,000 rules (acl), the credential cache
// hit (auth), and a whole warm /auth request through the handlers without the network (server).
var microPackages = []string{"./tokens", "./acl", "./auth", "./audit", "./server"}

// microResult is one `go test -bench` line.
type microResult struct {
	Package  string
	Name     string // without the Benchmark prefix and the -GOMAXPROCS suffix
	NsPerOp  float64
	BPerOp   float64
	Allocs   float64
	HasAlloc bool
}

// runMicro runs the packages' benchmarks with -benchmem and parses their output.
func runMicro(ctx context.Context, root, benchtime string) ([]microResult, error) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "-benchtime", benchtime}, microPackages...)
	out, err := runTool(ctx, root, nil, "go", args...)
	if err != nil {
		return nil, err
	}
	return parseBenchOutput(out), nil
}

func parseBenchOutput(out []byte) []microResult {
	var res []microResult
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/regauth/regauth/")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		r := microResult{Package: pkg, Name: name}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				r.NsPerOp = v
			case "B/op":
				r.BPerOp, r.HasAlloc = v, true
			case "allocs/op":
				r.Allocs = v
			}
		}
		res = append(res, r)
	}
	return res
}
