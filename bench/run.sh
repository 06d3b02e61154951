#!/usr/bin/env bash
# bench/run.sh [--quick] [--runs N]: streamsql's benchmark suite, one command.
#
# Generates deterministic data (bench/gen), builds streamsql and the
# baselines once, runs every workload with wall time and peak RSS, checks
# streamsql's output against the Go baselines, prints one table and writes
# it to /tmp/streamsql-bench/results.md. Run from anywhere; see
# bench/README.md. --quick uses 1/10 of the data (20 MB of text, 500 k
# JSON rows). --runs N runs every command N times and keeps the fastest
# run (default 3, 1 with --quick). Everything it writes is under
# $STREAMSQL_BENCH_DIR (default /tmp/streamsql-bench) and
# /tmp/duckdb-bench (DuckDB's npm package).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

usage() {
	echo "usage: bench/run.sh [--quick] [--runs N]" >&2
	exit 2
}
MODE=full
RUNS=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) MODE=quick ;;
	--runs)
		[ $# -ge 2 ] || usage
		RUNS=$2
		shift
		;;
	--runs=*) RUNS=${1#--runs=} ;;
	-h | --help)
		awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
		exit 0
		;;
	*) usage ;;
	esac
	shift
done
if [ "$MODE" = quick ]; then
	TEXT_MB=20 JSON_ROWS=500000 RUNS=${RUNS:-1}
else
	TEXT_MB=200 JSON_ROWS=5000000 RUNS=${RUNS:-3}
fi
case "$RUNS" in '' | *[!0-9]* | 0) usage ;; esac
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

BASE=${STREAMSQL_BENCH_DIR:-/tmp/streamsql-bench}
BIN=$BASE/bin
DATA=$BASE/data-$MODE
RUN=$BASE/run-$MODE
DUCK_DIR=/tmp/duckdb-bench
TEXT=$DATA/text
JSON=$DATA/json
mkdir -p "$BIN" "$DATA" "$RUN" || exit 1
rm -f "$RUN"/*
TSV=$RUN/results.tsv
CHECKS=$RUN/checks.txt
: >"$TSV"
: >"$CHECKS"

log() { printf '%s\n' "$*" >&2; }
die() {
	log "bench: $*"
	exit 1
}

# ---- build ----
log "building streamsql and the bench helpers into $BIN"
go build -o "$BIN/streamsql" ./cmd/streamsql || die "go build ./cmd/streamsql failed"
go build -o "$BIN/" ./bench/baseline/wordcount ./bench/baseline/sensors ./bench/compare ./bench/report ./bench/timeit ./bench/live ./bench/nexmark/throughput ||
	die "go build ./bench/... failed"

# ---- timer: GNU time if it is there, else the Go wrapper ----
if /usr/bin/time -f '%e %M' -o "$RUN/probe.time" true 2>/dev/null && [ -s "$RUN/probe.time" ]; then
	TIMER=(/usr/bin/time -f '%e %M' -o)
	TIMER_NAME="/usr/bin/time -f '%e %M' (GNU time)"
else
	TIMER=("$BIN/timeit" -o)
	TIMER_NAME="bench/timeit (Go os/exec rusage; /usr/bin/time missing or not GNU)"
fi
rm -f "$RUN/probe.time"

# ---- data ----
# gen KIND DIR FLAGS...: generates DIR unless DIR.meta says it was made
# with the same flags by the same generator source.
gen() {
	local kind=$1 dir=$2
	shift 2
	local stamp
	stamp="$kind $* $(cksum <bench/gen/main.go)"
	if [ -f "$dir.meta" ] && [ "$(sed -n 's/^stamp=//p' "$dir.meta")" = "$stamp" ]; then
		log "reusing $dir"
		return
	fi
	log "generating $dir ($kind $*)"
	rm -f "$dir.meta"
	go run ./bench/gen "$kind" -out "$dir" "$@" >"$dir.meta.tmp" || die "go run ./bench/gen $kind failed"
	echo "stamp=$stamp" >>"$dir.meta.tmp"
	mv "$dir.meta.tmp" "$dir.meta"
}
meta() { sed -n "s/^$2=//p" "$1.meta"; }

gen text "$TEXT" -mb "$TEXT_MB" -seed 1
gen json "$JSON" -rows "$JSON_ROWS" -seed 2
WORDS=$(meta "$TEXT" words)
TEXT_BYTES=$(meta "$TEXT" bytes)
ROWS=$(meta "$JSON" rows)
JSON_BYTES=$(meta "$JSON" bytes)

# ---- DuckDB (npm @duckdb/node-api) ----
DUCK_NOTE=""
DUCK_VERSION=""
duck_require="require(require.resolve('@duckdb/node-api', {paths: ['$DUCK_DIR/node_modules']}))"
duck_setup() {
	if ! command -v node >/dev/null 2>&1; then
		DUCK_NOTE="skipped: node is not installed"
		return 1
	fi
	if ! node -e "$duck_require" >/dev/null 2>&1; then
		if ! command -v npm >/dev/null 2>&1; then
			DUCK_NOTE="skipped: npm is not installed"
			return 1
		fi
		log "installing @duckdb/node-api 1.5.6 into $DUCK_DIR"
		# the registry spells release 1.5.6 of the package "1.5.6-r.1"
		npm install --prefix "$DUCK_DIR" @duckdb/node-api@1.5.6 >"$RUN/npm.log" 2>&1 ||
			npm install --prefix "$DUCK_DIR" @duckdb/node-api@1.5.6-r.1 >>"$RUN/npm.log" 2>&1 || {
			DUCK_NOTE="skipped: npm install @duckdb/node-api failed (see $RUN/npm.log)"
			return 1
		}
	fi
	DUCK_VERSION=$(node -e "
		const {DuckDBInstance} = $duck_require;
		(async () => { const c = await (await DuckDBInstance.create(':memory:')).connect();
		  console.log((await c.runAndReadAll('SELECT version()')).getRows()[0][0]); })()
		  .catch(e => { console.error(e.message); process.exit(1); });" 2>"$RUN/duckdb-setup.err") || {
		DUCK_NOTE="skipped: DuckDB does not load ($(tail -n1 "$RUN/duckdb-setup.err"))"
		return 1
	}
}
HAVE_DUCK=0
if duck_setup; then HAVE_DUCK=1; else log "DuckDB $DUCK_NOTE"; fi
DUCK=(env "DUCKDB_NODE_DIR=$DUCK_DIR/node_modules" node bench/duckdb/query.cjs)

# ---- measuring ----
# measure NAME command...: runs the command $RUNS times with stdout to
# $RUN/NAME.out and stderr to $RUN/NAME.err; sets SECS and RSS (KiB) to
# those of the fastest run, or SECS=- and FAIL to the last line of stderr.
measure() {
	local name=$1 i s r
	shift
	SECS=- RSS=- FAIL=""
	for ((i = 1; i <= RUNS; i++)); do
		if "${TIMER[@]}" "$RUN/$name.time" "$@" >"$RUN/$name.out" 2>"$RUN/$name.err"; then
			read -r s r < <(tail -n1 "$RUN/$name.time")
			if [ "$SECS" = - ] || awk -v a="$s" -v b="$SECS" 'BEGIN { exit !(a < b) }'; then
				SECS=$s RSS=$r
			fi
		else
			SECS=- FAIL="failed: $(tail -n1 "$RUN/$name.err" | tr '\t|' '  ')"
			log "  $name: $FAIL"
			return
		fi
	done
	log "  $name: $SECS s, $RSS KiB (best of $RUNS)"
}

# row ID WORKLOAD TOOL ROLE UNITS UNIT CHECK: one line of the table, with
# the last measurement.
row() {
	local check=$7
	[ "$SECS" = - ] && check=$FAIL
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$SECS" "$RSS" "$check" >>"$TSV"
}

# check LABEL A B: compares two results; prints the verdict word
# (MATCH/MISMATCH) and records the full line in $CHECKS.
check() {
	local label=$1 res
	if [ ! -s "$2" ] && [ ! -s "$3" ]; then
		res="MISMATCH: both outputs are empty"
	else
		res=$("$BIN/compare" "$2" "$3" | head -n 4)
	fi
	printf '%s: %s\n' "$label" "$res" >>"$CHECKS"
	log "    $label: $(printf '%s' "$res" | head -n1)"
	printf '%s' "$res" | head -n1 | cut -d' ' -f1 | tr -d ':'
}

warm() { cat "$1"/* >/dev/null; }

SSQL=$BIN/streamsql

# ---- (a) word count ----
log "(a) word count over $TEXT ($WORDS words)"
WL="word count"
warm "$TEXT"
measure wc-hand "$BIN/wordcount" "$TEXT"
HAND_SECS=$SECS HAND_RSS=$RSS HAND_FAIL=$FAIL
measure wc-streamsql "$SSQL" --once --output jsonl -e "SELECT word, COUNT(*) FROM file('$TEXT') GROUP BY word"
S_SECS=$SECS S_RSS=$RSS S_FAIL=$FAIL
measure wc-plain "$BIN/wordcount" -mode plain "$TEXT"
P_SECS=$SECS P_RSS=$RSS P_FAIL=$FAIL
c1=$(check "(a) streamsql = Go hand-written" "$RUN/wc-streamsql.out" "$RUN/wc-hand.out")
c2=$(check "(a) streamsql = Go plain" "$RUN/wc-streamsql.out" "$RUN/wc-plain.out")
SECS=$S_SECS RSS=$S_RSS FAIL=$S_FAIL row a "$WL" "streamsql" streamsql "$WORDS" words "$c1 hand-written, $c2 plain"
SECS=$HAND_SECS RSS=$HAND_RSS FAIL=$HAND_FAIL row a "$WL" "Go hand-written hash table (baseline)" base "$WORDS" words "reference"
SECS=$P_SECS RSS=$P_RSS FAIL=$P_FAIL row a "$WL" "Go bufio + bytes.Fields + map" other "$WORDS" words "$c2"

measure wc-awk env LC_ALL=C awk '{for(i=1;i<=NF;i++)c[$i]++} END{for(w in c) print w, c[w]}' "$TEXT"/*.txt
awk '{printf "{\"word\":\"%s\",\"COUNT(*)\":%s}\n", $1, $2}' "$RUN/wc-awk.out" >"$RUN/wc-awk.jsonl"
c=$(check "(a) awk (mawk) = Go hand-written" "$RUN/wc-awk.jsonl" "$RUN/wc-hand.out")
row a "$WL" "awk ($(basename "$(readlink -f "$(command -v awk)")"))" other "$WORDS" words "$c"

measure wc-sort env LC_ALL=C sh -c "cat '$TEXT'/*.txt | tr -s ' ' '\n' | sort | uniq -c"
awk 'NF == 2 {printf "{\"word\":\"%s\",\"COUNT(*)\":%s}\n", $2, $1}' "$RUN/wc-sort.out" >"$RUN/wc-sort.jsonl"
c=$(check "(a) tr | sort | uniq -c = Go hand-written" "$RUN/wc-sort.jsonl" "$RUN/wc-hand.out")
row a "$WL" "tr -s | sort | uniq -c (LC_ALL=C)" other "$WORDS" words "$c"

if [ $HAVE_DUCK = 1 ]; then
	measure wc-duckdb "${DUCK[@]}" "SELECT w AS word, count(*) AS \"COUNT(*)\"
		FROM (SELECT unnest(string_split(line, ' ')) AS w
		      FROM read_csv('$TEXT/*.txt', columns = {'line': 'VARCHAR'}, header = false, delim = '\t', quote = '', escape = ''))
		GROUP BY w" "$RUN/wc-duckdb.jsonl"
	c=$(check "(a) DuckDB = Go hand-written" "$RUN/wc-duckdb.jsonl" "$RUN/wc-hand.out")
	row a "$WL" "DuckDB $DUCK_VERSION (node)" other "$WORDS" words "$c"
else
	SECS=- FAIL=$DUCK_NOTE row a "$WL" "DuckDB (node)" other "$WORDS" words ""
fi

# ---- (b) JSON event-time windows ----
log "(b) JSON event-time windows over $JSON ($ROWS rows)"
WL="JSON event time 10s, lateness 5s"
warm "$JSON"
Q_B="SELECT sensor, window_start, COUNT(*), AVG(temp), MAX(temp) FROM file('$JSON', format => 'jsonl') GROUP BY sensor WINDOW 10s EVENT TIME ts LATENESS 5s"
measure ev-fastjson "$BIN/sensors" -size 10s -lateness 5s "$JSON"
F_SECS=$SECS F_RSS=$RSS F_FAIL=$FAIL
measure ev-streamsql "$SSQL" --once --output jsonl -e "$Q_B"
S_SECS=$SECS S_RSS=$RSS S_FAIL=$FAIL
measure ev-std "$BIN/sensors" -decoder std -size 10s -lateness 5s "$JSON"
P_SECS=$SECS P_RSS=$RSS P_FAIL=$FAIL
c1=$(check "(b) streamsql = Go fastjson" "$RUN/ev-streamsql.out" "$RUN/ev-fastjson.out")
c2=$(check "(b) streamsql = Go encoding/json" "$RUN/ev-streamsql.out" "$RUN/ev-std.out")
LATE=$(sed -n 's/.*, \([0-9]*\) late rows dropped.*/\1/p' "$RUN/ev-streamsql.err" | tail -n1)
SECS=$S_SECS RSS=$S_RSS FAIL=$S_FAIL row b "$WL" "streamsql" streamsql "$ROWS" rows "$c1 fastjson, $c2 encoding/json (${LATE:-?} late rows dropped)"
SECS=$F_SECS RSS=$F_RSS FAIL=$F_FAIL row b "$WL" "Go fastjson (baseline)" base "$ROWS" rows "reference"
SECS=$P_SECS RSS=$P_RSS FAIL=$P_FAIL row b "$WL" "Go encoding/json" other "$ROWS" rows "$c2"

if [ $HAVE_DUCK = 1 ]; then
	measure ev-duckdb "${DUCK[@]}" "SELECT sensor,
		  strftime(time_bucket(INTERVAL 10 seconds, ts), '%Y-%m-%dT%H:%M:%SZ') AS window_start,
		  count(*) AS \"COUNT(*)\", avg(temp) AS \"AVG(temp)\", max(temp) AS \"MAX(temp)\"
		FROM read_json('$JSON/*.jsonl', format = 'newline_delimited',
		               columns = {sensor: 'VARCHAR', temp: 'DOUBLE', ts: 'TIMESTAMP'})
		GROUP BY ALL" "$RUN/ev-duckdb.jsonl"
	c=$(check "(b) DuckDB = Go fastjson (DuckDB has no lateness rule: it keeps late rows)" "$RUN/ev-duckdb.jsonl" "$RUN/ev-fastjson.out")
	if [ "$c" = MISMATCH ]; then
		sums=$(grep '^(b) DuckDB' "$CHECKS" | sed -n 's/.*sum of COUNT(\*) \([0-9]*\) vs \([0-9]*\).*/\1 rows counted vs \2/p')
		c="differs as expected, no lateness rule: ${sums:-see checks}"
	fi
	row b "$WL" "DuckDB $DUCK_VERSION (node), GROUP BY time_bucket" other "$ROWS" rows "$c"
else
	SECS=- FAIL=$DUCK_NOTE row b "$WL" "DuckDB (node)" other "$ROWS" rows ""
fi

# ---- (e) sliding vs tumbling ----
log "(e) sliding 60s/1s vs tumbling 60s over $JSON ($ROWS rows)"
WL="JSON event time 60s windows, lateness 5s"
warm "$JSON"
Q_E="SELECT sensor, window_start, COUNT(*), AVG(temp), MAX(temp) FROM file('$JSON', format => 'jsonl') GROUP BY sensor"
measure tu-streamsql "$SSQL" --once --output jsonl -e "$Q_E WINDOW 60s EVENT TIME ts LATENESS 5s"
T_SECS=$SECS T_RSS=$RSS T_FAIL=$FAIL
measure sl-streamsql "$SSQL" --once --output jsonl -e "$Q_E WINDOW 60s SLIDE 1s EVENT TIME ts LATENESS 5s"
L_SECS=$SECS L_RSS=$RSS L_FAIL=$FAIL
# the Go fastjson baseline checks the results; it is not in the table
measure tu-fastjson "$BIN/sensors" -size 60s -lateness 5s "$JSON"
measure sl-fastjson "$BIN/sensors" -size 60s -slide 1s -lateness 5s "$JSON"
c1=$(check "(e) streamsql tumbling = Go fastjson" "$RUN/tu-streamsql.out" "$RUN/tu-fastjson.out")
c2=$(check "(e) streamsql sliding = Go fastjson" "$RUN/sl-streamsql.out" "$RUN/sl-fastjson.out")
n1=$(wc -l <"$RUN/tu-streamsql.out")
n2=$(wc -l <"$RUN/sl-streamsql.out")
SECS=$T_SECS RSS=$T_RSS FAIL=$T_FAIL row e "$WL" "streamsql WINDOW 60s (tumbling)" tumbling "$ROWS" rows "$c1 fastjson; $n1 rows out"
SECS=$L_SECS RSS=$L_RSS FAIL=$L_FAIL row e "$WL" "streamsql WINDOW 60s SLIDE 1s" sliding "$ROWS" rows "$c2 fastjson; $n2 rows out"

# ---- (c) live sustained throughput, (d) latency ----
LIVE=$RUN/live.tsv
: >"$LIVE"
if [ "$MODE" = quick ]; then
	TRIAL=3s LAT_SECS=3
else
	TRIAL=6s LAT_SECS=10
fi
log "(c) live: highest generate() rate a 1 s-batch windowed GROUP BY keeps up with (trials of $TRIAL)"
if out=$("$BIN/live" throughput -trial "$TRIAL" 2> >(sed 's/^/    /' >&2)); then
	printf 'c\t%s\n' "$out" >>"$LIVE"
else
	log "    (c) failed"
fi
log "(d) latency at 100 k rows/s over a TCP socket, 100 ms batches, ${LAT_SECS}s"
if out=$("$BIN/live" latency -rate 100000 -batch 100ms -seconds "$LAT_SECS" 2> >(sed 's/^/    /' >&2)); then
	printf 'd\t%s\n' "$out" >>"$LIVE"
else
	log "    (d) failed"
fi

# ---- (f) Nexmark throughput ----
NEXMARK=$RUN/nexmark.md
if [ "$MODE" = quick ]; then
	NEX_EVENTS=50000
else
	NEX_EVENTS=500000
fi
log "(f) Nexmark: every query's events/s, bounded and live, over $NEX_EVENTS events"
if ! "$BIN/throughput" -events "$NEX_EVENTS" >"$NEXMARK" 2> >(sed 's/^/    /' >&2); then
	log "    (f) failed"
	echo "(f) Nexmark throughput failed" >"$NEXMARK"
fi

# ---- report ----
GOV=$(go version | cut -d' ' -f3-)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
RESULTS=$BASE/results.md
{
	echo "## Results ($MODE run, $(date -u '+%Y-%m-%d %H:%M UTC'))"
	echo
	echo "Machine: $(nproc) cores, ${CPU:-unknown CPU}, $GOV; load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo "Each figure is the fastest of $RUNS run(s)."
	echo "Data: text $TEXT_BYTES bytes, $WORDS words; JSON $JSON_BYTES bytes, $ROWS rows. Timer: $TIMER_NAME."
	echo "streamsql at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' (with uncommitted changes)')."
	echo
	"$BIN/report" "$TSV" "$LIVE"
	echo
	sed 's/^# /### (f) /' "$NEXMARK"
	echo
	echo "Checks:"
	echo
	echo '```'
	cat "$CHECKS"
	echo '```'
} >"$RESULTS"
echo
cat "$RESULTS"
echo
echo "written to $RESULTS (raw outputs in $RUN)"
