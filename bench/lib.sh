# bench/lib.sh: shared by the benchmark scripts that compare coopmap with the
# anchor kit's servers (sourced by bash). Set before sourcing: kit (the kit
# directory), repo (the repository root), OUT (results directory), PORT
# (coopmap's port), ANCHORS_STATE, TS_PORT, FS_PORT; optionally SERVE_LOG_LEVEL
# (coopmap serve's --log-level, default warn).
# Provides: $work (a temporary directory, removed at exit), build_coopmap,
# start_anchors_and_load (sets PGURL, FS_URL, TS_URL, $db and $gpkg),
# serve NAME ARGS… (sets $srv) and stop. Everything started is stopped at
# exit, by PID; anchors-down stops only what anchors-up started.

work=$(mktemp -d "${TMPDIR:-/tmp}/coopmap-bench.XXXXXX")
pids=()
bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	"$kit/anchors-down" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap bench_cleanup EXIT

build_coopmap() {
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$work/coopmap" ./cmd/coopmap)
}

# start_anchors_and_load: a throwaway PostGIS with the kit's 200,000 points,
# served by pg_featureserv and pg_tileserv; the same points imported with
# `coopmap import` into the schema coopmap of that database ($db) and into a
# GeoPackage ($gpkg), as source "coops".
start_anchors_and_load() {
	"$kit/anchors-up" >"$OUT/anchors-up.txt"
	# shellcheck disable=SC1091
	. "$ANCHORS_STATE/env"
	psql -X -q "$PGURL" -c 'CREATE SCHEMA IF NOT EXISTS coopmap'
	db="$PGURL&search_path=coopmap,public"
	gpkg="$work/coops.gpkg"
	"$work/coopmap" migrate --db "$db" >/dev/null
	psql -X -q "$PGURL" -c "\\copy (SELECT 'c' || id AS id, name, sector, org_type, postcode, website, founded, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM public.coops ORDER BY id) TO '$work/coops.csv' CSV HEADER"
	local imp=(import --source coops --kind coops --licence CC0-1.0 --attribution "synthetic benchmark data (anchor kit)" --log-level warn)
	"$work/coopmap" "${imp[@]}" --db "$db" "$work/coops.csv" | tee "$OUT/import-postgis.txt"
	"$work/coopmap" "${imp[@]}" --db "$gpkg" "$work/coops.csv" | tee "$OUT/import-gpkg.txt"
	psql -X -q "$PGURL" -c 'ANALYZE coopmap.features'
}

# serve NAME ARGS…: start coopmap on 127.0.0.1:$PORT and wait until ready.
# The per-client rate limits are off: every request comes from one address.
serve() {
	local name=$1
	shift
	"$work/coopmap" serve --addr "127.0.0.1:$PORT" --log-level "${SERVE_LOG_LEVEL:-warn}" \
		--rate-search 0 --rate-route 0 --rate-download 0 --rate-tiles 0 "$@" 2>"$OUT/serve-$name.log" &
	srv=$!
	pids+=("$srv")
	for _ in $(seq 60); do
		curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && return 0
		sleep 0.5
	done
	echo "coopmap ($name) did not become ready; see $OUT/serve-$name.log" >&2
	exit 1
}
stop() { kill "$srv"; wait "$srv" 2>/dev/null || true; }
