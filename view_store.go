package streamsql

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// A view whose query checkpoints (--checkpoint) survives a restart: its
// definition is listed in dir/views.sql, and its table is kept in
// dir/view-NAME.snap (the whole table at some batch) plus dir/view-NAME.log
// (each batch's changes since, appended). A result is written there before
// it is acknowledged, and a checkpoint waits for the acknowledgements of
// the results before it, so the files always hold at least what the
// query's checkpoint has delivered: on restart the view loads them and
// skips the results the resumed query delivers again (their batch time is
// not after the view's). The log is folded into a new snapshot once it
// outgrows the last one.

// viewStore is the files of one view.
type viewStore struct {
	snap, log string
	f         *os.File // the log, open for appending
	logSize   int64
	snapSize  int64
}

// viewRecord is one entry of the files: the table (a snapshot) or a
// batch's changes (the log).
type viewRecord struct {
	Time    time.Time
	Rows    []types.Row
	Deletes []types.Row
	Recent  [][]types.Row // append-only views: the emissions kept
}

func viewFiles(dir, name string) *viewStore {
	base := filepath.Join(dir, "view-"+strings.ToLower(name))
	return &viewStore{snap: base + ".snap", log: base + ".log"}
}

// appendRecord writes r length-prefixed, each record its own gob stream.
func appendRecord(w io.Writer, r *viewRecord) (int64, error) {
	var buf bytes.Buffer
	buf.Write(make([]byte, 4))
	if err := gob.NewEncoder(&buf).Encode(r); err != nil {
		return 0, err
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	n, err := w.Write(b)
	return int64(n), err
}

func readRecords(path string, fn func(*viewRecord)) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var size [4]byte
	for {
		if _, err := io.ReadFull(r, size[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil // a record cut short by a crash was never acknowledged
			}
			return err
		}
		b := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(r, b); err != nil {
			return nil
		}
		rec := &viewRecord{}
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(rec); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fn(rec)
	}
}

// load rebuilds v's table from its files and opens the log for appending.
func (v *view) load(st *viewStore) error {
	var last time.Time
	apply := func(rec *viewRecord) {
		if !rec.Time.After(last) && !last.IsZero() {
			return
		}
		v.applyLocked(&types.Result{Updating: true, Rows: rec.Rows, Deletes: rec.Deletes}, rec.Time, false)
		if rec.Recent != nil {
			v.recent = rec.Recent
		}
		last = rec.Time
	}
	if err := readRecords(st.snap, apply); err != nil {
		return err
	}
	if err := readRecords(st.log, func(rec *viewRecord) {
		if rec.Recent == nil && !v.isUpdating() {
			// An append-only view's log entry is one emission.
			if len(v.recent) >= v.windows {
				v.recent = v.recent[1:]
			}
			v.recent = append(v.recent, rec.Rows)
		}
		apply(rec)
	}); err != nil {
		return err
	}
	if fi, err := os.Stat(st.snap); err == nil {
		st.snapSize = fi.Size()
	}
	f, err := os.OpenFile(st.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	st.f, st.logSize = f, fi.Size()
	v.store = st
	return nil
}

// persist records one applied change; v.mu is held.
func (v *view) persist(change *types.Result, t time.Time) error {
	st := v.store
	n, err := appendRecord(st.f, &viewRecord{Time: t, Rows: change.Rows, Deletes: change.Deletes})
	if err != nil {
		return fmt.Errorf("materialized view %s: %w", v.name, err)
	}
	if err := st.f.Sync(); err != nil {
		return fmt.Errorf("materialized view %s: %w", v.name, err)
	}
	st.logSize += n
	if st.logSize > max(st.snapSize, 1<<20) {
		return v.compact(t)
	}
	return nil
}

// compact writes the table as a new snapshot and empties the log.
func (v *view) compact(t time.Time) error {
	st := v.store
	tmp := st.snap + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	rec := &viewRecord{Time: t, Rows: v.table.rows}
	if !v.isUpdating() {
		rec.Recent = v.recent
	}
	n, err := appendRecord(w, rec)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if err == nil {
		err = os.Rename(tmp, st.snap)
	}
	if err != nil {
		return fmt.Errorf("materialized view %s: snapshot: %w", v.name, err)
	}
	st.snapSize = n
	if err := st.f.Truncate(0); err != nil {
		return err
	}
	st.logSize = 0
	return nil
}

func (v *view) closeStore() {
	if v.store != nil && v.store.f != nil {
		v.store.f.Close()
	}
}

// viewCheckpoint is the checkpoint of a view's query: named by the view,
// so it is found again whatever number the query gets.
func viewCheckpoint(dir, name string) string {
	return filepath.Join(dir, "view-"+strings.ToLower(name)+".ckpt")
}

// catalogFile lists the checkpointed views' definitions, one statement
// each, for RestoreViews.
func catalogFile(dir string) string { return filepath.Join(dir, "views.sql") }

// saveCatalog rewrites dir's list of views: those checkpointing there,
// after every stream defined (in the order they were), which the views
// may read.
func (e *Engine) saveCatalog(dir string) error {
	var views strings.Builder
	for _, v := range e.Views() {
		if vv := e.lookupView(v.Name); vv != nil && vv.dir == dir {
			views.WriteString(v.Definition + ";\n")
		}
	}
	var b strings.Builder
	if views.Len() > 0 {
		e.mu.Lock()
		streams := make([]*stream, 0, len(e.streams))
		for _, st := range e.streams {
			streams = append(streams, st)
		}
		e.mu.Unlock()
		sort.Slice(streams, func(i, j int) bool { return streams[i].seq < streams[j].seq })
		for _, st := range streams {
			b.WriteString((&parser.CreateStream{Name: st.name, Query: st.def}).String() + ";\n")
		}
		b.WriteString(views.String())
	}
	tmp := catalogFile(dir) + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, catalogFile(dir))
}

// RestoreViews starts again the materialized views that checkpointed in
// dir (listed in dir/views.sql), each with its table as it was saved, and
// returns their names. A script run afterwards that creates one of them
// with the same definition leaves it running.
func (e *Engine) RestoreViews(ctx context.Context, dir string, every int) ([]string, error) {
	text, err := os.ReadFile(catalogFile(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	stmts, err := e.PrepareContext(ctx, string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", catalogFile(dir), err)
	}
	var names []string
	for _, s := range stmts {
		if s.Kind == KindCreateStream {
			e.mu.Lock()
			for _, st := range e.streams {
				if st.text == string(text) {
					st.restored = true
				}
			}
			e.mu.Unlock()
		}
		if s.Kind != KindCreateView {
			continue
		}
		s.Checkpoint(dir, every)
		s.view.restored = true
		names = append(names, s.view.name)
	}
	if _, err := e.Start(ctx, stmts); err != nil {
		return nil, err
	}
	return names, nil
}

// Resumed is, for a CREATE MATERIALIZED VIEW of a view RestoreViews
// started already (with the same definition), the query keeping it; nil
// otherwise. Start does not start such a statement again.
func (s *Statement) Resumed() *Query {
	if !s.resumed {
		return nil
	}
	s.view.mu.RLock()
	defer s.view.mu.RUnlock()
	return s.view.q
}

// sameView reports whether st defines the view v already is.
func sameView(v *view, st *parser.CreateView) bool {
	return v.restored && v.def.String() == st.String()
}
