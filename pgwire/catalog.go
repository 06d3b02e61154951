package pgwire

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/types"
)

// Tools ask the server about itself (version(), current_setting) and
// browse its catalog (information_schema, pg_catalog). streamsql answers
// those questions from its streams and views: SELECTs of session
// functions directly, queries over the catalog tables below with its own
// SQL (pg_catalog. and information_schema. prefixes dropped), and the
// listing and describing queries of psql's \d, \dv, \d name by their
// shape. Anything else about the catalog gets a clear refusal.

// answer is a catalog answer: its columns and rows.
type answer struct {
	cols *columns
	rows []types.Row
}

var (
	selectOnlyRe = regexp.MustCompile(`(?is)^\s*select\s+(.*?)\s*;?\s*$`)
	funcItemRe   = regexp.MustCompile(`(?is)^(?:pg_catalog\.)?([a-z_]+)\s*(?:\(\s*(?:'([^']*)'(?:\s*,\s*\w+)?)?\s*\))?(?:\s*::\s*\w+)?(?:\s+as\s+"?([a-z_0-9 ]+)"?)?$`)
	catalogRe    = regexp.MustCompile(`(?i)\b(pg_catalog\.|information_schema\.|pg_class|pg_namespace|pg_type|pg_attribute|pg_database|pg_settings|pg_proc|pg_index|pg_roles|pg_user)`)
)

// catalog answers text when it is a question about the server or its
// catalog; ok is false for any other statement.
func (c *conn) catalog(text string) (*answer, bool, error) {
	if ans, ok := c.sessionFunctions(text); ok {
		return ans, true, nil
	}
	if !catalogRe.MatchString(text) {
		return nil, false, nil
	}
	if ans, ok := c.psql(text); ok {
		return ans, true, nil
	}
	rewritten := strings.NewReplacer("pg_catalog.", "", "PG_CATALOG.", "",
		"information_schema.", "information_schema_", "INFORMATION_SCHEMA.", "information_schema_").Replace(text)
	res, err := c.srv.eng.PullFrom(rewritten, c.tables())
	if err != nil {
		return nil, true, errorf(codeUnsupported, fmt.Sprintf("streamsql answers a part of the PostgreSQL catalog (information_schema.tables and columns, pg_namespace, pg_class, pg_type, pg_attribute, pg_database in its SQL, and psql's \\d commands); this query it cannot: %v", err))
	}
	kinds := make([]types.Kind, len(res.Columns))
	for i := range kinds {
		kinds[i] = types.KindNull
		for _, r := range res.Rows {
			if i < len(r) && !r[i].IsNull() {
				kinds[i] = r[i].Kind()
				break
			}
		}
	}
	return &answer{cols: newColumns(res.Columns, kinds), rows: res.Rows}, true, nil
}

// sessionFunctions answers SELECT version(), current_setting('x'),
// current_database() and the like, without FROM.
func (c *conn) sessionFunctions(text string) (*answer, bool) {
	m := selectOnlyRe.FindStringSubmatch(stripComments(text))
	if m == nil || strings.Contains(strings.ToLower(m[1]), " from ") {
		return nil, false
	}
	var names []string
	var row types.Row
	for _, item := range splitItems(m[1]) {
		f := funcItemRe.FindStringSubmatch(strings.TrimSpace(item))
		if f == nil {
			return nil, false
		}
		fn, arg, alias := strings.ToLower(f[1]), f[2], f[3]
		var v types.Value
		switch fn {
		case "version":
			v = types.Text("PostgreSQL " + serverVersion + " on streamsql " + c.srv.cfg.Version)
		case "current_setting":
			s, ok := c.setting(arg)
			if !ok {
				return nil, false
			}
			v = types.Text(s)
		case "current_database":
			v = types.Text(c.database())
		case "current_schema":
			v = types.Text("public")
		case "current_user", "session_user", "user":
			v = types.Text(c.user)
		case "pg_backend_pid":
			v = types.Int(int64(c.pid))
		default:
			return nil, false
		}
		if alias == "" {
			alias = fn
		}
		names = append(names, alias)
		row = append(row, v)
	}
	kinds := make([]types.Kind, len(row))
	for i, v := range row {
		kinds[i] = v.Kind()
	}
	return &answer{cols: newColumns(names, kinds), rows: []types.Row{row}}, true
}

func (c *conn) database() string {
	if d := c.params["database"]; d != "" {
		return d
	}
	return c.user
}

// splitItems cuts a select list at its top-level commas.
func splitItems(list string) []string {
	var out []string
	start := 0
	scan(list, func(i, depth int) bool {
		if list[i] == ',' && depth == 0 {
			out = append(out, list[start:i])
			start = i + 1
		}
		return true
	})
	return append(out, list[start:])
}

// relation is a stream or view as the catalog lists it.
type relation struct {
	oid     int64
	name    string
	kind    string // pg_class.relkind: "m" (materialized view) or "v" (stream)
	typ     string // what psql's listing calls it
	columns []types.Column
	def     string
}

// relations lists views and streams, each with an OID that stays the
// same while the set of names does.
func (c *conn) relations() []relation {
	var out []relation
	for _, v := range c.srv.eng.Views() {
		out = append(out, relation{name: v.Name, kind: "m", typ: "materialized view", columns: v.Columns, def: v.Definition})
	}
	for _, name := range c.srv.eng.StreamNames() {
		cols, _ := c.srv.eng.DescribeStream(name)
		out = append(out, relation{name: name, kind: "v", typ: "stream", columns: cols})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	for i := range out {
		out[i].oid = int64(16384 + i)
	}
	return out
}

// pgTypeName is the PostgreSQL name of kind's type.
func pgTypeName(k types.Kind) string {
	switch k {
	case types.KindBool:
		return "boolean"
	case types.KindInt:
		return "bigint"
	case types.KindFloat:
		return "double precision"
	case types.KindTime:
		return "timestamp with time zone"
	case types.KindDecimal:
		return "numeric"
	}
	return "text"
}

func col(name string, k types.Kind) types.Column { return types.Column{Name: name, Type: k} }

// tables are the catalog tables, filled from the engine now.
func (c *conn) tables() map[string]*streamsql.Table {
	T, I, B := types.KindText, types.KindInt, types.KindBool
	db := c.database()
	rels := c.relations()
	infoTables := &streamsql.Table{Columns: []types.Column{col("table_catalog", T), col("table_schema", T), col("table_name", T), col("table_type", T)}}
	infoColumns := &streamsql.Table{Columns: []types.Column{col("table_catalog", T), col("table_schema", T), col("table_name", T), col("column_name", T),
		col("ordinal_position", I), col("data_type", T), col("is_nullable", T), col("udt_name", T)}}
	pgClass := &streamsql.Table{Columns: []types.Column{col("oid", I), col("relname", T), col("relnamespace", I), col("relkind", T)}}
	pgAttribute := &streamsql.Table{Columns: []types.Column{col("attrelid", I), col("attname", T), col("atttypid", I), col("attnum", I), col("attnotnull", B), col("attisdropped", B)}}
	for _, r := range rels {
		typ := "VIEW"
		if r.kind == "v" {
			typ = "STREAM"
		}
		infoTables.Rows = append(infoTables.Rows, types.Row{types.Text(db), types.Text("public"), types.Text(r.name), types.Text(typ)})
		pgClass.Rows = append(pgClass.Rows, types.Row{types.Int(r.oid), types.Text(r.name), types.Int(2200), types.Text(r.kind)})
		for i, cl := range r.columns {
			infoColumns.Rows = append(infoColumns.Rows, types.Row{types.Text(db), types.Text("public"), types.Text(r.name), types.Text(cl.Name),
				types.Int(int64(i + 1)), types.Text(pgTypeName(cl.Type)), types.Text("YES"), types.Text(udtName(cl.Type))})
			pgAttribute.Rows = append(pgAttribute.Rows, types.Row{types.Int(r.oid), types.Text(cl.Name), types.Int(int64(oidOf(cl.Type))), types.Int(int64(i + 1)), types.Bool(false), types.Bool(false)})
		}
	}
	pgType := &streamsql.Table{Columns: []types.Column{col("oid", I), col("typname", T), col("typnamespace", I), col("typlen", I), col("typtype", T), col("typarray", I)}}
	for _, t := range []struct {
		oid   int64
		name  string
		len   int64
		array int64
	}{{16, "bool", 1, 1000}, {20, "int8", 8, 1016}, {21, "int2", 2, 1005}, {23, "int4", 4, 1007}, {25, "text", -1, 1009}, {700, "float4", 4, 1021},
		{701, "float8", 8, 1022}, {1043, "varchar", -1, 1015}, {1114, "timestamp", 8, 1115}, {1184, "timestamptz", 8, 1185}, {1700, "numeric", -1, 1231}} {
		pgType.Rows = append(pgType.Rows, types.Row{types.Int(t.oid), types.Text(t.name), types.Int(11), types.Int(t.len), types.Text("b"), types.Int(t.array)})
	}
	return map[string]*streamsql.Table{
		"information_schema_tables":  infoTables,
		"information_schema_columns": infoColumns,
		"pg_class":                   pgClass,
		"pg_attribute":               pgAttribute,
		"pg_type":                    pgType,
		"pg_namespace": {Columns: []types.Column{col("oid", I), col("nspname", T)},
			Rows: []types.Row{{types.Int(11), types.Text("pg_catalog")}, {types.Int(2200), types.Text("public")}, {types.Int(13000), types.Text("information_schema")}}},
		"pg_database": {Columns: []types.Column{col("oid", I), col("datname", T)}, Rows: []types.Row{{types.Int(1), types.Text(db)}}},
	}
}

func udtName(k types.Kind) string {
	switch k {
	case types.KindBool:
		return "bool"
	case types.KindInt:
		return "int8"
	case types.KindFloat:
		return "float8"
	case types.KindTime:
		return "timestamptz"
	case types.KindDecimal:
		return "numeric"
	}
	return "text"
}

var (
	relkindRe = regexp.MustCompile(`c\.relkind IN \(([^)]*)\)`)
	patternRe = regexp.MustCompile(`c\.relname OPERATOR\(pg_catalog\.~\) '((?:[^']|'')*)'`)
	oidEqRe   = regexp.MustCompile(`[a-z_.]+ = '([0-9]+)'`)
)

// psql answers the catalog queries of psql's \d family by their shape.
func (c *conn) psql(text string) (*answer, bool) {
	var match func(string) bool
	if m := patternRe.FindStringSubmatch(text); m != nil {
		re, err := regexp.Compile(strings.ReplaceAll(m[1], "''", "'"))
		if err != nil {
			return nil, false
		}
		match = re.MatchString
	} else {
		match = func(string) bool { return true }
	}
	T := types.KindText
	switch {
	// \d, \dv, \dm, \dt: the listing.
	case strings.Contains(text, `as "Schema"`) && strings.Contains(text, `as "Name"`) && strings.Contains(text, "c.relkind IN ("):
		kinds := relkindRe.FindStringSubmatch(text)[1]
		ans := &answer{cols: newColumns([]string{"Schema", "Name", "Type", "Owner"}, []types.Kind{T, T, T, T})}
		for _, r := range c.relations() {
			if !match(r.name) || !strings.Contains(kinds, "'"+r.kind+"'") && !(r.kind == "m" && strings.Contains(kinds, "'v'")) {
				continue
			}
			ans.rows = append(ans.rows, types.Row{types.Text("public"), types.Text(r.name), types.Text(r.typ), types.Text(c.user)})
		}
		return ans, true
	// \d name: which relations the name means.
	case strings.HasPrefix(strings.TrimSpace(text), "SELECT c.oid,\n  n.nspname,\n  c.relname"):
		ans := &answer{cols: newColumns([]string{"oid", "nspname", "relname"}, []types.Kind{types.KindInt, T, T})}
		for _, r := range c.relations() {
			if match(r.name) {
				ans.rows = append(ans.rows, types.Row{types.Int(r.oid), types.Text("public"), types.Text(r.name)})
			}
		}
		return ans, true
	}
	oid := oidEqRe.FindStringSubmatch(text)
	if oid == nil {
		return nil, false
	}
	var rel *relation
	for _, r := range c.relations() {
		if fmt.Sprint(r.oid) == oid[1] {
			rel = &r
			break
		}
	}
	if rel == nil {
		return nil, false
	}
	switch {
	// \d name: the relation's kind and flags.
	case strings.HasPrefix(strings.TrimSpace(text), "SELECT c.relchecks, c.relkind, c.relhasindex"):
		names := []string{"relchecks", "relkind", "relhasindex", "relhasrules", "relhastriggers", "relrowsecurity", "relforcerowsecurity", "relhasoids", "relispartition", "array_to_string", "reltablespace", "reloftype", "relpersistence", "relreplident", "amname"}
		row := types.Row{types.Text("0"), types.Text(rel.kind), types.Text("f"), types.Text("f"), types.Text("f"), types.Text("f"), types.Text("f"), types.Text("f"), types.Text("f"), types.Text(""), types.Text("0"), types.Text(""), types.Text("p"), types.Text("d"), types.Null}
		return &answer{cols: newColumns(names, nil), rows: []types.Row{row}}, true
	// \d name: its columns.
	case strings.HasPrefix(strings.TrimSpace(text), "SELECT a.attname,"):
		names := []string{"attname", "format_type", "attrdef", "attnotnull", "attcollation", "attidentity", "attgenerated"}
		ans := &answer{cols: newColumns(names, nil)}
		for _, cl := range rel.columns {
			ans.rows = append(ans.rows, types.Row{types.Text(cl.Name), types.Text(pgTypeName(cl.Type)), types.Null, types.Text("f"), types.Null, types.Text(""), types.Text("")})
		}
		return ans, true
	// \d name of a view: its definition.
	case strings.Contains(text, "pg_get_viewdef("):
		return &answer{cols: newColumns([]string{"pg_get_viewdef"}, nil), rows: []types.Row{{types.Text(rel.def)}}}, true
	}
	// The rest of \d name (rules, triggers, publications, ...): none.
	return &answer{cols: newColumns([]string{"none"}, nil)}, true
}
