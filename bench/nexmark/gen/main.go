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
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
	per := (len(evs) + pieces - 1) / pieces
	for p := 0; p < pieces; p++ {
		lo, hi := p*per, min((p+1)*per, len(evs))
		files := map[string]*bufio.Writer{}
		var closers []*os.File
		for _, e := range evs[lo:hi] {
			name := "bid"
			switch {
			case e.Person != nil:
				name = "person"
			case e.Auction != nil:
				name = "auction"
			}
			w := files[name]
			if w == nil {
				if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
					return err
				}
				f, err := os.Create(filepath.Join(dir, name, fmt.Sprintf("part-%03d.jsonl", p)))
				if err != nil {
					return err
				}
				closers = append(closers, f)
				w = bufio.NewWriter(f)
				files[name] = w
			}
			w.Write(e.JSON())
			w.WriteByte('\n')
		}
		for _, w := range files {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		for _, f := range closers {
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}
