package vault

import (
	"fmt"
	"sync"
)

// groupSync merges concurrent calls of one durability operation (group
// commit, as auditlog merges appends): Sync returns once the operation
// has run to completion after Sync was called, and one run serves every
// caller queued when it began.
//
// A failure is final: every later Sync returns it without running do.
// A file-system flush reports a write-back error once, to whichever run
// comes first, and that may be a run this caller's bytes were not
// waiting for (the kernel writes back in the background too); after it,
// no flush can vouch for bytes written before it (PostgreSQL's lesson
// from fsync errors). The owner must be reopened.
type groupSync struct {
	do      func() error
	mu      sync.Mutex
	queue   []*syncWaiter
	leading bool
	failed  error // the first failure; guarded by mu
}

type syncWaiter struct {
	wake chan bool // true: lead the next run; false: done, see err
	err  error
}

// Sync returns the error of a run of do that started after Sync was called.
func (g *groupSync) Sync() error {
	w := &syncWaiter{wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if !lead {
		lead = <-w.wake
	}
	if lead {
		g.lead(w)
	}
	return w.err
}

// lead runs do for every waiter queued so far (me among them), then hands
// the lead to the first waiter queued since, if any.
func (g *groupSync) lead(me *syncWaiter) {
	g.mu.Lock()
	run := g.queue
	g.queue = nil
	err := g.failed
	g.mu.Unlock()
	if err == nil {
		if err = g.do(); err != nil {
			err = fmt.Errorf("%w; nothing is durable from now on, reopen the vault after checking the disk", err)
		}
	}
	g.mu.Lock()
	if g.failed == nil {
		g.failed = err
	}
	if len(g.queue) > 0 {
		g.queue[0].wake <- true
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	for _, w := range run {
		w.err = err
		if w != me {
			w.wake <- false
		}
	}
}
