package pgwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/types"
)

// The extended protocol (Parse, Bind, Describe, Execute, Sync), which
// drivers use. Parameters ($1, $2, ...) are bound by writing each value
// into the statement as a literal of its type, so a statement is planned
// at Execute like any other (planning a pull query takes microseconds).

// prepared is a Parse'd statement. A pull query is planned once, here,
// and run with each Bind's values (pull); any other statement gets its
// parameters written in as literals and is planned at Execute.
type prepared struct {
	text   string
	params []uint32 // parameter types, the client's or inferred
	pull   *streamsql.Statement
}

// portal is a Bind'd statement, ready to Execute.
type portal struct {
	pull    *streamsql.Statement // a prepared pull query, run with args
	args    []types.Value
	text    string
	formats []int16
	cols    *columns // described (nil: not yet, or no rows)
	rows    []types.Row
	started bool // a pull whose rows are being fetched in pieces
}

func (c *conn) parse(m *pgproto3.Parse) error {
	text := m.Query
	n := 0
	forEachParam(text, func(i int) {
		n = max(n, i)
	})
	p := &prepared{text: text, params: make([]uint32, n)}
	copy(p.params, m.ParameterOIDs)
	infer := c.inferParams(text)
	for i := range p.params {
		if p.params[i] == 0 {
			p.params[i] = infer[i+1]
			if p.params[i] == 0 {
				p.params[i] = oidText
			}
		}
	}
	if w := firstWords(text, 1); len(w) == 1 && w[0] == "select" {
		// Planning a SELECT has no effect beyond the plan.
		if stmts, err := c.srv.eng.Prepare(text); err == nil && len(stmts) == 1 && stmts[0].Kind == streamsql.KindPull {
			p.pull = stmts[0]
		}
	}
	c.stmts[m.Name] = p
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	p := c.stmts[m.PreparedStatement]
	if p == nil {
		c.sendError(errorf(codeUndefinedObject, fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement)), "", 0, true)
		return nil
	}
	if len(m.Parameters) != len(p.params) {
		c.sendError(errorf(codeProtocol, fmt.Sprintf("bind message supplies %d parameters, but prepared statement %q requires %d", len(m.Parameters), m.PreparedStatement, len(p.params))), "", 0, true)
		return nil
	}
	if p.pull != nil {
		args := make([]types.Value, len(p.params))
		for i, raw := range m.Parameters {
			v, err := paramValue(p.params[i], formatOf(m.ParameterFormatCodes, i), raw)
			if err != nil {
				c.sendError(errorf(codeParameter, fmt.Sprintf("parameter $%d: %v", i+1, err)), "", 0, true)
				return nil
			}
			args[i] = v
		}
		c.portals[m.DestinationPortal] = &portal{pull: p.pull, args: args, text: p.text, formats: m.ResultFormatCodes}
		c.be.Send(&pgproto3.BindComplete{})
		return nil
	}
	text, err := bindParams(p.text, p.params, m.ParameterFormatCodes, m.Parameters)
	if err != nil {
		c.sendError(err, "", 0, true)
		return nil
	}
	c.portals[m.DestinationPortal] = &portal{text: text, formats: m.ResultFormatCodes}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	var text string
	if m.ObjectType == 'S' {
		p := c.stmts[m.Name]
		if p == nil {
			c.sendError(errorf(codeUndefinedObject, fmt.Sprintf("prepared statement %q does not exist", m.Name)), "", 0, true)
			return nil
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: p.params})
		if p.pull != nil {
			c.be.Send(newColumns(p.pull.ResultColumns(), p.pull.Kinds()).description())
			return nil
		}
		// Described with a zero of each parameter's type: the shape
		// does not depend on the values (NULL would not do for LIMIT).
		zeros := make([][]byte, len(p.params))
		for i, oid := range p.params {
			zeros[i] = []byte("0")
			switch oid {
			case oidBool:
				zeros[i] = []byte("f")
			case oidTimestamp, oidTimestamptz:
				zeros[i] = []byte("1970-01-01 00:00:00")
			case oidText, oidVarchar:
				zeros[i] = []byte("")
			}
		}
		text, _ = bindParams(p.text, p.params, nil, zeros)
	} else {
		pt := c.portals[m.Name]
		if pt == nil {
			c.sendError(errorf(codeCursor, fmt.Sprintf("portal %q does not exist", m.Name)), "", 0, true)
			return nil
		}
		text = pt.text
		if pt.pull != nil {
			cols := newColumns(pt.pull.ResultColumns(), pt.pull.Kinds())
			cols.setFormats(pt.formats)
			c.be.Send(cols.description())
			return nil
		}
	}
	cols, err := c.shape(text)
	if err != nil {
		c.sendError(err, text, 0, true)
		return nil
	}
	if cols == nil {
		c.be.Send(&pgproto3.NoData{})
		return nil
	}
	if m.ObjectType == 'P' {
		cols.setFormats(c.portals[m.Name].formats)
	}
	c.be.Send(cols.description())
	return nil
}

// shape is the columns text's statement returns, nil when it returns no
// rows. Only statements that return rows are planned for it (planning
// DDL would run it).
func (c *conn) shape(text string) (*columns, error) {
	sts := splitStatements(text)
	if len(sts) != 1 {
		return nil, nil
	}
	w := firstWords(sts[0].text, 2)
	if len(w) == 0 {
		return nil, nil
	}
	switch w[0] {
	case "show":
		if len(w) > 1 && w[1] != "streams" && w[1] != "views" && w[1] != "materialized" {
			if w[1] == "queries" {
				return textColumns("id", "sql", "rows_in", "batches"), nil
			}
			return textColumns(strings.TrimSuffix(w[1], ";")), nil
		}
		if len(w) > 1 && w[1] == "streams" {
			return textColumns("name", "definition"), nil
		}
		return textColumns("name", "columns", "key", "rows", "updated", "definition"), nil
	case "fetch":
		name, _, _, err := parseFetch(sts[0].text)
		if err != nil {
			return nil, err
		}
		if cur := c.cursors[name]; cur != nil {
			return cur.cols, nil
		}
		return nil, errorf(codeCursor, fmt.Sprintf("cursor %q does not exist", name))
	case "select", "explain", "subscribe", "with", "values", "table":
	default:
		return nil, nil
	}
	if ans, ok, err := c.catalog(sts[0].text); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return ans.cols, nil
	}
	stmts, err := c.srv.eng.Prepare(sts[0].text)
	if err != nil {
		return nil, err
	}
	s := stmts[0]
	switch s.Kind {
	case streamsql.KindExplain:
		return textColumns("QUERY PLAN"), nil
	case streamsql.KindPull:
		return newColumns(s.ResultColumns(), s.Kinds()), nil
	case streamsql.KindQuery, streamsql.KindSubscribe:
		if s.Kind == streamsql.KindSubscribe || s.Updating() {
			return newColumns(append([]string{"op"}, s.ResultColumns()...), append([]types.Kind{types.KindText}, s.Kinds()...)), nil
		}
		return newColumns(s.ResultColumns(), s.Kinds()), nil
	}
	return nil, nil
}

func (c *conn) execute(ctx context.Context, m *pgproto3.Execute) error {
	pt := c.portals[m.Portal]
	if pt == nil {
		c.sendError(errorf(codeCursor, fmt.Sprintf("portal %q does not exist", m.Portal)), "", 0, true)
		return nil
	}
	o := &out{c: c, formats: pt.formats, max: int(m.MaxRows)}
	if pt.started {
		return c.resume(pt, o)
	}
	if pt.pull != nil {
		res, err := pt.pull.Pull(pt.args...)
		if err != nil {
			c.sendError(err, pt.text, 0, true)
			return nil
		}
		pt.cols, pt.rows, pt.started = newColumns(res.Columns, pt.pull.Kinds()), res.Rows, true
		return c.resume(pt, o)
	}
	sts := splitStatements(pt.text)
	if len(sts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if len(sts) > 1 {
		c.sendError(errorf(codeSyntax, "cannot insert multiple commands into a prepared statement"), "", 0, true)
		return nil
	}
	if m.MaxRows > 0 {
		// A pull answered in pieces: keep its rows in the portal.
		if stmts, err := c.srv.eng.Prepare(sts[0].text); err == nil && len(stmts) == 1 && stmts[0].Kind == streamsql.KindPull {
			res, err := stmts[0].Pull()
			if err != nil {
				c.sendError(err, pt.text, 0, true)
				return nil
			}
			pt.cols, pt.rows, pt.started = newColumns(res.Columns, stmts[0].Kinds()), res.Rows, true
			return c.resume(pt, o)
		}
	}
	err := c.run(ctx, pt.text, sts[0], o)
	var cerr connError
	if errors.As(err, &cerr) {
		return cerr.err
	}
	if err != nil {
		c.sendError(err, pt.text, sts[0].at, true)
	}
	return nil
}

// resume sends the next rows of a pull answered in pieces.
func (c *conn) resume(pt *portal, o *out) error {
	o.start(pt.cols)
	n := len(pt.rows)
	if o.max > 0 && o.max < n {
		n = o.max
	}
	for _, r := range pt.rows[:n] {
		if err := o.row(r); err != nil {
			return err
		}
	}
	pt.rows = pt.rows[n:]
	if o.max > 0 && len(pt.rows) > 0 {
		c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	o.complete(fmt.Sprintf("SELECT %d", o.n))
	return nil
}

// inferParams guesses the types of parameters compared with a column of
// a view or stream (`word = $1`, `$1 < total`) and of LIMIT $n: clients
// that leave a parameter's type to the server then send it as that type.
func (c *conn) inferParams(text string) map[int]uint32 {
	kinds := map[string]types.Kind{}
	for _, v := range c.srv.eng.Views() {
		for _, col := range v.Columns {
			kinds[strings.ToLower(col.Name)] = col.Type
		}
	}
	out := map[int]uint32{}
	for _, m := range compareParamRe.FindAllStringSubmatch(text, -1) {
		col, num := m[1], m[2]
		if col == "" {
			col, num = m[4], m[3]
		}
		i, _ := strconv.Atoi(num)
		if k, ok := kinds[strings.ToLower(col)]; ok {
			out[i] = oidOf(k)
		}
	}
	for _, m := range limitParamRe.FindAllStringSubmatch(text, -1) {
		i, _ := strconv.Atoi(m[1])
		out[i] = oidInt8
	}
	return out
}

var (
	compareParamRe = regexp.MustCompile(`(?i)(?:"?([a-z_][a-z0-9_]*)"?\s*(?:=|<>|!=|<=|>=|<|>)\s*\$([0-9]+))|(?:\$([0-9]+)\s*(?:=|<>|!=|<=|>=|<|>)\s*"?([a-z_][a-z0-9_]*)"?)`)
	limitParamRe   = regexp.MustCompile(`(?i)\blimit\s+\$([0-9]+)`)
)

// formatOf is parameter i's format among a Bind's format codes: none
// (all text), one (for all) or one each.
func formatOf(formats []int16, i int) int16 {
	switch {
	case len(formats) == 1:
		return formats[0]
	case i < len(formats):
		return formats[i]
	}
	return 0
}

// paramValue decodes a parameter of type oid.
func paramValue(oid uint32, format int16, p []byte) (types.Value, error) {
	if p == nil {
		return types.Null, nil
	}
	s, err := paramText(oid, format, p)
	if err != nil {
		return types.Null, err
	}
	switch oid {
	case oidInt2, oidInt4, oidInt8:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return types.Null, fmt.Errorf("%q is not an integer", s)
		}
		return types.Int(n), nil
	case oidFloat4, oidFloat8:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return types.Null, fmt.Errorf("%q is not a number", s)
		}
		return types.Float(f), nil
	case oidNumeric:
		v, ok := types.ParseDecimal(strings.TrimSpace(s))
		if !ok {
			return types.Null, fmt.Errorf("%q is not a number", s)
		}
		return v, nil
	case oidBool:
		b, err := parseBool(s)
		return types.Bool(b), err
	case oidTimestamp, oidTimestamptz:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
				return types.Time(t), nil
			}
		}
		return types.Null, fmt.Errorf("%q is not a timestamp", s)
	}
	return types.Text(s), nil
}

// paramText is a parameter in its text form: binary ones decoded.
func paramText(oid uint32, format int16, p []byte) (string, error) {
	if format != 1 {
		return string(p), nil
	}
	switch oid {
	case oidInt2, oidInt4, oidInt8:
		switch len(p) {
		case 2:
			return strconv.Itoa(int(int16(binary.BigEndian.Uint16(p)))), nil
		case 4:
			return strconv.Itoa(int(int32(binary.BigEndian.Uint32(p)))), nil
		case 8:
			return strconv.FormatInt(int64(binary.BigEndian.Uint64(p)), 10), nil
		}
		return "", fmt.Errorf("an integer of %d bytes", len(p))
	case oidFloat4:
		if len(p) != 4 {
			return "", fmt.Errorf("a float4 of %d bytes", len(p))
		}
		return strconv.FormatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(p))), 'g', -1, 32), nil
	case oidFloat8:
		if len(p) != 8 {
			return "", fmt.Errorf("a float8 of %d bytes", len(p))
		}
		return strconv.FormatFloat(math.Float64frombits(binary.BigEndian.Uint64(p)), 'g', -1, 64), nil
	case oidBool:
		if len(p) != 1 {
			return "", errors.New("a boolean is one byte")
		}
		return map[bool]string{true: "t", false: "f"}[p[0] != 0], nil
	case oidNumeric:
		var n pgtype.Numeric
		if err := typeMap.Scan(oidNumeric, 1, p, &n); err != nil {
			return "", err
		}
		v, err := n.Value()
		if err != nil {
			return "", err
		}
		return fmt.Sprint(v), nil
	case oidTimestamp, oidTimestamptz:
		var t pgtype.Timestamptz
		if err := typeMap.Scan(oidTimestamptz, 1, p, &t); err != nil {
			return "", err
		}
		return t.Time.UTC().Format(time.RFC3339Nano), nil
	}
	return string(p), nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "on", "yes", "1", "y":
		return true, nil
	case "f", "false", "off", "no", "0", "n":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// bindParams writes the parameters into text as literals of their types.
func bindParams(text string, oids []uint32, formats []int16, params [][]byte) (string, error) {
	lits := make([]string, len(params))
	for i, p := range params {
		lit, err := literal(oids[i], formatOf(formats, i), p)
		if err != nil {
			return "", errorf(codeParameter, fmt.Sprintf("parameter $%d: %v", i+1, err))
		}
		lits[i] = lit
	}
	var b strings.Builder
	last := 0
	var err error
	forEachParamAt(text, func(start, end, i int) {
		if i < 1 || i > len(lits) {
			err = errorf(codeParameter, fmt.Sprintf("there is no parameter $%d", i))
			return
		}
		b.WriteString(text[last:start])
		b.WriteString(lits[i-1])
		last = end
	})
	if err != nil {
		return "", err
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

// literal is a parameter's value as SQL.
func literal(oid uint32, format int16, p []byte) (string, error) {
	if p == nil {
		return "NULL", nil
	}
	s, err := paramText(oid, format, p)
	if err != nil {
		return "", err
	}
	switch oid {
	case oidFloat4, oidFloat8:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return "", fmt.Errorf("%q is not a number", s)
		}
		return floatLiteral(f), nil
	case oidInt2, oidInt4, oidInt8, oidNumeric:
		return numericLiteral(s)
	case oidBool:
		b, err := parseBool(s)
		if err != nil {
			return "", err
		}
		return map[bool]string{true: "TRUE", false: "FALSE"}[b], nil
	case oidTimestamp, oidTimestamptz:
		return "TIMESTAMP " + quote(s), nil
	}
	return quote(s), nil
}

// floatLiteral writes f in exponent form, which streamsql reads as a
// DOUBLE (a number with a point is a DECIMAL).
func floatLiteral(f float64) string {
	s := strconv.FormatFloat(f, 'e', -1, 64)
	if f < 0 {
		return "(" + s + ")"
	}
	return s
}

// numericLiteral checks a number written as text.
func numericLiteral(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "", fmt.Errorf("%q is not a number", s)
	}
	if strings.HasPrefix(s, "-") {
		return "(" + s + ")", nil
	}
	return s, nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
