package sinks

import (
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestCSV(t *testing.T) {
	var rec recorder
	s := open(t, "csv", &rec, Options{})
	cols := []string{"name", "n", "note"}
	write(t, s,
		// An empty emitted result writes nothing, not even the header.
		&types.Result{Time: batchTime, Emitted: true, Columns: cols},
		&types.Result{Time: batchTime, Emitted: true, Columns: cols, Rows: []types.Row{
			{types.Text("a,b"), types.Int(1), types.Null},
			{types.Text(`say "hi"`), types.Float(2.5), types.Text("")},
		}},
		&types.Result{Time: batchTime, Emitted: false, Columns: cols, Rows: []types.Row{
			{types.Text("skipped"), types.Int(0), types.Null},
		}},
		&types.Result{Time: batchTime, Emitted: true, Columns: cols, Rows: []types.Row{
			{types.Null, types.Null, types.Text("line\nbreak")},
		}},
	)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := "name,n,note\n" +
		"\"a,b\",1,\n" +
		"\"say \"\"hi\"\"\",2.5,\n" +
		",,\"line\nbreak\"\n"
	if got := rec.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
