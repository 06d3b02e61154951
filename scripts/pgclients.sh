#!/bin/sh
# The PostgreSQL clients TestPGClients runs against the binary: psql
# (Debian's postgresql-client), psycopg 3 (PyPI, in a virtualenv) and the
# PostgreSQL JDBC driver (Maven Central). Installed when missing into
# ${STREAMSQL_CACHE:-$HOME/.cache/streamsql}; prints, for eval:
#
#   export STREAMSQL_PG_PYTHON='.../venv/bin/python'
#   export STREAMSQL_PG_JDBC='.../postgresql-42.7.14.jar'
#
# Everything else goes to stderr; on failure it says why and exits non-zero.
set -eu

say() { echo "pgclients.sh: $*" >&2; }
cache=${STREAMSQL_CACHE:-$HOME/.cache/streamsql}
mkdir -p "$cache"

if ! command -v psql >/dev/null 2>&1; then
	say "installing postgresql-client"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update && apt-get install -y --no-install-recommends postgresql-client; } >&2
fi
if ! command -v java >/dev/null 2>&1; then
	say "installing a Java runtime"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update && apt-get install -y --no-install-recommends default-jdk-headless; } >&2
fi

venv=$cache/pgclients-venv
if ! "$venv/bin/python" -c 'import psycopg' 2>/dev/null; then
	say "installing psycopg into $venv"
	python3 -m venv "$venv" >&2
	"$venv/bin/pip" install --quiet 'psycopg[binary]==3.3.9' >&2 || "$venv/bin/pip" install --quiet 'psycopg==3.3.9' >&2
fi

jar=$cache/postgresql-42.7.14.jar
if [ ! -s "$jar" ]; then
	say "downloading the PostgreSQL JDBC driver"
	curl -fsSL -o "$jar.part" https://repo1.maven.org/maven2/org/postgresql/postgresql/42.7.14/postgresql-42.7.14.jar >&2
	mv "$jar.part" "$jar"
fi

echo "export STREAMSQL_PG_PYTHON='$venv/bin/python'"
echo "export STREAMSQL_PG_JDBC='$jar'"
