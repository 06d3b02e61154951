// Package suggest finds the closest known name to a misspelt one, for
// "did you mean ...?" hints in errors.
package suggest

import "strings"

// Closest returns the candidate nearest to name by edit distance (ignoring
// case), or "" when none is close enough to be a plausible typo.
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	ln := strings.ToLower(name)
	for _, c := range candidates {
		d := Distance(ln, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(name) > 8 {
		limit = len(name) / 3
	}
	if bestD < 0 || bestD > limit || bestD >= len(name) {
		return ""
	}
	return best
}

// Distance is the Damerau-Levenshtein distance (with adjacent
// transpositions, the commonest typo) between a and b, in bytes.
func Distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
