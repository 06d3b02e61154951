// Command gen writes Nexmark events (package nexmark) as JSON lines, one
// directory per stream (person/, auction/, bid/), for streamsql's file()
// source:
//
//	go run ./bench/nexmark/gen -dir /tmp/nexmark -events 100000 -pieces 10
//
// With -pieces N each stream is written as N files in time order
// (part-000.jsonl, ...), to move into a watched directory one by one for
// a live run.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/streamsql/streamsql/bench/nexmark"
)

func main() {
	dir := flag.String("dir", "nexmark", "where to write person/, auction/ and bid/")
	events := flag.Int("events", 10000, "how many events")
	pieces := flag.Int("pieces", 1, "files per stream, in time order")
	every := flag.Duration("every", 10*time.Millisecond, "event time between events")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := write(*dir, *events, *pieces, *every, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(dir string, events, pieces int, every time.Duration, seed uint64) error {
	if events < 1 || pieces < 1 {
		return fmt.Errorf("-events and -pieces must be at least 1")
	}
	evs := nexmark.Generate(nexmark.Config{Events: events, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Every: every, Seed: seed})
	return nexmark.WriteFiles(dir, evs, pieces)
}
