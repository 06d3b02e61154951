// Package bytesize reads and writes sizes as the flags and options take
// them (2GB, 512MB, 10MB, 1048576): units of 1024, as Go's runtime and
// most tools count.
package bytesize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Format writes n bytes the way --max-memory reads them: 1.5GB,
// 512MB, 10KB, 100B (units of 1024).
func Format(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	f, u := float64(n), 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 || f == float64(int64(f)) {
		return fmt.Sprintf("%d%s", int64(f), units[u])
	}
	return fmt.Sprintf("%.1f%s", f, units[u])
}

// Parse reads a size as --max-memory and the sources' size options take
// it: a number of bytes, optionally with a unit B, KB, MB, GB or TB (also KiB, MiB, GiB, TiB;
// units of 1024, as Go's runtime counts), case-insensitive, fractions
// allowed: 2GB, 1.5gb, 512MiB, 1073741824.
func Parse(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size (e.g. 2GB, 512MB, 1073741824)", s)
	}
	return int64(f * float64(mult)), nil
}
