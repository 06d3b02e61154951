package pgwire

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/types"
)

// PostgreSQL type OIDs of the values streamsql has.
const (
	oidBool        = 16
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidFloat4      = 700
	oidFloat8      = 701
	oidVarchar     = 1043
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
)

// oidOf is the type a column of kind k is sent as. A column whose type
// is known only at run time (KindNull) is TEXT: every value has a text
// form. Timestamps are UTC instants: timestamptz.
func oidOf(k types.Kind) uint32 {
	switch k {
	case types.KindBool:
		return oidBool
	case types.KindInt:
		return oidInt8
	case types.KindFloat:
		return oidFloat8
	case types.KindTime:
		return oidTimestamptz
	case types.KindDecimal:
		return oidNumeric
	}
	return oidText
}

func typeSize(oid uint32) int16 {
	switch oid {
	case oidBool:
		return 1
	case oidInt8, oidFloat8, oidTimestamptz:
		return 8
	}
	return -1
}

// columns is a result's shape: names, kinds and the format of each.
type columns struct {
	names   []string
	oids    []uint32
	formats []int16 // per column: 0 text, 1 binary
}

func newColumns(names []string, kinds []types.Kind) *columns {
	c := &columns{names: names, oids: make([]uint32, len(names)), formats: make([]int16, len(names))}
	for i := range names {
		k := types.KindNull
		if i < len(kinds) {
			k = kinds[i]
		}
		c.oids[i] = oidOf(k)
	}
	return c
}

// textColumns is a result of text columns (SHOW, catalog answers).
func textColumns(names ...string) *columns { return newColumns(names, nil) }

// setFormats applies a Bind's result format codes: none (all text), one
// (for all) or one per column.
func (c *columns) setFormats(codes []int16) {
	for i := range c.formats {
		switch {
		case len(codes) == 1:
			c.formats[i] = codes[0]
		case i < len(codes):
			c.formats[i] = codes[i]
		default:
			c.formats[i] = 0
		}
	}
}

func (c *columns) description() *pgproto3.RowDescription {
	d := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(c.names))}
	for i, n := range c.names {
		d.Fields[i] = pgproto3.FieldDescription{Name: []byte(n), DataTypeOID: c.oids[i], DataTypeSize: typeSize(c.oids[i]), TypeModifier: -1, Format: c.formats[i]}
	}
	return d
}

var typeMap = pgtype.NewMap()

// encode appends v, not NULL, as column i wants it.
func (c *columns) encode(buf []byte, i int, v types.Value) ([]byte, error) {
	if c.formats[i] == 0 {
		return appendText(buf, v), nil
	}
	var val any
	switch c.oids[i] {
	case oidText:
		return append(buf, v.String()...), nil
	case oidInt8:
		if v.Kind() != types.KindInt {
			return nil, errors.New("value " + v.String() + " is not a BIGINT")
		}
		u := uint64(v.AsInt())
		return append(buf, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u)), nil
	case oidFloat8:
		f, _ := v.Float64()
		u := math.Float64bits(f)
		return append(buf, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u)), nil
	case oidBool:
		if v.AsBool() {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case oidTimestamptz:
		val = v.AsTime()
	case oidNumeric:
		var n pgtype.Numeric
		if err := n.Scan(v.String()); err != nil {
			return nil, err
		}
		val = n
	}
	return typeMap.Encode(c.oids[i], pgtype.BinaryFormatCode, val, buf)
}

// appendText is a value in PostgreSQL's text form.
func appendText(buf []byte, v types.Value) []byte {
	switch v.Kind() {
	case types.KindBool:
		if v.AsBool() {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case types.KindInt:
		return strconv.AppendInt(buf, v.AsInt(), 10)
	case types.KindFloat:
		f := v.AsFloat()
		switch {
		case math.IsInf(f, 1):
			return append(buf, "Infinity"...)
		case math.IsInf(f, -1):
			return append(buf, "-Infinity"...)
		case math.IsNaN(f):
			return append(buf, "NaN"...)
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64)
	case types.KindTime:
		return v.AsTime().UTC().AppendFormat(buf, "2006-01-02 15:04:05.999999Z07")
	}
	return append(buf, v.String()...)
}

// SQLSTATE codes of the errors streamsql gives.
const (
	codeSyntax          = "42601"
	codeUndefinedTable  = "42P01"
	codeUndefinedColumn = "42703"
	codeUndefinedFunc   = "42883"
	codeDuplicateTable  = "42P07"
	codeDatatype        = "42804"
	codeGrouping        = "42803"
	codeUnsupported     = "0A000"
	codePrivilege       = "42501"
	codeResources       = "53000"
	codeCanceled        = "57014"
	codeProtocol        = "08P01"
	codeInvalidPassword = "28P01"
	codeAuthSpec        = "28000"
	codeTooManyConns    = "53300"
	codeUndefinedObject = "42704"
	codeCursor          = "34000"
	codeInternal        = "XX000"
	codeParameter       = "22023"
	codeInFailedTx      = "25P02"
)

// errorResponse is err as PostgreSQL reports it: a SQLSTATE by its
// class, and for a SQL error its position in text (1-based, in
// characters, as psql's caret wants) where text starts at base in the
// client's query string.
func errorResponse(err error, query string, base int) *pgproto3.ErrorResponse {
	r := &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: codeInternal, Message: err.Error()}
	var perr *parser.Error
	if errors.As(err, &perr) {
		r.Message = perr.Msg
		if msg := err.Error(); strings.HasPrefix(msg, perr.Pos.String()+": ") {
			r.Message = strings.TrimPrefix(msg, perr.Pos.String()+": ")
		}
		if perr.Pos.Line > 0 && base+perr.Pos.Offset <= len(query) {
			r.Position = int32(len([]rune(query[:base+perr.Pos.Offset])) + 1)
		}
		r.Code = codeSyntax
		if strings.HasPrefix(perr.Msg, "syntax error") {
			r.Code = codeSyntax
		}
	}
	var pe *pgError
	switch {
	case errors.As(err, &pe):
		r.Code, r.Message = pe.code, pe.msg
	case errors.Is(err, planner.ErrColumnNotFound):
		r.Code = codeUndefinedColumn
	case errors.Is(err, planner.ErrSourceNotFound):
		r.Code = codeUndefinedTable
	case errors.Is(err, planner.ErrFunctionNotFound):
		r.Code = codeUndefinedFunc
	case errors.Is(err, planner.ErrSource):
		r.Code = codeParameter // a source's arguments: a directory that is not there
	case errors.Is(err, streamsql.ErrStreamExists), errors.Is(err, streamsql.ErrViewExists):
		r.Code = codeDuplicateTable
	case errors.Is(err, planner.ErrType):
		r.Code = codeDatatype
	case errors.Is(err, planner.ErrGroupBy), errors.Is(err, planner.ErrAggregate):
		r.Code = codeGrouping
	case errors.Is(err, planner.ErrUnsupported), errors.Is(err, planner.ErrWindow), errors.Is(err, planner.ErrNotSplittable):
		r.Code = codeUnsupported
	case errors.Is(err, streamsql.ErrPathNotAllowed):
		r.Code = codePrivilege
	case errors.Is(err, streamsql.ErrTooManyQueries):
		r.Code = codeResources
	}
	return r
}

// pgError is an error with its own SQLSTATE.
type pgError struct {
	code, msg string
}

func (e *pgError) Error() string { return e.msg }

func errorf(code, msg string) error { return &pgError{code: code, msg: msg} }

// pgTime is a time as PostgreSQL prints a timestamptz.
func pgTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999Z07") }
