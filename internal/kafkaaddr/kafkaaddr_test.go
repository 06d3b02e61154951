package kafkaaddr

import (
	"reflect"
	"testing"
)

func TestBrokers(t *testing.T) {
	for in, want := range map[string][]string{
		"k1:9092":               {"k1:9092"},
		" k1:9092 , k2:9092 ,,": {"k1:9092", "k2:9092"},
		" , ":                   nil,
		"":                      nil,
	} {
		if got := Brokers(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Brokers(%q) = %q, want %q", in, got, want)
		}
	}
}
