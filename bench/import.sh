#!/usr/bin/env bash
# Import throughput and peak memory, coopmap against ogr2ogr (GDAL), on the
# same files, into a GeoPackage and into PostGIS, in one run.
#
#   bench/import.sh            1,000,000 generated points + the Co-ops UK CSV
#   N=200000 bench/import.sh   fewer generated points
#
# Prints one Markdown table row per run: seconds, records/s and peak RSS
# (GNU time's maximum resident set size). The PostGIS runs use a throwaway
# cluster from scripts/pg.sh (fsync off, as in the tests), so both tools
# see the same database settings.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
CSV=demo/coops-uk-Q2-2023.csv

scripts/deps.sh test >/dev/null
make -s build
work=$(mktemp -d "${TMPDIR:-/tmp}/coopmap-bench.XXXXXX")
eval "$(scripts/pg.sh start)"
trap 'scripts/pg.sh stop "$COOPMAP_PG_DIR"; rm -rf "$work"' EXIT
PG=$COOPMAP_TEST_POSTGRES
# GDAL's connection string for the same database.
hostport=${PG#postgres://postgres@}
hostport=${hostport%%/*}
OGRPG="PG:host=${hostport%:*} port=${hostport#*:} user=postgres dbname=coopmap_test"
bin/coopmap migrate --db "$PG" >/dev/null

# N points spread over Great Britain, each with a name, a sector and an id,
# as one GeoJSON FeatureCollection.
awk -v n="$N" 'BEGIN {
	srand(42)
	printf "{\"type\":\"FeatureCollection\",\"features\":[\n"
	for (i = 0; i < n; i++) {
		printf "%s{\"type\":\"Feature\",\"id\":\"p%d\",\"properties\":{\"name\":\"Point %d\",\"sector\":\"Food\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.6f,%.6f]}}\n", (i ? "," : ""), i, i, -5.5 + 7.2 * rand(), 50.0 + 8.5 * rand()
	}
	printf "]}\n"
}' >"$work/points.geojson"
echo "generated $N points: $(du -m "$work/points.geojson" | cut -f1) MB" >&2

# run LABEL RECORDS CMD… times CMD and prints a table row.
run() {
	local label=$1 records=$2
	shift 2
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; return 1; }
	read -r secs kb <"$work/time"
	awk -v l="$label" -v r="$records" -v s="$secs" -v k="$kb" \
		'BEGIN { printf "| %s | %.2f | %\047d | %d |\n", l, s, (s > 0 ? r / s : 0), k / 1024 }'
}

imp=(bin/coopmap import --progress never)
coops=(--source coops-uk --kind coops --licence ODC-By-1.0 --attribution "Co-operatives UK" "$CSV")
points=(--source points --licence CC0-1.0 --attribution "generated" "$work/points.geojson")
ogrcsv=(-oo X_POSSIBLE_NAMES="Geo Container Longitude" -oo Y_POSSIBLE_NAMES="Geo Container Latitude" -oo KEEP_GEOM_COLUMNS=NO -a_srs EPSG:4326)

echo "| run | seconds | records/s | peak RSS MiB |"
echo "|---|---:|---:|---:|"
run "coopmap import CSV → GeoPackage" 7387 "${imp[@]}" --db "$work/c.gpkg" "${coops[@]}"
run "coopmap re-import CSV, unchanged → GeoPackage" 7387 "${imp[@]}" --db "$work/c.gpkg" "${coops[@]}"
run "ogr2ogr CSV → GeoPackage" 7387 ogr2ogr -f GPKG "$work/o.gpkg" "$CSV" -nln coops "${ogrcsv[@]}"
run "coopmap import CSV → PostGIS" 7387 "${imp[@]}" --db "$PG" "${coops[@]}"
run "ogr2ogr CSV → PostGIS" 7387 ogr2ogr -f PostgreSQL "$OGRPG" "$CSV" -nln ogr_coops "${ogrcsv[@]}"
run "coopmap import GeoJSON → GeoPackage" "$N" "${imp[@]}" --db "$work/p.gpkg" "${points[@]}"
run "coopmap re-import GeoJSON, unchanged → GeoPackage" "$N" "${imp[@]}" --db "$work/p.gpkg" "${points[@]}"
run "ogr2ogr GeoJSON → GeoPackage" "$N" ogr2ogr -f GPKG "$work/op.gpkg" "$work/points.geojson" -nln points
run "coopmap import GeoJSON → PostGIS" "$N" "${imp[@]}" --db "$PG" "${points[@]}"
run "coopmap re-import GeoJSON, unchanged → PostGIS" "$N" "${imp[@]}" --db "$PG" "${points[@]}"
run "ogr2ogr GeoJSON → PostGIS" "$N" ogr2ogr -f PostgreSQL "$OGRPG" "$work/points.geojson" -nln ogr_points
