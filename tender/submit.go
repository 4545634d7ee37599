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

// readBidder reads bidder's state in file part file of tender id (1 for a
// v1 tender) in one read transaction.
func (e *Engine) readBidder(ctx context.Context, id, bidder string, file int) (*bidderState, error) {
	st := &bidderState{tender: new(Tender)}
	err := e.cfg.Records.View(ctx, func(tx vault.Tx) error {
		if err := getJSON(tx, tableTenders, id, st.tender); errors.Is(err, vault.ErrNotFound) || err == nil && st.tender.announcing() {
			return fmt.Errorf("%w: tender %q", ErrNotFound, id)
		} else if err != nil {
			return err
		}
		if err := st.tender.checkFile(file); err != nil {
			return err
		}
		key := offerKey(st.tender, file, bidder)
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
		_, err := tx.Get(tableParts, id+"/"+bidder)
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

// checkBidder refuses a bidder who may not take part in file part file
// of a tender: refused by the directory, not registered for it, or, for a
// two-stage tender's stage 2, not passed in stage 1 (opening.md §5.1).
func (e *Engine) checkBidder(ctx context.Context, st *bidderState, bidder string, file int) error {
	if err := e.cfg.Directory.CheckProvider(ctx, bidder); err != nil {
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	if !st.registered {
		return fmt.Errorf("%w: register for %s before submitting", ErrNotRegistered, st.tender.ID)
	}
	t := st.tender
	if t.Method == MethodTwoStage && file == 2 && (t.Evaluation == nil || !slices.Contains(t.Evaluation.Passed, bidder)) {
		return fmt.Errorf("%w: stage 2 of tender %s is open to the bidders who passed stage 1; %s did not", ErrForbidden, t.ID, bidder)
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
//
// For a v2 tender, Submit is File(id, 1).Submit: File I, or the only file.
func (e *Engine) Submit(ctx context.Context, bidder, id string, sealed io.Reader) (*Receipt, error) {
	return e.File(id, 1).Submit(ctx, bidder, sealed)
}

// Submit is Engine.Submit for file part f of a v2 tender
// (doc/spec/opening.md §5.1): 1 for File I (or the only file), 2 for
// File II or stage 2. Besides Submit's checks, the file must be sealed in
// format v2 to the part's round, the tender's committee, this tender, this
// bidder and this part — a File I uploaded as File II is refused, naming
// both — and must be exactly as long as its header says: a file cut short
// in upload or copy is refused, its stored bytes deleted, and gets no
// receipt. Stage 2 of a two-stage tender takes files from the bidders who
// passed stage 1 only. The receipt is a version 2 receipt naming the part.
func (f File) Submit(ctx context.Context, bidder string, sealed io.Reader) (*Receipt, error) {
	e, id, file := f.e, f.tender, f.file
	st, err := e.readBidder(ctx, id, bidder, file)
	if err != nil {
		return nil, err
	}
	t, cur := st.tender, st.current
	if err := e.admits(t, file, cur, nil, e.now()); err != nil {
		return nil, err
	}
	if err := e.checkBidder(ctx, st, bidder, file); err != nil {
		return nil, err
	}

	// Check the header before storing anything: the bidder can still
	// reseal and resubmit.
	var head bytes.Buffer
	h, err := sealer.Inspect(io.TeeReader(sealed, &head), e.chain)
	if err == nil {
		var target sealer.Target
		if t.V2() {
			target, err = t.FileTarget(e, bidder, file)
		} else {
			target, err = t.Target(e)
		}
		if err == nil {
			err = target.Check(h)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongSeal, err)
	}
	if t.V2() && h.Size > e.cfg.MaxOfferSize {
		return nil, fmt.Errorf("%w: the file's header says %d bytes; the limit is %d bytes", ErrTooLarge, h.Size, e.cfg.MaxOfferSize)
	}
	blob, err := e.cfg.Blobs.Put(ctx, io.MultiReader(&head, sealed), e.cfg.MaxOfferSize)
	if errors.Is(err, vault.ErrTooLarge) {
		return nil, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, e.cfg.MaxOfferSize)
	} else if err != nil {
		return nil, fmt.Errorf("tender: storing offer: %w", err)
	}
	if err := h.CheckSize(blob.Size); err != nil {
		// The bytes stored are a v2 file of another size than its header
		// commits to: no accepted file has them (every one passed this
		// check), so deleting them takes nothing from anyone.
		if derr := e.cfg.Blobs.Delete(ctx, blob.Digest); derr != nil {
			e.log.Error("deleting a refused file", "tender", id, "bidder", bidder, "err", derr)
		}
		return nil, fmt.Errorf("%w: %w", ErrWrongSeal, err)
	}
	// Acceptance is decided when the upload has completed.
	received := e.now()
	if err := e.admits(t, file, cur, &blob, received); err != nil {
		return nil, err
	}
	o := Offer{Bidder: bidder, SHA256: blob.Digest, Size: blob.Size, Received: received.UTC(), Delivered: true}
	if t.V2() {
		o.File, o.Header = file, h.Digest
	}
	return e.accept(ctx, t, o)
}

// admits says whether file part file of tender t accepts now an offer
// from a bidder whose current offer is cur: in the submission window, any
// offer; after the deadline and before the opening time, only the file of
// an undelivered commitment (blob nil checks only that such a commitment
// exists).
func (e *Engine) admits(t *Tender, file int, cur *Offer, blob *vault.BlobInfo, now time.Time) error {
	err := e.checkWindow(t, file, now)
	if err == nil || !errors.Is(err, ErrLate) || !cur.awaitsDelivery() {
		return err
	}
	_, _, opening := t.window(file)
	if _, delivering := t.windowState(file); !delivering || !now.Before(opening) {
		return fmt.Errorf("%w: the committed file was due before the opening time %s", ErrLate, ts(opening))
	}
	if blob != nil && (blob.Digest != cur.SHA256 || blob.Size != cur.Size) {
		return fmt.Errorf("%w: after the deadline only the committed file (SHA-256 %x…, %d bytes) is accepted; this one is %x…, %d bytes",
			ErrLate, cur.SHA256[:8], cur.Size, blob.Digest[:8], blob.Size)
	}
	return nil
}

func (o *Offer) awaitsDelivery() bool { return o != nil && o.Committed && !o.Delivered }

func (e *Engine) checkWindow(t *Tender, file int, now time.Time) error {
	open, delivering := t.windowState(file)
	start, deadline, _ := t.window(file)
	switch {
	case t.V2() && t.Parts[file-1].Round == 0:
		return fmt.Errorf("%w: stage 2 of tender %s opens once it is announced, after the stage 1 evaluation", ErrNotYetOpen, t.ID)
	case !open && !delivering:
		return fmt.Errorf("%w: tender %s is %s", ErrState, t.ID, t.State)
	case now.Before(start):
		return fmt.Errorf("%w: submissions open at %s", ErrNotYetOpen, ts(start))
	case now.After(deadline) || !open:
		return fmt.Errorf("%w: the deadline was %s", ErrLate, ts(deadline))
	}
	return nil
}

// accept logs o, a stored offer (a v2 file), and returns its receipt. The
// log entry is written before the engine's index and before the receipt
// is signed, so a receipt always names a durable entry and a durable blob;
// and a receipt is issued only if the offer is in the tender's offer set
// (see Close).
func (e *Engine) accept(ctx context.Context, t *Tender, o Offer) (*Receipt, error) {
	r := auditlog.Receipt{
		Origin:   e.cfg.Log.Origin(),
		Tender:   t.ID,
		Bidder:   o.Bidder,
		File:     o.File,
		SHA256:   o.SHA256,
		Size:     o.Size,
		Header:   o.Header,
		Received: o.Received,
	}
	rec, err := r.Entry().Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	done, err := e.beginOffer(ctx, t.ID, o.Bidder)
	if err != nil {
		return nil, err
	}
	defer done()
	prev, idx, err := e.logOffer(ctx, t.ID, o, rec)
	if err != nil {
		return nil, err
	}
	r.Index, o.LogIndex = idx, idx
	o.Files = prev.files() + 1
	if prev.awaitsDelivery() && prev.SHA256 == o.SHA256 && prev.Size == o.Size {
		o.Committed = true // delivers the commitment (logOffer decided so too)
		o.Files = prev.files()
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
	st, err := e.readBidder(ctx, id, o.Bidder, max(o.File, 1))
	if err != nil {
		return nil, 0, err
	}
	t := st.tender
	prev, err := e.settle(ctx, st, o)
	if err != nil {
		return nil, 0, err
	}
	file := max(o.File, 1)
	open, delivering := t.windowState(file)
	_, _, opening := t.window(file)
	delivery := o.Delivered && prev.awaitsDelivery() && prev.SHA256 == o.SHA256 && prev.Size == o.Size
	entries := [][]byte{rec}
	switch {
	case delivery:
		if !e.now().Before(opening) || !delivering {
			return nil, 0, fmt.Errorf("%w: the committed file was due before the opening time %s", ErrLate, ts(opening))
		}
		o.Committed = true
	case !open:
		return nil, 0, fmt.Errorf("%w: submission for %s closed while the offer was uploading", ErrLate, id)
	case prev != nil && prev.SHA256 == o.SHA256:
		return nil, 0, fmt.Errorf("%w: at %s (log index %d)", ErrDuplicate, ts(prev.Received), prev.LogIndex)
	case prev.files() >= maxFiles:
		return nil, 0, fmt.Errorf("%w: %s has sent %d files for this part of %s, the most a bidder may; its file of log index %d stands",
			ErrState, o.Bidder, prev.files(), id, prev.LogIndex)
	case prev != nil:
		sup, err := t.supersededEntry(prev, o)
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
	key := offerKey(t, file, o.Bidder)
	intent := pending{Offer: o, From: e.cfg.Log.Size(), At: e.now()}
	if err := e.cfg.Records.Batch(ctx, func(tx vault.Tx) error {
		return putJSON(tx, tablePending, key, intent)
	}); err != nil {
		return nil, 0, err
	}
	idx, err := e.appendLog(ctx, entries...)
	if err != nil {
		e.clearPending(ctx, key)
		return nil, 0, err
	}
	return prev, idx, nil
}

// maxFiles caps the files (offers, commitments) one bidder sends for one
// part of a tender: each replacement is two log entries that every
// committee member's tool replays at the opening (audit.MaxTenderEntries),
// so a bidder's flood of them must not stall it. A bidder replaces its
// file a few times at most.
const maxFiles = 50

// files returns how many files o's bidder has sent for o's part, o
// included (a record from before the count is taken as 1); 0 for nil.
func (o *Offer) files() int {
	if o == nil {
		return 0
	}
	return max(o.Files, 1)
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

// settle returns the current offer of o's bidder and part given state st,
// settling a recorded intent against the log first: if the intended entry
// is in the log, that offer is current (it was logged, then the process
// died); otherwise the intent is dropped.
func (e *Engine) settle(ctx context.Context, st *bidderState, o Offer) (*Offer, error) {
	cur, p, id, bidder := st.current, st.intent, st.tender.ID, o.Bidder
	if p == nil {
		return cur, nil
	}
	key := offerKey(st.tender, max(o.File, 1), bidder)
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
			if err := putJSON(tx, tableOffers, key, p.Offer); err != nil {
				return err
			}
		}
		return tx.Delete(tablePending, key)
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
			ok, v2 := isOfferEntry(ent)
			if ok && ent.Value("sha256") == hexEntry(p.Offer.SHA256[:]) && (!v2 || ent.Value("file") == uintEntry(p.Offer.File)) {
				return start + int64(i), nil
			}
		}
	}
	return -1, nil
}

// clearPending drops the intent recorded under key (offerKey).
func (e *Engine) clearPending(ctx context.Context, key string) {
	if err := e.cfg.Records.Batch(ctx, func(tx vault.Tx) error { return tx.Delete(tablePending, key) }); err != nil {
		e.log.Error("intent not cleared", "key", key, "err", err)
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
		var key string
		err := e.cfg.Records.Batch(ctx, func(tx vault.Tx) error {
			closing = false
			var t Tender
			if err := getJSON(tx, tableTenders, id, &t); err != nil {
				return err
			}
			file := max(o.File, 1)
			key = offerKey(&t, file, o.Bidder)
			open, _ := t.windowState(file)
			switch c := t.closing(file); {
			case open:
			case t.closingNow(file):
				closing = true
				return nil
			case c != nil && slices.ContainsFunc(c.Offers, counted.same):
			default:
				return fmt.Errorf("%w: submission for %s closed before the offer was recorded; it does not count", ErrLate, id)
			}
			if e.cfg.Shared {
				if err := tx.Delete(tablePending, key); err != nil {
					return err
				}
			}
			if receipt != nil {
				if err := tx.Put(tableReceipts, receiptKey(id, o.LogIndex), receipt); err != nil {
					return err
				}
			}
			return putJSON(tx, tableOffers, key, o)
		})
		switch {
		case errors.Is(err, ErrLate) && e.cfg.Shared && key != "":
			e.clearPending(ctx, key)
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
	File           int // v2: the file part; 0 for a v1 tender
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
// step missing). Refusals are those of Submit. For a v2 tender, Commit is
// File(id, 1).Commit.
func (e *Engine) Commit(ctx context.Context, bidder, id string, digest [32]byte, size int64) (*Commitment, error) {
	return e.File(id, 1).Commit(ctx, bidder, digest, size)
}

// Commit is Engine.Commit for file part f of a v2 tender, whose file is
// then delivered with f.Submit before the part's opening time.
func (f File) Commit(ctx context.Context, bidder string, digest [32]byte, size int64) (*Commitment, error) {
	e, id, file := f.e, f.tender, f.file
	st, err := e.readBidder(ctx, id, bidder, file)
	if err != nil {
		return nil, err
	}
	now := e.now()
	t := st.tender
	if err := e.checkWindow(t, file, now); err != nil {
		return nil, err
	}
	if err := e.checkBidder(ctx, st, bidder, file); err != nil {
		return nil, err
	}
	if size <= 0 || size > e.cfg.MaxOfferSize {
		return nil, fmt.Errorf("%w: a committed offer has 1 to %d bytes, not %d", ErrTooLarge, e.cfg.MaxOfferSize, size)
	}
	o := Offer{Bidder: bidder, SHA256: digest, Size: size, Received: now.UTC(), Committed: true}
	if t.V2() {
		o.File = file
	}
	rec, err := t.committedEntry(o)
	if err != nil {
		return nil, err
	}
	done, err := e.beginOffer(ctx, id, bidder)
	if err != nil {
		return nil, err
	}
	defer done()
	prev, idx, err := e.logOffer(ctx, id, o, rec)
	if err != nil {
		return nil, err
	}
	o.LogIndex, o.Files = idx, prev.files()+1
	if err := e.recordOffer(ctx, id, o, prev, nil); err != nil {
		return nil, err
	}
	return &Commitment{Tender: id, Bidder: bidder, File: o.File, SHA256: digest, Size: size, Time: o.Received, LogIndex: idx}, nil
}

// ProofFile returns the offer proof file (doc/spec/receipt.md) for a
// receipt this engine issued: the receipt, its log entry and an inclusion
// proof to a signed checkpoint, verifiable offline.
func (e *Engine) ProofFile(ctx context.Context, signedReceipt []byte) ([]byte, error) {
	return e.cfg.Log.ProofFile(ctx, signedReceipt)
}
