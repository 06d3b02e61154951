#!/bin/sh
# A throwaway PostgreSQL server for the tests.
#
#   eval "$(sh scripts/pg.sh start)"   # prints the exports below
#   sh scripts/pg.sh stop              # stops it, removes its files
#
# start installs PostgreSQL when missing (apt-get, as root), makes a new
# cluster in a temporary directory with trust authentication, starts it on
# a free port on 127.0.0.1 (socket in the same directory) and creates the
# database streamsql_test. It prints, for eval:
#
#   export STREAMSQL_TEST_POSTGRES='postgres://postgres@127.0.0.1:PORT/streamsql_test?sslmode=disable'
#   export STREAMSQL_PG_DIR='/tmp/streamsql-pg.XXXXXX'
#
# stop uses STREAMSQL_PG_DIR, or the directory given after it. The server
# refuses to run as root, so as root it runs as the user postgres; as any
# other user it runs as that user. Everything but the exports goes to
# stderr; on failure start cleans up, says why, and exits non-zero.
set -eu

say() { echo "pg.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

# as_server runs a command as the user the server runs as.
as_server() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u postgres -- "$@"
	else
		cmd=""
		for a in "$@"; do
			cmd="$cmd '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
		done
		su -s /bin/sh postgres -c "$cmd"
	fi
}

# find_bindir prints the newest /usr/lib/postgresql/*/bin that has initdb.
find_bindir() {
	found=""
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && found=$d
	done
	[ -n "$found" ] && echo "$found"
}

install_postgres() {
	[ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb) and only root can install it: apt-get install postgresql"
	command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get to install it with"
	say "installing PostgreSQL with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2 || die "apt-get update failed"
	apt-get install -y --no-install-recommends postgresql >&2 || die "apt-get install postgresql failed"
}

random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 40000))
}

start() {
	bindir=$(find_bindir) || {
		install_postgres
		bindir=$(find_bindir) || die "installed postgresql, but found no /usr/lib/postgresql/*/bin/initdb"
	}
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		die "running as root, but there is no user postgres to run the server as (the postgresql package creates it)"
	fi

	dir=$(mktemp -d /tmp/streamsql-pg.XXXXXX) # /tmp: the socket path must stay short
	trap 'stop_dir "$dir" >/dev/null 2>&1 || true' EXIT
	chmod 700 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
	fi
	cd "$dir" # the server's user may not be able to read the caller's directory

	as_server "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
		die "initdb failed: $(cat "$dir/initdb.log")"

	# A port that is taken makes the server exit; try another.
	tries=0
	while :; do
		port=$(random_port)
		if as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -c port=$port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
			start >"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets" "$dir/server.log" 2>/dev/null && [ $tries -lt 10 ]; then
			say "port $port is taken, trying another"
			: >"$dir/server.log"
			continue
		fi
		die "the server did not start: $(cat "$dir/pg_ctl.log" "$dir/server.log" 2>/dev/null)"
	done

	waited=0
	until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; do
		waited=$((waited + 1))
		[ $waited -lt 60 ] || die "the server on port $port is not ready after 60s: $(cat "$dir/server.log")"
		sleep 1
	done
	"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres streamsql_test ||
		die "createdb streamsql_test failed"

	trap - EXIT
	say "$("$bindir/postgres" --version) on 127.0.0.1:$port, data in $dir"
	echo "export STREAMSQL_TEST_POSTGRES='postgres://postgres@127.0.0.1:$port/streamsql_test?sslmode=disable'"
	echo "export STREAMSQL_PG_DIR='$dir'"
}

# stop_dir stops the server whose files are in $1 and removes them.
stop_dir() {
	d=$1
	case $d in
	*/streamsql-pg.*) ;;
	*) die "refusing to remove $d: not a directory pg.sh made" ;;
	esac
	[ -d "$d" ] || return 0
	if [ -f "$d/data/postmaster.pid" ]; then
		bindir=$(find_bindir) || die "cannot find pg_ctl to stop the server in $d"
		(cd "$d" && as_server "$bindir/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1) ||
			say "pg_ctl stop failed for $d"
	fi
	rm -rf "$d"
}

case ${1:-} in
start) start ;;
stop)
	d=${2:-${STREAMSQL_PG_DIR:-}}
	[ -n "$d" ] || die "stop: STREAMSQL_PG_DIR is not set and no directory was given"
	stop_dir "$d"
	;;
*)
	echo "usage: $0 start | stop [dir]" >&2
	exit 2
	;;
esac
