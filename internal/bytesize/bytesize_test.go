package bytesize

import "testing"

func TestParseAndFormat(t *testing.T) {
	for in, want := range map[string]int64{
		"2GB": 2 << 30, "1.5gb": 3 << 29, "512MiB": 512 << 20, "1073741824": 1 << 30, "10 kb": 10 << 10, "3T": 3 << 40, "100B": 100,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GB", "lots", "-1GB", "1e30GB", "NaN"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
	for n, want := range map[int64]string{2 << 30: "2GB", 300 << 20: "300MB", 1536 << 20: "1.5GB", 100: "100B"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %s, want %s", n, got, want)
		}
	}
}
