package tender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
//
// For a v2 tender it closes the window of the current part (a two-file
// tender's two parts together), logging one file-closed per part, in one
// append (opening.md §3, entries.md §5).
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
			if _, deadline, _ := t.window(max(t.Part, 1)); !now.After(deadline) {
				return fmt.Errorf("%w: submission is open until %s", ErrState, ts(deadline))
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
	files := t.closingFiles()
	offers := make([][]Offer, len(files))
	closedAt := make([]int64, len(files))
	var entries [][]byte
	for i, file := range files {
		if offers[i], closedAt[i], err = e.replay(ctx, t, file); err != nil {
			return nil, err
		}
		if closedAt[i] >= 0 {
			continue
		}
		ent, err := t.closedEntry(file, len(offers[i]), now)
		if err != nil {
			return nil, err
		}
		entries = append(entries, ent)
	}
	if len(entries) > 0 {
		// Every part's entry, in one append: a resumed closing finds all
		// of them or none.
		first, err := e.appendOwned(ctx, id, p, entries...)
		if err != nil {
			return nil, err
		}
		for i := range closedAt {
			closedAt[i] = first + int64(i)
		}
	}
	cp, err := e.cfg.Log.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("tender: checkpoint at closing: %w", err)
	}
	t, err = e.finish(ctx, id, p, func(t *Tender) {
		t.State = StateClosed
		for i, file := range files {
			c := &Closing{Time: now, LogIndex: closedAt[i], Checkpoint: cp, Offers: offers[i]}
			if t.V2() {
				t.Parts[file-1].Closing = c
			} else {
				t.Closing = c
			}
		}
	})
	if err != nil {
		return nil, err
	}
	closed = true
	e.log.Info("submission closed", "tender", id, "files", files, "offers", len(offers[0]), "log_index", closedAt[0])
	return t, nil
}

// closingFiles returns the file parts whose windows close now: a v1
// tender's one, a v2 tender's current part, both of a two-file tender.
func (t *Tender) closingFiles() []int {
	switch {
	case !t.V2():
		return []int{1}
	case t.Method == MethodTwoFile:
		return []int{1, 2}
	}
	return []int{t.Part}
}

// closedEntry is the entry that closes file part file with n offers:
// submission-closed (v1) or file-closed (v2).
func (t *Tender) closedEntry(file, n int, now time.Time) ([]byte, error) {
	if !t.V2() {
		return entry("submission-closed", "tender", t.ID, "offers", uintEntry(n), "time", canon.FormatTime(now))
	}
	return entry("file-closed", "tender", t.ID, "file", uintEntry(file), "offers", uintEntry(n), "time", canon.FormatTime(now))
}

var errAlreadyClosed = errors.New("already closed")

// replay reads the log from the tender's announcement and returns the
// offers of its file part file — the last offer-received (file-received)
// entry of each bidder — up to the part's submission-closed (file-closed)
// entry, and that entry's index (−1 if the log has none yet). This, not
// the engine's records, decides what is opened.
func (e *Engine) replay(ctx context.Context, t *Tender, file int) ([]Offer, int64, error) {
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
			if ent.Value("tender") != t.ID || t.V2() && ent.Value("file") != uintEntry(file) {
				continue
			}
			switch ent.Type {
			case "offer-received", "offer-committed", "file-received", "file-committed":
				o, err := offerFromEntry(ent, start+int64(i))
				if err != nil {
					return nil, 0, err
				}
				if cur, ok := byBidder[o.Bidder]; ok && o.delivers(cur) {
					cur.Delivered, cur.LogIndex, cur.Received = true, o.LogIndex, o.Received
					o = cur
				}
				byBidder[o.Bidder] = o
			case "submission-closed", "file-closed":
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
