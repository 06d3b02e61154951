package tables

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/types"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// DefaultRefresh is how often a database table is read again when the
// query does not say.
const DefaultRefresh = time.Minute

// Database is a table stored in SQLite (kind "sqlite", dsn the database
// file) or PostgreSQL (kind "postgres", dsn a postgres:// URL): every row
// of table name, loaded when the query starts, then read again every
// refresh (0: never) and swapped in when it changed. A database has no
// change notification that works for both, so the table is polled.
//
// Its columns are read now, under ctx, from the first rows; no
// connection is kept: each read opens its own, so a table refreshed
// every minute holds none in between and a lost one needs no repair.
func Database(ctx context.Context, kind, dsn, name string, refresh time.Duration) (*Table, error) {
	query := "SELECT * FROM " + quoteIdent(name)
	label := fmt.Sprintf("table(%s(%s), %s)", kind, quote(redact(dsn)), quote(name))
	t := &Table{label: label}
	var read func(ctx context.Context, query string) (types.Schema, []types.Row, [32]byte, error)
	switch kind {
	case "sqlite":
		// A missing file would be created empty: say so instead.
		if _, err := os.Stat(dsn); err != nil {
			return nil, err
		}
		read = func(ctx context.Context, query string) (types.Schema, []types.Row, [32]byte, error) {
			db, err := sql.Open("sqlite", dsn+"?_busy_timeout=5000")
			if err != nil {
				return nil, nil, [32]byte{}, err
			}
			defer db.Close()
			rows, err := db.QueryContext(ctx, query)
			if err != nil {
				return nil, nil, [32]byte{}, err
			}
			defer rows.Close()
			names, err := rows.Columns()
			if err != nil {
				return nil, nil, [32]byte{}, err
			}
			return collect(names, rows.Next, rows.Scan, rows.Err)
		}
	case "postgres":
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		read = func(ctx context.Context, query string) (types.Schema, []types.Row, [32]byte, error) {
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				return nil, nil, [32]byte{}, err
			}
			defer conn.Close(context.Background())
			rows, err := conn.Query(ctx, query)
			if err != nil {
				return nil, nil, [32]byte{}, err
			}
			defer rows.Close()
			var names []string
			for _, f := range rows.FieldDescriptions() {
				names = append(names, f.Name)
			}
			scan := func(dst ...any) error {
				vals, err := rows.Values()
				if err != nil {
					return err
				}
				for i, v := range vals {
					*(dst[i].(*any)) = v
				}
				return nil
			}
			return collect(names, rows.Next, scan, rows.Err)
		}
	default:
		return nil, fmt.Errorf("unknown database %s (sqlite or postgres)", kind)
	}
	t.load = func(ctx context.Context) (types.Schema, []types.Row, [32]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		return read(ctx, query)
	}
	t.probe = func(ctx context.Context) (types.Schema, error) {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		cols, _, _, err := read(ctx, query+" LIMIT "+strconv.Itoa(probeRows))
		return cols, err
	}
	if refresh > 0 {
		t.refresh = "read again every " + refresh.String()
		t.watch = func(ctx context.Context, changed func(), _ func(string, ...any)) error {
			tick := time.NewTicker(refresh)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
					changed()
				}
			}
		}
	}
	if err := t.plan(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// loadTimeout bounds one read of a database table; probeRows is how many
// rows planning looks at for the columns' types (each column takes the
// type of its first non-NULL value).
const (
	loadTimeout = 30 * time.Second
	probeRows   = 100
)

// redact hides the password of a postgres URL.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if c := strings.Index(dsn[i+3:at], ":"); c >= 0 {
				return dsn[:i+3+c] + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// collect reads every row of a query result, typing each value as the
// driver returns it; each column's type is its first non-NULL value's.
func collect(names []string, next func() bool, scan func(...any) error, rerr func() error) (types.Schema, []types.Row, [32]byte, error) {
	var sum [32]byte
	cols := make(types.Schema, len(names))
	for i, n := range names {
		cols[i].Name = n
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	var key []byte
	var out []types.Row
	for next() {
		if err := scan(ptrs...); err != nil {
			return nil, nil, sum, err
		}
		row := make(types.Row, len(names))
		for i, v := range vals {
			row[i] = value(v)
			if cols[i].Type == types.KindNull {
				cols[i].Type = row[i].Kind()
			}
			key = types.AppendKey(key[:0], row[i])
			h.Write(key)
		}
		out = append(out, row)
	}
	if err := rerr(); err != nil {
		return nil, nil, sum, err
	}
	copy(sum[:], h.Sum(nil))
	return cols, out, sum, nil
}

// value converts what database/sql scanned into a Value.
func value(v any) types.Value {
	switch v := v.(type) {
	case nil:
		return types.Null
	case int64:
		return types.Int(v)
	case int32:
		return types.Int(int64(v))
	case int16:
		return types.Int(int64(v))
	case float64:
		return types.Float(v)
	case float32:
		return types.Float(float64(v))
	case bool:
		return types.Bool(v)
	case string:
		return types.Text(v)
	case []byte:
		return types.Text(string(v))
	case time.Time:
		return types.Time(v)
	}
	return types.Text(fmt.Sprint(v))
}
