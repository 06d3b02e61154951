package sinks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// The sqlite sink writes each emission into a table of an SQLite database,
// in one transaction.
//
// The table is created when missing, a column per result column:
//
//	BIGINT    INTEGER
//	DOUBLE    REAL
//	TEXT      TEXT
//	BOOLEAN   INTEGER, 0 or 1
//	TIMESTAMP TEXT, RFC 3339 in UTC with nine fractional digits
//	          (2026-11-28T21:30:10.000000000Z: sorts in time order, and
//	          SQLite's date functions read it)
//	ARRAY     TEXT, the array as JSON
//	unknown   no declared type: SQLite stores each value as it comes
//
// With a key (GROUP BY columns, window_start/window_end) the table gets a
// UNIQUE constraint on it and rows are upserted, so a window emitted again
// replaces its row; without one, rows are appended. An existing table is
// used when it has every result column with a type of a fitting affinity
// (and, with a key, a UNIQUE index or PRIMARY KEY on exactly the key);
// otherwise Open fails naming each difference.
func init() {
	Register(&Spec{
		Name: "sqlite",
		Usage: "sqlite('path.db', table => 'name', busy_timeout => 5000): upsert each emission into an SQLite table " +
			"(created if missing; rows keyed by the GROUP BY and window columns)",
		Open:         openSQLite,
		WindowBounds: true,
		Paths:        firstArg,
	})
}

type sqliteSink struct {
	db     *sql.DB
	plan   *tablePlan
	stmts  []rowStmt
	args   []any
	closed bool
}

func openSQLite(_ io.Writer, opts Options) (Sink, error) {
	pos, named, err := insertArgs("sqlite", opts, []string{"path"},
		map[string]string{"table": "", "busy_timeout": "5000"}, "table")
	if err != nil {
		return nil, err
	}
	path := pos[0]
	if path == "" {
		return nil, errors.New("sqlite(): the database path is empty")
	}
	busy, err := strconv.Atoi(named["busy_timeout"])
	if err != nil || busy < 0 {
		return nil, fmt.Errorf("sqlite(): busy_timeout must be a number of milliseconds, got %q", named["busy_timeout"])
	}
	plan, err := newTablePlan("sqlite", path, named["table"], opts, true, func(i int) string { return "?" + strconv.Itoa(i) })
	if err != nil {
		return nil, err
	}
	// Transactions take the write lock when they begin (immediate), and
	// wait up to busy_timeout for another writer before failing.
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	dsn := path + sep + "_txlock=immediate&_busy_timeout=" + strconv.Itoa(busy)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, plan.errorf("%w", err)
	}
	db.SetMaxOpenConns(1) // one writer; keeps ':memory:' one database
	s := &sqliteSink{db: db, plan: plan}
	if err := db.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, plan.errorf("opening the database: %w", err)
	}
	if err := s.setup(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// setup creates the table, or checks the one that is there.
func (s *sqliteSink) setup(ctx context.Context) error {
	p := s.plan
	existing, err := s.columns(ctx)
	if err != nil {
		return p.errorf("reading the table's columns: %w", err)
	}
	if len(existing) == 0 {
		if _, err := s.db.ExecContext(ctx, p.createSQL(sqliteType)); err != nil {
			return p.errorf("creating the table: %w", err)
		}
		return nil
	}
	var uniques [][]string
	if len(p.key) > 0 {
		if uniques, err = s.uniques(ctx, existing); err != nil {
			return p.errorf("reading the table's indexes: %w", err)
		}
	}
	_, err = p.checkExisting(existing, uniques, true, sqliteCompatible)
	return err
}

func (s *sqliteSink) columns(ctx context.Context) ([]existingColumn, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?1)`, s.plan.table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []existingColumn
	for rows.Next() {
		var c existingColumn
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// uniques lists the column sets of the table's UNIQUE indexes (PRIMARY KEY
// and UNIQUE constraints included), and of an INTEGER PRIMARY KEY, which
// has no index of its own.
func (s *sqliteSink) uniques(ctx context.Context, existing []existingColumn) ([][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM pragma_index_list(?1) WHERE "unique" AND NOT partial`, s.plan.table)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var sets [][]string
	for _, idx := range names {
		cols, err := s.strings(ctx, `SELECT name FROM pragma_index_info(?1) ORDER BY seqno`, idx)
		if err != nil {
			return nil, err
		}
		if cols != nil {
			sets = append(sets, cols)
		}
	}
	pk, err := s.strings(ctx, `SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk`, s.plan.table)
	if err != nil {
		return nil, err
	}
	if len(pk) > 0 {
		sets = append(sets, pk)
	}
	return sets, nil
}

// strings runs a query of one text column; nil when a value is NULL (an
// index on an expression).
func (s *sqliteSink) strings(ctx context.Context, query string, arg any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	expr := false
	for rows.Next() {
		var n sql.NullString
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		expr = expr || !n.Valid
		out = append(out, n.String)
	}
	if expr {
		out = nil
	}
	return out, rows.Err()
}

func sqliteType(k types.Kind) string {
	switch k {
	case types.KindInt, types.KindBool:
		return "INTEGER"
	case types.KindFloat:
		return "REAL"
	case types.KindDecimal:
		return "NUMERIC"
	case types.KindText, types.KindTime, types.KindArray:
		return "TEXT"
	}
	return ""
}

// sqliteAffinity is the type affinity SQLite gives a declared column type
// (https://sqlite.org/datatype3.html, 3.1).
func sqliteAffinity(decl string) string {
	d := strings.ToUpper(decl)
	switch {
	case strings.Contains(d, "INT"):
		return "INTEGER"
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return "TEXT"
	case d == "", strings.Contains(d, "BLOB"):
		return "BLOB"
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return "REAL"
	}
	return "NUMERIC"
}

// sqliteCompatible accepts an existing column whose affinity keeps the
// values of kind k as the sink writes them: the same affinity, none
// (BLOB), NUMERIC for numbers and timestamps (whose text never looks like
// a number). A column of unknown kind fits any type.
func sqliteCompatible(k types.Kind, decl string) (string, bool) {
	want := sqliteType(k)
	if want == "" {
		return "", true
	}
	got := sqliteAffinity(decl)
	ok := got == want || got == "BLOB" ||
		got == "NUMERIC" && (want == "INTEGER" || want == "REAL" || k == types.KindTime)
	return want + " (or another type of " + want + " affinity)", ok
}

// sqliteValue converts a value for the driver.
func sqliteValue(v types.Value) any {
	switch v.Kind() {
	case types.KindNull:
		return nil
	case types.KindBool:
		if v.AsBool() {
			return int64(1)
		}
		return int64(0)
	case types.KindInt:
		return v.AsInt()
	case types.KindFloat:
		return v.AsFloat()
	}
	return tableText(v)
}

func (s *sqliteSink) Write(ctx context.Context, r *types.Result) (err error) {
	if s.closed {
		return ErrClosed
	}
	if !r.Emitted || len(r.Rows)+len(r.Deletes) == 0 {
		return nil
	}
	p := s.plan
	if err := p.checkColumns(r); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return p.errorf("starting the transaction: %w", err)
	}
	prepared := map[string]*sql.Stmt{}
	defer func() {
		for _, ps := range prepared {
			ps.Close()
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if s.args == nil {
		s.args = make([]any, len(p.cols))
	}
	// An updating result's deletes go first, then its rows.
	all := append(r.Deletes[:len(r.Deletes):len(r.Deletes)], r.Rows...)
	for ri, row := range all {
		for i, v := range row {
			s.args[i] = sqliteValue(v)
		}
		if ri < len(r.Deletes) {
			s.stmts = p.deleteStatements(s.args, s.stmts[:0])
		} else {
			s.stmts = p.rowStatements(s.args, s.stmts[:0])
		}
		for _, st := range s.stmts {
			ps := prepared[st.sql]
			if ps == nil {
				if ps, err = tx.PrepareContext(ctx, st.sql); err != nil {
					return p.errorf("preparing %s: %w", st.sql, err)
				}
				prepared[st.sql] = ps
			}
			if _, err = ps.ExecContext(ctx, st.args...); err != nil {
				return p.errorf("writing row %d of %d: %w", ri+1, len(all), err)
			}
		}
	}
	if err = tx.Commit(); err != nil {
		return p.errorf("committing: %w", err)
	}
	return nil
}

func (s *sqliteSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}
