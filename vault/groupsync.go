package vault

import "sync"

// groupSync merges concurrent calls of one durability operation (group
// commit, as auditlog merges appends): Sync returns once the operation
// has run to completion after Sync was called, and one run serves every
// caller queued when it began.
type groupSync struct {
	do      func() error
	mu      sync.Mutex
	queue   []*syncWaiter
	leading bool
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
	g.mu.Unlock()
	err := g.do()
	g.mu.Lock()
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
