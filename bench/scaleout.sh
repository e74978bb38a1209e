#!/usr/bin/env bash
# Scale-out: two coopmap instances on two loopback ports sharing one
# PostGIS (see docs/SCALING.md).
#
#   bench/scaleout.sh
#
# 1. A write through one is visible through the other: a source imported
#    with `coopmap import` into the shared database shows on both
#    instances, and re-importing it with renamed features changes the
#    tile both serve (the tile caches are keyed by the collection
#    version, and each instance re-reads the versions every second) and
#    what /search and items answer. The script times each.
# 2. Aggregate throughput: bench/loadgen's rate steps (the soak mix)
#    against one instance, then against both round-robin; the knee is the
#    highest rate with p99 ≤ 250 ms and no errors.
#
# Environment: RATES (default 100,200,300,400,600,800,1000,1500,2000),
# STEP (default 15s), WARMUP (default 5s), PORTS (default "8097 8098"),
# OUT (results; default $TMPDIR/coopmap-scaleout-DATE). Loopback only;
# everything started is stopped at exit. Exits 1 when a write does not
# show on the other instance within 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh bench-http
RATES=${RATES:-100,200,300,400,600,800,1000,1500,2000}
STEP=${STEP:-15s}
WARMUP=${WARMUP:-5s}
read -r PA PB <<<"${PORTS:-8097 8098}"
OUT=${OUT:-${TMPDIR:-/tmp}/coopmap-scaleout-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
# shellcheck source=bench/loadlib.sh
. bench/loadlib.sh
exec > >(tee "$OUT/run.txt") 2>&1

build
pg_demo
serve_at "$PA" --db "$pgdb" --graph "$work/coopmap.graph"
sa=$srv
serve_at "$PB" --db "$pgdb" --graph "$work/coopmap.graph"
sb=$srv
A="http://127.0.0.1:$PA" B="http://127.0.0.1:$PB"
echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); instances $A and $B on one PostGIS"

# points NAME writes three points in Wood Green, named NAME 1..3.
points() {
	cat >"$work/scaleout.geojson" <<JSON
{"type":"FeatureCollection","features":[
{"type":"Feature","id":"p1","geometry":{"type":"Point","coordinates":[-0.1250,51.5975]},"properties":{"name":"$1 1"}},
{"type":"Feature","id":"p2","geometry":{"type":"Point","coordinates":[-0.1200,51.5980]},"properties":{"name":"$1 2"}},
{"type":"Feature","id":"p3","geometry":{"type":"Point","coordinates":[-0.1150,51.5990]},"properties":{"name":"$1 3"}}]}
JSON
	"$work/coopmap" import --db "$pgdb" --source scaleout-demo --kind coops --licence CC0-1.0 \
		--attribution "coopmap scale-out demo" --show 0 "$work/scaleout.geojson"
}
now_ms() { date +%s%3N; }
# until_ok WHAT CMD…: runs CMD every 50 ms until it succeeds (10 s at
# most) and prints how long that took.
until_ok() {
	local what=$1 start
	shift
	start=$(now_ms)
	while ! "$@" >/dev/null 2>&1; do
		if [ $(($(now_ms) - start)) -gt 10000 ]; then
			echo "FAIL: $what: not within 10 s"
			exit 1
		fi
		sleep 0.05
	done
	echo "$what: after $(($(now_ms) - start)) ms"
}
etag() { curl -fsS -o /dev/null -D - "$1" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p'; }
has() { curl -fsS "$1" | grep -q "$2"; }
tile=/tiles/default/14/8186/5441.mvt # holds the three points

echo "== a write through one instance, read through the other"
for u in "$A" "$B"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$u/collections/scaleout-demo")
	echo "before the import: $u/collections/scaleout-demo: $code"
done
ta=$(etag "$A$tile") tb=$(etag "$B$tile") # both instances cache the tile
echo "tile $tile before: ETag $ta on A, $tb on B"
points "Scaleout Alpha"
until_ok "new collection on A" curl -fsS "$A/collections/scaleout-demo"
until_ok "new collection on B" curl -fsS "$B/collections/scaleout-demo"
until_ok "tile changed on A" test "$(etag "$A$tile")" != "$ta"
until_ok "tile changed on B" test "$(etag "$B$tile")" != "$tb"
ta=$(etag "$A$tile") tb=$(etag "$B$tile")
echo "tile after the import: ETag $ta on A, $tb on B"
[ "$ta" = "$tb" ] || echo "note: the instances' ETags differ"
points "Scaleout Beta"
until_ok "renamed item on A" has "$A/collections/scaleout-demo/items/scaleout-demo.p1" "Scaleout Beta 1"
until_ok "renamed item on B" has "$B/collections/scaleout-demo/items/scaleout-demo.p1" "Scaleout Beta 1"
until_ok "search finds the new name on B" has "$B/search?q=scaleout+beta" "Scaleout Beta"
until_ok "re-rendered tile on B" test "$(etag "$B$tile")" != "$tb"
until_ok "re-rendered tile on A" test "$(etag "$A$tile")" != "$ta"
echo "tile after the re-import: ETag $(etag "$A$tile") on A, $(etag "$B$tile") on B"

echo "== throughput: one instance, then both"
url_list "$A" 5000
"$work/loadgen" steps -base "$A" -urls "$urls" -rates "$RATES" -step "$STEP" -warmup "$WARMUP" -max-p99 250 -past "${PAST:-2}" -json "$OUT/one.json"
sleep 5
"$work/loadgen" steps -base "$A,$B" -urls "$urls" -rates "$RATES" -step "$STEP" -warmup "$WARMUP" -max-p99 250 -past "${PAST:-2}" -json "$OUT/two.json"
stop_server "$sa"
stop_server "$sb"
echo "results in $OUT"
