package types

import (
	"fmt"
	"strings"
	"testing"
)

func rowsOf(spec string) []Row {
	var out []Row
	for _, f := range strings.Fields(spec) {
		k, n, _ := strings.Cut(f, "=")
		var i int64
		fmt.Sscan(n, &i)
		out = append(out, Row{Text(k), Int(i)})
	}
	return out
}

func show(rows []Row) string {
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s=%s", r[0], r[1]))
	}
	return strings.Join(parts, " ")
}

func TestChangelogLabelsUpdatesByKey(t *testing.T) {
	r := &Result{Updating: true, Deletes: rowsOf("a=1 b=2"), Rows: rowsOf("a=2 c=1")}
	var got []string
	for _, c := range Changelog(r, []int{0}) {
		got = append(got, c.Op.String()+" "+show([]Row{c.Row}))
	}
	if want := "-U a=1, -D b=2, +U a=2, +I c=1"; strings.Join(got, ", ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, ", "), want)
	}
	got = got[:0]
	for _, c := range Changelog(r, nil) { // no key: inserts and deletes only
		got = append(got, c.Op.String())
	}
	if want := "-D -D +I +I"; strings.Join(got, " ") != want {
		t.Errorf("without a key got %s, want %s", strings.Join(got, " "), want)
	}
}

func TestViewKeepsPlaces(t *testing.T) {
	steps := []struct {
		del, ins, want string
	}{
		{"", "a=1 b=1 c=1", "a=1 b=1 c=1"},
		{"b=1", "b=2", "a=1 b=2 c=1"},         // an update stays in place
		{"a=1 c=1", "c=2 d=1", "c=2 b=2 d=1"}, // inserts take freed places in order
		{"b=2", "", "c=2 d=1"},                // a delete closes its gap
		{"x=9", "d=1", "c=2 d=1 d=1"},         // deleting a missing row does nothing; duplicates count
		{"d=1", "", "c=2 d=1"},
	}
	var v View
	for i, s := range steps {
		v.Apply(&Result{Updating: true, Deletes: rowsOf(s.del), Rows: rowsOf(s.ins)})
		if got := show(v.Rows()); got != s.want {
			t.Errorf("step %d: view %s, want %s", i, got, s.want)
		}
	}
	v.Apply(&Result{Rows: rowsOf("z=1")}) // a complete answer replaces the view
	if got := show(v.Rows()); got != "z=1" {
		t.Errorf("after an append-only result: %s", got)
	}
}
