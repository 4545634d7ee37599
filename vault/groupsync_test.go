package vault

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupSyncStartsAfterCall checks groupSync's promise: Sync returns
// only after a run that started after the call (a run already in flight
// when a caller arrives may predate its writes), and concurrent callers
// share runs.
func TestGroupSyncStartsAfterCall(t *testing.T) {
	var started, completed atomic.Int64
	g := &groupSync{do: func() error {
		n := started.Add(1)
		time.Sleep(2 * time.Millisecond)
		completed.Store(n)
		return nil
	}}
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range 5 {
				before := started.Load()
				if err := g.Sync(); err != nil {
					t.Error(err)
				}
				if got := completed.Load(); got <= before {
					t.Errorf("Sync returned after run %d, but run %d had already started when it was called", got, before)
				}
			}
		})
	}
	wg.Wait()
	if runs := started.Load(); runs >= callers*5 {
		t.Errorf("%d calls took %d runs: concurrent calls were not merged", callers*5, runs)
	} else {
		t.Logf("%d calls, %d runs", callers*5, runs)
	}
}

// TestGroupSyncError checks that a failure is final: a flush that
// reports a write-back error may not be the one a later caller's bytes
// depended on, so no later flush can vouch for them.
func TestGroupSyncError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	runs := 0
	g := &groupSync{do: func() error {
		runs++
		if runs == 2 {
			return errDisk
		}
		return nil
	}}
	if err := g.Sync(); err != nil {
		t.Fatalf("first Sync = %v", err)
	}
	for i := range 3 {
		if err := g.Sync(); !errors.Is(err, errDisk) {
			t.Fatalf("Sync %d after the failure = %v, want the failure", i+1, err)
		}
	}
	if runs != 2 {
		t.Errorf("do ran %d times; after a failure it must not run again", runs)
	}
}
