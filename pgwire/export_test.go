package pgwire

import "time"

// SetHeartbeat makes quiet streams write every d, for tests.
func SetHeartbeat(d time.Duration) (restore func()) {
	old := heartbeat
	heartbeat = d
	return func() { heartbeat = old }
}
