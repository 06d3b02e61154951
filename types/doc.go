// Package types holds the values that flow through a streamsql pipeline:
// typed scalar Values, Rows of them, the Schema naming a row's columns, and
// the Result a query emits each batch.
//
// Everything downstream of a source (operators, windows, sinks) speaks these
// types, so they are kept small and free of reflection: a Value is a 32-byte
// tagged union, a Row is a plain slice of Values, and state built from them
// can be serialised for checkpoints.
package types
