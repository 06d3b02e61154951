package sources

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/streamsql/streamsql/formats"
)

func init() {
	Register(&Spec{
		Name:    "stdin",
		Usage:   "stdin([" + formats.Usage + "])",
		MaxArgs: 0,
		Options: formats.Options,
		Open:    openStdin,
	})
}

// stdinSource reads standard input record by record until EOF. It is always
// bounded. Without a declared schema a jsonl or csv stdin is Open: input
// cannot be sampled without consuming it (a csv header is still read, as
// the first record, to map the columns).
type stdinSource struct {
	in  io.Reader // os.Stdin; tests inject their own
	dec formats.Decoder
}

func openStdin(args Args) (Source, error) {
	dec, err := OpenDecoder(args)
	if err != nil {
		return nil, fmt.Errorf("stdin(): %w", err)
	}
	return &stdinSource{in: os.Stdin, dec: dec}, nil
}

func (s *stdinSource) Schema() Schema              { return s.dec.Schema() }
func (s *stdinSource) Bind(columns []string) error { return s.dec.Bind(columns) }
func (s *stdinSource) Bounded() bool               { return true }

func (s *stdinSource) Describe() string {
	return fmt.Sprintf("stdin() format=%s bounded", s.dec.Name())
}

func (s *stdinSource) Run(ctx context.Context, out Emitter) error {
	out, done := WithRejects(out, s.dec, "stdin()")
	defer done()
	err := readRecords(ctx, &ctxReader{ctx: ctx, r: s.in}, "stdin", s.dec, out)
	if err == errStopped {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stdin(): %w", err)
	}
	return nil
}

// ctxReader makes a blocking reader (a terminal, a pipe) give way to ctx:
// each Read runs in its own goroutine into a private buffer, and Read
// returns ctx.Err() as soon as ctx is cancelled. An abandoned read finishes
// whenever the underlying reader returns, into a buffer nobody looks at.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	buf []byte
}

type readResult struct {
	n   int
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	done := make(chan readResult, 1)
	go func() {
		n, err := c.r.Read(buf)
		done <- readResult{n, err}
	}()
	select {
	case res := <-done:
		copy(p, buf[:res.n])
		return res.n, res.err
	case <-c.ctx.Done():
		c.buf = nil // the pending read still owns it
		return 0, c.ctx.Err()
	}
}
