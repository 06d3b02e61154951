package sources

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

// Decoding a file on several goroutines. Decoding JSON costs more than
// everything the query does with the rows after it, so a file read by one
// goroutine would leave the other cores idle. When the decoder can be
// cloned (formats.Cloner: one record per line, no state between them), the
// file is read in blocks of whole lines, each block's lines decoded on one
// of several goroutines, and the blocks' rows emitted in the order of the
// file: the query sees the rows, rejects, positions and row counts of a
// read line by line, so event time and lateness are not disturbed.

// decodeAhead is how many blocks may be decoded ahead of the one being
// emitted, and decodeBlock their size: about a chunk of rows (ChunkRows)
// of short JSON lines, so what waits for the query is what a read line by
// line would leave waiting.
const (
	decodeAhead = 4
	decodeBlock = 64 << 10
)

// parallelDecoders is how many goroutines decode a file's blocks; under 2
// the file is decoded line by line.
var parallelDecoders = runtime.GOMAXPROCS(0)

// readWhole is readRecordsAt for a stream read to its end at once (a
// file, not a live stream): its lines are decoded on several goroutines
// when dec allows (readParallel).
func readWhole(ctx context.Context, r io.Reader, name string, dec formats.Decoder, out Emitter, skip int64, pos func(records int64) Position) error {
	if c, ok := dec.(formats.Cloner); ok && parallelDecoders >= 2 {
		return readParallel(ctx, r, name, c, out, skip, pos, parallelDecoders)
	}
	return readRecordsAt(ctx, r, name, dec, out, skip, pos)
}

// block is a run of whole lines and, once done is closed, its rows.
type block struct {
	run   []byte
	first int   // the line number of its first line
	lines int64 // lines in run
	// tooLong is set for a line over max_line: run is its start.
	tooLong error

	rows []types.Row
	bad  []badRecord
	done chan struct{}
}

// badRecord is a line Decode refused.
type badRecord struct {
	line int
	err  error
	rec  []byte
}

// decode decodes b's lines with dec into rows of ncols values.
func (b *block) decode(dec formats.Decoder, ncols int) {
	defer close(b.done)
	if b.tooLong != nil {
		return
	}
	arena := make([]types.Value, int(b.lines)*ncols)
	b.rows = make([]types.Row, 0, b.lines)
	line, k := b.first, 0
	for off := 0; off < len(b.run); line++ {
		rec := b.run[off:]
		if i := bytes.IndexByte(rec, '\n'); i >= 0 {
			rec = rec[:i+1]
		}
		off += len(rec)
		rec = formats.TrimEOL(rec)
		dst := types.Row(arena[k*ncols : (k+1)*ncols : (k+1)*ncols])
		if err := dec.Decode(rec, dst); err != nil {
			clear(dst)
			b.bad = append(b.bad, badRecord{line, err, rec})
			continue
		}
		b.rows = append(b.rows, dst)
		k++
	}
}

// readParallel is readRecordsAt decoding on workers goroutines, each with
// a clone of dec.
func readParallel(ctx context.Context, r io.Reader, name string, dec formats.Cloner, out Emitter, skip int64, pos func(records int64) Position, workers int) error {
	rr := formats.NewBlockReader(dec, r, decodeBlock)
	lc := rr.(formats.LineCounter)
	ncols := len(dec.Schema().Columns)

	work := make(chan *block)
	var wg sync.WaitGroup
	defer func() {
		close(work)
		wg.Wait()
	}()
	for range workers {
		d := dec.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.decode(d, ncols)
			}
		}()
	}

	var consumed int64
	var queue []*block
	// emit hands the oldest block's rows over, once decoded.
	emit := func() error {
		b := queue[0]
		queue = queue[1:]
		<-b.done
		consumed += b.lines
		if b.tooLong != nil {
			Reject(out, fmt.Sprintf("%s:%d", name, b.first), b.tooLong.Error(), b.run)
			return nil
		}
		for _, bad := range b.bad {
			reportDecode(out, dec, name, bad.line, bad.err, bad.rec)
		}
		if len(b.rows) == 0 {
			return nil
		}
		var err error
		if pos != nil {
			err = EmitAt(out, b.rows, pos(consumed))
		} else {
			err = out.Emit(b.rows)
		}
		if err != nil {
			return errStopped
		}
		return nil
	}
	drain := func() error {
		for len(queue) > 0 {
			if err := emit(); err != nil {
				return err
			}
		}
		return nil
	}

	for {
		run, first, err := rr.Next()
		if err != nil && !formats.IsTooLong(err) {
			if err != io.EOF && ctx.Err() != nil {
				return errStopped
			}
			if derr := drain(); derr != nil {
				return derr
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return errStopped
		}
		n := int64(lc.RecordLines())
		if skip > 0 {
			// Lines an earlier run read (a checkpoint): passed over.
			if n <= skip {
				skip -= n
				consumed += n
				continue
			}
			if err == nil {
				run = lastLines(run, int(n-skip))
				first += int(skip)
			}
			consumed += skip
			n -= skip
			skip = 0
		}
		b := &block{run: run, first: first, lines: n, done: make(chan struct{})}
		if err != nil {
			b.tooLong = err
			close(b.done)
		} else {
			work <- b
		}
		queue = append(queue, b)
		for len(queue) > decodeAhead || len(queue) > 0 && isDone(queue[0]) {
			if err := emit(); err != nil {
				return err
			}
		}
	}
}

func isDone(b *block) bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}
