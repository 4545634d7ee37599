package tender

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// Every state change of a tender (announce, amend, close, open, result,
// award, cancel) is a transition, made in three steps:
//
//  1. One Records.Update decides from the tender's state that the change
//     may happen and records it as the tender's Pending transition: the
//     operation, the exact entries it will log (when they are known at the
//     start), what it will set, and a lease held by the call that runs it.
//     A second caller (a double click, another server instance on the same
//     PostgreSQL) finds the Pending transition and is refused (ErrState:
//     in progress, try again) before it writes anything. Update is
//     serializable on both backends, so of two racing callers only one
//     records its transition.
//  2. The entries are appended to the log.
//  3. A second Update sets the new state and clears Pending.
//
// A transition whose lease ran out was abandoned (a crash, or an error
// between the steps): the next caller completes it, appending its entries
// only if the log does not already hold them (they are searched for from
// the log size recorded at step 1), then goes on with its own request.
// An interrupted closing or opening, whose entries depend on what the log
// holds, is resumed by the next Close or Open (see close.go, opening.go).
// The lease is renewed while a long transition (the opening) runs.

// Transition is a state change of a tender in progress (Tender.Pending),
// as the engine records it before logging it. Callers only read it: a
// tender with one is changing, and other changes wait.
type Transition struct {
	Op    string    // "announcement", "amendment", "closing", "opening", "result", "award", "cancellation", "opening start" or "opening completion"
	By    string    // who asked for it ("" for the engine's own closing)
	Owner string    // token of the call that runs it
	Lease time.Time // the owner is taken to be running it until then
	From  int64     // the log's size when it was recorded: its entries follow
	// Entries are the entries it appends, in one call, if they are fixed
	// when it starts (not for closing and opening).
	Entries [][]byte `json:",omitempty"`

	// What it sets once its entries are logged.
	State      State       `json:",omitempty"`
	Document   *[32]byte   `json:",omitempty"` // opAmend
	Schedule   *Schedule   `json:",omitempty"` // opAmend
	Amendments int         `json:",omitempty"` // opAmend
	Result     *Result     `json:",omitempty"` // opResult, opAward
	File       int         `json:",omitempty"` // v2: the file part of opStart, opComplete
	Started    *Started    `json:",omitempty"` // opStart
	Proposal   *Proposal   `json:",omitempty"` // opApprove: the proposal with the approval
	Evaluation *Evaluation `json:",omitempty"` // opApprove: the evaluation it fixes, if it does
	Part       int         `json:",omitempty"` // opApprove, opStageTwo: the part the new State is about
	Stage      *FilePart   `json:",omitempty"` // opStageTwo: stage 2 as announced
}

// Operations of transitions, as refusals name them.
const (
	opAnnounce = "announcement"
	opAmend    = "amendment"
	opClose    = "closing"
	opOpen     = "opening"
	opResult   = "result"
	opAward    = "award"
	opCancel   = "cancellation"
	opStart    = "opening start"      // v2: a part's opening starts
	opComplete = "opening completion" // v2: a part's opening completes
	opApprove  = "evaluation approval"
	opStageTwo = "stage 2 announcement"
)

// resumeVerb says what resumes an interrupted transition whose entries
// are not fixed at its start.
var resumeVerb = map[string]string{opClose: "close", opOpen: "open", opComplete: "complete the opening of"}

// leaseFor is how long a transition is taken to be running without a
// renewal; after that, the next caller completes it. Generous, like
// busyFor: taking over a live transition would log its entries twice.
const leaseFor = time.Minute

// apply sets what p sets on t, the index of p's first entry being first,
// and clears t's Pending transition.
func (p *Transition) apply(t *Tender, first int64) {
	switch p.Op {
	case opAnnounce:
		t.LogStart = first
	case opAmend:
		t.Document, t.Schedule, t.Amendments = *p.Document, *p.Schedule, p.Amendments
		if t.V2() { // the parts closing at the tender's deadline
			t.Parts[0].Deadline = t.Schedule.Deadline
			if t.Method == MethodTwoFile {
				t.Parts[1].Deadline = t.Schedule.Deadline
			}
		}
	case opResult, opAward:
		t.Result = p.Result
	case opStart:
		started := *p.Started
		started.LogIndex = first
		t.Parts[p.File-1].Started = &started
	case opApprove:
		p.applyApproval(t, first)
	case opStageTwo:
		t.Parts[1], t.Part = *p.Stage, p.Part
	}
	if p.State != "" {
		t.State = p.State
	}
	t.Pending = nil
}

// transit runs transition p on tender id: decide refuses it (from the
// tender as stored, inside the transaction that records p) or lets it go,
// possibly filling in p; then p's entries are logged and p is applied.
func (e *Engine) transit(ctx context.Context, id string, p *Transition, decide func(t *Tender) error) (*Tender, error) {
	if _, _, err := e.begin(ctx, id, p, decide); err != nil {
		return nil, err
	}
	first, err := e.appendOwned(ctx, id, p)
	if err != nil {
		return nil, err
	}
	return e.finish(ctx, id, p, func(t *Tender) { p.apply(t, first) })
}

// begin records p as tender id's Pending transition if decide lets it.
// It refuses (ErrState) while another transition is in progress. An
// abandoned one is completed first, if its entries are known; an
// abandoned closing or opening is resumed only by the same operation: then
// the caller takes it over (resumed is true, decide is not called, p gets
// the abandoned transition's fields) and must complete it.
func (e *Engine) begin(ctx context.Context, id string, p *Transition, decide func(t *Tender) error) (t *Tender, resumed bool, err error) {
	return e.beginTx(ctx, id, p, func(_ vault.Tx, t *Tender) error { return decide(t) })
}

// beginTx is begin with a decide that may read other records in the
// transaction that records p.
func (e *Engine) beginTx(ctx context.Context, id string, p *Transition, decide func(tx vault.Tx, t *Tender) error) (t *Tender, resumed bool, err error) {
	p.Owner = newToken()
	for {
		var abandoned *Transition
		t, err = e.update(ctx, id, func(tx vault.Tx, t *Tender) error {
			abandoned, resumed = nil, false
			now := e.now()
			if q := t.Pending; q != nil {
				switch {
				case now.Before(q.Lease): // its owner runs it
					return fmt.Errorf("%w: the %s of tender %s is in progress; try again", ErrState, q.Op, id)
				case q.Entries != nil:
					abandoned = q
				case q.Op == p.Op:
					resumed = true
				default:
					return fmt.Errorf("%w: the %s of tender %s was interrupted; %s it again first", ErrState, q.Op, id, resumeVerb[q.Op])
				}
				q.Owner, q.Lease = p.Owner, now.Add(leaseFor)
				if resumed {
					*p = *q
				}
				return nil
			}
			if err := decide(tx, t); err != nil {
				return err
			}
			p.From, p.Lease = e.cfg.Log.Size(), now.Add(leaseFor)
			t.Pending = p
			return nil
		})
		if err != nil || abandoned == nil {
			return t, resumed, err
		}
		if _, err := e.complete(ctx, id, abandoned); err != nil {
			return nil, false, err
		}
		e.log.Warn("an interrupted transition was completed", "tender", id, "op", abandoned.Op)
	}
}

// complete finishes an abandoned transition p, taken over by this call:
// it appends p's entries unless the log holds them already, then applies p.
// Engines sharing a backend search the log as the storage holds it
// (logSize), so entries another instance appended before it crashed are
// found, not logged twice.
func (e *Engine) complete(ctx context.Context, id string, p *Transition) (*Tender, error) {
	first, err := e.findEntry(ctx, p.From, p.Entries[0])
	if err != nil {
		return nil, err
	}
	if first < 0 {
		if first, err = e.appendOwned(ctx, id, p); err != nil {
			return nil, err
		}
	}
	return e.finish(ctx, id, p, func(t *Tender) { p.apply(t, first) })
}

// appendOwned appends p's entries if this call still holds p's lease, and
// renews it. If the append fails, the lease is given up at once, so that
// the next caller completes p (the entries may be in the log all the same).
func (e *Engine) appendOwned(ctx context.Context, id string, p *Transition, entries ...[]byte) (int64, error) {
	if err := e.renew(ctx, id, p); err != nil {
		return 0, err
	}
	if entries == nil {
		entries = p.Entries
	}
	first, err := e.appendLog(ctx, entries...)
	if err != nil {
		e.release(id, p)
		return 0, fmt.Errorf("%w; the %s will be completed by the next request", err, p.Op)
	}
	return first, nil
}

// renew extends p's lease, if this call still owns p.
func (e *Engine) renew(ctx context.Context, id string, p *Transition) error {
	_, err := e.update(ctx, id, func(tx vault.Tx, t *Tender) error {
		if err := owns(t, id, p); err != nil {
			return err
		}
		t.Pending.Lease = e.now().Add(leaseFor)
		return nil
	})
	return err
}

// release gives up p's lease, so that the next caller completes or resumes
// p at once; p stays recorded.
func (e *Engine) release(id string, p *Transition) {
	_, err := e.update(context.Background(), id, func(tx vault.Tx, t *Tender) error {
		if err := owns(t, id, p); err != nil {
			return err
		}
		t.Pending.Lease = time.Time{}
		return nil
	})
	if err != nil {
		e.log.Error("transition lease not released", "tender", id, "op", p.Op, "err", err)
	}
}

// finish applies p with set and clears it, if this call still owns p.
func (e *Engine) finish(ctx context.Context, id string, p *Transition, set func(t *Tender)) (*Tender, error) {
	return e.update(ctx, id, func(tx vault.Tx, t *Tender) error {
		if err := owns(t, id, p); err != nil {
			return err
		}
		set(t)
		t.Pending = nil
		return nil
	})
}

func owns(t *Tender, id string, p *Transition) error {
	if t.Pending == nil || t.Pending.Owner != p.Owner {
		return fmt.Errorf("%w: the %s of tender %s was taken over by another request after its lease ran out", ErrState, p.Op, id)
	}
	return nil
}

// heartbeat renews p's lease while a long transition runs, until stop is
// called. The context it returns is cancelled if the lease is lost.
func (e *Engine) heartbeat(ctx context.Context, id string, p *Transition) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(leaseFor / 4)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := e.renew(ctx, id, p); err != nil {
					cancel(err)
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-stopped
		cancel(nil)
	}
}

// findEntry returns the index of the entry want in the log from index
// from, or −1.
func (e *Engine) findEntry(ctx context.Context, from int64, want []byte) (int64, error) {
	const batch = 1024
	end, err := e.logSize(ctx)
	if err != nil {
		return -1, err
	}
	for start := from; start < end; start += batch {
		entries, err := e.cfg.Log.Entries(ctx, start, min(start+batch, end))
		if err != nil {
			return -1, fmt.Errorf("tender: reading the log: %w", err)
		}
		for i, b := range entries {
			if bytes.Equal(b, want) {
				return start + int64(i), nil
			}
		}
	}
	return -1, nil
}

func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
