package tender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/segel-lpse/segel/vault"
)

// Tables in vault.Records. Values are JSON.
const (
	tableTenders     = "tender_tenders"      // id → Tender
	tableOffers      = "tender_offers"       // id/bidder → Offer (the engine's index; the log decides)
	tableParts       = "tender_parts"        // id/bidder → participation
	tableMessages    = "tender_messages"     // id/kind/digest → Message
	tableReceipts    = "tender_receipts"     // id/index → signed receipt
	tablePending     = "tender_pending"      // id/bidder → an offer about to be logged (Config.Shared)
	tableMeta        = "tender_meta"         // the engine's own state, see reconcile.go
	tableAnswers     = "tender_answers"      // id/file/member/index → a member's answer for a v2 file (contribute.go)
	tableBatches     = "tender_batches"      // id/file/batch → a member's batch of answers and its log entry
	tableBatchCounts = "tender_batch_counts" // id/file/member → how many batches the member sent for the part (contribute.go)
)

func getJSON(tx vault.Tx, table, key string, v any) error {
	b, err := tx.Get(table, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("tender: stored %s %q is corrupt: %w", table, key, err)
	}
	return nil
}

func putJSON(tx vault.Tx, table, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(table, key, b)
}

// Get returns the tender with id.
func (e *Engine) Get(ctx context.Context, id string) (*Tender, error) {
	var t Tender
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return getJSON(tx, tableTenders, id, &t)
	})
	if errors.Is(err, vault.ErrNotFound) {
		return nil, fmt.Errorf("%w: tender %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	if t.announcing() {
		return nil, fmt.Errorf("%w: tender %q is being announced", ErrNotFound, id)
	}
	return &t, nil
}

// announcing reports whether t is an announcement not yet logged: no
// tender yet, for anyone but Announce.
func (t *Tender) announcing() bool { return t.Pending != nil && t.Pending.Op == opAnnounce }

// List returns every tender, in id order.
func (e *Engine) List(ctx context.Context) ([]*Tender, error) {
	var out []*Tender
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		return tx.Scan(tableTenders, "", func(key string, value []byte) error {
			t := new(Tender)
			if err := json.Unmarshal(value, t); err != nil {
				return fmt.Errorf("tender: stored tender %q is corrupt: %w", key, err)
			}
			if !t.announcing() {
				out = append(out, t)
			}
			return nil
		})
	})
	return out, err
}

// update loads tender id, lets fn change it, and stores it, in one
// transaction. fn must not have effects outside tx.
func (e *Engine) update(ctx context.Context, id string, fn func(tx vault.Tx, t *Tender) error) (*Tender, error) {
	var t *Tender
	err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		t = new(Tender)
		if err := getJSON(tx, tableTenders, id, t); errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("%w: tender %q", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		if err := fn(tx, t); err != nil {
			return err
		}
		return putJSON(tx, tableTenders, id, t)
	})
	return t, err
}
