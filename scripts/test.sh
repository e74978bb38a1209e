#!/usr/bin/env bash
# The whole test suite: format and vet checks, then every Go test with the
# race detector against a throwaway PostGIS cluster. Prints one line per
# test and subtest and a closing "N passed, N failed, N skipped" line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...

echo "== fuzz (${FUZZTIME:-5s} per target; make fuzz runs them longer)"
FUZZTIME=${FUZZTIME:-5s} scripts/fuzz.sh

echo "== PostGIS"
eval "$(scripts/pg.sh start)"
trap 'scripts/pg.sh stop "$COOPMAP_PG_DIR"' EXIT
echo "throwaway cluster at ${COOPMAP_TEST_POSTGRES%%/coopmap_test*}"

echo "== build (the web map is embedded into the binary and into the Go tests that serve it)"
make --no-print-directory build >/dev/null

# The catalogues below feed thousands of inputs through whole imports and
# servers; the race detector makes them 5-10 times slower for no extra
# coverage of concurrency, which the other tests exercise. They run once
# without it.
heavy='^(TestBadInputs|TestHostileHTTP|TestHostileImportCatalogue|TestHostileProcess)$'
echo "== go test -race, then the input catalogues without -race"
log=$(mktemp "${TMPDIR:-/tmp}/coopmap-test.XXXXXX")
status=0
go test -race -count=1 -timeout 20m -v -skip "$heavy" ./... >"$log" 2>&1 || status=$?
go test -count=1 -timeout 20m -v -run "$heavy" ./cmd/coopmap ./web/webtest >>"$log" 2>&1 || status=$?
# One line per test and subtest (the contract suite shows once per store),
# the package results, and anything that went wrong.
grep -E '^\s*--- (PASS|FAIL|SKIP)|^(ok|FAIL|panic:)|^\s+\S+_test\.go:[0-9]+:|^--- FAIL' "$log" || true
pass=$(grep -cE '^\s*--- PASS' "$log" || true)
fail=$(grep -cE '^\s*--- FAIL' "$log" || true)
skip=$(grep -cE '^\s*--- SKIP' "$log" || true)
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
	# A build failure or panic fails no named test; show the log's end.
	tail -50 "$log"
	fail=1
fi
rm -f "$log"

echo "== web map in chromium (web/frontend/tests; screenshots in web/frontend/artifacts)"
# make build runs npm ci (when the lock changed) and Vite, and embeds the
# map in bin/coopmap; the tests serve the demo data with it.
wlog=$(mktemp "${TMPDIR:-/tmp}/coopmap-web.XXXXXX")
wstatus=0
{ make --no-print-directory build && (cd web/frontend && COOPMAP_BIN=bin/coopmap node --test --test-concurrency=1 --test-reporter=spec tests/); } >"$wlog" 2>&1 || wstatus=$?
grep -E '^\s*(✔|✖|ℹ (pass|fail))' "$wlog" || true
wpass=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$wlog" | tail -1)
wfail=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$wlog" | tail -1)
wpass=${wpass:-0}
wfail=${wfail:-0}
if [ "$wstatus" -ne 0 ]; then
	tail -60 "$wlog"
	[ "$wfail" -gt 0 ] || wfail=1
	status=$wstatus
fi
rm -f "$wlog"
pass=$((pass + wpass))
fail=$((fail + wfail))
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"
