package vault

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// maxBatch bounds the calls one batch transaction runs, so that one
// transaction stays short and a failing call costs little to retry.
const maxBatch = 256

// batcher implements Records.Batch on top of an Update: group commit.
// Calls queue while batches are being committed; a committer that is done
// takes every queued call (up to maxBatch) into its next transaction. No
// call waits for a timer: under no load a batch is one call, and under
// load a batch is everything that arrived during the previous commit.
type batcher struct {
	update     func(ctx context.Context, fn func(Tx) error) error
	committers int // at most this many batch transactions at once (≥ 1)

	mu      sync.Mutex
	queue   []*batchCall
	running int // committers running
}

type batchCall struct {
	ctx   context.Context
	fn    func(Tx) error
	state atomic.Int32 // callQueued, callTaken or callAbandoned
	err   error
	done  chan struct{}
}

const (
	callQueued int32 = iota
	callTaken
	callAbandoned
)

// errMemberFailed stops a batch transaction when one of its calls fails.
var errMemberFailed = errors.New("vault: a call in the batch failed")

func (b *batcher) batch(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &batchCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if b.running < max(b.committers, 1) {
		b.running++
		go b.commitLoop()
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		if c.state.CompareAndSwap(callQueued, callAbandoned) {
			return ctx.Err() // never ran: nothing changed
		}
		<-c.done // already in a transaction: its outcome is the answer
		return c.err
	}
}

// commitLoop commits queued calls until the queue is empty.
func (b *batcher) commitLoop() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		calls := make([]*batchCall, 0, n)
		for _, c := range b.queue[:n] {
			if c.state.CompareAndSwap(callQueued, callTaken) {
				calls = append(calls, c)
			}
		}
		b.queue = append(b.queue[:0:0], b.queue[n:]...)
		b.mu.Unlock()
		b.run(calls)
	}
}

// run commits calls in one transaction. If one call fails, the others are
// committed without it and the failed call then runs alone, so that the
// error it returns is its own and not an effect of its neighbours.
func (b *batcher) run(calls []*batchCall) {
	for len(calls) > 0 {
		if len(calls) == 1 {
			c := calls[0]
			c.err = b.update(c.ctx, c.fn)
			close(c.done)
			return
		}
		failed := -1
		err := b.update(context.WithoutCancel(calls[0].ctx), func(tx Tx) error {
			failed = -1
			for i, c := range calls {
				if err := c.fn(tx); err != nil {
					failed = i
					return errMemberFailed
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.err = err
				close(c.done)
			}
			return
		}
		c := calls[failed]
		calls = append(calls[:failed:failed], calls[failed+1:]...)
		defer func() {
			c.err = b.update(c.ctx, c.fn)
			close(c.done)
		}()
	}
}
