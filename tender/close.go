package tender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
)

// Close ends the submission window of tender id once its deadline has
// passed: it fixes the set of offers by replaying the audit log (the last
// offer of each bidder received before closing), logs submission-closed
// with the count, and signs a checkpoint that covers it. Closing an
// already closed tender returns it unchanged; while another change of the
// tender (an amendment, another instance's closing) is in progress, Close
// is refused (ErrState); a closing interrupted by a crash is completed.
func (e *Engine) Close(ctx context.Context, id string) (*Tender, error) {
	mu := e.tenderLock(id)
	mu.Lock()
	defer mu.Unlock()

	now := e.now()
	if t, err := e.Get(ctx, id); err != nil || (t.State != StateAnnounced && t.State != StateClosing) {
		return t, err // not found, or closed already: unchanged
	}
	// The closing state fences submissions across instances (see
	// logOffer); the pending transition fences other changes.
	p := &Transition{Op: opClose}
	t, _, err := e.begin(ctx, id, p, func(t *Tender) error {
		switch t.State {
		case StateAnnounced:
			if !now.After(t.Schedule.Deadline) {
				return fmt.Errorf("%w: submission is open until %s", ErrState, ts(t.Schedule.Deadline))
			}
			t.State = StateClosing
		case StateClosing:
		default:
			return errAlreadyClosed
		}
		return nil
	})
	if errors.Is(err, errAlreadyClosed) {
		return e.Get(ctx, id)
	} else if err != nil {
		return nil, err
	}

	closed := false
	defer func() {
		if !closed { // the next Close resumes at once
			e.release(id, p)
		}
	}()
	offers, closedAt, err := e.replay(ctx, t)
	if err != nil {
		return nil, err
	}
	if closedAt < 0 {
		ent, err := entry("submission-closed", "tender", id, "offers", uintEntry(len(offers)), "time", canon.FormatTime(now))
		if err != nil {
			return nil, err
		}
		if closedAt, err = e.appendOwned(ctx, id, p, ent); err != nil {
			return nil, err
		}
	}
	cp, err := e.cfg.Log.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("tender: checkpoint at closing: %w", err)
	}
	closing := &Closing{Time: now, LogIndex: closedAt, Checkpoint: cp, Offers: offers}
	t, err = e.finish(ctx, id, p, func(t *Tender) {
		t.State, t.Closing = StateClosed, closing
	})
	if err != nil {
		return nil, err
	}
	closed = true
	e.log.Info("submission closed", "tender", id, "offers", len(offers), "log_index", closedAt)
	return t, nil
}

var errAlreadyClosed = errors.New("already closed")

// replay reads the log from the tender's announcement and returns its
// offers — the last offer-received entry of each bidder — up to the
// tender's submission-closed entry, and that entry's index (−1 if the log
// has none yet). This, not the engine's records, decides what is opened.
func (e *Engine) replay(ctx context.Context, t *Tender) ([]Offer, int64, error) {
	const batch = 1024
	byBidder := map[string]Offer{}
	closedAt := int64(-1)
	end, err := e.logSize(ctx)
	if err != nil {
		return nil, 0, err
	}
	for start := t.LogStart; start < end && closedAt < 0; start += batch {
		stop := min(start+batch, end)
		entries, err := e.cfg.Log.Entries(ctx, start, stop)
		if err != nil {
			return nil, 0, fmt.Errorf("tender: replaying the log: %w", err)
		}
		for i, b := range entries {
			if !aboutTender(b, t.ID) {
				continue
			}
			ent, err := auditlog.ParseEntry(b)
			if err != nil {
				return nil, 0, fmt.Errorf("tender: log entry %d: %w", start+int64(i), err)
			}
			if ent.Value("tender") != t.ID {
				continue
			}
			switch ent.Type {
			case "offer-received", "offer-committed":
				o, err := offerFromEntry(ent, start+int64(i))
				if err != nil {
					return nil, 0, err
				}
				if cur, ok := byBidder[o.Bidder]; ok && o.delivers(cur) {
					cur.Delivered, cur.LogIndex, cur.Received = true, o.LogIndex, o.Received
					o = cur
				}
				byBidder[o.Bidder] = o
			case "submission-closed":
				closedAt = start + int64(i)
			}
			if closedAt >= 0 {
				break
			}
		}
	}
	offers := make([]Offer, 0, len(byBidder))
	for _, o := range byBidder {
		offers = append(offers, o)
	}
	// In log order, as the opening report lists them.
	slices.SortFunc(offers, func(a, b Offer) int { return cmp.Compare(a.LogIndex, b.LogIndex) })
	return offers, closedAt, nil
}

// delivers reports whether the received offer o is the file of cur, an
// undelivered commitment (doc/spec/audit-bundle.md: a delivery is not a
// new offer and supersedes nothing).
func (o Offer) delivers(cur Offer) bool {
	return o.Delivered && !o.Committed && cur.awaitsDelivery() && cur.SHA256 == o.SHA256 && cur.Size == o.Size
}
