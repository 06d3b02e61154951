package sources

import "fmt"

// Call is a source as a plan holds it: the Spec, its evaluated arguments
// and, once bound, the columns the query reads. A plan never holds a
// running source. Planning builds one receiver (Spec.Open acquires
// nothing) to learn the schema and check the columns, and keeps only what
// it said; each start of the query opens a fresh one with Open.
type Call struct {
	Spec *Spec
	Args Args
	// Columns are the bound columns, in the order rows carry them; nil
	// before Bind.
	Columns []string

	planning Source // until Bind
	join     bool   // JoinLines was asked for
	schema   Schema
	bounded  bool
	describe string
}

// NewCall checks args against spec and asks the source what it yields.
func NewCall(spec *Spec, args Args) (*Call, error) {
	src, err := spec.OpenChecked(args)
	if err != nil {
		return nil, err
	}
	return &Call{Spec: spec, Args: args, planning: src, schema: src.Schema(), bounded: src.Bounded(), describe: src.Describe()}, nil
}

// oneRowSpec is the source of a query without FROM; it is not in the
// registry, so FROM cannot name it.
var oneRowSpec = &Spec{Open: func(Args) (Source, error) { return OneRow(), nil }}

// OneRowCall is the Call of a query without FROM (see OneRow).
func OneRowCall() *Call {
	c, _ := NewCall(oneRowSpec, Args{})
	return c
}

// Schema is the source's schema: before Bind what it knows, after Bind
// the bound columns.
func (c *Call) Schema() Schema { return c.schema }

// Bounded reports whether the source's input ends by itself.
func (c *Call) Bounded() bool { return c.bounded }

// Describe is the source's line in EXPLAIN.
func (c *Call) Describe() string { return c.describe }

// Bind fixes the columns the query reads. It is called once, by the
// planner; an error is a planning error.
func (c *Call) Bind(columns []string) error {
	if c.planning == nil {
		return fmt.Errorf("%s(): bound twice", c.Spec.Name)
	}
	if err := c.planning.Bind(columns); err != nil {
		return err
	}
	c.Columns = append([]string{}, columns...)
	c.schema, c.describe = c.planning.Schema(), c.planning.Describe()
	c.planning = nil
	return nil
}

// Extend binds more columns to a bound call whose schema is open (JSON
// without a sample yet; the planner checks): a named stream `SELECT * FROM file(...)` planned
// before its first file binds the columns its readers name, as they are
// planned.
func (c *Call) Extend(columns []string) error {
	c.Columns = append([]string{}, columns...)
	return nil
}

// Open builds a fresh receiver for a starting query, bound to Columns. It
// still acquires nothing: the receiver's Run opens its input.
func (c *Call) Open() (Source, error) {
	src, err := c.Spec.OpenChecked(c.Args)
	if err != nil {
		return nil, err
	}
	if err := src.Bind(c.Columns); err != nil {
		return nil, fmt.Errorf("%s: %w", src.Describe(), err)
	}
	if j, ok := src.(LineJoiner); ok && c.join {
		j.JoinLines()
	}
	return src, nil
}

// JoinLines tells the receivers Open makes that the query reads nothing
// but the words of their lines (see LineJoiner).
func (c *Call) JoinLines() { c.join = true }
