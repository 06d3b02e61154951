package formats

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/internal/bytesize"
)

// Bad input at the edges of the sources that read text records (file,
// stdin, socket, http, kafka), shared through Options:
//
//   - max_line => '1MB' bounds a record (a line without its terminator, a
//     csv record, a Kafka value); default 1 MiB. A longer one is skipped
//     without being held in memory whole (the rest of the line is read and
//     discarded up to its newline) and reported as malformed
//     ("in/a.txt:17: line longer than 1 MiB (skipped)"); the records after
//     it are read normally.
//   - dead_letter => 'path.jsonl' appends every rejected record (malformed,
//     too long, not fitting the schema) to that file, one JSON object a
//     line: {"time", "source", "where", "reason", "record"}, the record
//     being the raw bytes (at most KeepBytes of them). See rejects.
//   - dead_letter_max => '100MB' caps the dead letter file (default 100
//     MiB): once a letter would take it past the cap, rejected records are
//     still counted but no longer kept, stderr says so once, and when the
//     source ends how many were not kept.
//   - Invalid UTF-8 is not an error: decoders replace each invalid sequence
//     with U+FFFD (validUTF8) so every TEXT value is valid UTF-8 and the row
//     still flows.

// DefaultMaxLine is max_line when not given.
const DefaultMaxLine = 1 << 20

// KeepBytes is how much of a rejected record a dead letter keeps.
const KeepBytes = 64 << 10

// DefaultDeadLetterMax is dead_letter_max when not given.
const DefaultDeadLetterMax = 100 << 20

// recordOpts are the options of Options that are about records
// rather than their format. Decoders embed it; OpenDecoder fills it.
type recordOpts struct {
	maxLine       int    // 0 means DefaultMaxLine
	deadLetter    string // "" for none
	deadLetterMax int64  // 0 means DefaultDeadLetterMax
}

func (o *recordOpts) recordOptions() *recordOpts { return o }

// limit is the longest record accepted, in bytes.
func (o recordOpts) limit() int {
	if o.maxLine <= 0 {
		return DefaultMaxLine
	}
	return o.maxLine
}

// MaxRecord is the longest record, in bytes, a source decoding with dec
// accepts (the max_line option): a longer one is rejected with TooLong.
func MaxRecord(dec Decoder) int { return optionsOf(dec).limit() }

// TooLong is the rejection of a record longer than max bytes; what names
// it ("line", "record").
func TooLong(max int, what string) error { return &tooLongError{max: max, what: what} }

// optionsOf returns the record options of dec (defaults for a decoder
// that has none).
func optionsOf(dec Decoder) recordOpts {
	if o, ok := dec.(interface{ recordOptions() *recordOpts }); ok {
		return *o.recordOptions()
	}
	return recordOpts{}
}

// parseRecordOpts reads max_line and dead_letter from args.
func parseRecordOpts(args Settings) (recordOpts, error) {
	var o recordOpts
	if _, ok := args["max_line"]; ok {
		n, err := ParseSize(args.get("max_line", ""))
		if err != nil {
			return o, fmt.Errorf("max_line: %w", err)
		}
		if n > 1<<30 {
			return o, fmt.Errorf("max_line: %s is over 1 GiB", Quote(args.get("max_line", "")))
		}
		o.maxLine = int(n)
	}
	if _, ok := args["dead_letter"]; ok {
		o.deadLetter = args.get("dead_letter", "")
		if strings.TrimSpace(o.deadLetter) == "" {
			return o, fmt.Errorf("dead_letter must be a file path")
		}
	}
	if _, ok := args["dead_letter_max"]; ok {
		n, err := ParseSize(args.get("dead_letter_max", ""))
		if err != nil {
			return o, fmt.Errorf("dead_letter_max: %w", err)
		}
		o.deadLetterMax = n
	}
	return o, nil
}

// formatSize writes a byte count the way max_line reads it: 1 MiB, 64 KiB,
// 1000 bytes.
func SizeText(n int) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLongError is returned by a record reader for a record over max_line,
// with (at most KeepBytes bytes of) the record's start.
type tooLongError struct {
	max  int
	what string // "line" or "record"
}

func (e *tooLongError) Error() string {
	return fmt.Sprintf("%s longer than %s (skipped)", e.what, SizeText(e.max))
}

// isTooLong reports whether err is a tooLongError.
func IsTooLong(err error) bool {
	_, ok := err.(*tooLongError)
	return ok
}

// keep returns the part of a rejected record a dead letter keeps.
func Keep(rec []byte) []byte { return rec[:min(len(rec), KeepBytes)] }

// ValidUTF8 returns b with each invalid UTF-8 sequence replaced by U+FFFD:
// b itself when it is valid, else a copy.
func ValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// Quote writes s as an SQL string literal, for messages: 'it”s'.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// ParseSize reads a byte count for an option (max_line, dead_letter_max,
// a source's max_body): a positive size as bytesize.Parse reads it,
// '10MB' or 1048576.
func ParseSize(s string) (int64, error) {
	n, err := bytesize.Parse(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a size such as '10MB' or 1048576, got %s", Quote(s))
	}
	return n, nil
}

// DeadLetter is the dead letter file dec's options name ("" for none)
// and its cap in bytes.
func DeadLetter(dec Decoder) (path string, max int64) {
	o := optionsOf(dec)
	if o.deadLetterMax <= 0 {
		o.deadLetterMax = DefaultDeadLetterMax
	}
	return o.deadLetter, o.deadLetterMax
}
