// Command report turns the measurements of bench/run.sh into a Markdown
// table and the verdict on the targets.
//
//	report RESULTS.tsv [LIVE.tsv]
//
// Each line of RESULTS.tsv has tab-separated fields:
//
//	id  workload  tool  role  units  unit  seconds  rss_kb  check
//
// id groups rows into a workload (a, b, e); role is base (the hand-written
// baseline the ratio is taken against), streamsql, other, tumbling or
// sliding (workload e, where the ratio is taken against tumbling); units
// is how many words or rows the input holds; seconds and rss_kb are "-"
// for a tool that did not run, and check then says why.
//
// LIVE.tsv holds what bench/live printed, after the workload id:
//
//	c  sustained_rows_per_s  first_failing_rate
//	d  p50_ms  p99_ms  max_ms  rows
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

type result struct {
	id, workload, tool, role, unit, check string
	units                                 float64
	seconds                               float64
	rssKB                                 float64
	ran                                   bool
}

func (r result) rate() float64 { return r.units / max(r.seconds, 0.005) }

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: report RESULTS.tsv [LIVE.tsv]")
		os.Exit(2)
	}
	rs, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	live := map[string][]string{}
	if len(os.Args) == 3 {
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if f := strings.Split(line, "\t"); len(f) > 1 {
				live[f[0]] = f[1:]
			}
		}
	}
	table(w, rs)
	fmt.Fprintln(w)
	liveTable(w, live)
	fmt.Fprintln(w)
	targets(w, rs)
	liveTargets(w, live)
}

func num(fields []string, i int) float64 {
	if i >= len(fields) {
		return 0
	}
	f, _ := strconv.ParseFloat(fields[i], 64)
	return f
}

func liveTable(w *bufio.Writer, live map[string][]string) {
	fmt.Fprintln(w, "| live workload | result |")
	fmt.Fprintln(w, "| --- | --- |")
	if c, ok := live["c"]; ok {
		fmt.Fprintf(w, "| (c) sustained throughput: generate(kind => 'sensors') into `GROUP BY sensor WINDOW 10s`, 1 s batches | %srows/s kept up (every batch got >= 97%% of its rows and closed within the interval); %srows/s fell behind |\n",
			human(num(c, 0)), human(num(c, 1)))
	} else {
		fmt.Fprintln(w, "| (c) sustained throughput | not measured |")
	}
	if d, ok := live["d"]; ok {
		fmt.Fprintf(w, "| (d) latency, 100 k rows/s of CSV over TCP, 100 ms batches, from a row's write to the emission holding it | p50 %.1f ms, p99 %.1f ms, max %.1f ms over %s rows |\n",
			num(d, 0), num(d, 1), num(d, 2), human(num(d, 3)))
	} else {
		fmt.Fprintln(w, "| (d) latency | not measured |")
	}
}

func liveTargets(w *bufio.Writer, live map[string][]string) {
	if d, ok := live["d"]; ok {
		verdict := "MISSES"
		if num(d, 1) < 150 {
			verdict = "MEETS"
		}
		fmt.Fprintf(w, "- (d) latency p99 at 100 k rows/s with 100 ms batches < 150 ms: %s (%.1f ms)\n", verdict, num(d, 1))
	} else {
		fmt.Fprintln(w, "- (d) latency p99 < 150 ms: not measured")
	}
}

func load(path string) ([]result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []result
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			return nil, fmt.Errorf("%s:%d: want 9 fields, got %d", path, i+1, len(f))
		}
		r := result{id: f[0], workload: f[1], tool: f[2], role: f[3], unit: f[5], check: f[8]}
		r.units, _ = strconv.ParseFloat(f[4], 64)
		if f[6] != "-" {
			r.ran = true
			r.seconds, _ = strconv.ParseFloat(f[6], 64)
			r.rssKB, _ = strconv.ParseFloat(f[7], 64)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func find(rs []result, id, role string) *result {
	for i := range rs {
		if rs[i].id == id && rs[i].role == role && rs[i].ran {
			return &rs[i]
		}
	}
	return nil
}

func human(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f G", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2f M", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f k", n/1e3)
	}
	return fmt.Sprintf("%.0f ", n)
}

func table(w *bufio.Writer, rs []result) {
	fmt.Fprintln(w, "| workload | tool | words or rows per second | ratio to hand-written baseline | peak RSS MB | wall s | output check |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | --- |")
	last := ""
	for _, r := range rs {
		wl := ""
		if r.id != last {
			wl = fmt.Sprintf("(%s) %s, %s%s", r.id, r.workload, human(r.units), r.unit)
			last = r.id
		}
		tool, check := cell(r.tool), cell(r.check)
		if !r.ran {
			fmt.Fprintf(w, "| %s | %s | — | — | — | — | %s |\n", wl, tool, check)
			continue
		}
		ratio := "—"
		if b := find(rs, r.id, "base"); b != nil {
			ratio = fmt.Sprintf("%.2f", r.rate()/b.rate())
		} else if t := find(rs, r.id, "tumbling"); t != nil {
			ratio = fmt.Sprintf("%.2f of tumbling", r.rate()/t.rate())
		}
		fmt.Fprintf(w, "| %s | %s | %s%s/s | %s | %.1f | %.2f | %s |\n",
			wl, tool, human(r.rate()), r.unit, ratio, r.rssKB/1024, r.seconds, check)
	}
}

// cell escapes the pipes of a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func targets(w *bufio.Writer, rs []result) {
	fmt.Fprintln(w, "Targets:")
	verdict := func(ok bool) string {
		if ok {
			return "MEETS"
		}
		return "MISSES"
	}
	ratio := func(id, name string) {
		s, b := find(rs, id, "streamsql"), find(rs, id, "base")
		if s == nil || b == nil {
			fmt.Fprintf(w, "- (%s) %s >= 0.6x the hand-written baseline: not measured\n", id, name)
			return
		}
		q := s.rate() / b.rate()
		fmt.Fprintf(w, "- (%s) %s >= 0.6x the hand-written baseline: %s (%.2fx: %s%s/s vs %s%s/s)\n",
			id, name, verdict(q >= 0.6), q, human(s.rate()), s.unit, human(b.rate()), b.unit)
	}
	ratio("a", "word count")
	ratio("b", "JSON event-time windows")
	if sl, tu := find(rs, "e", "sliding"), find(rs, "e", "tumbling"); sl != nil && tu != nil {
		q := sl.seconds / max(tu.seconds, 0.005)
		fmt.Fprintf(w, "- (e) sliding 60s/1s <= 2x the time of tumbling 60s: %s (%.2fx: %.2f s vs %.2f s)\n",
			verdict(q <= 2), q, sl.seconds, tu.seconds)
	} else {
		fmt.Fprintln(w, "- (e) sliding <= 2x tumbling: not measured")
	}
	if s := find(rs, "b", "streamsql"); s != nil {
		mb := s.rssKB / 1024
		fmt.Fprintf(w, "- (b) streamsql peak RSS < 100 MB: %s (%.1f MB)\n", verdict(mb < 100), mb)
	} else {
		fmt.Fprintln(w, "- (b) streamsql peak RSS < 100 MB: not measured")
	}
}
