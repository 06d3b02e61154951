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
go test -race -count=1 ./...
