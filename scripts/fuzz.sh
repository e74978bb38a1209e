#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for FUZZTIME each (default
# 5s), one at a time (go test -fuzz takes one target in one package).
#   scripts/fuzz.sh               what make test runs: 5s per target
#   FUZZTIME=2m scripts/fuzz.sh   what make fuzz runs (make fuzz FUZZTIME=1h)
# The targets: every parser (importers/*, route.Load) and every query
# parameter and body parser of the HTTP API (web/*_fuzz_test.go,
# tiles/parse_fuzz_test.go).
# New failing inputs are written to the package's testdata/fuzz/, where
# they become regression tests for plain go test; commit them with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5s}
status=0
log=$(mktemp "${TMPDIR:-/tmp}/coopmap-fuzz.XXXXXX")
trap 'rm -f "$log"' EXIT
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	echo "-- $pkg $name ($FUZZTIME)"
	fuzz() { go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" >"$log" 2>&1; }
	if ! fuzz; then
		# Go's fuzzer can report "context deadline exceeded" when -fuzztime
		# ends while a worker is busy, with no failing input: that is the
		# engine, not the target (go.dev/issue/75804, fixed in Go 1.27), so
		# it is run once more.
		if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
			echo "   (the fuzzer's own deadline error; running $name again)"
			fuzz && continue
		fi
		cat "$log"
		status=1
	fi
done < <(grep -rHoE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=testdata '^func Fuzz[A-Za-z0-9_]*' . |
	sed -E 's|^\./||; s|:func |:|' | sort)
exit "$status"
