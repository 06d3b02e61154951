package parser

import (
	"fmt"
	"strings"
)

// Error is a problem at a position in the query text. The parser returns it
// for syntax errors; the planner returns it (with its own Kind) for semantic
// ones, so every error a user sees points at the offending token.
type Error struct {
	Pos   Pos
	Kind  string // "syntax error", or "" when Msg says it all
	Msg   string
	Query string // the whole text the position refers to
	// Err is the class of error for errors.Is (e.g. a planner sentinel);
	// nil for syntax errors.
	Err error
}

func (e *Error) Error() string {
	if e.Kind == "" {
		return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
	}
	return fmt.Sprintf("%d:%d: %s: %s", e.Pos.Line, e.Pos.Column, e.Kind, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Snippet returns the query line the error points at with a caret under the
// offending column, ready to print under Error().
func (e *Error) Snippet() string { return Snippet(e.Query, e.Pos) }

// snippetRunes bounds the part of a long line a snippet shows on each side
// of the caret, so an error about a generated query of a megabyte on one
// line stays a few hundred characters.
const snippetRunes = 100

// Snippet renders line pos.Line of text with a caret under pos.Column; of a
// long line it shows snippetRunes characters either side, with "..." where
// it cut.
func Snippet(text string, pos Pos) string {
	if pos.Line < 1 {
		return ""
	}
	rest := text
	for i := 1; i < pos.Line; i++ {
		nl := strings.IndexByte(rest, '\n')
		if nl < 0 {
			return ""
		}
		rest = rest[nl+1:]
	}
	if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	line := []rune(strings.TrimRight(rest, "\r"))
	caret := min(max(pos.Column-1, 0), len(line))
	from, to := max(caret-snippetRunes, 0), min(caret+snippetRunes, len(line))
	var head, tail string
	if from > 0 {
		head = "..."
	}
	if to < len(line) {
		tail = "..."
	}
	// Tabs keep their width so the caret lines up in a terminal.
	var pad strings.Builder
	pad.WriteString(strings.Repeat(" ", len(head)))
	for _, r := range line[from:caret] {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return fmt.Sprintf("  %s%s%s\n  %s^", head, string(line[from:to]), tail, pad.String())
}
