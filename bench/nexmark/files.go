package nexmark

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles writes evs as JSON lines, one directory per stream (person/,
// auction/, bid/) under dir, each stream in pieces files in time order
// (part-000.jsonl, ...).
func WriteFiles(dir string, evs []Event, pieces int) error {
	if pieces < 1 {
		return fmt.Errorf("pieces must be at least 1")
	}
	per := (len(evs) + pieces - 1) / pieces
	for p := 0; p < pieces; p++ {
		lo, hi := min(p*per, len(evs)), min((p+1)*per, len(evs))
		files := map[string]*bufio.Writer{}
		var closers []*os.File
		for _, e := range evs[lo:hi] {
			name := e.Stream()
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

// Stream is the name of the stream the event belongs to: person,
// auction or bid.
func (e Event) Stream() string {
	switch {
	case e.Person != nil:
		return "person"
	case e.Auction != nil:
		return "auction"
	}
	return "bid"
}

// Values are the event's columns in the order of its stream's schema
// (Schemas), for a push source.
func (e Event) Values() []any {
	switch {
	case e.Person != nil:
		p := e.Person
		return []any{p.ID, p.Name, p.EmailAddress, p.CreditCard, p.City, p.State, p.DateTime, p.Extra}
	case e.Auction != nil:
		a := e.Auction
		return []any{a.ID, a.ItemName, a.Description, a.InitialBid, a.Reserve, a.DateTime, a.Expires, a.Seller, a.Category, a.Extra}
	}
	b := e.Bid
	return []any{b.Auction, b.Bidder, b.Price, b.Channel, b.URL, b.DateTime, b.Extra}
}
