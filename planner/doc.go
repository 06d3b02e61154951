// Package planner turns a parsed query into something that runs. It works
// in two steps:
//
//  1. Plan resolves every name against the source's schema, checks the
//     query's meaning (aggregates, GROUP BY, windows), compiles each
//     expression into an expr.Func and returns a logical Plan: a tree of
//     Nodes that EXPLAIN prints.
//  2. Plan.Build instantiates the physical DAG of operators for one run;
//     each run gets fresh operator state.
//
// Errors point at the offending token: they are *parser.Error values whose
// Err field is one of the sentinels in errors.go.
package planner
