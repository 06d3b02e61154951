#!/usr/bin/env bash
# soak.sh: run a query over a generated stream for a while and report the
# process's resident memory over time, to catch state or buffers that grow
# without bound. Not run in CI (it takes minutes of wall time).
#
#   scripts/soak.sh [duration, default 10m] [extra streamsql flags...]
#
# Environment: RATE (rows/s, default 50000), QUERY (the SQL to run),
# INTERVAL (seconds between samples, default 10).
# Prints one line per sample (elapsed seconds, RSS in MiB) and a summary:
# first, peak and last RSS, and the growth from the second minute (after
# warm-up: windows filling, the Go heap finding its size) to the last
# minute, each the mean of its samples (single samples swing by the GC's
# cycle).
set -euo pipefail

dur=${1:-10m}
shift || true
rate=${RATE:-50000}
interval=${INTERVAL:-10}
query=${QUERY:-"SELECT sensor, COUNT(*) AS n, AVG(temp) AS avg_temp, MAX(temp) AS max_temp
FROM generate(kind => 'sensors', rate => $rate)
GROUP BY sensor WINDOW 10s SLIDE 2s EVENT TIME ts LATENESS 2s"}

case $dur in
*s) secs=${dur%s} ;;
*m) secs=$(( ${dur%m} * 60 )) ;;
*h) secs=$(( ${dur%h} * 3600 )) ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/streamsql" "$root/cmd/streamsql"

"$work/streamsql" --output jsonl "$@" -e "$query" >"$work/out.jsonl" 2>"$work/err.log" &
pid=$!

rss() { awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }

echo "soak: $dur at $rate rows/s, pid $pid, sampling every ${interval}s"
printf '%8s %10s\n' elapsed rss_mib
first="" warm="" peak=0 last=0
start=$(date +%s)
while :; do
	now=$(( $(date +%s) - start ))
	kill -0 "$pid" 2>/dev/null || { echo "soak: streamsql exited early:"; cat "$work/err.log"; exit 1; }
	r=$(rss)
	printf '%8d %10s\n' "$now" "$r"
	printf '%d %s\n' "$now" "$r" >>"$work/samples"
	[ -z "$first" ] && first=$r
	[ -z "$warm" ] && [ "$now" -ge 60 ] && warm=$r
	peak=$(awk -v a="$peak" -v b="$r" 'BEGIN {print (b > a) ? b : a}')
	last=$r
	[ "$now" -ge "$secs" ] && break
	sleep "$interval"
done
kill -TERM "$pid"
wait "$pid" || true
lines=$(wc -l <"$work/out.jsonl")
echo "soak: rss first ${first} MiB, after 1 min ${warm:-n/a} MiB, peak ${peak} MiB, last ${last} MiB"
awk -v end="$secs" '{t = $1; r = $2}
	t >= 60 && t < 120 {a += r; na++}
	t >= end - 60 && t >= 120 {b += r; nb++}
	END {
		if (na && nb) printf "soak: mean rss in minute 2 %.1f MiB, in the last minute %.1f MiB: growth %+.1f MiB (%+.1f%%)\n", a/na, b/nb, b/nb - a/na, (b/nb - a/na) * 100 / (a/na)
	}' "$work/samples"
echo "soak: $lines result rows written; stderr:"
tail -n 5 "$work/err.log"
