package streamsql

// Warnings are the plan-time warnings of a query statement (state that can
// grow without bound); Start also logs them, prefixed with the query's id.
func (s *Statement) Warnings() []string {
	if s.plan == nil {
		return nil
	}
	return s.plan.Warnings()
}
