package sinks

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/types"
)

// The postgres sink writes each emission into a PostgreSQL table: one
// transaction per emission, its statements sent as one batch.
//
// The table is created when missing, a column per result column:
//
//	BIGINT    BIGINT
//	DOUBLE    DOUBLE PRECISION
//	TEXT      TEXT
//	BOOLEAN   BOOLEAN
//	TIMESTAMP TIMESTAMPTZ
//	ARRAY     JSONB, the array as JSON
//	unknown   TEXT, each value rendered as text (timestamps RFC 3339 in
//	          UTC with nine fractional digits, arrays as JSON)
//
// With a key (GROUP BY columns, window_start/window_end) the table gets a
// UNIQUE constraint on it and rows are upserted (ON CONFLICT ... DO
// UPDATE), so a window emitted again replaces its row; without one, rows
// are appended. An existing table is used when each result column is there
// with the type above (ARRAY may also be JSON or TEXT; a column of unknown
// type may be any of the types above, values converted to it) and, with a
// key, a UNIQUE constraint or PRIMARY KEY is on exactly the key; otherwise
// Open fails naming each difference.
func init() {
	Register(&Spec{
		Name: "postgres",
		Usage: "postgres('postgres://user@host:5432/db', table => 'name'): upsert each emission into a PostgreSQL table " +
			"(created if missing; rows keyed by the GROUP BY and window columns)",
		Open:         openPostgres,
		WindowBounds: true,
	})
}

// postgresSetupTimeout bounds connecting and creating or checking the table.
const postgresSetupTimeout = 30 * time.Second

type postgresSink struct {
	cfg     *pgx.ConnConfig
	conn    *pgx.Conn // nil or closed after a lost connection: Write reconnects
	plan    *tablePlan
	classes []string // per column: how values are converted (pgClass)
	stmts   []rowStmt
	closed  bool
}

func openPostgres(_ io.Writer, opts Options) (Sink, error) {
	pos, named, err := insertArgs("postgres", opts, []string{"url"}, map[string]string{"table": ""}, "table")
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(pos[0])
	if err != nil {
		return nil, fmt.Errorf("postgres(): %w", err)
	}
	// Named without the password, for errors.
	where := fmt.Sprintf("postgres://%s@%s/%s", cfg.User, pgHostPort(cfg.Host, cfg.Port), cfg.Database)
	plan, err := newTablePlan("postgres", where, named["table"], opts, false, func(i int) string { return "$" + strconv.Itoa(i) })
	if err != nil {
		return nil, err
	}
	s := &postgresSink{cfg: cfg, plan: plan}
	ctx, cancel := context.WithTimeout(context.Background(), postgresSetupTimeout)
	defer cancel()
	if s.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		return nil, plan.errorf("%w", err)
	}
	if err := s.setup(ctx); err != nil {
		s.conn.Close(context.Background())
		return nil, err
	}
	return s, nil
}

func pgHostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") { // a Unix socket directory
		return "[" + host + "]:" + strconv.Itoa(int(port))
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(int(port))
}

// setup creates the table, or checks the one that is there, and decides
// how each column's values are sent.
func (s *postgresSink) setup(ctx context.Context) error {
	p := s.plan
	existing, err := s.columns(ctx)
	if err != nil {
		return p.errorf("reading the table's columns: %w", err)
	}
	s.classes = make([]string, len(p.cols))
	if len(existing) == 0 {
		if _, err := s.conn.Exec(ctx, p.createSQL(postgresType)); err != nil {
			return p.errorf("creating the table: %w", err)
		}
		for i, k := range p.kinds {
			s.classes[i] = pgClass(postgresType(k))
		}
		return nil
	}
	var uniques [][]string
	if len(p.key) > 0 {
		if uniques, err = s.uniques(ctx); err != nil {
			return p.errorf("reading the table's constraints: %w", err)
		}
	}
	found, err := p.checkExisting(existing, uniques, false, postgresCompatible)
	if err != nil {
		return err
	}
	for i, c := range found {
		s.classes[i] = pgClass(c.typ)
	}
	return nil
}

func (s *postgresSink) columns(ctx context.Context) ([]existingColumn, error) {
	rows, err := s.conn.Query(ctx, `SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, s.plan.qtable)
	if err != nil {
		return nil, err
	}
	var cols []existingColumn
	for rows.Next() {
		var c existingColumn
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			rows.Close()
			return nil, err
		}
		cols = append(cols, c)
	}
	rows.Close()
	return cols, rows.Err()
}

// uniques lists the column sets of the table's unique indexes that ON
// CONFLICT can use: on plain columns, not partial, not deferred.
func (s *postgresSink) uniques(ctx context.Context) ([][]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT array(
			SELECT a.attname::text FROM unnest(i.indkey::int2[]) k
			JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)
		FROM pg_catalog.pg_index i
		WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indimmediate
			AND i.indpred IS NULL AND i.indexprs IS NULL`, s.plan.qtable)
	if err != nil {
		return nil, err
	}
	var sets [][]string
	for rows.Next() {
		var cols []string
		if err := rows.Scan(&cols); err != nil {
			rows.Close()
			return nil, err
		}
		sets = append(sets, cols)
	}
	rows.Close()
	return sets, rows.Err()
}

func postgresType(k types.Kind) string {
	switch k {
	case types.KindInt:
		return "BIGINT"
	case types.KindFloat:
		return "DOUBLE PRECISION"
	case types.KindBool:
		return "BOOLEAN"
	case types.KindTime:
		return "TIMESTAMPTZ"
	case types.KindArray:
		return "JSONB"
	case types.KindDecimal:
		return "NUMERIC"
	}
	return "TEXT"
}

// pgClass sorts a column type (as format_type or postgresType spells it)
// by how the sink sends values to it; "" for types it does not write.
func pgClass(typ string) string {
	t := strings.ToLower(typ)
	switch {
	case t == "bigint":
		return "int8"
	case t == "double precision":
		return "float8"
	case t == "numeric", strings.HasPrefix(t, "numeric("):
		return "numeric"
	case t == "boolean":
		return "bool"
	case t == "timestamptz", t == "timestamp with time zone":
		return "timestamptz"
	case t == "json", t == "jsonb":
		return "json"
	case t == "text", strings.HasPrefix(t, "character varying"):
		return "text"
	}
	return ""
}

// postgresCompatible accepts the type postgresType gives k, JSON or text
// for arrays, and for a column of unknown kind any type the sink writes.
func postgresCompatible(k types.Kind, typ string) (string, bool) {
	got := pgClass(typ)
	switch k {
	case types.KindNull:
		return "bigint, double precision, boolean, timestamp with time zone, json(b), text or varchar", got != ""
	case types.KindArray:
		return "jsonb, json, text or varchar", got == "json" || got == "text"
	case types.KindText:
		return "text or varchar", got == "text"
	}
	want := postgresType(k)
	return strings.ToLower(want), got == pgClass(want)
}

// pgValue converts a value for a column of class cls.
func pgValue(cls string, v types.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	k := v.Kind()
	switch cls {
	case "int8":
		switch k {
		case types.KindInt:
			return v.AsInt(), nil
		case types.KindFloat:
			if f := v.AsFloat(); f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
				return int64(f), nil
			}
		}
	case "float8":
		if f, ok := v.Float64(); ok {
			return f, nil
		}
	case "bool":
		if k == types.KindBool {
			return v.AsBool(), nil
		}
	case "timestamptz":
		if k == types.KindTime {
			return v.AsTime(), nil
		}
	case "json":
		return string(v.AppendJSON(nil)), nil
	case "numeric":
		if k.Numeric() {
			return v.String(), nil // exact, as PostgreSQL reads numeric text
		}
	case "text":
		return tableText(v), nil
	}
	return nil, fmt.Errorf("a %s value (%s) does not fit a %s column", k, v, cls)
}

func (s *postgresSink) Write(ctx context.Context, r *types.Result) error {
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
	batch := &pgx.Batch{}
	var rowOf []int // the row each queued statement writes
	// An updating result's deletes go first, then its rows.
	all := append(r.Deletes[:len(r.Deletes):len(r.Deletes)], r.Rows...)
	for ri, row := range all {
		args := make([]any, len(row)) // the batch keeps them
		for i, v := range row {
			a, err := pgValue(s.classes[i], v)
			if err != nil {
				return p.errorf("row %d of %d, column %q: %w", ri+1, len(all), p.cols[i], err)
			}
			args[i] = a
		}
		if ri < len(r.Deletes) {
			s.stmts = p.deleteStatements(args, s.stmts[:0])
		} else {
			s.stmts = p.rowStatements(args, s.stmts[:0])
		}
		for _, st := range s.stmts {
			batch.Queue(st.sql, st.args...)
			rowOf = append(rowOf, ri)
		}
	}
	if s.conn == nil || s.conn.IsClosed() {
		if err := s.reconnect(ctx); err != nil {
			return err
		}
	}
	tx, err := s.conn.Begin(ctx)
	if err != nil && s.conn.IsClosed() {
		// The connection was lost while idle (a server restart, an idle
		// timeout): nothing of this emission was sent, so try once more.
		if err = s.reconnect(ctx); err == nil {
			tx, err = s.conn.Begin(ctx)
		}
	}
	if err != nil {
		return p.errorf("starting the transaction: %w", err)
	}
	br := tx.SendBatch(ctx, batch)
	for _, ri := range rowOf {
		if _, err := br.Exec(); err != nil {
			br.Close()
			tx.Rollback(ctx)
			return p.errorf("writing row %d of %d: %w", ri+1, len(all), err)
		}
	}
	if err := br.Close(); err != nil {
		tx.Rollback(ctx)
		return p.errorf("writing: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return p.errorf("committing: %w", err)
	}
	return nil
}

func (s *postgresSink) reconnect(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.cfg)
	if err != nil {
		return s.plan.errorf("reconnecting: %w", err)
	}
	s.conn = conn
	return nil
}

func (s *postgresSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conn == nil {
		return nil
	}
	return s.conn.Close(context.Background())
}
