package tender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
)

// Sink receives the plaintexts of opened offers: the committee's storage.
type Sink interface {
	// Create returns the writer for the plaintext of bidder's offer.
	Create(bidder string, sealed [32]byte) (io.WriteCloser, error)
	// Discard is called after Create when the offer failed to open
	// part-way: whatever was written must not be kept.
	Discard(bidder string, sealed [32]byte) error
}

// Ceremony is what the committee brings to the opening.
type Ceremony struct {
	// Committee is the committee's secret key. The engine uses it for the
	// ceremony only and never stores it.
	Committee *age.HybridIdentity
	// Witnesses are the committee members present; the actor must be one.
	Witnesses []string
	// Sink receives the plaintexts; nil keeps only their digests.
	Sink Sink
}

// Opening is the outcome of an opening ceremony.
type Opening struct {
	Report   *audit.OpeningReport
	Signed   []byte            // the signed opening report
	Witness  map[string][]byte // bidder → signed witness report, for offers that failed
	Duration time.Duration
}

// Open runs the opening ceremony of v1 tender id: it closes submission if
// that has not happened, gets the opening round's beacon signature (an
// error wrapping timelock.ErrTooEarly before the round, whatever the
// engine's clock says), logs it, opens every offer with bounded
// parallelism, writes a signed witness report for each offer that fails
// and a signed opening report for all, and logs each outcome.
//
// One opening runs at a time: while one is in progress (here or on
// another instance), Open is refused (ErrState) before it logs anything.
// An opening interrupted (a crash, a cancelled request, a failing sink)
// is resumed by the next Open: the beacon signature is logged once, and
// an opening whose report was logged is only finished.
//
// A v2 tender is not opened with a committee key: its members contribute
// (File.StartOpening, File.Contribute, File.CompleteOpening).
func (e *Engine) Open(ctx context.Context, actor, id string, c Ceremony) (*Opening, error) {
	start := time.Now()
	t, err := e.authorizeOpening(ctx, actor, id, c)
	if err != nil {
		return nil, err
	}
	if t, err = e.closeBeforeOpening(ctx, t, 1); err != nil {
		return nil, err
	}
	sig, err := e.roundSignature(ctx, t.Round)
	if err != nil {
		return nil, err
	}
	identity, err := sealer.NewIdentity(e.chain, t.Round, sig, c.Committee)
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opOpen, By: actor}
	t, _, err = e.begin(ctx, id, p, func(t *Tender) error { return t.stateIs(StateClosed, 1) })
	if err != nil {
		return nil, err
	}
	out, err := e.underLease(ctx, id, p, func(ctx context.Context) (*Opening, error) {
		return e.ceremony(ctx, t, p, sig, identity, c)
	})
	if err != nil {
		return nil, err
	}
	out.Duration = time.Since(start)
	e.log.Info("tender opened", "tender", id, "opened", len(out.Report.Offers)-len(out.Witness), "failed", len(out.Witness), "duration", out.Duration)
	return out, nil
}

// authorizeOpening decides whether actor may open v1 tender id with the
// ceremony c: a committee member who may still act, among the witnesses,
// every witness on the committee, and the tender's committee key.
func (e *Engine) authorizeOpening(ctx context.Context, actor, id string, c Ceremony) (*Tender, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if t.V2() {
		return nil, fmt.Errorf("%w: tender %s is opened by its members' contributions, not with a committee key", ErrInvalid, id)
	}
	if !slices.Contains(c.Witnesses, actor) {
		return nil, fmt.Errorf("%w: the opening is run by a committee member who is among the witnesses", ErrForbidden)
	}
	for _, w := range c.Witnesses {
		if !t.isCommittee(w) {
			return nil, fmt.Errorf("%w: witness %q is not on the committee", ErrForbidden, w)
		}
	}
	if c.Committee == nil {
		return nil, fmt.Errorf("%w: no committee key presented", ErrInvalid)
	}
	target, err := t.Target(e)
	if err != nil {
		return nil, err
	}
	if got, want := sealer.KeyID(c.Committee.Recipient()), sealer.KeyID(target.Committee); got != want {
		return nil, fmt.Errorf("%w: the key presented is %s, the tender's committee key is %s", sealer.ErrWrongCommittee, got, want)
	}
	return t, nil
}

// closeBeforeOpening closes the window of file part file of t if its
// deadline has passed and nobody closed it yet: the opening needs its
// offer set fixed.
func (e *Engine) closeBeforeOpening(ctx context.Context, t *Tender, file int) (*Tender, error) {
	open, _ := t.windowState(file)
	if !open && !t.closingNow(file) {
		return t, nil
	}
	return e.Close(ctx, t.ID)
}

// roundSignature gets round's signature from the beacon: an error
// wrapping timelock.ErrTooEarly before the round, whatever the engine's
// clock says.
func (e *Engine) roundSignature(ctx context.Context, round uint64) ([]byte, error) {
	return e.cfg.Beacon.Signature(ctx, round)
}

// stateIs refuses (ErrState) unless t is in state s about file part file.
func (t *Tender) stateIs(s State, file int) error {
	if t.State != s || t.V2() && t.Part != file {
		what := string(t.State)
		if t.V2() {
			what = fmt.Sprintf("%s (file %d)", t.State, t.Part)
		}
		return fmt.Errorf("%w: tender %s is %s", ErrState, t.ID, what)
	}
	return nil
}

// underLease runs a long transition's work, p, while renewing its lease;
// if the work fails, the lease is given up so that the next request
// resumes it at once. A lease lost meanwhile is the error returned.
func (e *Engine) underLease(ctx context.Context, id string, p *Transition, work func(ctx context.Context) (*Opening, error)) (*Opening, error) {
	hctx, stop := e.heartbeat(ctx, id, p)
	out, err := work(hctx)
	stop()
	var done finishedRefusal
	if errors.As(err, &done) {
		return nil, done.error // the work ended the transition itself: no lease is left
	}
	if err != nil {
		e.release(id, p) // the next request resumes at once
		if cause := context.Cause(hctx); ctx.Err() == nil && cause != nil && cause != context.Canceled {
			return nil, cause // the lease was lost
		}
		return nil, err
	}
	return out, nil
}

// finishedRefusal is a refusal the work of underLease returns after it
// finished its transition (keeping what the refused request decided), so
// that underLease does not release a lease that is no longer there.
type finishedRefusal struct{ error }

func (f finishedRefusal) Unwrap() error { return f.error }

// ceremony runs the opening of closed v1 tender t under transition p, from
// where the log says an earlier one stopped: the beacon signature logged
// once, every offer opened, the reports signed, the outcomes logged.
func (e *Engine) ceremony(ctx context.Context, t *Tender, p *Transition, sig []byte, identity *sealer.Identity, c Ceremony) (*Opening, error) {
	logged, err := e.logBeacon(ctx, t, p, 1, sig)
	if err != nil {
		return nil, err
	}
	if logged != nil {
		return e.finishOpening(ctx, t, p, logged)
	}
	offers, err := e.delivered(ctx, t, 1)
	if err != nil {
		return nil, err
	}
	results := e.openAll(ctx, offers, func(src io.Reader, o Offer) (io.Reader, *sealer.Tally, error) {
		r, err := identity.Open(src)
		return r, nil, err
	}, c.Sink)
	if err := abortOf(ctx, results); err != nil {
		return nil, err
	}
	witnesses := slices.Sorted(slices.Values(c.Witnesses))
	report := &audit.OpeningReport{Tender: t.ID, Chain: t.ChainHash, Round: t.Round, Signature: sig}
	out, entries, err := e.outcomesV1(ctx, t, offers, results, witnesses, report)
	if err != nil {
		return nil, err
	}
	signed, digest, err := e.signReport(ctx, report)
	if err != nil {
		return nil, err
	}
	failed := len(out.Witness)
	ent, err := entry("opening-report", "tender", t.ID, "report", hexEntry(digest[:]),
		"opened", uintEntry(len(report.Offers)-failed), "failed", uintEntry(failed), "time", canon.FormatTime(report.Time))
	if err != nil {
		return nil, err
	}
	// The outcomes and the report are one append: a resumed opening finds
	// all of them or none.
	if _, err := e.appendOwned(ctx, t.ID, p, append(entries, ent)...); err != nil {
		return nil, err
	}
	if _, err := e.finish(ctx, t.ID, p, func(t *Tender) {
		t.State, t.OpeningReport = StateOpened, digest
	}); err != nil {
		return nil, err
	}
	out.Report, out.Signed = report, signed
	return out, nil
}

// outcomesV1 turns the results of opening v1 tender t's offers into the
// opening report's lines, a signed witness report for each failure, and
// the offer-opened and offer-failed entries.
func (e *Engine) outcomesV1(ctx context.Context, t *Tender, offers []Offer, results []openResult, witnesses []string, report *audit.OpeningReport) (*Opening, [][]byte, error) {
	out := &Opening{Witness: map[string][]byte{}}
	var entries [][]byte
	for i, o := range offers {
		res := results[i]
		line := audit.OpenedOffer{Index: o.LogIndex, Bidder: o.Bidder, SHA256: o.SHA256, Size: o.Size}
		now := e.now()
		var ent []byte
		var err error
		if res.fail == nil {
			line.Outcome, line.Digest = audit.OutcomeOpened, res.plaintext
			ent, err = entry("offer-opened", "tender", t.ID, "bidder", o.Bidder, "sha256", hexEntry(o.SHA256[:]),
				"plaintext", hexEntry(res.plaintext[:]), "time", canon.FormatTime(now))
		} else {
			w := &audit.WitnessReport{Tender: t.ID, Bidder: o.Bidder, SHA256: o.SHA256, Size: o.Size, Index: o.LogIndex,
				Stanzas: res.fail.stanzas, Step: res.fail.step, Fault: res.fail.fault, Detail: res.fail.detail,
				Time: now, Witnesses: witnesses}
			signed, digest, err := e.signWitness(ctx, w)
			if err != nil {
				return nil, nil, err
			}
			out.Witness[o.Bidder] = signed
			line.Outcome, line.Digest = audit.OutcomeFailed, digest
			ent, err = entry("offer-failed", "tender", t.ID, "bidder", o.Bidder, "sha256", hexEntry(o.SHA256[:]),
				"report", hexEntry(digest[:]), "fault", res.fail.fault, "time", canon.FormatTime(now))
			if err != nil {
				return nil, nil, err
			}
			e.log.Warn("offer failed to open", "tender", t.ID, "bidder", o.Bidder, "step", res.fail.step, "fault", res.fail.fault)
		}
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, ent)
		report.Offers = append(report.Offers, line)
	}
	report.Time = e.now()
	return out, entries, nil
}

// signWitness signs a witness report and stores it.
func (e *Engine) signWitness(ctx context.Context, w *audit.WitnessReport) ([]byte, [32]byte, error) {
	signed, err := w.Sign(e.cfg.ReportSigner)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("tender: witness report for %s: %w", w.Bidder, err)
	}
	digest, err := e.putBytes(ctx, signed)
	return signed, digest, err
}

// signReport signs an opening report and stores it.
func (e *Engine) signReport(ctx context.Context, r *audit.OpeningReport) ([]byte, [32]byte, error) {
	signed, err := r.Sign(e.cfg.ReportSigner)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("tender: opening report: %w", err)
	}
	digest, err := e.putBytes(ctx, signed)
	return signed, digest, err
}

// logBeacon logs the beacon signature of file part file's opening, unless
// an earlier, interrupted opening did; if that one also logged its report,
// it returns the report's entry, and the opening only has to be finished.
func (e *Engine) logBeacon(ctx context.Context, t *Tender, p *Transition, file int, sig []byte) (*auditlog.Entry, error) {
	beacon, logged, err := e.openingLogged(ctx, t, file)
	if err != nil || logged != nil || beacon >= 0 {
		return logged, err
	}
	round := t.Round
	if t.V2() {
		round = t.Parts[file-1].Round
	}
	ent, err := entry("beacon-signature-used", "tender", t.ID, "chain", t.ChainHash,
		"round", uintEntry(round), "signature", hexEntry(sig), "time", canon.FormatTime(e.now()))
	if err != nil {
		return nil, err
	}
	_, err = e.appendOwned(ctx, t.ID, p, ent)
	return nil, err
}

// abortOf returns the first error that stops an opening: the context's,
// or a result's abort (the committee's storage failed).
func abortOf(ctx context.Context, results []openResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, r := range results {
		if r.abort != nil {
			return r.abort
		}
	}
	return nil
}

// openingLogged looks in the log, after the closing of t's file part
// file, for what an earlier opening logged: the index of its
// beacon-signature-used entry (−1 if none) and its opening-report
// (file-opening-report) entry (nil if none).
func (e *Engine) openingLogged(ctx context.Context, t *Tender, file int) (int64, *auditlog.Entry, error) {
	after := *t
	after.LogStart = t.closing(file).LogIndex + 1
	end, err := e.logSize(ctx)
	if err != nil {
		return -1, nil, err
	}
	entries, err := e.tenderEntries(ctx, &after, end)
	if err != nil {
		return -1, nil, err
	}
	round := uintEntry(t.Round)
	if t.V2() {
		round = uintEntry(t.Parts[file-1].Round)
	}
	beacon := int64(-1)
	for _, le := range entries {
		ent, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return -1, nil, fmt.Errorf("tender: log entry %d: %w", le.Index, err)
		}
		switch {
		case ent.Type == "beacon-signature-used" && ent.Value("round") == round:
			beacon = le.Index
		case ent.Type == "opening-report",
			ent.Type == "file-opening-report" && ent.Value("file") == uintEntry(file):
			return beacon, &ent, nil
		}
	}
	return beacon, nil, nil
}

// finishOpening finishes a v1 opening whose report entry was logged before
// it was interrupted, from the signed reports in Blobs.
func (e *Engine) finishOpening(ctx context.Context, t *Tender, p *Transition, logged *auditlog.Entry) (*Opening, error) {
	out, digest, err := e.loggedOpening(ctx, logged)
	if err != nil {
		return nil, err
	}
	if _, err := e.finish(ctx, t.ID, p, func(t *Tender) {
		t.State, t.OpeningReport = StateOpened, digest
	}); err != nil {
		return nil, err
	}
	e.log.Warn("an opening interrupted after its report was logged was finished", "tender", t.ID)
	return out, nil
}

// loggedOpening reads back the opening whose report entry is logged: the
// signed opening report and witness reports in Blobs.
func (e *Engine) loggedOpening(ctx context.Context, logged *auditlog.Entry) (*Opening, [32]byte, error) {
	digest, err := canon.ParseSHA256(logged.Value("report"))
	if err != nil {
		return nil, digest, fmt.Errorf("tender: %s entry: %w", logged.Type, err)
	}
	signed, err := e.readBlob(ctx, digest)
	if err != nil {
		return nil, digest, fmt.Errorf("tender: opening report: %w", err)
	}
	// The engine holds no verifier of its own signatures: the report is
	// the one it stored under the logged digest.
	text, err := canon.NoteText(signed, audit.ErrMalformed)
	if err != nil {
		return nil, digest, fmt.Errorf("tender: stored opening report: %w", err)
	}
	report, err := audit.ParseOpeningReport(text)
	if err != nil {
		return nil, digest, fmt.Errorf("tender: stored opening report: %w", err)
	}
	out := &Opening{Report: report, Signed: signed, Witness: map[string][]byte{}}
	for _, o := range report.Offers {
		if o.Outcome == audit.OutcomeFailed {
			if out.Witness[o.Bidder], err = e.readBlob(ctx, o.Digest); err != nil {
				return nil, digest, fmt.Errorf("tender: witness report of %s: %w", o.Bidder, err)
			}
		}
	}
	return out, digest, nil
}
