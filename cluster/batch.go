package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batchEnd returns a channel closed once the member's clock reaches end
// (or ctx is done): one waiter on the clock per batch, shared by the
// batch's polls.
func (m *member) batchEnd(ctx context.Context, end time.Time) <-chan struct{} {
	ended := make(chan struct{})
	at := m.cfg.Clock.At(end)
	go func() {
		select {
		case <-at:
		case <-ctx.Done():
		}
		close(ended)
	}()
	return ended
}

// poll waits for records until the batch has ended (see batchEnd), and for
// minPoll of wall time at least (a poll with a done context returns
// nothing, not even the records already fetched). The end is the member's
// clock's, not a context deadline the client would read as wall time, so
// a test on a fake clock decides when a batch ends. A fetch error is
// logged: the client retries it itself.
func (m *member) poll(ctx context.Context, sess *kgo.GroupTransactSession, ended <-chan struct{}, stage string) (kgo.Fetches, error) {
	var pctx context.Context
	var cancel context.CancelFunc
	polled := make(chan struct{})
	select {
	case <-ended: // a poll after the end: what is fetched or in flight
		pctx, cancel = context.WithTimeout(ctx, minPoll)
	default:
		pctx, cancel = context.WithCancel(ctx)
		start := time.Now()
		go func() {
			select {
			case <-ended:
			case <-polled:
				return
			}
			least := time.NewTimer(minPoll - time.Since(start))
			defer least.Stop()
			select {
			case <-least.C:
				cancel()
			case <-polled:
			}
		}()
	}
	fetches := sess.PollFetches(pctx)
	close(polled)
	cancel()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err := fetchError(fetches); err != nil {
		m.cfg.Logf("cluster %s: %s: %v (retrying)", m.cfg.Name, stage, err)
	}
	return fetches, nil
}

// fetchError returns the first error of fetches that is not the poll's
// deadline.
func fetchError(fs kgo.Fetches) error {
	var err error
	fs.EachError(func(_ string, _ int32, e error) {
		if err == nil && !errors.Is(e, context.DeadlineExceeded) && !errors.Is(e, context.Canceled) {
			err = e
		}
	})
	return err
}

// txn is one batch's transaction: it commits only if every record it
// produced was written.
type txn struct {
	sess   *kgo.GroupTransactSession
	failed atomic.Bool
}

func begin(sess *kgo.GroupTransactSession, stage string) (*txn, error) {
	if err := sess.Begin(); err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	return &txn{sess: sess}, nil
}

func (t *txn) produce(ctx context.Context, rec *kgo.Record) {
	t.sess.Produce(ctx, rec, func(_ *kgo.Record, err error) {
		if err != nil {
			t.failed.Store(true)
		}
	})
}

// end commits (or aborts) and reports whether the batch counted: false
// after a rebalance or a failed record, whose work is then done again.
func (t *txn) end(ctx context.Context, stage string) (bool, error) {
	committed, err := t.sess.End(ctx, kgo.TransactionEndTry(!t.failed.Load()))
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("%s: ending the batch's transaction: %w", stage, err)
	}
	return committed, nil
}
