// Package pollsource is a source written outside package sources, with
// only its exported helpers: poll(url, every => '10s', format => ...)
// fetches url every interval and decodes the body as records (text
// lines, csv or jsonl), like Telegraf's http input. An embedder who wants
// it imports the package for its side effect:
//
//	import _ "github.com/streamsql/streamsql/examples/pollsource"
//
// The streamsql binary does not: a query sent over --http must not make
// the engine fetch arbitrary URLs.
package pollsource

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/sources"
)

func init() {
	sources.Register(&sources.Spec{
		Name:    "poll",
		Usage:   "poll('http://host/path' [, every => '10s', " + formats.Usage + "])",
		MaxArgs: 1,
		Options: append([]string{"every"}, formats.Options...),
		Open:    open,
	})
}

type source struct {
	url   string
	every time.Duration
	once  bool
	dec   formats.Decoder
}

// open checks the arguments; it fetches nothing (Run does).
func open(args sources.Args) (sources.Source, error) {
	url, err := args.Text("poll", 0, "url")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("poll(): %s is not an http:// or https:// URL", formats.Quote(url))
	}
	s := &source{url: url, every: 10 * time.Second, once: args.Once}
	if v, ok := args.Named["every"]; ok {
		if s.every, err = time.ParseDuration(v.String()); err != nil || s.every <= 0 {
			return nil, fmt.Errorf("poll(): every must be a duration such as '10s', got %s", formats.Quote(v.String()))
		}
	}
	if s.dec, err = sources.OpenDecoder(args); err != nil {
		return nil, fmt.Errorf("poll(): %w", err)
	}
	return s, nil
}

func (s *source) Schema() sources.Schema {
	sch := s.dec.Schema()
	if !sch.Typed && len(sch.Columns) == 0 {
		sch.Open = true // schemaless: nothing is fetched before the query starts
	}
	return sch
}

func (s *source) Bind(columns []string) error { return s.dec.Bind(columns) }
func (s *source) Bounded() bool               { return s.once }
func (s *source) Label() string               { return "poll(" + formats.Quote(s.url) + ")" }
func (s *source) Decoder() formats.Decoder    { return s.dec }

func (s *source) Describe() string {
	mode := fmt.Sprintf("every %s", s.every)
	if s.once {
		mode = "once"
	}
	return fmt.Sprintf("%s format=%s %s", s.Label(), s.dec.Name(), mode)
}

// Run fetches the URL at once and then every interval (once, bounded). A
// fetch that fails is reported and tried again at the next tick; bounded,
// it is the query's error.
func (s *source) Run(ctx context.Context, out sources.Emitter) error {
	out, done := sources.WithRejects(out, s.dec, s.Label())
	defer done()
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		err := s.fetch(ctx, out)
		if s.once || ctx.Err() != nil {
			return err
		}
		if err != nil {
			out.Logf("%s: %v (trying again in %s)", s.Label(), err, s.every)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *source) fetch(ctx context.Context, out sources.Emitter) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", s.url, resp.Status)
	}
	return sources.ReadRecords(ctx, resp.Body, s.Label(), s.dec, out)
}
