package server

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamsql/streamsql"
)

// metrics are the per-query Prometheus series, labelled query="<id>".
type metrics struct {
	rowsIn, rowsOut, late, malformed, batches, emissions *prometheus.CounterVec
	processing, delay                                    *prometheus.HistogramVec
	lastProcessing, lastDelay, stateKeys                 *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "streamsql", Subsystem: "query", Name: name, Help: help}, []string{"query"})
		reg.MustRegister(c)
		return c
	}
	hist := func(name, help string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "streamsql", Subsystem: "query", Name: name, Help: help,
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10), // 100µs .. 26s
		}, []string{"query"})
		reg.MustRegister(h)
		return h
	}
	gauge := func(name, help string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "streamsql", Subsystem: "query", Name: name, Help: help}, []string{"query"})
		reg.MustRegister(g)
		return g
	}
	return &metrics{
		rowsIn:         counter("rows_in_total", "Rows the query's source delivered."),
		rowsOut:        counter("rows_out_total", "Result rows the query emitted."),
		late:           counter("late_rows_total", "Rows dropped behind the watermark."),
		malformed:      counter("malformed_records_total", "Records skipped as undecodable or without a usable event time."),
		batches:        counter("batches_total", "Micro-batches closed."),
		emissions:      counter("emissions_total", "Batches after which the query emitted a result."),
		processing:     hist("batch_processing_seconds", "Time spent closing a batch."),
		delay:          hist("batch_scheduling_delay_seconds", "How late a batch was closed after its time."),
		lastProcessing: gauge("last_batch_processing_seconds", "Processing time of the latest batch."),
		lastDelay:      gauge("last_batch_scheduling_delay_seconds", "Scheduling delay of the latest batch."),
		stateKeys:      gauge("state_keys", "Groups, sessions or keys the query holds in window state."),
	}
}

func (m *metrics) observe(id int, res *streamsql.Result) {
	l := strconv.Itoa(id)
	st := res.Stats
	m.rowsIn.WithLabelValues(l).Add(float64(st.RowsIn))
	m.late.WithLabelValues(l).Add(float64(st.Late))
	m.malformed.WithLabelValues(l).Add(float64(st.Malformed))
	m.batches.WithLabelValues(l).Inc()
	out := m.rowsOut.WithLabelValues(l)
	em := m.emissions.WithLabelValues(l)
	if res.Emitted {
		out.Add(float64(len(res.Rows)))
		em.Inc()
	}
	m.processing.WithLabelValues(l).Observe(st.ProcessingTime.Seconds())
	m.delay.WithLabelValues(l).Observe(st.SchedulingDelay.Seconds())
	m.lastProcessing.WithLabelValues(l).Set(st.ProcessingTime.Seconds())
	m.lastDelay.WithLabelValues(l).Set(st.SchedulingDelay.Seconds())
	m.stateKeys.WithLabelValues(l).Set(float64(st.StateKeys))
}

// forget drops a deleted query's series.
func (m *metrics) forget(id int) {
	l := prometheus.Labels{"query": strconv.Itoa(id)}
	for _, v := range []*prometheus.MetricVec{
		m.rowsIn.MetricVec, m.rowsOut.MetricVec, m.late.MetricVec, m.malformed.MetricVec,
		m.batches.MetricVec, m.emissions.MetricVec, m.processing.MetricVec, m.delay.MetricVec,
		m.lastProcessing.MetricVec, m.lastDelay.MetricVec, m.stateKeys.MetricVec,
	} {
		v.Delete(l)
	}
}
