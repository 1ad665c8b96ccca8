#!/usr/bin/env bash
# A short run of every fuzz target (FUZZTIME each, default 5s), as CI's smoke test. For a long
# run of one target:  go test ./tokens/ -run '^$' -fuzz '^FuzzParseScopes$' -fuzztime 30m
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5s}
targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./integration/' | sort)
total=0
for file in $targets; do
	pkg=./$(dirname "${file#./}")
	for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
		echo "-- fuzz $pkg $fn ($FUZZTIME)"
		if ! out=$(go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" 2>&1); then
			# A real failure writes the failing input under testdata/fuzz/; a run that failed
			# without one was the fuzzing engine losing a worker on a busy machine: run once more.
			if [ -n "$(ls "$pkg/testdata/fuzz/$fn" 2>/dev/null | head -1)" ] && git status --porcelain -- "$pkg/testdata/fuzz/$fn" | grep -q .; then
				echo "$out"
				exit 1
			fi
			echo "   the fuzzing engine failed without a failing input; running it again"
			out=$(go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" 2>&1) || { echo "$out"; exit 1; }
		fi
		execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2 || true)
		echo "   ${execs:-0} executions"
		total=$((total + ${execs:-0}))
	done
done
echo "fuzz smoke: $total executions in all"
