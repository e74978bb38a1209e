#!/usr/bin/env bash
# Saturation: the same mixed traffic as bench/soak.sh at rising constant
# rates, on the GeoPackage and on the PostGIS store in turn; the knee is
# the highest rate whose p99 stays within 250 ms with no errors and with
# the server keeping up (see docs/RELIABILITY.md, "Saturation").
#
#   bench/saturate.sh
#   RATES=100,200,400 STEP=30s bench/saturate.sh
#
# Environment: RATES (default 50,100,200,300,400,600,800,1000,1500,2000,3000;
# after a 20 s pre-warm at the first rate, PAST (default 2) rates are tried
# past the first that misses),
# STEP (each rate's duration, default 20s, of which WARMUP, default 5s, is
# left out), STORES (default "gpkg pg"), PORT (default 8096), OUT
# (results; default $TMPDIR/coopmap-saturate-DATE). Loopback only;
# everything started is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench-http
RATES=${RATES:-50,100,200,300,400,600,800,1000,1500,2000,3000}
STEP=${STEP:-20s}
WARMUP=${WARMUP:-5s}
STORES=${STORES:-gpkg pg}
PORT=${PORT:-8096}
OUT=${OUT:-${TMPDIR:-/tmp}/coopmap-saturate-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
# shellcheck source=bench/loadlib.sh
. bench/loadlib.sh

build
pg_demo
gpkg_demo
base="http://127.0.0.1:$PORT"
for store in $STORES; do
	case "$store" in
	gpkg) db=$gpkg ;;
	pg) db=$pgdb ;;
	*) echo "STORES: $store is neither gpkg nor pg" >&2; exit 2 ;;
	esac
	serve_at "$PORT" --db "$db" --graph "$work/coopmap.graph"
	[ -f "$work/urls.txt" ] || url_list "$base" 5000
	echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); store $store; STEP=$STEP WARMUP=$WARMUP" | tee "$OUT/$store.txt"
	"$work/loadgen" steps -base "$base" -urls "$urls" -rates "$RATES" -step "$STEP" -warmup "$WARMUP" \
		-max-p99 250 -past "${PAST:-2}" -json "$OUT/$store.json" 2>&1 | tee -a "$OUT/$store.txt"
	stop_server "$srv"
done
echo "results in $OUT"
