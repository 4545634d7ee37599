package tender

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// OfferReceipt returns, for actor, the signed receipt of bidder's current
// offer in tender id: the one Submit or FinishUpload returned, again, for a
// bidder who lost it. The bidder itself may ask at any time; a member of
// the tender's committee once submission has closed (before, who submitted
// what is the bidders' own business), for a dispute. Anyone else is refused
// with ErrForbidden, the committee before closing with ErrState.
//
// It answers ErrNotFound when the bidder has no current offer, or only a
// commitment whose file has not been delivered (no receipt is issued until
// it is). A receipt the engine did not keep — a crash between the log
// append and the record — is signed again from the logged entry, as
// Bundle does: signatures are deterministic, so it is the receipt the
// bidder got, if it got one.
//
// For a v2 tender, OfferReceipt is File(id, 1).Receipt.
func (e *Engine) OfferReceipt(ctx context.Context, actor, id, bidder string) (*Receipt, error) {
	return e.File(id, 1).Receipt(ctx, actor, bidder)
}

// Receipt is Engine.OfferReceipt for file part f of a v2 tender: the
// version 2 receipt of bidder's current file of that part. The committee
// sees it once the part has closed.
func (f File) Receipt(ctx context.Context, actor, bidder string) (*Receipt, error) {
	e, id, file := f.e, f.tender, f.file
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := t.checkFile(file); err != nil {
		return nil, err
	}
	_, deadline, _ := t.window(file)
	switch {
	case actor == bidder:
	case !t.isCommittee(actor):
		return nil, fmt.Errorf("%w: a receipt is for its bidder and, once submission has closed, the tender's committee", ErrForbidden)
	case t.State == StateAnnounced && t.Part <= file || t.closingNow(file):
		return nil, fmt.Errorf("%w: the committee sees receipts once submission has closed (deadline %s)", ErrState, ts(deadline))
	default:
		if err := e.CheckCommittee(ctx, actor, t); err != nil {
			return nil, err
		}
	}
	var o Offer
	var signed []byte
	err = e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		if err := getJSON(tx, tableOffers, offerKey(t, file, bidder), &o); errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("%w: no offer from %s in tender %s", ErrNotFound, bidder, id)
		} else if err != nil {
			return err
		}
		if o.awaitsDelivery() {
			_, _, opening := t.window(file)
			return fmt.Errorf("%w: %s committed to a file at %s and has not delivered it: a receipt is issued when it arrives, before %s",
				ErrNotFound, bidder, ts(o.Received), ts(opening))
		}
		b, err := tx.Get(tableReceipts, receiptKey(id, o.LogIndex))
		if errors.Is(err, vault.ErrNotFound) {
			return nil // signed again below
		}
		signed = b
		return err
	})
	if err != nil {
		return nil, err
	}
	r := auditlog.Receipt{Origin: e.cfg.Log.Origin(), Index: o.LogIndex, Tender: id, Bidder: bidder,
		File: o.File, SHA256: o.SHA256, Size: o.Size, Header: o.Header, Received: o.Received.UTC()}
	if signed != nil {
		return &Receipt{Receipt: r, Signed: signed}, nil
	}
	return e.resignReceipt(ctx, r)
}

// resignReceipt signs receipt r again and keeps it, after checking that
// its entry is the one logged at r.Index, byte for byte.
func (e *Engine) resignReceipt(ctx context.Context, r auditlog.Receipt) (*Receipt, error) {
	want, err := r.Entry().Marshal()
	if err != nil {
		return nil, fmt.Errorf("tender: receipt of %s in %s: %w", r.Bidder, r.Tender, err)
	}
	logged, err := e.cfg.Log.Entries(ctx, r.Index, r.Index+1)
	if err != nil {
		return nil, fmt.Errorf("tender: reading log entry %d: %w", r.Index, err)
	}
	if len(logged) != 1 || !bytes.Equal(logged[0], want) {
		return nil, fmt.Errorf("tender: the offer of %s in %s does not match its log entry %d: no receipt signed", r.Bidder, r.Tender, r.Index)
	}
	signed, err := auditlog.SignReceipt(r, e.cfg.ReceiptSigner)
	if err != nil {
		return nil, fmt.Errorf("tender: signing receipt: %w", err)
	}
	if err := e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		return tx.Put(tableReceipts, receiptKey(r.Tender, r.Index), signed)
	}); err != nil {
		return nil, err
	}
	e.log.Warn("receipt re-signed for an offer logged before a crash", "tender", r.Tender, "index", r.Index)
	return &Receipt{Receipt: r, Signed: signed}, nil
}
