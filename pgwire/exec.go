package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/types"
)

// out writes one statement's rows: the row description first when the
// protocol wants it there (simple queries), then data rows, flushed in
// pieces so a large answer never sits whole in the write buffer.
type out struct {
	c        *conn
	cols     *columns
	describe bool    // send RowDescription before the rows
	formats  []int16 // a Bind's result formats
	max      int     // Execute's row limit; 0 for none
	n        int
	vals     [][]byte
	buf      []byte
	ends     []int // where each value ends in buf; -1 for NULL
}

func (o *out) start(cols *columns) {
	cols.setFormats(o.formats)
	o.cols = cols
	if o.describe {
		o.c.be.Send(cols.description())
	}
}

func (o *out) row(r types.Row) error {
	// Every value is encoded into one buffer and sliced once it is
	// complete (appending may move it). The buffer is never nil, so an
	// empty value is an empty slice, not a NULL.
	if o.buf == nil {
		o.buf = make([]byte, 0, 256)
	}
	o.buf, o.ends = o.buf[:0], o.ends[:0]
	for i := range o.cols.names {
		var v types.Value
		if i < len(r) {
			v = r[i]
		}
		if v.IsNull() {
			o.ends = append(o.ends, -1)
			continue
		}
		b, err := o.cols.encode(o.buf, i, v)
		if err != nil {
			return err
		}
		o.buf = b
		o.ends = append(o.ends, len(o.buf))
	}
	o.vals = o.vals[:0]
	prev := 0
	for _, end := range o.ends {
		if end < 0 {
			o.vals = append(o.vals, nil)
			continue
		}
		o.vals = append(o.vals, o.buf[prev:end:end])
		prev = end
	}
	o.c.be.Send(&pgproto3.DataRow{Values: o.vals})
	o.n++
	if o.n%1024 == 0 {
		return o.c.flush()
	}
	return nil
}

func (o *out) complete(tag string) {
	o.c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
}

// simpleQuery runs each statement of a Query message, stopping at the
// first error.
func (c *conn) simpleQuery(ctx context.Context, text string) error {
	stmts := splitStatements(text)
	if len(stmts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	for _, st := range stmts {
		o := &out{c: c, describe: true}
		err := c.run(ctx, text, st, o)
		var cerr connError
		if errors.As(err, &cerr) {
			return cerr.err
		}
		if err != nil {
			c.sendError(err, text, st.at, false)
			return nil
		}
	}
	return nil
}

// connError is a failure of the connection itself (a write that did
// not go through), which ends it.
type connError struct{ err error }

func (e connError) Error() string { return e.err.Error() }

// stmt is one statement of a client's text: where it starts in it.
type stmt struct {
	text string
	at   int
}

// run runs one statement, writing its rows to o.
func (c *conn) run(ctx context.Context, query string, st stmt, o *out) error {
	w := firstWords(st.text, 3)
	if len(w) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if c.failed && w[0] != "rollback" && w[0] != "abort" && w[0] != "commit" && w[0] != "end" {
		return errorf(codeInFailedTx, "current transaction is aborted, commands ignored until end of transaction block")
	}
	switch w[0] {
	case "begin", "start":
		c.inTx = true
		o.complete("BEGIN")
		return nil
	case "commit", "end", "rollback", "abort":
		tag := "COMMIT"
		if w[0] == "rollback" || w[0] == "abort" || c.failed {
			tag = "ROLLBACK"
		}
		c.inTx, c.failed = false, false
		o.complete(tag)
		return nil
	case "set":
		return c.set(st.text, o)
	case "reset", "discard", "deallocate", "unlisten":
		o.complete(strings.ToUpper(w[0]))
		return nil
	case "declare":
		return c.declare(ctx, st.text, o)
	case "fetch":
		return c.fetch(ctx, st.text, o)
	case "close":
		return c.closeCursor(st.text, o)
	case "stop":
		return c.stopQuery(st.text, o)
	case "show":
		if len(w) > 1 && w[1] != "streams" && w[1] != "views" && w[1] != "materialized" {
			return c.show(w[1], o)
		}
	}
	if ans, ok, err := c.catalog(st.text); ok || err != nil {
		if err != nil {
			return err
		}
		o.start(ans.cols)
		for _, r := range ans.rows {
			if err := o.row(r); err != nil {
				return err
			}
		}
		o.complete(fmt.Sprintf("SELECT %d", len(ans.rows)))
		return nil
	}
	stmts, err := c.srv.eng.PrepareContext(ctx, st.text)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if err := c.runEngine(ctx, s, o); err != nil {
			return err
		}
	}
	return nil
}

// runEngine runs one statement the engine planned.
func (c *conn) runEngine(ctx context.Context, s *streamsql.Statement, o *out) error {
	switch s.Kind {
	case streamsql.KindPull:
		res, err := s.Pull()
		if err != nil {
			return err
		}
		o.start(newColumns(res.Columns, s.Kinds()))
		for _, r := range res.Rows {
			if err := o.row(r); err != nil {
				return err
			}
		}
		o.complete(fmt.Sprintf("SELECT %d", len(res.Rows)))
	case streamsql.KindQuery, streamsql.KindSubscribe:
		return c.stream(ctx, s, o)
	case streamsql.KindExplain:
		o.start(textColumns("QUERY PLAN"))
		lines := strings.Split(strings.TrimRight(s.Plan(), "\n"), "\n")
		for _, l := range lines {
			if err := o.row(types.Row{types.Text(l)}); err != nil {
				return err
			}
		}
		o.complete(fmt.Sprintf("EXPLAIN %d", len(lines)))
	case streamsql.KindShow:
		return c.showCatalog(s, o)
	case streamsql.KindCreateStream:
		o.complete("CREATE STREAM")
	case streamsql.KindDropStream:
		o.complete("DROP STREAM")
	case streamsql.KindDropView:
		o.complete("DROP MATERIALIZED VIEW")
	case streamsql.KindCreateView, streamsql.KindInsert:
		// Background queries belong to the engine, not to the
		// connection: they run on after the client leaves.
		if s.Kind == streamsql.KindCreateView && c.srv.cfg.Checkpoint != "" {
			s.Checkpoint(c.srv.cfg.Checkpoint, c.srv.cfg.CheckpointEvery)
		}
		qs, err := c.srv.eng.Start(context.Background(), []*streamsql.Statement{s})
		if err != nil {
			return err
		}
		if s.Kind == streamsql.KindCreateView {
			o.complete("CREATE MATERIALIZED VIEW")
			return nil
		}
		c.be.Send(&pgproto3.NoticeResponse{Severity: "NOTICE", SeverityUnlocalized: "NOTICE", Code: "00000",
			Message: fmt.Sprintf("query %d running in the background; STOP QUERY %d stops it", qs[0].ID, qs[0].ID)})
		o.complete("INSERT 0 0")
	default:
		return errorf(codeUnsupported, "statement not supported over the wire: "+s.Text)
	}
	return nil
}

// heartbeat is how often a quiet stream writes to its client.
var heartbeat = 10 * time.Second

// stream runs a continuous SELECT or a SUBSCRIBE: rows (with their op
// when the result keeps changing) batch by batch, until the input ends
// or the client cancels.
func (c *conn) stream(ctx context.Context, s *streamsql.Statement, o *out) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.running(cancel)
	defer c.running(nil)
	sub, err := s.Subscribe(ctx)
	if err != nil {
		return err
	}
	defer sub.Close()
	withOp := s.Kind == streamsql.KindSubscribe || s.Updating()
	cols := sub.Columns
	kinds := sub.Kinds
	if withOp {
		cols = append([]string{"op"}, cols...)
		kinds = append([]types.Kind{types.KindText}, kinds...)
	}
	o.start(newColumns(cols, kinds))
	if err := c.flush(); err != nil {
		return connError{err}
	}
	row := make(types.Row, len(cols))
	// A quiet stream still writes now and then (a ParameterStatus, which
	// clients take at any time), so a client that went away is noticed
	// and its query stopped.
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return errorf(codeCanceled, "canceling statement due to user request")
		case <-beat.C:
			c.be.Send(&pgproto3.ParameterStatus{Name: "application_name", Value: c.params["application_name"]})
			if err := c.flush(); err != nil {
				return connError{err}
			}
		case ch, ok := <-sub.C:
			if !ok {
				if err := sub.Err(); err != nil {
					return err
				}
				o.complete(fmt.Sprintf("SELECT %d", o.n))
				return nil
			}
			for _, change := range ch.Changes {
				r := change.Row
				if withOp {
					row[0] = types.Text(change.Op.String())
					copy(row[1:], change.Row)
					r = row
				}
				if err := o.row(r); err != nil {
					return connError{err}
				}
			}
			if err := c.flush(); err != nil {
				return connError{err}
			}
		}
	}
}

func (c *conn) showCatalog(s *streamsql.Statement, o *out) error {
	if strings.Contains(strings.ToUpper(s.Text), "VIEWS") {
		o.start(textColumns("name", "columns", "key", "rows", "updated", "definition"))
		vs := c.srv.eng.Views()
		for _, v := range vs {
			var cols []string
			for _, col := range v.Columns {
				cols = append(cols, col.Name+" "+col.Type.String())
			}
			updated := types.Null
			if !v.Updated.IsZero() {
				updated = types.Text(pgTime(v.Updated))
			}
			if err := o.row(types.Row{types.Text(v.Name), types.Text(strings.Join(cols, ", ")), types.Text(strings.Join(v.Key, ", ")),
				types.Text(strconv.Itoa(v.Rows)), updated, types.Text(v.Definition)}); err != nil {
				return err
			}
		}
		o.complete(fmt.Sprintf("SHOW %d", len(vs)))
		return nil
	}
	o.start(textColumns("name", "definition"))
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(s.Output), "\n") {
		name, def, ok := strings.Cut(line, " AS ")
		if !ok {
			continue
		}
		if err := o.row(types.Row{types.Text(name), types.Text(def)}); err != nil {
			return err
		}
		n++
	}
	o.complete(fmt.Sprintf("SHOW %d", n))
	return nil
}

// stopQuery is STOP QUERY n.
func (c *conn) stopQuery(text string, o *out) error {
	w := firstWords(text, 4)
	if len(w) != 3 || w[1] != "query" {
		return errorf(codeSyntax, "usage: STOP QUERY <n> (SHOW QUERIES lists the running ones)")
	}
	id, err := strconv.Atoi(strings.TrimSuffix(w[2], ";"))
	if err != nil {
		return errorf(codeSyntax, "usage: STOP QUERY <n>: "+w[2]+" is not a query number")
	}
	q, ok := c.srv.eng.QueryByID(id)
	if !ok {
		return errorf(codeUndefinedObject, fmt.Sprintf("no query %d is running (SHOW QUERIES lists them)", id))
	}
	q.Stop()
	q.Wait()
	o.complete("STOP QUERY")
	return nil
}

// show answers SHOW of a setting, and SHOW QUERIES.
func (c *conn) show(name string, o *out) error {
	name = strings.TrimSuffix(name, ";")
	if name == "queries" {
		o.start(textColumns("id", "sql", "rows_in", "batches"))
		qs := c.srv.eng.Queries()
		for _, q := range qs {
			st := q.Stats()
			if err := o.row(types.Row{types.Text(strconv.Itoa(q.ID)), types.Text(q.SQL), types.Text(strconv.FormatInt(st.RowsIn, 10)), types.Text(strconv.FormatInt(st.Batches, 10))}); err != nil {
				return err
			}
		}
		o.complete(fmt.Sprintf("SHOW %d", len(qs)))
		return nil
	}
	v, ok := c.setting(name)
	if !ok {
		return errorf(codeUndefinedObject, fmt.Sprintf("unrecognized configuration parameter %q", name))
	}
	o.start(textColumns(name))
	if err := o.row(types.Row{types.Text(v)}); err != nil {
		return err
	}
	o.complete("SHOW")
	return nil
}

// setting is a session setting's value, as PostgreSQL 15 would say.
func (c *conn) setting(name string) (string, bool) {
	name = strings.ToLower(strings.Trim(name, `"`))
	if v, ok := c.params[name]; ok {
		return v, true
	}
	switch name {
	case "server_version":
		return serverVersion, true
	case "server_version_num":
		return "150000", true
	case "server_encoding", "client_encoding":
		return "UTF8", true
	case "datestyle":
		return "ISO, MDY", true
	case "timezone":
		return "UTC", true
	case "intervalstyle":
		return "postgres", true
	case "standard_conforming_strings", "integer_datetimes":
		return "on", true
	case "transaction_isolation", "default_transaction_isolation":
		return "read committed", true
	case "transaction_read_only", "default_transaction_read_only", "is_superuser":
		return "off", true
	case "max_identifier_length":
		return "63", true
	case "search_path":
		return `"$user", public`, true
	case "application_name":
		return "", true
	case "extra_float_digits":
		return "1", true
	case "lc_collate", "lc_ctype":
		return "C", true
	case "batch_interval":
		return c.srv.eng.BatchInterval().String(), true
	}
	return "", false
}

// set records a session setting; the engine has none a session may
// change, so they only answer SHOW and current_setting.
func (c *conn) set(text string, o *out) error {
	rest := strings.TrimSpace(stripComments(text))
	rest = strings.TrimSuffix(strings.TrimSpace(rest[3:]), ";")
	for _, p := range []string{"session ", "local "} {
		if strings.HasPrefix(strings.ToLower(rest), p) {
			rest = rest[len(p):]
		}
	}
	name, value, ok := strings.Cut(rest, "=")
	if !ok {
		f := strings.Fields(rest)
		if len(f) >= 3 && strings.EqualFold(f[1], "to") {
			name, value, ok = f[0], strings.Join(f[2:], " "), true
		} else if len(f) >= 2 && strings.EqualFold(f[0], "time") && strings.EqualFold(f[1], "zone") {
			name, value, ok = "timezone", strings.Join(f[2:], " "), true
		}
	}
	if !ok {
		return errorf(codeSyntax, "usage: SET name = value")
	}
	name = strings.ToLower(strings.TrimSpace(name))
	value = strings.Trim(strings.TrimSpace(value), `'"`)
	c.params[name] = value
	o.complete("SET")
	return nil
}

// cursor is a DECLARE'd cursor: a subscription, or a pull query's rows.
type cursor struct {
	cols    *columns
	sub     *streamsql.Subscription
	pending []types.Row // rows taken from sub or the pull, not fetched yet
	withOp  bool
}

func (cur *cursor) close() {
	if cur.sub != nil {
		cur.sub.Close()
	}
}

// declare is DECLARE name [NO SCROLL] CURSOR [WITH[OUT] HOLD] FOR stmt.
func (c *conn) declare(ctx context.Context, text string, o *out) error {
	body := stripComments(text)
	lower := strings.ToLower(body)
	i := strings.Index(lower, " for ")
	f := strings.Fields(lower)
	if i < 0 || len(f) < 4 {
		return errorf(codeSyntax, "usage: DECLARE name CURSOR FOR SUBSCRIBE ... | SELECT ...")
	}
	name := strings.Trim(strings.Fields(body)[1], `"`)
	inner := strings.TrimSpace(body[i+5:])
	stmts, err := c.srv.eng.PrepareContext(ctx, inner)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return errorf(codeSyntax, "DECLARE takes one statement")
	}
	s := stmts[0]
	cur := &cursor{}
	switch s.Kind {
	case streamsql.KindSubscribe:
		// The subscription lives as long as the cursor, not the
		// statement.
		sub, err := s.Subscribe(context.Background())
		if err != nil {
			return err
		}
		cur.sub, cur.withOp = sub, true
		cur.cols = newColumns(append([]string{"op"}, sub.Columns...), append([]types.Kind{types.KindText}, sub.Kinds...))
	case streamsql.KindPull:
		res, err := s.Pull()
		if err != nil {
			return err
		}
		cur.cols, cur.pending = newColumns(res.Columns, s.Kinds()), res.Rows
	default:
		return errorf(codeUnsupported, "a cursor is declared for SUBSCRIBE or a SELECT from a materialized view")
	}
	if old := c.cursors[name]; old != nil {
		old.close()
	}
	c.cursors[name] = cur
	o.complete("DECLARE CURSOR")
	return nil
}

// fetch is FETCH [FORWARD] [ALL | NEXT | n] [FROM | IN] name [WITH
// (timeout = 'd')]: what the cursor has; on a subscription with nothing
// yet, it waits for the next change (up to the timeout, when given).
func (c *conn) fetch(ctx context.Context, text string, o *out) error {
	name, limit, timeout, err := parseFetch(text)
	if err != nil {
		return err
	}
	cur := c.cursors[name]
	if cur == nil {
		return errorf(codeCursor, fmt.Sprintf("cursor %q does not exist", name))
	}
	o.start(cur.cols)
	if cur.sub != nil {
		cur.take()
		if len(cur.pending) == 0 && limit != 0 {
			ctx, cancel := context.WithCancel(ctx)
			if timeout >= 0 {
				ctx, cancel = context.WithTimeout(ctx, timeout)
			}
			c.running(cancel)
			err := cur.wait(ctx)
			c.running(nil)
			cancel()
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			cur.take()
		}
	}
	n := len(cur.pending)
	if limit >= 0 && limit < n {
		n = limit
	}
	for _, r := range cur.pending[:n] {
		if err := o.row(r); err != nil {
			return err
		}
	}
	cur.pending = cur.pending[n:]
	o.complete(fmt.Sprintf("FETCH %d", n))
	return nil
}

// parseFetch reads FETCH [FORWARD] [ALL | NEXT | n] [FROM | IN] name
// [WITH (timeout = 'd')]: limit -1 is ALL, timeout -1 none.
func parseFetch(text string) (name string, limit int, timeout time.Duration, err error) {
	body := stripComments(text)
	timeout, limit = -1, -1
	if i := strings.Index(strings.ToLower(body), " with "); i >= 0 {
		opt := body[i+6:]
		body = body[:i]
		_, v, _ := strings.Cut(opt, "=")
		v = strings.Trim(strings.TrimSpace(strings.Trim(strings.TrimSpace(v), "();")), `'`)
		d, err := time.ParseDuration(v)
		if err != nil {
			return "", 0, 0, errorf(codeParameter, fmt.Sprintf("FETCH ... WITH (timeout = '1s'): %q is not a duration", v))
		}
		timeout = d
	}
	f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(body), ";"))[1:]
	usage := errorf(codeSyntax, "usage: FETCH [ALL | NEXT | n] [FROM] cursor [WITH (timeout = '1s')]")
	for len(f) > 1 {
		w := strings.ToLower(f[0])
		switch {
		case w == "forward" || w == "from" || w == "in":
		case w == "all":
			limit = -1
		case w == "next":
			limit = 1
		default:
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 {
				return "", 0, 0, usage
			}
			limit = n
		}
		f = f[1:]
	}
	if len(f) != 1 {
		return "", 0, 0, usage
	}
	return strings.Trim(f[0], `"`), limit, timeout, nil
}

// take moves the changes the subscription holds to pending.
func (cur *cursor) take() {
	for {
		select {
		case ch, ok := <-cur.sub.C:
			if !ok {
				return
			}
			cur.add(ch)
		default:
			return
		}
	}
}

func (cur *cursor) add(ch *streamsql.Changes) {
	for _, change := range ch.Changes {
		r := make(types.Row, 0, len(change.Row)+1)
		r = append(append(r, types.Text(change.Op.String())), change.Row...)
		cur.pending = append(cur.pending, r)
	}
}

// wait waits for the next batch of changes.
func (cur *cursor) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return errorf(codeCanceled, "canceling statement due to user request")
		}
		return ctx.Err()
	case ch, ok := <-cur.sub.C:
		if !ok {
			return cur.sub.Err()
		}
		cur.add(ch)
		return nil
	}
}

func (c *conn) closeCursor(text string, o *out) error {
	f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(stripComments(text)), ";"))
	if len(f) != 2 {
		return errorf(codeSyntax, "usage: CLOSE cursor | CLOSE ALL")
	}
	name := strings.Trim(f[1], `"`)
	if strings.EqualFold(name, "all") {
		c.closeAll()
		clear(c.cursors)
	} else if cur := c.cursors[name]; cur != nil {
		cur.close()
		delete(c.cursors, name)
	} else {
		return errorf(codeCursor, fmt.Sprintf("cursor %q does not exist", name))
	}
	o.complete("CLOSE CURSOR")
	return nil
}
