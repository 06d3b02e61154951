package types

import "time"

// Row is one record: its values in the order of the Schema it belongs to.
type Row []Value

// Column names one column of a schema and the type it is known to hold.
// KindNull means the type is only known at run time (schemaless JSON).
type Column struct {
	Name string
	Type Kind
}

// Schema is the ordered list of a row's columns.
type Schema []Column

// Index returns the position of the column named name, or -1.
func (s Schema) Index(name string) int {
	for i, c := range s {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = c.Name
	}
	return out
}

// Window is the half-open interval [Start, End) a windowed result covers.
type Window struct {
	Start, End time.Time
	// Whole marks the one window of a processing-time aggregate in a
	// bounded run (--once): it holds the whole input, and Start and End
	// are when the run began reading and when its input ended.
	Whole bool
}

// Result is what a query emits at the end of a batch.
type Result struct {
	// Time is the batch time: the end of the batch interval that closed.
	Time time.Time
	// Emitted is false for a batch after which no window closed; Rows is
	// then empty and only Stats carry news.
	Emitted bool
	// Window is set when the rows are the aggregate of a window.
	Window *Window
	// Final marks the last result of a query whose input ended.
	Final bool
	// Partial marks rows handed over before their batch closed: a bounded
	// run that streams (Config.Partial) emits its rows as they are
	// computed, in Partial results, then the batch's last rows in a result
	// that is not. Partial results carry no window and no stats.
	Partial bool
	Columns []string
	Rows    []Row
	// Updating marks the result of a query whose answer is a table that
	// keeps changing (an aggregate without a window, and what reads
	// one): Rows are inserted into it and Deletes removed from it, first.
	// Otherwise Rows are the whole emission and Deletes is empty.
	Updating bool
	Deletes  []Row
	Stats    BatchStats
}

// BatchStats describes one batch of a running query.
type BatchStats struct {
	RowsIn          int64         // rows the sources delivered in this batch
	Malformed       int64         // records skipped in this batch: undecodable, or without a usable event time
	Late            int64         // rows dropped in this batch behind the watermark
	StateKeys       int64         // groups, sessions or keys held in window state after the batch
	ProcessingTime  time.Duration // time spent closing the batch
	SchedulingDelay time.Duration // how late the batch was closed after its time
}
