package tender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// Receipt is what a provider gets for an accepted offer.
type Receipt struct {
	auditlog.Receipt
	Signed []byte // the receipt as a signed note (doc/spec/receipt.md)
}

// Register records that provider takes part in tender id, during the
// registration window. Only verified, active, non-blacklisted providers
// may register.
func (e *Engine) Register(ctx context.Context, provider, id string) error {
	t, err := e.Get(ctx, id)
	if err != nil {
		return err
	}
	now := e.now()
	if t.State != StateAnnounced || !now.Before(t.Schedule.RegistrationEnd) {
		return fmt.Errorf("%w: registration for %s closed at %s", ErrState, id, ts(t.Schedule.RegistrationEnd))
	}
	if err := e.cfg.Directory.CheckProvider(ctx, provider); err != nil {
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	if ok, err := e.isRegistered(ctx, id, provider); err != nil || ok {
		return err // registering twice is not an error
	}
	ent, err := entry("participant-registered", "tender", id, "bidder", provider, "time", tsEntry(now))
	if err != nil {
		return err
	}
	if _, err := e.appendLog(ctx, ent); err != nil {
		return err
	}
	return e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		return putJSON(tx, tableParts, id+"/"+provider, map[string]time.Time{"registered": now})
	})
}

func (e *Engine) isRegistered(ctx context.Context, id, provider string) (bool, error) {
	var ok bool
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		_, err := tx.Get(tableParts, id+"/"+provider)
		if errors.Is(err, vault.ErrNotFound) {
			return nil
		}
		ok = err == nil
		return err
	})
	return ok, err
}

// Submit accepts a sealed offer from bidder for tender id, read from
// sealed. In order, it refuses: a tender not open for submission
// (ErrNotYetOpen, ErrLate, ErrState), a bidder who may not take part
// (ErrForbidden, ErrNotRegistered), an offer not sealed to the tender's
// round, chain and committee key or malformed (ErrWrongSeal, with the
// reason), an oversized one (ErrTooLarge), and a resubmission of the same
// bytes (ErrDuplicate). Otherwise the offer is stored durably, logged, and
// the signed receipt returned; an earlier offer of the same bidder is
// superseded. Nothing is changed by a refusal.
func (e *Engine) Submit(ctx context.Context, bidder, id string, sealed io.Reader) (*Receipt, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.checkWindow(t, e.now()); err != nil {
		return nil, err
	}
	if err := e.cfg.Directory.CheckProvider(ctx, bidder); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	if ok, err := e.isRegistered(ctx, id, bidder); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: register for %s before submitting", ErrNotRegistered, id)
	}

	// Check the header before storing anything: the bidder can still
	// reseal and resubmit.
	var head bytes.Buffer
	h, err := sealer.Inspect(io.TeeReader(sealed, &head), e.chain)
	if err == nil {
		var target sealer.Target
		if target, err = t.Target(e); err == nil {
			err = target.Check(h)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongSeal, err)
	}
	blob, err := e.cfg.Blobs.Put(ctx, io.MultiReader(&head, sealed), e.cfg.MaxOfferSize)
	if errors.Is(err, vault.ErrTooLarge) {
		return nil, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, e.cfg.MaxOfferSize)
	} else if err != nil {
		return nil, fmt.Errorf("tender: storing offer: %w", err)
	}
	// Acceptance is decided when the upload has completed.
	received := e.now()
	if err := e.checkWindow(t, received); err != nil {
		return nil, err
	}
	return e.accept(ctx, t, bidder, blob, received)
}

func (e *Engine) checkWindow(t *Tender, now time.Time) error {
	switch {
	case t.State != StateAnnounced:
		return fmt.Errorf("%w: tender %s is %s", ErrState, t.ID, t.State)
	case now.Before(t.Schedule.SubmissionStart):
		return fmt.Errorf("%w: submissions open at %s", ErrNotYetOpen, ts(t.Schedule.SubmissionStart))
	case now.After(t.Schedule.Deadline):
		return fmt.Errorf("%w: the deadline was %s", ErrLate, ts(t.Schedule.Deadline))
	}
	return nil
}

// accept logs a stored offer and returns its receipt. The log entry is
// written before the engine's index and before the receipt is signed, so
// a receipt always names a durable entry and a durable blob; and a receipt
// is issued only if the offer is in the tender's offer set (see Close).
func (e *Engine) accept(ctx context.Context, t *Tender, bidder string, blob vault.BlobInfo, received time.Time) (*Receipt, error) {
	r := auditlog.Receipt{
		Origin:   e.cfg.Log.Origin(),
		Tender:   t.ID,
		Bidder:   bidder,
		SHA256:   blob.Digest,
		Size:     blob.Size,
		Received: received.UTC(),
	}
	idx, err := e.logOffer(ctx, r)
	if err != nil {
		return nil, err
	}
	r.Index = idx
	o := Offer{Bidder: bidder, SHA256: blob.Digest, Size: blob.Size, Received: r.Received, LogIndex: idx}
	if err := e.recordOffer(ctx, t.ID, o); err != nil {
		return nil, err
	}
	signed, err := auditlog.SignReceipt(r, e.cfg.ReceiptSigner)
	if err != nil {
		return nil, fmt.Errorf("tender: signing receipt: %w", err)
	}
	// Keep the receipt for the tender's audit bundle. Losing it loses no
	// offer (the log has it, and the bidder holds the receipt), so a
	// failure here is logged, not returned.
	if err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		return tx.Put(tableReceipts, receiptKey(t.ID, idx), signed)
	}); err != nil {
		e.log.Error("receipt not kept", "tender", t.ID, "index", idx, "err", err)
	}
	return &Receipt{Receipt: r, Signed: signed}, nil
}

// receiptKey orders receipts by log index within a tender.
func receiptKey(id string, index int64) string { return fmt.Sprintf("%s/%020d", id, index) }

// logOffer appends offer-received (and offer-superseded for the bidder's
// previous offer) while holding the tender's submission fence, after
// checking that the tender still takes offers.
func (e *Engine) logOffer(ctx context.Context, r auditlog.Receipt) (int64, error) {
	mu := e.tenderLock(r.Tender)
	mu.RLock()
	defer mu.RUnlock()
	var prev *Offer
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		var t Tender
		if err := getJSON(tx, tableTenders, r.Tender, &t); err != nil {
			return err
		}
		if t.State != StateAnnounced {
			return fmt.Errorf("%w: submission for %s closed while the offer was uploading", ErrLate, r.Tender)
		}
		var o Offer
		if err := getJSON(tx, tableOffers, r.Tender+"/"+r.Bidder, &o); err == nil {
			prev = &o
		} else if !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if prev != nil && prev.SHA256 == r.SHA256 {
		return 0, fmt.Errorf("%w: at %s (log index %d)", ErrDuplicate, ts(prev.Received), prev.LogIndex)
	}
	rec, err := r.Entry().Marshal()
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	entries := [][]byte{rec}
	if prev != nil {
		sup, err := entry("offer-superseded", "tender", r.Tender, "bidder", r.Bidder,
			"sha256", hexEntry(prev.SHA256[:]), "by", hexEntry(r.SHA256[:]), "time", tsEntry(r.Received))
		if err != nil {
			return 0, err
		}
		entries = append(entries, sup)
	}
	return e.appendLog(ctx, entries...)
}

// recordOffer indexes a logged offer, or — if the tender closed meanwhile
// (another server instance) — decides from the closing whether the offer
// counts. While the tender is closing it waits for the closing to finish.
func (e *Engine) recordOffer(ctx context.Context, id string, o Offer) error {
	for {
		var closing bool
		_, err := e.update(ctx, id, func(tx vault.Tx, t *Tender) error {
			closing = false
			switch {
			case t.State == StateAnnounced:
			case t.State == StateClosing:
				closing = true
				return nil
			case t.Closing != nil && slices.ContainsFunc(t.Closing.Offers, o.same):
				return nil // closed, and the offer counts: nothing to index
			default:
				return fmt.Errorf("%w: submission for %s closed before the offer was recorded; it does not count", ErrLate, id)
			}
			return putJSON(tx, tableOffers, id+"/"+o.Bidder, o)
		})
		if err != nil || !closing {
			return err
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ProofFile returns the offer proof file (doc/spec/receipt.md) for a
// receipt this engine issued: the receipt, its log entry and an inclusion
// proof to a signed checkpoint, verifiable offline.
func (e *Engine) ProofFile(ctx context.Context, signedReceipt []byte) ([]byte, error) {
	return e.cfg.Log.ProofFile(ctx, signedReceipt)
}
