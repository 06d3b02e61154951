package ratelog

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var got []string
	now := time.Unix(0, 0)
	l := &Limiter{
		Logf:  func(f string, a ...any) { got = append(got, fmt.Sprintf(f, a...)) },
		Now:   func() time.Time { return now },
		Burst: 2, Every: 10 * time.Second, What: "malformed records", Prefix: "skipped: ",
	}
	for i := 1; i <= 5; i++ {
		l.Printf("bad %d", i)
	}
	now = now.Add(10 * time.Second)
	l.Printf("bad 6") // due: the summary of 3..6
	l.Printf("bad 7")
	l.Flush()
	l.Flush() // nothing more to say
	want := []string{
		"skipped: bad 1",
		"skipped: bad 2",
		"(after 2 malformed records the log shows only a count every 10s)",
		"4 more malformed records not shown; the latest: bad 6",
		"1 more malformed records not shown; the latest: bad 7",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log:\n%q\nwant\n%q", got, want)
	}
}
