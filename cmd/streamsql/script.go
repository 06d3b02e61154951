package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/chzyer/readline"
	"github.com/streamsql/streamsql"
)

// Input that is not a terminal (`streamsql < script.sql`, `echo ... |
// streamsql`) is a script, run as -f runs one: no banner and no prompt,
// the statements run together when the input ends, and the first error
// (SQL or command) ends the run with exit code 1. The REPL's commands
// (SET, \i, DESCRIBE, SHOW QUERIES, \q) still work: each one first runs
// the statements before it, so it sees what they did.

// isInteractive reports whether stdin is a terminal a person types at.
// Readers other than files may say for themselves (tests drive the REPL
// through a pipe that way).
func isInteractive(stdin io.Reader) bool {
	if t, ok := stdin.(interface{ IsTerminal() bool }); ok {
		return t.IsTerminal()
	}
	f, ok := stdin.(*os.File)
	return ok && readline.IsTerminal(int(f.Fd()))
}

// pendingSQL is the SQL a script gathered and has not run yet: the
// statements of one input, at their own line numbers (the lines between
// them are blank), so errors point into the input.
type pendingSQL struct {
	text  strings.Builder
	src   string
	lines int // line breaks in text
}

// runPiped runs stdin as a script; it returns the exit code.
func runPiped(eng *streamsql.Engine, o options, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSession(eng, o, stdout, stderr)
	s.script, s.src = true, "<stdin>"
	r := bufio.NewReader(stdin)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			s.lineNo++
			quit := s.line(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), false)
			if s.failed {
				return s.code()
			}
			if quit {
				break
			}
		}
		if errors.Is(err, io.EOF) {
			// As in a -f script, the last statement may go without its ;.
			if strings.TrimSpace(s.buf.String()) != "" {
				s.queue(s.buf.String())
				s.buf.Reset()
			}
			break
		}
		if err != nil {
			s.errorf("reading the input: %v", err)
			return s.code()
		}
	}
	s.flush()
	return s.code()
}

// code is the exit code of a script: 0, or the failure's.
func (s *session) code() int {
	switch {
	case s.exit != 0:
		return s.exit
	case s.failed:
		return 1
	}
	return 0
}

// queue adds a statement of the script to the pending ones.
func (s *session) queue(text string) {
	p := &s.pending
	if p.text.Len() > 0 && p.src != s.src {
		if !s.flush() {
			return
		}
	}
	if p.text.Len() == 0 {
		p.src, p.lines = s.src, 0
	}
	for p.lines < s.stmtLine-1 {
		p.text.WriteByte('\n')
		p.lines++
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	p.text.WriteString(text)
	p.lines += strings.Count(text, "\n")
}

// flush runs the pending statements together, as -f runs a script, and
// reports whether the script may go on.
func (s *session) flush() bool {
	if s.failed {
		return false
	}
	p := &s.pending
	if p.text.Len() == 0 {
		return true
	}
	text, src := p.text.String(), p.src
	p.text.Reset()
	p.lines = 0
	if code := runScript(s.eng, s.o, src, text, s.stdout, s.stderr); code != 0 {
		s.failed, s.exit = true, code
	}
	return !s.failed
}
