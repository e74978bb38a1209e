#!/usr/bin/env bash
# Store benchmarks on both stores in one run: bbox query returning ~1,000 of
# 200,000 points, get-by-id, and the GeoPackage file size per 100k points.
# Usage: scripts/bench.sh [extra go test flags]   (BENCHTIME=2s by default)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
eval "$(scripts/pg.sh start)"
trap 'scripts/pg.sh stop "$COOPMAP_PG_DIR"' EXIT
go test -run '^$' -bench . -benchtime "${BENCHTIME:-2s}" -count "${COUNT:-1}" "$@" ./store/sqlite/ ./store/postgis/
