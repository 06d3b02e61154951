// Package kafkaaddr reads the broker list a kafka() source or sink is
// given ('host:port[,host:port]'), the one way for the source, the sink
// and the cluster's output.
package kafkaaddr

import "strings"

// Brokers splits a comma-separated broker list, spaces around each
// address and empty entries dropped; none means the list named no broker.
func Brokers(list string) []string {
	var out []string
	for b := range strings.SplitSeq(list, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}
