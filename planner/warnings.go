package planner

import (
	"fmt"
	"strings"
)

// Warnings are what the plan does that the user may not have meant and
// that is not an error: state that can grow without bound. The engine
// shows them when the query starts.
func (p *Plan) Warnings() []string {
	var out []string
	for q := p; q != nil; q = q.Upstream {
		for n := q.Root; n != nil; {
			if a, ok := n.(*Aggregate); ok {
				out = append(out, a.warnings()...)
			}
			kids := n.Children()
			if len(kids) == 0 {
				break
			}
			n = kids[0]
		}
	}
	return out
}

func (a *Aggregate) warnings() []string {
	if a.Time.Kind != Unbounded || a.Time.Timeout > 0 || len(a.Keys) == 0 {
		return nil
	}
	keys := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		keys[i] = k.String()
	}
	return []string{fmt.Sprintf("unbounded state: WINDOW UNBOUNDED without TIMEOUT keeps every key of GROUP BY %s for as long as the query runs; "+
		"add TIMEOUT (e.g. WINDOW UNBOUNDED TIMEOUT 1h) to forget idle keys, or cap the state with --max-keys",
		strings.Join(keys, ", "))}
}
