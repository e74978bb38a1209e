#!/usr/bin/env bash
# Installs what coopmap needs on a Debian machine, only what is missing.
#   scripts/deps.sh run    Go toolchain check, Node.js + npm for the web map's build
#   scripts/deps.sh test   plus PostgreSQL 15 + PostGIS 3, GDAL tools, xmllint, chromium (browser tests)
#   scripts/deps.sh bench-route   PostGIS plus pgRouting and osm2pgrouting (bench/route.sh)
#   scripts/deps.sh bench-http    PostGIS, GDAL and wrk (bench/features.sh, bench/tiles.sh)
# Needs root (or sudo) only when something has to be installed.
set -euo pipefail
what=${1:-run}

need_go() {
	if ! command -v go >/dev/null 2>&1; then
		if [ -x /usr/local/go/bin/go ]; then
			echo "deps: Go is at /usr/local/go/bin but not on PATH; the Makefile adds it." >&2
		else
			echo "deps: Go is missing. Install Go ≥ 1.22 (https://go.dev/dl/); go.mod selects the exact toolchain through the module proxy." >&2
			exit 1
		fi
	fi
}

apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "deps: installing ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# need_node installs Node.js and npm from Debian when node is missing (the
# web map is built with npm and Vite; a newer node already on PATH is kept).
need_node() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

case "$what" in
run)
	need_go
	need_node
	;;
test)
	need_go
	need_node
	apt_install postgresql-15 postgresql-15-postgis-3 postgresql-contrib gdal-bin libxml2-utils chromium
	;;
bench-route)
	need_go
	apt_install postgresql-15 postgresql-15-postgis-3 postgresql-contrib postgresql-15-pgrouting osm2pgrouting
	;;
bench-http)
	need_go
	apt_install postgresql-15 postgresql-15-postgis-3 postgresql-contrib gdal-bin wrk
	;;
*)
	echo "usage: $0 run|test|bench-route|bench-http" >&2
	exit 2
	;;
esac
