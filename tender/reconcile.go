package tender

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// An offer is logged first and indexed after (see accept). Between the
// two, a crash or a failed index write leaves an entry the index does not
// know, and the bidder's next offer would then supersede the wrong one.
//
// An engine alone on its backend repairs the index from the log instead
// of recording an intent before each offer (one write transaction fewer
// per offer, in the deadline rush): before its first submission, and
// after any failure between a log append and its index write, it
// reconciles — replays the offer entries logged since the last
// reconciliation (tableMeta, keyReconciled) into the index. Submissions
// hold e.reconciling's read side from before their append to after their
// index write, so a reconciliation never races one.
//
// Engines sharing a backend (Config.Shared) cannot know when another
// instance crashed, so they record intents (tablePending) and settle
// them, see logOffer and settle.

const keyReconciled = "reconciled" // in tableMeta: the log size up to which the index is complete

// beginOffer starts logging and indexing an offer of bidder in tender id:
// it takes the bidder's lock (one offer per bidder at a time, in this
// process), waits until the index is reconciled and keeps it so. done
// releases both, after the offer's index write.
//
// The bidder's lock is taken first: a holder of the read side then never
// waits for another lock, so a waiting reconciliation cannot deadlock.
func (e *Engine) beginOffer(ctx context.Context, id, bidder string) (done func(), err error) {
	bl := e.lock(id + "/" + bidder)
	bl.Lock()
	if e.cfg.Shared {
		return bl.Unlock, nil
	}
	for {
		e.reconciling.RLock()
		if !e.unreconciled.Load() {
			return func() { e.reconciling.RUnlock(); bl.Unlock() }, nil
		}
		e.reconciling.RUnlock()
		e.reconciling.Lock()
		if e.unreconciled.Load() {
			if err := e.reconcile(ctx); err != nil {
				e.reconciling.Unlock()
				bl.Unlock()
				return nil, fmt.Errorf("tender: repairing the offer index from the audit log: %w", err)
			}
			e.unreconciled.Store(false)
		}
		e.reconciling.Unlock()
	}
}

// reconcile replays the offer entries logged since the last
// reconciliation into the index. The caller excludes submissions.
func (e *Engine) reconcile(ctx context.Context) error {
	var from int64
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		b, err := tx.Get(tableMeta, keyReconciled)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		from, err = strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("stored %s/%s %q: %w", tableMeta, keyReconciled, b, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	end, err := e.logSize(ctx)
	if err != nil {
		return err
	}
	logged := map[string][]Offer{} // id/bidder → offers logged, in log order
	var keys []string
	const batch = 1024
	for start := from; start < end; start += batch {
		entries, err := e.cfg.Log.Entries(ctx, start, min(start+batch, end))
		if err != nil {
			return err
		}
		for i, b := range entries {
			ent, err := auditlog.ParseEntry(b)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", start+int64(i), err)
			}
			ok, v2 := isOfferEntry(ent)
			if !ok {
				continue
			}
			o, err := offerFromEntry(ent, start+int64(i))
			if err != nil {
				return err
			}
			key := ent.Value("tender") + "/" + o.Bidder // offerKey's forms, from the entry
			if v2 {
				key = ent.Value("tender") + "/" + ent.Value("file") + "/" + o.Bidder
			}
			if logged[key] == nil {
				keys = append(keys, key)
			}
			logged[key] = append(logged[key], o)
		}
	}
	recovered := 0
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		recovered = 0
		for _, key := range keys {
			var cur *Offer
			var o Offer
			if err := getJSON(tx, tableOffers, key, &o); err == nil {
				cur = &o
			} else if !errors.Is(err, vault.ErrNotFound) {
				return err
			}
			changed := false
			for _, l := range logged[key] {
				if cur != nil && l.LogIndex <= cur.LogIndex {
					continue // indexed already
				}
				if cur != nil && l.delivers(*cur) {
					cur.Delivered, cur.LogIndex, cur.Received = true, l.LogIndex, l.Received
				} else {
					cur = &l
				}
				changed = true
			}
			if changed {
				recovered++
				if err := putJSON(tx, tableOffers, key, cur); err != nil {
					return err
				}
			}
		}
		return tx.Put(tableMeta, keyReconciled, []byte(strconv.FormatInt(end, 10)))
	})
	if err != nil {
		return err
	}
	if recovered > 0 {
		e.log.Warn("offers logged but not indexed (a crash or a failed write) were recovered into the index",
			"offers", recovered, "log_from", from, "log_to", end)
	}
	return nil
}
