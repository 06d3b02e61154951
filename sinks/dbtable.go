package sinks

// Shared by the sinks that write to a database table (sqlite, postgres):
// argument parsing, identifier quoting, and the statements that create a
// table from a query's schema and upsert its rows by the query's key.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// insertArgs checks the arguments of `INSERT INTO name(...)`: exactly the
// positional parameters named in positional, each a string, and only the
// named options in defaults, whose values are returned as text (defaults
// filling in the options not given). The options listed in required must
// be given and not empty.
func insertArgs(sink string, opts Options, positional []string, defaults map[string]string, required ...string) ([]string, map[string]string, error) {
	usage := insertUsage(sink)
	if len(opts.Args) != len(positional) {
		return nil, nil, fmt.Errorf("%s() takes %d positional argument(s) (%s), got %d; usage: %s",
			sink, len(positional), strings.Join(positional, ", "), len(opts.Args), usage)
	}
	pos := make([]string, len(positional))
	for i, v := range opts.Args {
		if v.Kind() != types.KindText {
			return nil, nil, fmt.Errorf("%s(): argument %d (%s) must be a string, got %s", sink, i+1, positional[i], v.Kind())
		}
		pos[i] = v.AsText()
	}
	named := make(map[string]string, len(defaults))
	for k, v := range defaults {
		named[k] = v
	}
	for k, v := range opts.Named {
		if _, ok := defaults[k]; !ok {
			known := make([]string, 0, len(defaults))
			for d := range defaults {
				known = append(known, d)
			}
			slices.Sort(known)
			return nil, nil, fmt.Errorf("%s(): unknown option %s (options: %s); usage: %s", sink, k, strings.Join(known, ", "), usage)
		}
		if v.IsNull() {
			return nil, nil, fmt.Errorf("%s(): option %s is NULL", sink, k)
		}
		named[k] = v.String()
	}
	for _, k := range required {
		if named[k] == "" {
			return nil, nil, fmt.Errorf("%s(): option %s => '...' is required; usage: %s", sink, k, usage)
		}
	}
	return pos, named, nil
}

func insertUsage(name string) string {
	if s, ok := Lookup(name); ok {
		return s.Usage
	}
	return name + "(...)"
}

// quoteIdent quotes a table or column name for SQL: in double quotes,
// embedded double quotes doubled. SQLite and PostgreSQL both read this as
// the name exactly as given, whatever keywords or characters it holds.
func quoteIdent(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty name")
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("name %q holds a NUL byte", name)
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`, nil
}

// tableTimeLayout is how TIMESTAMP values are written as text (SQLite, and
// PostgreSQL columns of unknown type): RFC 3339 in UTC with exactly nine
// fractional digits, so the text sorts in time order and loses nothing,
// e.g. 2026-11-28T21:30:10.000000000Z. SQLite's date functions read it.
const tableTimeLayout = "2006-01-02T15:04:05.000000000Z"

// tableText renders a non-NULL value for a text column: timestamps as
// tableTimeLayout, arrays as JSON, the rest as the console shows them.
func tableText(v types.Value) string {
	switch v.Kind() {
	case types.KindText:
		return v.AsText()
	case types.KindTime:
		return v.AsTime().UTC().Format(tableTimeLayout)
	}
	return v.String()
}

// tablePlan is a query's schema laid onto a table: the columns, their
// kinds, and which of them are the key rows are upserted by.
type tablePlan struct {
	sink   string // "sqlite", "postgres": for errors
	where  string // the database, for errors
	table  string
	qtable string   // quoted table name
	cols   []string // result column names
	qcols  []string // quoted
	kinds  []types.Kind
	key    []int // positions of the key columns in cols

	ph       func(i int) string // placeholder for argument i (1-based)
	sqlCache map[string]string  // the upsert/delete statements by NULL pattern of the key
}

// newTablePlan checks the schema in opts against table: every column named
// once (names compared with fold when the database ignores case), the key
// made of columns of the result.
func newTablePlan(sink, where, table string, opts Options, fold bool, ph func(int) string) (*tablePlan, error) {
	p := &tablePlan{sink: sink, where: where, table: table, ph: ph, sqlCache: map[string]string{}}
	var err error
	if p.qtable, err = quoteIdent(table); err != nil {
		return nil, p.errorf("table name: %v", err)
	}
	if len(opts.Columns) == 0 {
		return nil, p.errorf("the query has no columns")
	}
	p.cols = slices.Clone(opts.Columns)
	p.kinds = make([]types.Kind, len(p.cols))
	if len(opts.Kinds) == len(p.cols) {
		copy(p.kinds, opts.Kinds)
	}
	same := func(a, b string) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	for i, c := range p.cols {
		q, err := quoteIdent(c)
		if err != nil {
			return nil, p.errorf("column %d: %v", i+1, err)
		}
		p.qcols = append(p.qcols, q)
		for _, d := range p.cols[:i] {
			if same(c, d) {
				return nil, p.errorf("column %q appears twice in the query's result; give one an alias (AS name)", c)
			}
		}
	}
	for _, k := range opts.Key {
		i := slices.IndexFunc(p.cols, func(c string) bool { return c == k })
		if i < 0 {
			return nil, p.errorf("key column %q is not among the columns %q", k, p.cols)
		}
		if !slices.Contains(p.key, i) {
			p.key = append(p.key, i)
		}
	}
	return p, nil
}

func (p *tablePlan) errorf(format string, args ...any) error {
	return fmt.Errorf("%s sink %s, table %q: "+format, append([]any{p.sink, p.where, p.table}, args...)...)
}

// checkColumns reports a result whose columns are not the planned ones.
func (p *tablePlan) checkColumns(r *types.Result) error {
	if !slices.Equal(r.Columns, p.cols) {
		return p.errorf("result columns %q differ from the planned columns %q", r.Columns, p.cols)
	}
	return checkRows(r)
}

// createSQL is CREATE TABLE IF NOT EXISTS with a column per result column,
// typed by typeOf ("" declares no type), and a UNIQUE constraint on the key.
// UNIQUE rather than PRIMARY KEY: a key column may be NULL (a GROUP BY
// group), which PostgreSQL's PRIMARY KEY refuses, and SQLite would make a
// lone INTEGER PRIMARY KEY the rowid.
func (p *tablePlan) createSQL(typeOf func(types.Kind) string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(p.qtable)
	b.WriteString(" (")
	for i, q := range p.qcols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q)
		if t := typeOf(p.kinds[i]); t != "" {
			b.WriteString(" " + t)
		}
	}
	if len(p.key) > 0 {
		b.WriteString(", UNIQUE (")
		p.writeKeyList(&b)
		b.WriteString(")")
	}
	b.WriteString(")")
	return b.String()
}

func (p *tablePlan) writeKeyList(b *strings.Builder) {
	for j, i := range p.key {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.qcols[i])
	}
}

// insertSQL is the plain INSERT of one row, arguments in column order.
func (p *tablePlan) insertSQL() string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(p.qtable)
	b.WriteString(" (")
	b.WriteString(strings.Join(p.qcols, ", "))
	b.WriteString(") VALUES (")
	for i := range p.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.ph(i + 1))
	}
	b.WriteString(")")
	return b.String()
}

// upsertSQL inserts one row or, when a row with its key exists, replaces
// that row's other columns.
func (p *tablePlan) upsertSQL() string {
	var b strings.Builder
	b.WriteString(p.insertSQL())
	b.WriteString(" ON CONFLICT (")
	p.writeKeyList(&b)
	b.WriteString(") DO ")
	first := true
	for i, q := range p.qcols {
		if slices.Contains(p.key, i) {
			continue
		}
		if first {
			b.WriteString("UPDATE SET ")
			first = false
		} else {
			b.WriteString(", ")
		}
		b.WriteString(q + " = excluded." + q)
	}
	if first { // every column is part of the key
		b.WriteString("NOTHING")
	}
	return b.String()
}

// deleteSQL removes the row whose key equals a row's key in which the key
// columns marked in null are NULL: `k1 = $1 AND k2 IS NULL`. It takes the
// non-NULL key values as arguments, in key order.
func (p *tablePlan) deleteSQL(null []bool) string { return p.deleteOn(p.key, null) }

// deleteOn is deleteSQL matching the columns cols.
func (p *tablePlan) deleteOn(cols []int, null []bool) string {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(p.qtable)
	b.WriteString(" WHERE ")
	n := 0
	for j, i := range cols {
		if j > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(p.qcols[i])
		if null[j] {
			b.WriteString(" IS NULL")
		} else {
			n++
			b.WriteString(" = " + p.ph(n))
		}
	}
	return b.String()
}

// rowStmt is one statement to run with its arguments.
type rowStmt struct {
	sql  string
	args []any
}

// rowStatements returns what writes one row, given its values converted
// for the driver (nil for NULL):
//   - without a key, an INSERT;
//   - with a key, an upsert (INSERT ... ON CONFLICT (key) DO UPDATE);
//   - with a key holding a NULL, which no UNIQUE constraint matches, a
//     DELETE of the row with the same key (NULL matched by IS NULL) then
//     an INSERT: GROUP BY puts NULLs in one group, and a re-emitted NULL
//     group must replace its row, not add another.
func (p *tablePlan) rowStatements(args []any, out []rowStmt) []rowStmt {
	if len(p.key) == 0 {
		return append(out, rowStmt{p.sqlFor("i", nil), args})
	}
	var null []bool
	for j, i := range p.key {
		if args[i] == nil {
			if null == nil {
				null = make([]bool, len(p.key))
			}
			null[j] = true
		}
	}
	if null == nil {
		return append(out, rowStmt{p.sqlFor("u", nil), args})
	}
	var keyArgs []any
	for _, i := range p.key {
		if args[i] != nil {
			keyArgs = append(keyArgs, args[i])
		}
	}
	return append(out, rowStmt{p.sqlFor("d", null), keyArgs}, rowStmt{p.sqlFor("i", nil), args})
}

// deleteStatements returns what removes a row an updating result deleted
// (args as for rowStatements): the row with its key, or without a key the
// rows equal to it in every column. When the same batch inserts the new
// version of a keyed row, the delete comes first and the upsert after it.
func (p *tablePlan) deleteStatements(args []any, out []rowStmt) []rowStmt {
	cols := p.key
	kind := "d"
	if len(cols) == 0 {
		cols, kind = p.all(), "x"
	}
	null := make([]bool, len(cols))
	var keyArgs []any
	for j, i := range cols {
		if args[i] == nil {
			null[j] = true
		} else {
			keyArgs = append(keyArgs, args[i])
		}
	}
	return append(out, rowStmt{p.sqlFor(kind, null), keyArgs})
}

// all is every column's position.
func (p *tablePlan) all() []int {
	out := make([]int, len(p.cols))
	for i := range out {
		out[i] = i
	}
	return out
}

// sqlFor builds (once) and caches the statement of a kind: i insert, u
// upsert, d delete by key and x delete by every column, for a NULL
// pattern.
func (p *tablePlan) sqlFor(kind string, null []bool) string {
	k := kind
	for _, n := range null {
		k += strconv.FormatBool(n)[:1]
	}
	if s, ok := p.sqlCache[k]; ok {
		return s
	}
	var s string
	switch kind {
	case "i":
		s = p.insertSQL()
	case "u":
		s = p.upsertSQL()
	case "x":
		s = p.deleteOn(p.all(), null)
	default:
		s = p.deleteSQL(null)
	}
	p.sqlCache[k] = s
	return s
}

// existingColumn is a column of a table found in the database.
type existingColumn struct {
	name string
	typ  string // as the database declares it
}

// checkExisting compares the table found in the database with the plan:
// each result column must exist (compared with fold when names ignore
// case) with a type accepted by compatible (which returns the type wanted
// when it refuses), and, when the plan has a key, some UNIQUE index or
// PRIMARY KEY must be on exactly the key columns, or ON CONFLICT cannot
// name it. It returns the existing column of each result column, and an
// error listing every difference. Extra columns in the table are allowed
// (they must accept NULL or have a default).
func (p *tablePlan) checkExisting(existing []existingColumn, uniques [][]string, fold bool,
	compatible func(k types.Kind, typ string) (want string, ok bool)) ([]existingColumn, error) {
	same := func(a, b string) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	var problems []string
	found := make([]existingColumn, len(p.cols))
	for i, c := range p.cols {
		j := slices.IndexFunc(existing, func(e existingColumn) bool { return same(e.name, c) })
		if j < 0 {
			problems = append(problems, fmt.Sprintf("column %q is missing", c))
			continue
		}
		found[i] = existing[j]
		if want, ok := compatible(p.kinds[i], existing[j].typ); !ok {
			problems = append(problems, fmt.Sprintf("column %q is %s, the query's %s needs %s",
				c, declOrNone(existing[j].typ), queryKindName(p.kinds[i]), want))
		}
	}
	if len(p.key) > 0 {
		ok := slices.ContainsFunc(uniques, func(u []string) bool {
			if len(u) != len(p.key) {
				return false
			}
			for _, i := range p.key {
				if !slices.ContainsFunc(u, func(n string) bool { return same(n, p.cols[i]) }) {
					return false
				}
			}
			return true
		})
		if !ok {
			names := make([]string, len(p.key))
			for j, i := range p.key {
				names[j] = p.cols[i]
			}
			problems = append(problems, fmt.Sprintf("no UNIQUE constraint or PRIMARY KEY on exactly the key columns (%s), which rows are upserted by",
				strings.Join(names, ", ")))
		}
	}
	if len(problems) > 0 {
		hint := ""
		if slices.ContainsFunc(p.cols, func(c string) bool {
			return (same(c, "window_start") || same(c, "window_end")) &&
				!slices.ContainsFunc(existing, func(e existingColumn) bool { return same(e.name, c) })
		}) {
			// A table written before windowed results kept their bounds
			// holds one row per group, each window's overwriting the last.
			hint = " (a windowed result keeps one row per group and window, in columns window_start and window_end; " +
				"this table lacks them, as tables written by earlier versions of streamsql do: write to a new table, or drop or migrate this one)"
		}
		return nil, p.errorf("the existing table does not fit the query: %s%s", strings.Join(problems, "; "), hint)
	}
	return found, nil
}

func declOrNone(typ string) string {
	if typ == "" {
		return "declared without a type"
	}
	return typ
}

func queryKindName(k types.Kind) string {
	if k == types.KindNull {
		return "column of unknown type"
	}
	return k.String() + " column"
}
