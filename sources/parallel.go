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

// Reading a file in blocks of whole lines. A word count's text needs no
// row per line (formats.JoinLines): each block is one row. Otherwise
// decoding on several goroutines. Decoding JSON costs more than
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
// file, not a live stream), read in blocks of whole lines (readBlocks)
// when dec joins lines (a word count's text: one row per block) or can be
// cloned (its lines decoded on several goroutines).
func readWhole(ctx context.Context, r io.Reader, name string, dec formats.Decoder, out Emitter, skip int64, pos func(records int64) Position) error {
	if formats.JoinsLines(dec) {
		return readBlocks(ctx, r, name, dec, out, skip, pos, 0)
	}
	if _, ok := dec.(formats.Cloner); ok && parallelDecoders >= 2 {
		return readBlocks(ctx, r, name, dec, out, skip, pos, parallelDecoders)
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

// decode decodes b's lines with dec into rows of ncols values; a decoder
// that joins lines makes one row of them all.
func (b *block) decode(dec formats.Decoder, ncols int) {
	defer close(b.done)
	if b.tooLong != nil {
		return
	}
	if formats.JoinsLines(dec) {
		row := make(types.Row, ncols)
		if err := dec.Decode(b.run, row); err == nil {
			b.rows = []types.Row{row}
		}
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

// readBlocks is readRecordsAt reading blocks of whole lines: decoded on
// workers goroutines, each with a clone of dec (a formats.Cloner), or on
// this one with workers 0; a block of joined lines is one row counted as
// its lines. Blocks are emitted in order.
func readBlocks(ctx context.Context, r io.Reader, name string, dec formats.Decoder, out Emitter, skip int64, pos func(records int64) Position, workers int) error {
	joined := formats.JoinsLines(dec)
	size := decodeBlock
	if joined {
		size = formats.BlockSize
	}
	rr := formats.NewBlockReader(dec, r, size)
	lc := rr.(formats.LineCounter)
	ncols := len(dec.Schema().Columns)

	work := make(chan *block)
	var wg sync.WaitGroup
	defer func() {
		close(work)
		wg.Wait()
	}()
	for range workers {
		d := dec.(formats.Cloner).Clone()
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
		var p Position
		if pos != nil {
			p = pos(consumed)
		}
		var err error
		if joined {
			err = EmitRecords(out, b.rows, b.lines, p)
		} else {
			err = EmitAt(out, b.rows, p)
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
		switch {
		case err != nil:
			b.tooLong = err
			close(b.done)
		case workers == 0:
			b.decode(dec, ncols)
		default:
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

// lastLines is the last n lines of the run of lines rec.
func lastLines(rec []byte, n int) []byte {
	end := len(rec)
	if end > 0 && rec[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if rec[i] == '\n' {
			if n--; n == 0 {
				return rec[i+1:]
			}
		}
	}
	return rec
}
