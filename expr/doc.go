// Package expr evaluates scalar SQL expressions over rows. The planner
// compiles each AST expression once into a tree of Funcs (closures over
// column indexes and constants); operators call them per row. Nothing here
// parses SQL or looks at names: semantics only, with SQL's NULL rules.
package expr

import "github.com/streamsql/streamsql/types"

// Func computes a value from a row.
type Func func(types.Row) types.Value

// Column reads column i.
func Column(i int) Func { return func(r types.Row) types.Value { return r[i] } }

// Const always returns v.
func Const(v types.Value) Func { return func(types.Row) types.Value { return v } }
