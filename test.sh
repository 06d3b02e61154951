#!/bin/sh
# The project's test command: formatting, vet, staticcheck, and every test
# with the race detector. README.md names it and .ci/run calls it. Services a test needs
# are installed and started from here, never by hand.
#
# Every step runs even when an earlier one failed, so one run shows every
# problem; the summary at the end lists each step's result, and the exit
# status is non-zero when any step failed.
set -u
cd "$(dirname "$0")"

failed=""
summary=""
# step NAME CMD...: runs one step and records how it ended.
step() {
	name=$1
	shift
	echo "== $name" >&2
	if "$@"; then
		summary="$summary
  ok    $name"
	else
		summary="$summary
  FAIL  $name"
		failed="$failed $name"
	fi
}

check_gofmt() {
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
	if [ -n "$unformatted" ]; then
		echo "gofmt would change:" >&2
		echo "$unformatted" >&2
		return 1
	fi
}

# PostgreSQL for the postgres sink's tests: scripts/pg.sh installs it when
# missing and starts a throwaway server, stopped when this script exits.
# A server that cannot start fails the run, and with
# STREAMSQL_REQUIRE_POSTGRES=1 the tests fail rather than skip without one.
# A STREAMSQL_TEST_POSTGRES already set names a server to use instead.
start_postgres() {
	[ -n "${STREAMSQL_TEST_POSTGRES:-}" ] && return 0
	if ! pg_env=$(sh scripts/pg.sh start); then
		echo "test.sh: could not start PostgreSQL for the tests (the reason is above)" >&2
		return 1
	fi
	eval "$pg_env"
	trap 'sh scripts/pg.sh stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Chromium for the dashboard's browser test (server/browser_test.go),
# installed when missing, without the recommended packages it does not
# need headless; with STREAMSQL_REQUIRE_BROWSER=1 that test fails rather
# than skips without one.
install_chromium() {
	command -v chromium >/dev/null 2>&1 && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get update && apt-get install -y --no-install-recommends chromium
}

step gofmt check_gofmt
step "go vet" go vet ./...
# staticcheck, pinned, from the Go module proxy (built on first use).
step staticcheck go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
step postgresql start_postgres
export STREAMSQL_REQUIRE_POSTGRES=1
step chromium install_chromium
export STREAMSQL_REQUIRE_BROWSER=1

# psql, psycopg and the JDBC driver for TestPGClients (the --pg server
# against real clients): scripts/pgclients.sh installs what is missing.
install_pgclients() {
	if ! clients_env=$(sh scripts/pgclients.sh); then
		echo "test.sh: could not install the PostgreSQL clients (the reason is above)" >&2
		return 1
	fi
	eval "$clients_env"
}
step "postgresql clients" install_pgclients
export STREAMSQL_REQUIRE_PGCLIENTS=1

step "go test -race" go test -race -count=1 ./...

# Each fuzz target for 10 s (their seeds already ran above). A crash fails
# the run and leaves its input under <package>/testdata/fuzz/<target>/;
# minimising new inputs is kept short so the time goes to fuzzing.
step "fuzz parser" go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 10s -fuzzminimizetime 100x ./parser/
step "fuzz planner" go test -run '^$' -fuzz '^FuzzPlan$' -fuzztime 10s -fuzzminimizetime 100x ./planner/
step "fuzz sources" go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10s -fuzzminimizetime 100x ./sources/

echo "test.sh:$summary" >&2
if [ -n "$failed" ]; then
	echo "test.sh: failed:$failed" >&2
	exit 1
fi
