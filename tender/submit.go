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
	"github.com/segel-lpse/segel/internal/canon"
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
	ent, err := entry("participant-registered", "tender", id, "bidder", provider, "time", canon.FormatTime(now))
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

// bidderState is what the engine holds about one bidder in one tender,
// read in one snapshot.
type bidderState struct {
	tender     *Tender
	current    *Offer   // the index's current offer, or nil
	intent     *pending // an offer about to be logged (see logOffer), or nil
	registered bool
}

// readBidder reads bidder's state in tender id in one read transaction.
func (e *Engine) readBidder(ctx context.Context, id, bidder string) (*bidderState, error) {
	st := &bidderState{tender: new(Tender)}
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		if err := getJSON(tx, tableTenders, id, st.tender); errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("%w: tender %q", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		key := id + "/" + bidder
		var o Offer
		if err := getJSON(tx, tableOffers, key, &o); err == nil {
			st.current = &o
		} else if !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		var p pending
		if err := getJSON(tx, tablePending, key, &p); err == nil {
			st.intent = &p
		} else if !errors.Is(err, vault.ErrNotFound) {
			return err
		}
		_, err := tx.Get(tableParts, key)
		st.registered = err == nil
		if errors.Is(err, vault.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// checkBidder refuses a bidder who may not take part in a tender:
// refused by the directory or not registered for it.
func (e *Engine) checkBidder(ctx context.Context, st *bidderState, bidder string) error {
	if err := e.cfg.Directory.CheckProvider(ctx, bidder); err != nil {
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	if !st.registered {
		return fmt.Errorf("%w: register for %s before submitting", ErrNotRegistered, st.tender.ID)
	}
	return nil
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
//
// After the deadline and until the opening time, Submit accepts exactly
// the file a bidder committed to before the deadline (see Commit).
func (e *Engine) Submit(ctx context.Context, bidder, id string, sealed io.Reader) (*Receipt, error) {
	st, err := e.readBidder(ctx, id, bidder)
	if err != nil {
		return nil, err
	}
	t, cur := st.tender, st.current
	if err := e.admits(t, cur, nil, e.now()); err != nil {
		return nil, err
	}
	if err := e.checkBidder(ctx, st, bidder); err != nil {
		return nil, err
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
	if err := e.admits(t, cur, &blob, received); err != nil {
		return nil, err
	}
	return e.accept(ctx, t, bidder, blob, received)
}

// admits says whether tender t accepts now an offer from a bidder whose
// current offer is cur: in the submission window, any offer; after the
// deadline and before the opening time, only the file of an undelivered
// commitment (blob nil checks only that such a commitment exists).
func (e *Engine) admits(t *Tender, cur *Offer, blob *vault.BlobInfo, now time.Time) error {
	err := e.checkWindow(t, now)
	if err == nil || !errors.Is(err, ErrLate) || !cur.awaitsDelivery() {
		return err
	}
	if !now.Before(t.Schedule.Opening) {
		return fmt.Errorf("%w: the committed file was due before the opening time %s", ErrLate, ts(t.Schedule.Opening))
	}
	if blob != nil && (blob.Digest != cur.SHA256 || blob.Size != cur.Size) {
		return fmt.Errorf("%w: after the deadline only the committed file (SHA-256 %x…, %d bytes) is accepted; this one is %x…, %d bytes",
			ErrLate, cur.SHA256[:8], cur.Size, blob.Digest[:8], blob.Size)
	}
	return nil
}

func (o *Offer) awaitsDelivery() bool { return o != nil && o.Committed && !o.Delivered }

func (e *Engine) checkWindow(t *Tender, now time.Time) error {
	switch {
	case t.State != StateAnnounced && t.State != StateClosing && t.State != StateClosed:
		return fmt.Errorf("%w: tender %s is %s", ErrState, t.ID, t.State)
	case now.Before(t.Schedule.SubmissionStart):
		return fmt.Errorf("%w: submissions open at %s", ErrNotYetOpen, ts(t.Schedule.SubmissionStart))
	case now.After(t.Schedule.Deadline) || t.State != StateAnnounced:
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
	rec, err := r.Entry().Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	o := Offer{Bidder: bidder, SHA256: blob.Digest, Size: blob.Size, Received: r.Received, Delivered: true}
	done, err := e.beginOffer(ctx, t.ID, bidder)
	if err != nil {
		return nil, err
	}
	defer done()
	prev, idx, err := e.logOffer(ctx, t.ID, o, rec)
	if err != nil {
		return nil, err
	}
	r.Index, o.LogIndex = idx, idx
	if prev.awaitsDelivery() && prev.SHA256 == o.SHA256 && prev.Size == o.Size {
		o.Committed = true // delivers the commitment (logOffer decided so too)
	}
	signed, err := auditlog.SignReceipt(r, e.cfg.ReceiptSigner)
	if err != nil {
		return nil, fmt.Errorf("tender: signing receipt: %w", err)
	}
	// The index and the kept receipt (for the tender's audit bundle) are
	// one transaction; the receipt is returned only after it.
	if err := e.recordOffer(ctx, t.ID, o, prev, signed); err != nil {
		return nil, err
	}
	return &Receipt{Receipt: r, Signed: signed}, nil
}

// receiptKey orders receipts by log index within a tender.
func receiptKey(id string, index int64) string { return fmt.Sprintf("%s/%020d", id, index) }

// logOffer appends an offer's entry rec while holding the tender's
// submission fence, after checking that the tender still takes it: a new
// offer (received or committed) only while submission is open, with an
// offer-superseded entry for the bidder's previous offer; the delivery of
// a committed file also after the deadline, before the opening time. It
// returns the previous offer and the entry's index.
//
// The caller holds beginOffer. The bidder's previous offer is what the
// log says, not only the engine's index: an engine alone on its backend
// reconciles the index with the log after a crash or a failed write
// (reconcile.go); engines sharing one (Config.Shared) record an intent
// (tablePending) before appending, which a later call settles against the
// log. Either way a crash between the append and the index cannot make a
// later offer supersede the wrong one.
func (e *Engine) logOffer(ctx context.Context, id string, o Offer, rec []byte) (*Offer, int64, error) {
	mu := e.tenderLock(id)
	mu.RLock()
	defer mu.RUnlock()
	st, err := e.readBidder(ctx, id, o.Bidder)
	if err != nil {
		return nil, 0, err
	}
	t := st.tender
	prev, err := e.settle(ctx, st, o.Bidder)
	if err != nil {
		return nil, 0, err
	}
	delivery := o.Delivered && prev.awaitsDelivery() && prev.SHA256 == o.SHA256 && prev.Size == o.Size
	entries := [][]byte{rec}
	switch {
	case delivery:
		if !e.now().Before(t.Schedule.Opening) || (t.State != StateAnnounced && t.State != StateClosing && t.State != StateClosed) {
			return nil, 0, fmt.Errorf("%w: the committed file was due before the opening time %s", ErrLate, ts(t.Schedule.Opening))
		}
		o.Committed = true
	case t.State != StateAnnounced:
		return nil, 0, fmt.Errorf("%w: submission for %s closed while the offer was uploading", ErrLate, id)
	case prev != nil && prev.SHA256 == o.SHA256:
		return nil, 0, fmt.Errorf("%w: at %s (log index %d)", ErrDuplicate, ts(prev.Received), prev.LogIndex)
	case prev != nil:
		sup, err := entry("offer-superseded", "tender", id, "bidder", o.Bidder,
			"sha256", hexEntry(prev.SHA256[:]), "by", hexEntry(o.SHA256[:]), "time", canon.FormatTime(o.Received))
		if err != nil {
			return nil, 0, err
		}
		entries = append(entries, sup)
	}
	if !e.cfg.Shared {
		idx, err := e.appendLog(ctx, entries...)
		if err != nil {
			e.unreconciled.Store(true) // the entry may be in the log all the same
		}
		return prev, idx, err
	}
	intent := pending{Offer: o, From: e.cfg.Log.Size(), At: e.now()}
	if err := e.cfg.Records.Batch(ctx, func(tx vault.Tx) error {
		return putJSON(tx, tablePending, id+"/"+o.Bidder, intent)
	}); err != nil {
		return nil, 0, err
	}
	idx, err := e.appendLog(ctx, entries...)
	if err != nil {
		e.clearPending(ctx, id, o.Bidder)
		return nil, 0, err
	}
	return prev, idx, nil
}

// pending is an offer about to be logged (tablePending).
type pending struct {
	Offer Offer
	From  int64     // log size before the append
	At    time.Time // when the intent was written
}

// busyFor is how long an intent of another server instance is taken to be
// in flight rather than abandoned by a crash.
const busyFor = time.Minute

// settle returns bidder's current offer given state st, settling a
// recorded intent against the log first: if the intended entry is in the
// log, that offer is current (it was logged, then the process died);
// otherwise the intent is dropped.
func (e *Engine) settle(ctx context.Context, st *bidderState, bidder string) (*Offer, error) {
	cur, p, id := st.current, st.intent, st.tender.ID
	if p == nil {
		return cur, nil
	}
	index, err := e.findOfferEntry(ctx, id, *p)
	if err != nil {
		return nil, err
	}
	// Within this process, the bidder's lock is held: an intent not in
	// the log was abandoned. Another instance's may still be in flight.
	if index < 0 && e.cfg.Shared && e.now().Sub(p.At) < busyFor {
		return nil, fmt.Errorf("%w: another submission of this bidder is being recorded; try again in a minute", ErrBusy)
	}
	err = e.cfg.Records.Update(ctx, func(tx vault.Tx) error {
		if index >= 0 {
			p.Offer.LogIndex = index
			cur = &p.Offer
			if err := putJSON(tx, tableOffers, id+"/"+bidder, p.Offer); err != nil {
				return err
			}
		}
		return tx.Delete(tablePending, id+"/"+bidder)
	})
	if index >= 0 {
		e.log.Warn("an offer logged before a crash was recovered into the index", "tender", id, "bidder", bidder, "index", index)
	}
	return cur, err
}

// findOfferEntry looks for the entry an intent meant to append, from the
// log size the intent recorded; −1 if it is not there.
func (e *Engine) findOfferEntry(ctx context.Context, id string, p pending) (int64, error) {
	const batch = 1024
	end, err := e.logSize(ctx)
	if err != nil {
		return -1, err
	}
	for start := p.From; start < end; start += batch {
		entries, err := e.cfg.Log.Entries(ctx, start, min(start+batch, end))
		if err != nil {
			return -1, err
		}
		for i, b := range entries {
			ent, err := auditlog.ParseEntry(b)
			if err != nil || ent.Value("tender") != id || ent.Value("bidder") != p.Offer.Bidder {
				continue
			}
			if (ent.Type == "offer-received" || ent.Type == "offer-committed") && ent.Value("sha256") == hexEntry(p.Offer.SHA256[:]) {
				return start + int64(i), nil
			}
		}
	}
	return -1, nil
}

func (e *Engine) clearPending(ctx context.Context, id, bidder string) {
	if err := e.cfg.Records.Batch(ctx, func(tx vault.Tx) error { return tx.Delete(tablePending, id+"/"+bidder) }); err != nil {
		e.log.Error("intent not cleared", "tender", id, "bidder", bidder, "err", err)
	}
}

// recordOffer indexes a logged offer, or — if the tender closed meanwhile
// (another server instance) — decides from the closing whether the offer
// counts. While the tender is closing it waits for the closing to finish.
// A delivery after closing counts if the closing holds its commitment.
//
// receipt, if not nil, is kept with the index, in the same transaction.
func (e *Engine) recordOffer(ctx context.Context, id string, o Offer, prev *Offer, receipt []byte) error {
	counted := o
	if o.Committed && prev != nil { // a delivery: the closing knows the commitment
		counted = *prev
	}
	for {
		var closing bool
		// Batched with other offers' records (group commit). The tender is
		// only read: the closing fences with the state it writes.
		err := e.cfg.Records.Batch(ctx, func(tx vault.Tx) error {
			closing = false
			var t Tender
			if err := getJSON(tx, tableTenders, id, &t); err != nil {
				return err
			}
			switch {
			case t.State == StateAnnounced:
			case t.State == StateClosing:
				closing = true
				return nil
			case t.Closing != nil && slices.ContainsFunc(t.Closing.Offers, counted.same):
			default:
				return fmt.Errorf("%w: submission for %s closed before the offer was recorded; it does not count", ErrLate, id)
			}
			if e.cfg.Shared {
				if err := tx.Delete(tablePending, id+"/"+o.Bidder); err != nil {
					return err
				}
			}
			if receipt != nil {
				if err := tx.Put(tableReceipts, receiptKey(id, o.LogIndex), receipt); err != nil {
					return err
				}
			}
			return putJSON(tx, tableOffers, id+"/"+o.Bidder, o)
		})
		switch {
		case errors.Is(err, ErrLate) && e.cfg.Shared:
			e.clearPending(ctx, id, o.Bidder)
		case err != nil && !errors.Is(err, ErrLate):
			e.unreconciled.Store(true) // logged, not indexed
		}
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

// Commitment acknowledges a commitment to a sealed file.
type Commitment struct {
	Tender, Bidder string
	SHA256         [32]byte
	Size           int64
	Time           time.Time
	LogIndex       int64 // of the offer-committed entry
}

// Commit records, before the deadline, that bidder will deliver the sealed
// file with this SHA-256 and size ("commit now, upload later", for slow
// links): the commitment is logged and counts as the bidder's offer, and
// Submit accepts exactly that file until the opening time. A committed
// file that never arrives is reported at the opening (witness report,
// step missing). Refusals are those of Submit.
func (e *Engine) Commit(ctx context.Context, bidder, id string, digest [32]byte, size int64) (*Commitment, error) {
	st, err := e.readBidder(ctx, id, bidder)
	if err != nil {
		return nil, err
	}
	now := e.now()
	if err := e.checkWindow(st.tender, now); err != nil {
		return nil, err
	}
	if err := e.checkBidder(ctx, st, bidder); err != nil {
		return nil, err
	}
	if size <= 0 || size > e.cfg.MaxOfferSize {
		return nil, fmt.Errorf("%w: a committed offer has 1 to %d bytes, not %d", ErrTooLarge, e.cfg.MaxOfferSize, size)
	}
	rec, err := entry("offer-committed", "tender", id, "bidder", bidder, "sha256", hexEntry(digest[:]),
		"size", uintEntry(size), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	o := Offer{Bidder: bidder, SHA256: digest, Size: size, Received: now.UTC(), Committed: true}
	done, err := e.beginOffer(ctx, id, bidder)
	if err != nil {
		return nil, err
	}
	defer done()
	prev, idx, err := e.logOffer(ctx, id, o, rec)
	if err != nil {
		return nil, err
	}
	o.LogIndex = idx
	if err := e.recordOffer(ctx, id, o, prev, nil); err != nil {
		return nil, err
	}
	return &Commitment{Tender: id, Bidder: bidder, SHA256: digest, Size: size, Time: o.Received, LogIndex: idx}, nil
}

// ProofFile returns the offer proof file (doc/spec/receipt.md) for a
// receipt this engine issued: the receipt, its log entry and an inclusion
// proof to a signed checkpoint, verifiable offline.
func (e *Engine) ProofFile(ctx context.Context, signedReceipt []byte) ([]byte, error) {
	return e.cfg.Log.ProofFile(ctx, signedReceipt)
}
