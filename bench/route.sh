#!/usr/bin/env bash
# Routing benchmarks (docs/PERFORMANCE.md, "Routing"): the route package's Go benchmarks, then
# pgRouting's pgr_dijkstra on the same extract, loaded with osm2pgrouting (bicycle mapconfig)
# into a throwaway PostGIS, with the per-query graph construction pgr_dijkstra does; then
# coopmap on the very same pairs of points, comparing times and route lengths.
#   bench/route.sh                 the bundled London extract (demo/london-highways.osm.bz2)
#   COOPMAP_BENCH_OSM=DIR bench/route.sh
#                                  also the bench kit's whole-country Andorra (DIR/andorra/…)
# N pairs (default 1000). Needs root or sudo once, to install pgRouting and osm2pgrouting.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
scripts/deps.sh bench-route

echo "== go test -run '^\$' -bench . -benchtime 1x ./route"
go test -run '^$' -bench . -benchtime 1x ./route

work=$(mktemp -d "${TMPDIR:-/tmp}/coopmap-route.XXXXXX")
chmod 755 "$work"
eval "$(scripts/pg.sh start)"
trap 'scripts/pg.sh stop "$COOPMAP_PG_DIR"; rm -rf "$work"' EXIT
port=$(sed -E 's/.*:([0-9]+)\/.*/\1/' <<<"$COOPMAP_TEST_POSTGRES")
pg() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d coopmap_test "$@"; }

bzip2 -dc demo/london-highways.osm.bz2 >"$work/london.osm"
pg -c 'CREATE EXTENSION pgrouting'
echo "== osm2pgrouting (bicycle mapconfig) london_large.osm"
/usr/bin/time -f "osm2pgrouting: %e s, peak RSS %M KB" \
	osm2pgrouting -f "$work/london.osm" -c /usr/share/osm2pgrouting/mapconfig_for_bicycles.xml \
	-d coopmap_test -U postgres -h 127.0.0.1 -p "$port" --clean >"$work/osm2pgrouting.log"
pg -At -c "SELECT count(*) || ' edges, ' || (SELECT count(*) FROM ways_vertices_pgr) || ' vertices' FROM ways"

# N random pairs of vertices of pgRouting's largest component, reproducibly.
pg -At -F, >"$work/vertices.csv" <<SQL
SELECT setseed(0.42);
WITH cc AS (SELECT * FROM pgr_connectedComponents('SELECT gid AS id, source, target, cost, reverse_cost FROM ways')),
big AS (SELECT component FROM cc GROUP BY component ORDER BY count(*) DESC LIMIT 1)
SELECT v.id, ST_X(v.the_geom), ST_Y(v.the_geom) FROM ways_vertices_pgr v
JOIN cc ON cc.node = v.id JOIN big USING (component) ORDER BY random() LIMIT $((2 * N));
SQL
sed -i '/^$/d;/^[^0-9]/d' "$work/vertices.csv"
paste -d, - - <"$work/vertices.csv" >"$work/pairs.csv" # id1,lon1,lat1,id2,lon2,lat2

# One query per pair, each building the graph from the ways table as pgr_dijkstra does.
{
	echo '\timing on'
	while IFS=, read -r a _ _ b _ _; do
		echo "SELECT coalesce(sum(w.length_m), -1) FROM pgr_dijkstra('SELECT gid AS id, source, target, length_m AS cost, CASE WHEN reverse_cost < 0 THEN -1 ELSE length_m END AS reverse_cost FROM ways', $a, $b, directed => true) d JOIN ways w ON d.edge = w.gid;"
	done <"$work/pairs.csv"
} >"$work/queries.sql"
echo "== pgr_dijkstra, $N queries (shortest by length, oneways honoured)"
pg -At -f "$work/queries.sql" >"$work/pgr.out"
grep '^Time:' "$work/pgr.out" | awk '{print $2}' | sort -n >"$work/pgr.ms"
awk '{a[NR]=$1} END {printf "pgr_dijkstra: %d queries, p50 %.1f ms, p99 %.1f ms\n", NR, a[int(NR*0.5)], a[int(NR*0.99)]}' "$work/pgr.ms"
grep -v '^Time:' "$work/pgr.out" >"$work/pgr.len"
paste -d, "$work/pairs.csv" "$work/pgr.len" | awk -F, '$7 > 0 {print $2","$3","$5","$6","$7}' >"$work/bench-pairs.csv"

echo "== coopmap on the same pairs: go test -run '^\$' -bench Pairs -benchtime 1x ./route"
COOPMAP_BENCH_PAIRS="$work/bench-pairs.csv" go test -run '^$' -bench Pairs -benchtime 1x ./route
