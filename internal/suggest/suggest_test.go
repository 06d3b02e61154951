package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"word", "line", "window_start", "window_end"}
	for _, c := range []struct{ in, want string }{
		{"wrod", "word"},
		{"WORD", "word"},
		{"lien", "line"},
		{"windowstart", "window_start"},
		{"xyz", ""},
		{"a", ""},
	} {
		if got := Closest(c.in, cands); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3}, {"", "ab", 2}} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
