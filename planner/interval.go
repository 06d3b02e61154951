package planner

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// intervalUnits are the units INTERVAL 'n' UNIT takes, singular or plural.
var intervalUnits = map[string]time.Duration{
	"millisecond": time.Millisecond,
	"second":      time.Second,
	"minute":      time.Minute,
	"hour":        time.Hour,
	"day":         24 * time.Hour,
}

// interval is the length INTERVAL '10' SECOND stands for.
func (p *planning) interval(iv *parser.Interval) (time.Duration, error) {
	unit, ok := intervalUnits[strings.TrimSuffix(strings.ToLower(iv.Unit), "s")]
	if !ok {
		return 0, p.errorf(iv.Pos, ErrType, "INTERVAL unit %s is not one of MILLISECOND, SECOND, MINUTE, HOUR, DAY", iv.Unit)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(iv.Value), 64)
	if err != nil || math.IsInf(n, 0) || math.Abs(n)*float64(unit) > float64(math.MaxInt64) {
		return 0, p.errorf(iv.Pos, ErrType, "INTERVAL '%s' %s: the length must be a number, such as INTERVAL '10' SECOND", iv.Value, iv.Unit)
	}
	return time.Duration(n * float64(unit)), nil
}

// compileShift compiles `ts + INTERVAL ...`, `INTERVAL ... + ts` and
// `ts - INTERVAL ...`: a timestamp moved by the interval. ts may be a
// TIMESTAMP, or text or epoch milliseconds that read as one (as EVENT
// TIME reads them); anything else gives NULL.
func (p *planning) compileShift(e *parser.Binary, sc *scope) (expr.Func, bool, error) {
	liv, lok := e.L.(*parser.Interval)
	riv, rok := e.R.(*parser.Interval)
	if !lok && !rok {
		return nil, false, nil
	}
	switch {
	case lok && rok:
		return nil, true, p.errorf(e.Pos, ErrType, "two intervals cannot be %s: add or subtract an INTERVAL to a timestamp", map[string]string{"+": "added", "-": "subtracted"}[e.Op])
	case e.Op != "+" && e.Op != "-", lok && e.Op == "-":
		return nil, true, p.errorf(e.Pos, ErrType, "an INTERVAL can only be added to a timestamp or subtracted from one (ts + INTERVAL '10' SECOND, ts - INTERVAL '10' SECOND)")
	}
	iv, ts := riv, e.L
	if lok {
		iv, ts = liv, e.R
	}
	d, err := p.interval(iv)
	if err != nil {
		return nil, true, err
	}
	switch k := p.typeOf(ts, sc); k {
	case types.KindBool, types.KindArray:
		return nil, true, p.errorf(ts.Position(), ErrType, "%s is %s, not a timestamp: an INTERVAL is added to a TIMESTAMP", ts, k)
	}
	x, err := p.compile(ts, sc)
	if err != nil {
		return nil, true, err
	}
	if e.Op == "-" {
		d = -d
	}
	return func(r types.Row) types.Value {
		var rd expr.TimeReader
		ns, err := rd.Read(x(r))
		if err != nil {
			return types.Null
		}
		return types.Time(time.Unix(0, ns).Add(d).UTC())
	}, true, nil
}
