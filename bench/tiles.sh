#!/usr/bin/env bash
# Vector tile throughput: coopmap against pg_tileserv on the same PostGIS
# data, with the same tile lists, in one run (see docs/PERFORMANCE.md,
# "Tiles").
#
#   bench/tiles.sh KIT_DIR
#
# KIT_DIR is the anchor benchmark kit (anchors-up, anchors-down,
# run_tiles.sh, fetch_tiles.sh, memserve/, the tile lists); it is not part
# of this repository. The script starts pg_tileserv on a throwaway PostGIS
# loaded with the kit's 200,000 synthetic London points, imports the same
# points with `coopmap import` into a coopmap schema of that database and
# into a GeoPackage, then measures with wrk, one server at a time:
#
#   pg_tileserv             /public.coops/{z}/{x}/{y}.pbf
#   coopmap PostGIS         ST_AsMVT renderer, tile cache off
#   coopmap PostGIS Go      embedded renderer reading PostGIS, cache off
#   coopmap GeoPackage      embedded renderer, cache off
#   coopmap warm cache      PostGIS, z14 after one warming pass
#   memserve                the kit's in-memory server of pg_tileserv's z14 tiles
#
# Environment: DUR (wrk duration per list, default 15s), LISTS (default
# "z10 z11 z12 z13 z14 mixed"), OUT (results; default
# $TMPDIR/coopmap-tiles-results-DATE), PORT (coopmap, default 8090), TS_PORT and
# FS_PORT (anchors, default 7810 and 9010), ANCHORS_STATE.
# Everything listens on 127.0.0.1 only; everything started is stopped at
# exit.
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
kit=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
repo=$PWD
"$repo/scripts/deps.sh" bench-http

export ANCHORS_STATE=${ANCHORS_STATE:-${TMPDIR:-/tmp}/anchors-tiles-$(id -u)}
export TS_PORT=${TS_PORT:-7810} FS_PORT=${FS_PORT:-9010}
export OUT=${OUT:-${TMPDIR:-/tmp}/coopmap-tiles-results-$(date -u +%Y%m%dT%H%M%SZ)}
PORT=${PORT:-8090}
LISTS=${LISTS:-z10 z11 z12 z13 z14 mixed}
mkdir -p "$OUT"
# Both servers log every request at info level.
SERVE_LOG_LEVEL=info
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

build_coopmap
(cd "$kit/memserve" && CGO_ENABLED=0 go build -o "$work/memserve" .)
start_anchors_and_load
ours="/tiles/coops/{z}/{x}/{y}.mvt"

exec > >(tee "$OUT/run.txt") 2>&1
{
	echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores; DUR=${DUR:-15s} LISTS=$LISTS"
	LISTS=$LISTS "$kit/run_tiles.sh" pg_tileserv "$TS_URL" '/public.coops/{z}/{x}/{y}.pbf'

	serve pg --db "$db" --tile-cache-mb 0
	LISTS=$LISTS "$kit/run_tiles.sh" coopmap_pg "http://127.0.0.1:$PORT" "$ours"
	for l in z10 z12 z14; do echo "sizes $l: $("$kit/tilesizes.sh" "http://127.0.0.1:$PORT" "$ours" "$l")"; done
	stop

	serve pg_go --db "$db" --tile-cache-mb 0 --tile-embedded
	LISTS=$LISTS "$kit/run_tiles.sh" coopmap_pg_go "http://127.0.0.1:$PORT" "$ours"
	stop

	serve gpkg --db "$gpkg" --tile-cache-mb 0
	LISTS=$LISTS "$kit/run_tiles.sh" coopmap_gpkg "http://127.0.0.1:$PORT" "$ours"
	stop

	serve warm --db "$db" --tile-cache-mb 512
	DUR=5s LISTS=z14 "$kit/run_tiles.sh" coopmap_warming "http://127.0.0.1:$PORT" "$ours" >/dev/null
	LISTS=z14 "$kit/run_tiles.sh" coopmap_warm "http://127.0.0.1:$PORT" "$ours"
	LISTS=z14 "$kit/run_tiles.sh" coopmap_warm "http://127.0.0.1:$PORT" "$ours" gzip
	stop

	if "$kit/fetch_tiles.sh" "$TS_URL" '/public.coops/{z}/{x}/{y}.pbf' "$work/tilecache" z14; then
		"$work/memserve" -dir "$work/tilecache" -addr 127.0.0.1:7910 2>"$OUT/memserve.log" &
		srv=$!
		pids+=("$srv")
		sleep 1
		LISTS=z14 "$kit/run_tiles.sh" memserve http://127.0.0.1:7910 '/{z}/{x}/{y}.pbf'
		stop
	else
		echo "tiles.sh: fetching pg_tileserv's z14 tiles failed: no memserve run"
	fi
}
column -t -s$'\t' "$OUT/summary.tsv" | tee "$OUT/summary.txt"
