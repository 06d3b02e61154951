package sources

import (
	"context"
	"encoding/json"
	"fmt"
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
		err := readRecordsAt(context.Background(), strings.NewReader(in.String()), "f", dec, em, int64(skip), func(n int64) Position { return linePos(n) })
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
