#!/bin/sh
# The project's test command: formatting, vet, and every test with the race
# detector. README.md names it and .ci/run calls it. Services a test needs
# are installed and started from here, never by hand.
set -eu
cd "$(dirname "$0")"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...

# PostgreSQL for the postgres sink's tests: scripts/pg.sh installs it when
# missing and starts a throwaway server, stopped when this script exits.
# A server that cannot start fails the run, and with
# STREAMSQL_REQUIRE_POSTGRES=1 the tests fail rather than skip without one.
# A STREAMSQL_TEST_POSTGRES already set names a server to use instead.
if [ -z "${STREAMSQL_TEST_POSTGRES:-}" ]; then
	if ! pg_env=$(sh scripts/pg.sh start); then
		echo "test.sh: could not start PostgreSQL for the tests (the reason is above)" >&2
		exit 1
	fi
	eval "$pg_env"
	trap 'sh scripts/pg.sh stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi
export STREAMSQL_REQUIRE_POSTGRES=1

# Chromium for the dashboard's browser test (server/browser_test.go),
# installed when missing; with STREAMSQL_REQUIRE_BROWSER=1 that test fails
# rather than skips without one.
command -v chromium >/dev/null 2>&1 || { apt-get update && apt-get install -y chromium; }
export STREAMSQL_REQUIRE_BROWSER=1

go test -race -count=1 ./...

# Each fuzz target for 10 s (their seeds already ran above). A crash fails
# the run and leaves its input under <package>/testdata/fuzz/<target>/;
# minimising new inputs is kept short so the time goes to fuzzing.
go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 10s -fuzzminimizetime 100x ./parser/
go test -run '^$' -fuzz '^FuzzPlan$' -fuzztime 10s -fuzzminimizetime 100x ./planner/
go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 10s -fuzzminimizetime 100x ./sources/
