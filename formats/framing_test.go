package formats

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// openTest opens a decoder with the options given as name, value pairs.
func openTest(t *testing.T, opts ...string) Decoder {
	t.Helper()
	s := Settings{}
	for i := 0; i+1 < len(opts); i += 2 {
		s[opts[i]] = types.Text(opts[i+1])
	}
	dec, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func line2(n int, s string) string { return strconv.Itoa(n) + " " + s }

// TestMaxLineReader checks that a reader never returns, nor holds, a line
// much longer than max_line.
func TestMaxLineReader(t *testing.T) {
	const lim = 1 << 20
	huge := strings.Repeat("x", 5<<20)
	for _, format := range []string{"text", "csv"} {
		dec := openTest(t, "format", format, "max_line", "1MB")
		rr := NewRecordReader(dec, strings.NewReader("a\n"+huge+"\nb\n\""+huge+"\"\nc"))
		var got []string
		for {
			rec, line, err := rr.Next()
			if err == io.EOF {
				break
			}
			if len(rec) > KeepBytes {
				t.Fatalf("%s: line %d: reader returned %d bytes", format, line, len(rec))
			}
			if err != nil {
				got = append(got, strings.Join([]string{string(rec[:1]), err.Error()}, " "))
				continue
			}
			got = append(got, string(rec))
		}
		want := "a|x line longer than 1 MiB (skipped)|b|\" line longer than 1 MiB (skipped)|c"
		if strings.Join(got, "|") != want {
			t.Errorf("%s: records %q, want %s", format, got, want)
		}
		var p *physReader
		switch r := rr.(type) {
		case *lineReader:
			p = &r.physReader
		case *csvReader:
			p = &r.physReader
			if cap(r.buf) > 2*lim {
				t.Errorf("csv: record buffer grew to %d bytes", cap(r.buf))
			}
		}
		if cap(p.long) > 2*lim {
			t.Errorf("%s: line buffer grew to %d bytes", format, cap(p.long))
		}
	}
}

// TestMaxLineCSVRecord: a csv record of short lines (a quoted field with
// newlines) over max_line is rejected whole, without being held whole.
func TestMaxLineCSVRecord(t *testing.T) {
	dec := openTest(t, "format", "csv", "max_line", "1KB")
	field := strings.Repeat("0123456789\n", 1000) // 11000 bytes in 1000 lines
	rr := NewRecordReader(dec, strings.NewReader("a,b\n\""+field+"\",1\n2,3\n"))
	var got []string
	for {
		rec, line, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, line2(line, err.Error()))
			if !strings.HasPrefix(string(rec), "\"0123456789\n") {
				t.Errorf("rejected record starts %q", rec[:min(len(rec), 20)])
			}
			continue
		}
		got = append(got, line2(line, string(rec)))
	}
	if want := "1 a,b|2 record longer than 1 KiB (skipped)|1003 2,3"; strings.Join(got, "|") != want {
		t.Fatalf("got %q, want %s", got, want)
	}
	if c := cap(rr.(*csvReader).buf); c > 4<<10 {
		t.Fatalf("record buffer grew to %d bytes", c)
	}
}
