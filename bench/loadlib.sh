# bench/loadlib.sh: shared by bench/soak.sh, bench/saturate.sh and
# bench/scaleout.sh (sourced by bash, from the repository root). Provides
# $work (a temporary directory, removed at exit), build (bin/coopmap and
# bench/loadgen into $work), pg_demo (a throwaway PostGIS from
# scripts/pg.sh with the demo data: sets $pgdb and $pgdir), gpkg_demo (the
# demo data in a GeoPackage: sets $gpkg), serve_at PORT ARGS… (starts
# coopmap serve on 127.0.0.1:PORT and waits until ready: sets $srv),
# stop_server PID and url_list BASE N (the loadgen URL list: sets $urls).
# Everything started is stopped at exit, by PID; the cluster is removed.

work=$(mktemp -d "${TMPDIR:-/tmp}/coopmap-load.XXXXXX")
pids=()
pgdir=
loadlib_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "$pgdir" ] && scripts/pg.sh stop "$pgdir"
	rm -rf "$work"
}
trap loadlib_cleanup EXIT

build() {
	CGO_ENABLED=0 go build -trimpath -o "$work/coopmap" ./cmd/coopmap
	CGO_ENABLED=0 go build -trimpath -o "$work/loadgen" ./bench/loadgen
}

# pg_demo: PostGIS with the demo data (demo/load.sh: the co-ops, the
# cycle map, the routing graph $work/coopmap.graph and the demo tours).
pg_demo() {
	eval "$(scripts/pg.sh start)"
	pgdir=$COOPMAP_PG_DIR
	pgdb=$COOPMAP_TEST_POSTGRES
	"$work/coopmap" migrate --db "$pgdb" >/dev/null
	BIN="$work/coopmap" DB="$pgdb" GRAPH="$work/coopmap.graph" demo/load.sh >"$work/load-pg.txt"
}

# gpkg_demo: the same data in a GeoPackage.
gpkg_demo() {
	gpkg="$work/coopmap.gpkg"
	BIN="$work/coopmap" DB="$gpkg" GRAPH="$work/coopmap.graph" demo/load.sh >"$work/load-gpkg.txt"
}

# serve_at PORT ARGS…: coopmap serve on 127.0.0.1:PORT, logging warnings
# to $OUT/serve-PORT.log. The per-client rate limits are off: every
# simulated client comes from 127.0.0.1 (the load shedding of
# --max-inflight stays on, and a shed request counts as an error).
serve_at() {
	local port=$1
	shift
	COOPMAP_RATE_SEARCH=0 COOPMAP_RATE_ROUTE=0 COOPMAP_RATE_TILES=0 COOPMAP_RATE_DOWNLOAD=0 \
		"$work/coopmap" serve --addr "127.0.0.1:$port" --log-level warn "$@" 2>>"$OUT/serve-$port.log" &
	srv=$!
	pids+=("$srv")
	for _ in $(seq 120); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
		sleep 0.5
	done
	echo "coopmap on port $port did not become ready; see $OUT/serve-$port.log" >&2
	exit 1
}

stop_server() { kill "$1"; wait "$1" 2>/dev/null || true; }

# url_list BASE N: a mixed list of N requests built from the data BASE
# serves (tiles, items, record pages, search and nearest, routes).
url_list() {
	urls="$work/urls.txt"
	"$work/loadgen" urls -base "$1" -n "$2" >"$urls"
	echo "URL list: $(awk '{print $1}' "$urls" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
}
