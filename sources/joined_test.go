package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

// recordCounter is an Emitter that counts records apart from rows and
// keeps the words of the rows and the last position.
type recordCounter struct {
	words     []string
	records   int64
	last      Position
	malformed []string
}

func (e *recordCounter) Emit(rows []types.Row) error {
	return e.EmitRecords(rows, int64(len(rows)), nil)
}

func (e *recordCounter) EmitRecords(rows []types.Row, records int64, pos Position) error {
	for _, r := range rows {
		e.words = append(e.words, strings.Fields(r[0].AsText())...)
	}
	e.records += records
	e.last = pos
	return nil
}

func (e *recordCounter) Malformed(err error)    { e.malformed = append(e.malformed, err.Error()) }
func (e *recordCounter) Logf(string, ...any)    {}
func (e *recordCounter) position() (out string) { b, _ := json.Marshal(e.last); return string(b) }

type linePos int64

func (p linePos) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprint(int64(p))), nil }

// TestJoinedLinesResume: a word count's source reads lines joined in
// blocks (formats.JoinLines); resuming after any number of lines (a
// checkpoint) yields the words of the lines after them, and counts
// records and positions in lines, even when the resume point falls
// inside a block, and with a line over max_line on the way.
func TestJoinedLinesResume(t *testing.T) {
	var in strings.Builder
	var lines []string
	for i := range 30000 {
		l := fmt.Sprintf("w%d x%d", i, i%13)
		if i == 20000 {
			l = strings.Repeat("long", 300) // over max_line: skipped, counted
		}
		lines = append(lines, l)
		in.WriteString(l + "\n")
	}
	for _, skip := range []int{0, 1, 777, 19999, 20000, 20001, 29999, 30000, 31000} {
		dec := openDecoder(t, "max_line", "1KB")
		if !formats.JoinLines(dec) {
			t.Fatal("the text decoder does not join lines")
		}
		em := &recordCounter{}
		err := readWhole(context.Background(), strings.NewReader(in.String()), "f", dec, em, int64(skip), func(n int64) Position { return linePos(n) })
		if err != nil {
			t.Fatalf("skip %d: %v", skip, err)
		}
		var want []string
		var wantRecords int64
		for i := skip; i < len(lines); i++ {
			if i != 20000 {
				want = append(want, strings.Fields(lines[i])...)
				wantRecords++
			}
		}
		if got := strings.Join(em.words, " "); got != strings.Join(want, " ") {
			t.Fatalf("skip %d: %d words, want %d", skip, len(em.words), len(want))
		}
		if em.records != wantRecords {
			t.Errorf("skip %d: %d records emitted, want %d", skip, em.records, wantRecords)
		}
		wantBad := 0
		if skip <= 20000 {
			wantBad = 1
		}
		if len(em.malformed) != wantBad || wantBad == 1 && em.malformed[0] != "f:20001: line longer than 1 KiB (skipped)" {
			t.Errorf("skip %d: malformed %q", skip, em.malformed)
		}
		if skip < len(lines) && em.position() != "30000" {
			t.Errorf("skip %d: last position %s, want 30000", skip, em.position())
		}
	}
}

// orderRecorder records what a read emits, in order: each row, each
// rejected record, and the position after each chunk.
type orderRecorder struct {
	events []string
	rows   int
}

func (e *orderRecorder) Emit(rows []types.Row) error { return e.EmitAt(rows, nil) }
func (e *orderRecorder) EmitAt(rows []types.Row, pos Position) error {
	for _, r := range rows {
		e.events = append(e.events, fmt.Sprint(r))
	}
	e.rows += len(rows)
	if pos != nil {
		b, _ := pos.MarshalJSON()
		e.events = append(e.events, "at "+string(b))
	}
	return nil
}
func (e *orderRecorder) Malformed(err error) { e.events = append(e.events, "bad "+err.Error()) }
func (e *orderRecorder) Logf(string, ...any) {}

// TestParallelDecodeMatchesSequential: a jsonl file decoded on several
// goroutines (readBlocks) yields exactly the rows of a read line by line,
// in the file's order, with the same malformed records (line numbers and
// reasons), blank lines skipped alike, lines over max_line rejected alike,
// and the same rows after resuming at any line.
func TestParallelDecodeMatchesSequential(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	var in strings.Builder
	lines := 0
	for i := range 40000 {
		switch rng.Intn(200) {
		case 0:
			in.WriteString(`{"s": "broken` + "\n")
		case 1:
			in.WriteString("   \n")
		case 2:
			in.WriteString(`{"s": "` + strings.Repeat("x", 1500) + `"}` + "\n")
		case 3:
			in.WriteString(`{"s": "bad` + "\xff" + `", "n": 1.5}` + "\r\n")
		default:
			fmt.Fprintf(&in, `{"s": "k%d", "n": %d, "ts": %d}`+"\n", rng.Intn(100), i, 1767225600000+i)
		}
		lines++
	}
	in.WriteString(`{"s": "last", "n": -1}`) // no newline
	lines++
	read := func(parallel bool, skip int64) *orderRecorder {
		dec := openDecoder(t, "format", "jsonl", "max_line", "1KB")
		if err := dec.Bind([]string{"s", "n", "ts"}); err != nil {
			t.Fatal(err)
		}
		em := &orderRecorder{}
		pos := func(n int64) Position { return linePos(n) }
		var err error
		if parallel {
			err = readBlocks(context.Background(), strings.NewReader(in.String()), "f", dec, em, skip, pos, 3)
		} else {
			err = readRecordsAt(context.Background(), strings.NewReader(in.String()), "f", dec, em, skip, pos)
		}
		if err != nil {
			t.Fatal(err)
		}
		return em
	}
	// Chunks differ (line by line: 1024 rows; in parallel: a block), and
	// with them where positions and rejects fall between the rows:
	// compare the rows in order, the rejects in order, and the last
	// position.
	strip := func(events []string) (kept []string, last string) {
		var bad []string
		for _, e := range events {
			switch {
			case strings.HasPrefix(e, "at "):
				last = e
			case strings.HasPrefix(e, "bad "):
				bad = append(bad, e)
			default:
				kept = append(kept, e)
			}
		}
		return append(kept, bad...), last
	}
	for _, skip := range []int64{0, 1, 5000, 12345, int64(lines) - 1, int64(lines)} {
		want, wantLast := strip(read(false, skip).events)
		got, gotLast := strip(read(true, skip).events)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("skip %d: event %d is %s, want %s", skip, i, got[i], want[i])
				}
			}
			t.Fatalf("skip %d: %d events, want %d", skip, len(got), len(want))
		}
		if skip < int64(lines) && (gotLast != wantLast || gotLast != fmt.Sprintf("at %d", lines)) {
			t.Errorf("skip %d: last position %q, want %q (%d lines)", skip, gotLast, wantLast, lines)
		}
	}
}
