package expr

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// The examples in the registry's Doc fields and in docs/functions.md are
// written `f(args) = result`; these tests evaluate them, so the examples
// cannot drift from what the functions do. Arguments and results are
// literals ('text' with '' for a quote, numbers, NULL, true, false,
// [array, ...], bare RFC 3339 timestamps) or nested calls.

func TestDocFieldExamples(t *testing.T) {
	withDocClock(t)
	for _, name := range ScalarNames() {
		sc, _ := LookupScalar(name)
		doc := sc.Doc
		if k := strings.Index(doc, " ("); k >= 0 {
			doc = doc[:k] // a closing remark
		}
		for _, ex := range strings.Split(doc, " and ") {
			checkExample(t, name+" Doc", ex)
		}
	}
}

func TestDocsFileExamples(t *testing.T) {
	withDocClock(t)
	data, err := os.ReadFile("../docs/functions.md")
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`^[a-z_0-9]+\(.*\) = .+$`)
	count := 0
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(string(data), -1) {
		if example.MatchString(m[1]) {
			checkExample(t, "docs/functions.md", m[1])
			count++
		}
	}
	if count < 60 {
		t.Errorf("only %d examples found in docs/functions.md", count)
	}
}

func withDocClock(t *testing.T) {
	old := Now
	Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC) }
	t.Cleanup(func() { Now = old })
}

func checkExample(t *testing.T, where, ex string) {
	t.Helper()
	p := &exampleParser{s: ex}
	got, err := p.expr()
	if err == nil {
		err = p.expect(" = ")
	}
	var want types.Value
	if err == nil {
		want, err = p.expr()
	}
	if err == nil && p.i != len(p.s) {
		err = fmt.Errorf("unexpected %q", p.s[p.i:])
	}
	if err != nil {
		t.Errorf("%s: cannot read example %q: %v", where, ex, err)
		return
	}
	if !same(got, want) {
		t.Errorf("%s: %s gives %s", where, ex, show(got))
	}
}

type exampleParser struct {
	s string
	i int
}

func (p *exampleParser) expect(tok string) error {
	if !strings.HasPrefix(p.s[p.i:], tok) {
		return fmt.Errorf("expected %q at %q", tok, p.s[p.i:])
	}
	p.i += len(tok)
	return nil
}

var timeLiteral = regexp.MustCompile(`^\d{4}-\d\d-\d\dT[0-9:.]+Z`)

func (p *exampleParser) expr() (types.Value, error) {
	rest := p.s[p.i:]
	switch {
	case strings.HasPrefix(rest, "'"):
		var b strings.Builder
		for j := 1; j < len(rest); j++ {
			if rest[j] == '\'' {
				if j+1 < len(rest) && rest[j+1] == '\'' {
					b.WriteByte('\'')
					j++
					continue
				}
				p.i += j + 1
				return types.Text(b.String()), nil
			}
			b.WriteByte(rest[j])
		}
		return types.Null, fmt.Errorf("unterminated string")
	case strings.HasPrefix(rest, "["):
		p.i++
		var elems []types.Value
		for !strings.HasPrefix(p.s[p.i:], "]") {
			if len(elems) > 0 {
				if err := p.expect(","); err != nil {
					return types.Null, err
				}
			}
			v, err := p.expr()
			if err != nil {
				return types.Null, err
			}
			elems = append(elems, v)
		}
		p.i++
		return types.Array(append([]types.Value{}, elems...)), nil
	case timeLiteral.MatchString(rest):
		lit := timeLiteral.FindString(rest)
		p.i += len(lit)
		tm, err := time.Parse(time.RFC3339Nano, lit)
		return types.Time(tm), err
	}
	j := 0
	for j < len(rest) && strings.IndexByte(",)] ", rest[j]) < 0 && rest[j] != '(' {
		j++
	}
	word := rest[:j]
	p.i += j
	switch {
	case word == "NULL":
		return types.Null, nil
	case word == "true" || word == "false":
		return types.Bool(word == "true"), nil
	case strings.HasPrefix(p.s[p.i:], "("):
		return p.call(word)
	}
	if v, err := strconv.ParseInt(word, 10, 64); err == nil {
		return types.Int(v), nil
	}
	if v, err := strconv.ParseFloat(word, 64); err == nil {
		return types.Float(v), nil
	}
	return types.Null, fmt.Errorf("unknown literal %q", word)
}

func (p *exampleParser) call(name string) (types.Value, error) {
	sc, ok := LookupScalar(name)
	if !ok {
		return types.Null, fmt.Errorf("unknown function %s", name)
	}
	p.i++ // (
	var args []types.Value
	for !strings.HasPrefix(p.s[p.i:], ")") {
		if len(args) > 0 {
			if err := p.expect(", "); err != nil {
				return types.Null, err
			}
		}
		v, err := p.expr()
		if err != nil {
			return types.Null, err
		}
		args = append(args, v)
	}
	p.i++
	consts := make([]*types.Value, len(args))
	fs := make([]Func, len(args))
	for k := range args {
		consts[k], fs[k] = &args[k], Const(args[k])
	}
	fn, err := Compile(sc, fs, consts)
	if err != nil {
		return types.Null, err
	}
	return fn(nil), nil
}
