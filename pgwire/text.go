package pgwire

import "strings"

// Lexing just enough SQL to split a Query message into statements, drop
// comments and find parameters: quotes, comments and parentheses.

// scan calls fn for every byte of text outside quotes and comments, with
// the parenthesis depth there; fn returning false stops it.
func scan(text string, fn func(i, depth int) bool) {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch ch := text[i]; {
		case ch == '\'' || ch == '"' || ch == '`':
			j := i + 1
			for j < len(text) {
				if text[j] == ch {
					if j+1 < len(text) && text[j+1] == ch {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j
		case ch == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case ch == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return
			}
			i += end + 3
		default:
			if ch == '(' {
				depth++
			} else if ch == ')' && depth > 0 {
				depth--
			}
			if !fn(i, depth) {
				return
			}
		}
	}
}

// splitStatements cuts text at the semicolons between statements,
// dropping empty ones.
func splitStatements(text string) []stmt {
	var out []stmt
	start := 0
	add := func(end int) {
		part := text[start:end]
		trimmed := strings.TrimLeft(part, " \t\r\n")
		if strings.TrimSpace(stripComments(part)) != "" {
			out = append(out, stmt{text: strings.TrimRight(trimmed, " \t\r\n"), at: start + len(part) - len(trimmed)})
		}
	}
	scan(text, func(i, depth int) bool {
		if text[i] == ';' && depth == 0 {
			add(i)
			start = i + 1
		}
		return true
	})
	add(len(text))
	return out
}

// stripComments replaces comments with spaces.
func stripComments(text string) string {
	if !strings.Contains(text, "--") && !strings.Contains(text, "/*") {
		return text
	}
	b := []byte(text)
	kept := make([]bool, len(b))
	// Quoted text is kept whole: mark what scan skips as comments only.
	in := 0
	for in < len(b) {
		ch := b[in]
		switch {
		case ch == '\'' || ch == '"' || ch == '`':
			j := in + 1
			for j < len(b) && !(b[j] == ch && (j+1 >= len(b) || b[j+1] != ch)) {
				if b[j] == ch {
					j++
				}
				j++
			}
			for k := in; k <= j && k < len(b); k++ {
				kept[k] = true
			}
			in = j + 1
		case ch == '-' && in+1 < len(b) && b[in+1] == '-':
			for in < len(b) && b[in] != '\n' {
				in++
			}
		case ch == '/' && in+1 < len(b) && b[in+1] == '*':
			end := strings.Index(text[in+2:], "*/")
			if end < 0 {
				in = len(b)
			} else {
				in += end + 4
			}
		default:
			kept[in] = true
			in++
		}
	}
	for i := range b {
		if !kept[i] && b[i] != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// forEachParamAt calls fn for every $n outside quotes and comments.
func forEachParamAt(text string, fn func(start, end, n int)) {
	var spots [][3]int
	scan(text, func(i, _ int) bool {
		if text[i] != '$' {
			return true
		}
		j := i + 1
		n := 0
		for j < len(text) && text[j] >= '0' && text[j] <= '9' && j-i < 6 {
			n = n*10 + int(text[j]-'0')
			j++
		}
		if j > i+1 {
			spots = append(spots, [3]int{i, j, n})
		}
		return true
	})
	for _, s := range spots {
		fn(s[0], s[1], s[2])
	}
}

func forEachParam(text string, fn func(n int)) {
	forEachParamAt(text, func(_, _, n int) { fn(n) })
}
