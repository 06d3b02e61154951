package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// tmux drives the real binary on a pseudo-terminal: a server of its own
// (-L) so the test never touches the user's sessions.
type tmux struct {
	t      *testing.T
	socket string
}

func (m *tmux) run(args ...string) string {
	m.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", m.socket}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (m *tmux) screen() string {
	m.t.Helper()
	return m.run("capture-pane", "-p", "-t", "repl")
}

// waitScreen polls the screen until cond holds for it.
func (m *tmux) waitScreen(what string, cond func(string) bool) string {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := m.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startTmux starts the binary with args on a terminal of the given size
// and waits for the prompt.
func startTmux(t *testing.T, width, height int, args string) (m *tmux, home string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is needed for the terminal test of the REPL; install it on the CI machine")
		}
		t.Skip("tmux not installed")
	}
	home = t.TempDir()
	m = &tmux{t: t, socket: fmt.Sprintf("streamsql-test-%d-%s", os.Getpid(), t.Name())}
	cmd := fmt.Sprintf("cd %q && HOME=%q TERM=xterm exec %q %s", home, home, binary, args)
	m.run("new-session", "-d", "-s", "repl", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", m.socket, "kill-server").Run() })
	m.waitScreen("the prompt", func(s string) bool { return strings.Contains(s, "streamsql>") })
	return m, home
}

// typeLine types a line and Enter (tmux takes a trailing ; as its own
// command separator, so it goes on its own).
func (m *tmux) typeLine(line string) {
	m.t.Helper()
	if strings.HasSuffix(line, ";") {
		m.run("send-keys", "-t", "repl", "-l", strings.TrimSuffix(line, ";"))
		m.run("send-keys", "-t", "repl", `\;`, "Enter")
		return
	}
	m.run("send-keys", "-t", "repl", "-l", line)
	m.run("send-keys", "-t", "repl", "Enter")
}

// TestREPLNarrowTerminal: on a terminal narrower than the status line
// and not much taller than the table, the table is redrawn in place with
// its top on screen, every line cut to the width, one status line.
func TestREPLNarrowTerminal(t *testing.T) {
	m, _ := startTmux(t, 40, 12, "--batch 100ms")
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "words.txt"), []byte("a b a c\n"), 0o644)
	// Earliest is how the files already there are read: with a
	// checkpoint directory.
	m.typeLine("SET checkpoint = '" + t.TempDir() + "'")
	m.typeLine("SELECT word, COUNT(*) AS n FROM file('" + in + "') GROUP BY word WINDOW UNBOUNDED;")
	rows := regexp.MustCompile(`(?m)^│ a +│ +2 │\n│ b +│ +1 │\n│ c +│ +1 │$`)
	first := m.waitScreen("the counts", func(s string) bool { return rows.MatchString(s) && strings.Contains(s, "\nbatch ") })
	// A few batches later, redrawn in place.
	screen := m.waitScreen("more batches", func(s string) bool { return s != first && rows.MatchString(s) })
	for _, c := range []struct {
		what string
		re   string
	}{
		{"top border", `(?m)^┌─+┬─+┐$`},
		{"header", `(?m)^│ +word +│ +n +│$`},
		{"status line", `(?m)^batch \d\d:\d\d:\d\d\.\d{3} · .*…$`},
		{"line with ·", `(?m)^.*·.*$`},
	} {
		if n := len(regexp.MustCompile(c.re).FindAllString(screen, -1)); n != 1 {
			t.Errorf("%d × %s on the screen, want 1:\n%s", n, c.what, screen)
		}
	}
	for _, l := range strings.Split(screen, "\n") {
		if n := utf8.RuneCountInString(l); n > 40 {
			t.Errorf("line of %d columns on a terminal of 40: %q", n, l)
		}
	}
	m.run("send-keys", "-t", "repl", "C-c")
	m.waitScreen("the prompt after Ctrl-C", func(s string) bool { return strings.Contains(s, "query 1 stopped\nstreamsql>") })

	// A mistyped statement gets a suggestion.
	m.typeLine("SELEC 1 AS x;")
	deadline := time.Now().Add(20 * time.Second)
	for want := `streamsql: unknown command "SELEC": did you mean SELECT? (\help lists the commands)`; ; {
		// -J joins the lines the terminal wrapped.
		if s := m.run("capture-pane", "-p", "-J", "-t", "repl"); strings.Contains(s, want) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no %q on the screen:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Completion after INSERT INTO offers sinks.
	m.run("send-keys", "-t", "repl", "-l", "INSERT INTO sq")
	m.run("send-keys", "-t", "repl", "Tab")
	m.waitScreen("completion of the sink", func(s string) bool { return strings.Contains(s, "streamsql> INSERT INTO sqlite(") })
}

// TestREPLTerminal types a query at the prompt on a real terminal, sees
// its table redrawn in place with a status line, stops it with Ctrl-C,
// quits with \q and finds the query in the history file.
func TestREPLTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is needed for the terminal test of the REPL; install it on the CI machine")
		}
		t.Skip("tmux not installed")
	}
	home, in, staging := t.TempDir(), t.TempDir(), t.TempDir()
	m := &tmux{t: t, socket: fmt.Sprintf("streamsql-test-%d", os.Getpid())}
	cmd := fmt.Sprintf("cd %q && HOME=%q TERM=xterm exec %q --batch 200ms", home, home, binary)
	m.run("new-session", "-d", "-s", "repl", "-x", "160", "-y", "40", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", m.socket, "kill-server").Run() })
	m.waitScreen("the prompt", func(s string) bool { return strings.Contains(s, "streamsql>") })

	query := "SELECT word, COUNT(*) AS n FROM file('" + in + "') GROUP BY word WINDOW UNBOUNDED;"
	// tmux takes a trailing ; as its own command separator.
	m.run("send-keys", "-t", "repl", "-l", strings.TrimSuffix(query, ";"))
	m.run("send-keys", "-t", "repl", `\;`, "Enter")
	m.waitScreen("the query to start", func(s string) bool { return strings.Contains(s, "Ctrl-C stops") })

	tmp := filepath.Join(staging, "words.txt")
	os.WriteFile(tmp, []byte("a b a\n"), 0o644)
	if err := os.Rename(tmp, filepath.Join(in, "words.txt")); err != nil {
		t.Fatal(err)
	}
	rowA := regexp.MustCompile(`(?m)^│ a +│ +2 │$`)
	rowB := regexp.MustCompile(`(?m)^│ b +│ +1 │$`)
	status := regexp.MustCompile(`(?m)^batch \d\d:\d\d:\d\d\.\d{3} · \d+ rows in \(\d+/s\) · processing \S+ · delay \S+ · late 0 · malformed 0 · 1 rows read · Ctrl-C stops`)
	screen := m.waitScreen("the counts", func(s string) bool {
		return rowA.MatchString(s) && rowB.MatchString(s) && status.MatchString(s)
	})
	// Redrawn in place: one table and one status line on the screen, the
	// later batches having overwritten the earlier.
	m.waitScreen("a few more batches", func(s string) bool { return s != screen })
	screen = m.waitScreen("the counts after more batches", func(s string) bool {
		return rowA.MatchString(s) && status.MatchString(s)
	})
	if n := strings.Count(screen, "│ word │"); n != 1 {
		t.Errorf("the table header is on the screen %d times, want 1 (redrawn in place):\n%s", n, screen)
	}
	if n := len(status.FindAllString(screen, -1)); n != 1 {
		t.Errorf("%d status lines on the screen, want 1:\n%s", n, screen)
	}

	m.run("send-keys", "-t", "repl", "C-c")
	screen = m.waitScreen("the prompt after Ctrl-C", func(s string) bool {
		return strings.Contains(s, "query 1 stopped\nstreamsql>")
	})
	if !rowA.MatchString(screen) {
		t.Errorf("the last counts should stay on the screen after Ctrl-C:\n%s", screen)
	}

	// Tab completes a keyword.
	m.run("send-keys", "-t", "repl", "-l", "sho")
	m.run("send-keys", "-t", "repl", "Tab")
	m.waitScreen("completion", func(s string) bool { return strings.Contains(s, "streamsql> show") })
	m.run("send-keys", "-t", "repl", "C-u", `\q`, "Enter")
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("tmux", "-L", m.socket, "has-session", "-t", "repl").Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("streamsql did not quit on \\q; the screen:\n%s", m.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	hist, err := os.ReadFile(filepath.Join(home, ".streamsql_history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hist), query+"\n") {
		t.Errorf("history lacks the query:\n%s", hist)
	}
}
