#!/usr/bin/env bash
# OGC API – Features throughput: coopmap's /collections/{id}/items against
# pg_featureserv on the same PostGIS data and the same bboxes, in one run
# (see docs/PERFORMANCE.md, "Features API").
#
#   bench/features.sh KIT_DIR
#
# KIT_DIR is the anchor benchmark kit (anchors-up, anchors-down,
# run_features.sh and its tile lists); it is not part of this repository.
# The script starts pg_featureserv on a throwaway PostGIS loaded with the
# kit's 200,000 synthetic London points, imports the same points with
# `coopmap import` into a coopmap schema of that database and into a
# GeoPackage, then runs wrk with bboxes of the London z12, z13 and z14
# tiles and limit=1000, one server at a time:
#
#   pg_featureserv      /collections/public.coops/items.json?bbox={bbox}&limit=1000
#   coopmap PostGIS     /collections/coops/items?bbox={bbox}&limit=1000
#   coopmap GeoPackage  the same, on the embedded store
#   …and each again with gzip
#
# Environment: DUR (per list, default 15s), LISTS (default "z12 z13 z14"),
# OUT (default ./bench-results/features-DATE), PORT (coopmap, default
# 8091), TS_PORT and FS_PORT (anchors, default 7820 and 9020),
# ANCHORS_STATE. Loopback only; everything started is stopped at exit.
set -euo pipefail
[ $# -eq 1 ] || { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
kit=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/scripts/deps.sh" bench-http
export ANCHORS_STATE=${ANCHORS_STATE:-${TMPDIR:-/tmp}/anchors-features-$(id -u)}
export TS_PORT=${TS_PORT:-7820} FS_PORT=${FS_PORT:-9020}
export OUT=${OUT:-$repo/bench-results/features-$(date -u +%Y%m%dT%H%M%SZ)}
export LISTS=${LISTS:-z12 z13 z14}
PORT=${PORT:-8091}
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"

build_coopmap
start_anchors_and_load
ours="/collections/coops/items?bbox={bbox}&limit=1000"
theirs="/collections/public.coops/items.json?bbox={bbox}&limit=1000"

exec > >(tee "$OUT/run.txt") 2>&1
echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores; DUR=${DUR:-15s} LISTS=$LISTS"
"$kit/run_features.sh" pg_featureserv "$FS_URL" "$theirs"
serve pg --db "$db"
"$kit/run_features.sh" coopmap_pg "http://127.0.0.1:$PORT" "$ours"
stop
serve gpkg --db "$gpkg"
"$kit/run_features.sh" coopmap_gpkg "http://127.0.0.1:$PORT" "$ours"
stop
"$kit/run_features.sh" pg_featureserv_gzip "$FS_URL" "$theirs" gzip
serve pg_gzip --db "$db"
"$kit/run_features.sh" coopmap_pg_gzip "http://127.0.0.1:$PORT" "$ours" gzip
stop
column -t -s$'\t' "$OUT/summary.tsv" | tee "$OUT/summary.txt"
