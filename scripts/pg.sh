#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS cluster for tests, on a free loopback
# port in a temporary directory. fsync is off: the data is disposable.
#   eval "$(scripts/pg.sh start)"   starts it and prints
#                                   export COOPMAP_TEST_POSTGRES=… COOPMAP_PG_DIR=…
#   scripts/pg.sh stop DIR          stops it and deletes DIR
#   scripts/pg.sh down DIR          stops the server, keeping DIR (fault tests)
#   scripts/pg.sh up DIR            starts it again on the same port
#   scripts/pg.sh restart DIR       down, then up
set -euo pipefail
bin=/usr/lib/postgresql/15/bin

as_owner() {
	# initdb and postgres refuse to run as root; run them as the postgres user.
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# free_port prints a loopback port nothing listens on and no other pg.sh
# cluster owns: a cluster that is down (fault tests) keeps its port. The
# range is below Linux's ephemeral ports (32768-60999), so a client socket
# opened while a cluster is down cannot take its port from under it.
free_port() {
	local p owned
	owned=$(cat "${TMPDIR:-/tmp}"/coopmap-pg.*/port 2>/dev/null || true)
	for p in $(seq 25432 25631); do
		if grep -qx "$p" <<<"$owned"; then
			continue
		fi
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "pg.sh: no free port in 25432-25631" >&2
	return 1
}

# pg_up DIR PORT starts the cluster in DIR on PORT and waits until it
# accepts connections.
pg_up() {
	as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/postgres.log" -w -t 60 start \
		-o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
}

# cluster_dir DIR checks that DIR is a cluster this script started.
cluster_dir() {
	case "$1" in */coopmap-pg.*) ;; *) echo "pg.sh: $1 is not a pg.sh cluster" >&2; exit 1 ;; esac
	[ -f "$1/port" ] || { echo "pg.sh: $1 has no port file" >&2; exit 1; }
}

case "${1:-}" in
start)
	[ -x "$bin/initdb" ] || { echo "pg.sh: $bin/initdb missing; run scripts/deps.sh test" >&2; exit 1; }
	dir=$(mktemp -d "${TMPDIR:-/tmp}/coopmap-pg.XXXXXX")
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	for try in 1 2 3; do
		port=$(free_port)
		if pg_up "$dir" "$port"; then
			echo "$port" >"$dir/port"
			break
		fi
		[ "$try" = 3 ] && { cat "$dir/postgres.log" >&2; exit 1; }
	done
	psql() { as_owner /usr/bin/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
	psql -d postgres -c "CREATE DATABASE coopmap_test" >&2
	psql -d coopmap_test -c "CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm" >&2
	echo "export COOPMAP_TEST_POSTGRES='postgres://postgres@127.0.0.1:$port/coopmap_test?sslmode=disable' COOPMAP_PG_DIR='$dir'"
	;;
stop)
	dir=${2:?usage: pg.sh stop DIR}
	case "$dir" in */coopmap-pg.*) ;; *) echo "pg.sh: refusing to remove $dir" >&2; exit 1 ;; esac
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
down)
	dir=${2:?usage: pg.sh down DIR}
	cluster_dir "$dir"
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	;;
up)
	dir=${2:?usage: pg.sh up DIR}
	cluster_dir "$dir"
	# A second try covers a port briefly held by a closing socket.
	for try in 1 2 3; do
		pg_up "$dir" "$(cat "$dir/port")" && exit 0
		echo "pg.sh: up failed (try $try):" >&2
		tail -20 "$dir/postgres.log" >&2
		sleep 1
	done
	exit 1
	;;
restart)
	dir=${2:?usage: pg.sh restart DIR}
	"$0" down "$dir"
	"$0" up "$dir"
	;;
*)
	echo "usage: $0 start | stop DIR | down DIR | up DIR | restart DIR" >&2
	exit 2
	;;
esac
