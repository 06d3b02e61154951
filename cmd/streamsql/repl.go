package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chzyer/readline"
	"github.com/streamsql/streamsql"
)

const replHelp = `Type a SQL statement ending with ; and press Enter. A query runs and
prints its results every batch until you press Ctrl-C.

  SELECT word, COUNT(*) FROM file('examples/logfile') GROUP BY word WINDOW 10s;
  EXPLAIN SELECT ...;     show the operator DAG
  \help                   this help
  \q                      quit (or Ctrl-D)
`

func repl(eng *streamsql.Engine, o options, stdin io.Reader, stdout, stderr io.Writer) int {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          "streamsql> ",
		Stdin:           io.NopCloser(stdin),
		Stdout:          stdout,
		Stderr:          stderr,
		InterruptPrompt: "^C",
		EOFPrompt:       `\q`,
	})
	if err != nil {
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 1
	}
	defer rl.Close()
	fmt.Fprintln(stdout, `streamsql: continuous SQL over streams. \help for help, \q to quit.`)
	var buf strings.Builder
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			buf.Reset()
			rl.SetPrompt("streamsql> ")
			continue
		}
		if err != nil { // io.EOF: Ctrl-D
			return 0
		}
		trimmed := strings.TrimSpace(line)
		if buf.Len() == 0 {
			switch trimmed {
			case `\q`, "quit", "exit":
				return 0
			case `\help`, `\h`, "help":
				fmt.Fprint(stdout, replHelp)
				continue
			case "":
				continue
			}
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if !strings.HasSuffix(trimmed, ";") {
			rl.SetPrompt("      ...> ")
			continue
		}
		text := buf.String()
		buf.Reset()
		rl.SetPrompt("streamsql> ")
		runInteractive(eng, o, text, stdout, stderr)
	}
}

// runInteractive runs one statement from the prompt; Ctrl-C stops a
// running query and returns to the prompt.
func runInteractive(eng *streamsql.Engine, o options, text string, stdout, stderr io.Writer) {
	stmts, err := eng.Prepare(text)
	if err != nil {
		printError(stderr, err)
		return
	}
	if !printStatements(stdout, stmts) {
		return
	}
	runQueries(eng, o, stmts, stdout, stderr, os.Interrupt)
}
