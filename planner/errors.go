package planner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/internal/suggest"
	"github.com/streamsql/streamsql/parser"
)

// Classes of planning errors, for errors.Is.
var (
	ErrColumnNotFound   = errors.New("column not found")
	ErrFunctionNotFound = errors.New("function not found")
	ErrSourceNotFound   = errors.New("source not found")
	ErrSource           = errors.New("source error")
	ErrAggregate        = errors.New("misplaced aggregate")
	ErrGroupBy          = errors.New("column not in GROUP BY")
	ErrWindow           = errors.New("invalid window")
	ErrUnsupported      = errors.New("unsupported")
	ErrType             = errors.New("type mismatch")
)

func (p *planning) errorf(pos parser.Pos, class error, format string, args ...any) error {
	return &parser.Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Query: p.text, Err: class}
}

// didYouMean returns `; did you mean "x"?` for the closest candidate, or "".
func didYouMean(name string, candidates []string) string {
	if c := suggest.Closest(name, candidates); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

// hintOrList suggests the closest name, or lists them all when none is
// close: `; did you mean "test"?` or ` (sources: file, stdin)`.
func hintOrList(name string, names []string, what string) string {
	if h := didYouMean(name, names); h != "" {
		return h
	}
	return fmt.Sprintf(" (%s: %s)", what, strings.Join(names, ", "))
}
