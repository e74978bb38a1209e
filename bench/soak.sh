#!/usr/bin/env bash
# Soak: mixed traffic (tiles, items, record pages, search and nearest,
# bike routes) at a constant rate on the PostGIS store, with the demo
# data, measured by bench/loadgen (see docs/RELIABILITY.md, "Soak").
#
#   bench/soak.sh                  2 minutes at 200 requests/s (make soak)
#   DUR=30m bench/soak.sh          the 30-minute soak
#
# Pass criteria (the script exits 3 when one is missed): no errors (no
# transport error, no 5xx), p99 ≤ 250 ms, and the server's RSS at the end
# at most 10% above its RSS after the warm-up.
#
# Environment: DUR (default 2m), RATE (default 200), WARMUP (default 20s;
# 2m when DUR is 10m or more), PORT (default 8095), OUT (results; default
# $TMPDIR/coopmap-soak-DATE). Everything listens on 127.0.0.1 only, and
# everything started (the server, a throwaway PostGIS cluster) is stopped
# at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench-http
DUR=${DUR:-2m}
RATE=${RATE:-200}
PORT=${PORT:-8095}
case "$DUR" in *h | [1-9][0-9]m) WARMUP=${WARMUP:-2m} ;; *) WARMUP=${WARMUP:-20s} ;; esac
OUT=${OUT:-${TMPDIR:-/tmp}/coopmap-soak-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
# shellcheck source=bench/loadlib.sh
. bench/loadlib.sh

build
pg_demo
serve_at "$PORT" --db "$pgdb" --graph "$work/coopmap.graph"
base="http://127.0.0.1:$PORT"
url_list "$base" 5000
echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); PostGIS; RATE=$RATE DUR=$DUR WARMUP=$WARMUP" | tee "$OUT/soak.txt"
set +e
"$work/loadgen" run -base "$base" -urls "$urls" -rate "$RATE" -duration "$DUR" -warmup "$WARMUP" -pid "$srv" \
	-max-p99 250 -max-errors 0 -max-rss-growth 10 -json "$OUT/soak.json" 2>&1 | tee -a "$OUT/soak.txt"
status=${PIPESTATUS[0]}
set -e
echo "results in $OUT"
exit "$status"
