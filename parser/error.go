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

// Snippet renders line pos.Line of text with a caret under pos.Column.
func Snippet(text string, pos Pos) string {
	lines := strings.Split(text, "\n")
	if pos.Line < 1 || pos.Line > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[pos.Line-1], "\r")
	// Tabs keep their width so the caret lines up in a terminal.
	var pad strings.Builder
	col := 0
	for _, r := range line {
		col++
		if col >= pos.Column {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return fmt.Sprintf("  %s\n  %s^", line, pad.String())
}
