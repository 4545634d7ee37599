package tender

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

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

// Open runs the opening ceremony of tender id: it closes submission if
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
func (e *Engine) Open(ctx context.Context, actor, id string, c Ceremony) (*Opening, error) {
	start := time.Now()
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
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
	switch t.State {
	case StateAnnounced, StateClosing:
		if t, err = e.Close(ctx, id); err != nil {
			return nil, err
		}
	case StateClosed:
	default:
		return nil, fmt.Errorf("%w: tender %s is %s", ErrState, id, t.State)
	}

	sig, err := e.cfg.Beacon.Signature(ctx, t.Round)
	if err != nil {
		return nil, err // wraps timelock.ErrTooEarly before the round
	}
	identity, err := sealer.NewIdentity(e.chain, t.Round, sig, c.Committee)
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opOpen, By: actor}
	t, _, err = e.begin(ctx, id, p, func(t *Tender) error {
		if t.State != StateClosed {
			return fmt.Errorf("%w: tender %s is %s", ErrState, id, t.State)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	hctx, stop := e.heartbeat(ctx, id, p)
	out, err := e.ceremony(hctx, t, p, sig, identity, c)
	stop()
	if err != nil {
		e.release(id, p) // the next Open resumes at once
		if cause := context.Cause(hctx); ctx.Err() == nil && cause != nil && cause != context.Canceled {
			return nil, cause // the lease was lost
		}
		return nil, err
	}
	out.Duration = time.Since(start)
	e.log.Info("tender opened", "tender", id, "opened", len(out.Report.Offers)-len(out.Witness), "failed", len(out.Witness), "duration", out.Duration)
	return out, nil
}

// ceremony runs the opening of closed tender t under transition p, from
// where the log says an earlier one stopped.
func (e *Engine) ceremony(ctx context.Context, t *Tender, p *Transition, sig []byte, identity *sealer.Identity, c Ceremony) (*Opening, error) {
	id := t.ID
	beacon, logged, err := e.openingLogged(ctx, t)
	if err != nil {
		return nil, err
	}
	if logged != nil {
		return e.finishOpening(ctx, t, p, logged)
	}
	if beacon < 0 {
		ent, err := entry("beacon-signature-used", "tender", id, "chain", t.ChainHash,
			"round", uintEntry(t.Round), "signature", hexEntry(sig), "time", canon.FormatTime(e.now()))
		if err != nil {
			return nil, err
		}
		if _, err := e.appendOwned(ctx, id, p, ent); err != nil {
			return nil, err
		}
	}

	witnesses := slices.Clone(c.Witnesses)
	slices.Sort(witnesses)
	offers, err := e.delivered(ctx, t)
	if err != nil {
		return nil, err
	}
	results := e.openAll(ctx, offers, identity, c.Sink)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, r := range results {
		if r.abort != nil {
			return nil, r.abort
		}
	}

	out := &Opening{Witness: map[string][]byte{}}
	report := &audit.OpeningReport{Tender: id, Chain: t.ChainHash, Round: t.Round, Signature: sig}
	var entries [][]byte
	for i, o := range offers {
		res := results[i]
		line := audit.OpenedOffer{Index: o.LogIndex, Bidder: o.Bidder, SHA256: o.SHA256, Size: o.Size}
		now := e.now()
		if res.fail == nil {
			line.Outcome, line.Digest = audit.OutcomeOpened, res.plaintext
			ent, err := entry("offer-opened", "tender", id, "bidder", o.Bidder, "sha256", hexEntry(o.SHA256[:]),
				"plaintext", hexEntry(res.plaintext[:]), "time", canon.FormatTime(now))
			if err != nil {
				return nil, err
			}
			entries = append(entries, ent)
		} else {
			w := &audit.WitnessReport{Tender: id, Bidder: o.Bidder, SHA256: o.SHA256, Size: o.Size, Index: o.LogIndex,
				Stanzas: res.fail.stanzas, Step: res.fail.step, Fault: res.fail.fault, Detail: res.fail.detail,
				Time: now, Witnesses: witnesses}
			signed, err := w.Sign(e.cfg.ReportSigner)
			if err != nil {
				return nil, fmt.Errorf("tender: witness report for %s: %w", o.Bidder, err)
			}
			digest, err := e.putBytes(ctx, signed)
			if err != nil {
				return nil, err
			}
			out.Witness[o.Bidder] = signed
			line.Outcome, line.Digest = audit.OutcomeFailed, digest
			ent, err := entry("offer-failed", "tender", id, "bidder", o.Bidder, "sha256", hexEntry(o.SHA256[:]),
				"report", hexEntry(digest[:]), "fault", res.fail.fault, "time", canon.FormatTime(now))
			if err != nil {
				return nil, err
			}
			entries = append(entries, ent)
			e.log.Warn("offer failed to open", "tender", id, "bidder", o.Bidder, "step", res.fail.step, "fault", res.fail.fault)
		}
		report.Offers = append(report.Offers, line)
	}
	report.Time = e.now()
	signed, err := report.Sign(e.cfg.ReportSigner)
	if err != nil {
		return nil, fmt.Errorf("tender: opening report: %w", err)
	}
	digest, err := e.putBytes(ctx, signed)
	if err != nil {
		return nil, err
	}
	failed := len(out.Witness)
	opened := len(report.Offers) - failed
	ent, err := entry("opening-report", "tender", id, "report", hexEntry(digest[:]),
		"opened", uintEntry(opened), "failed", uintEntry(failed), "time", canon.FormatTime(report.Time))
	if err != nil {
		return nil, err
	}
	// The outcomes and the report are one append: a resumed opening finds
	// all of them or none.
	if _, err := e.appendOwned(ctx, id, p, append(entries, ent)...); err != nil {
		return nil, err
	}
	if _, err := e.finish(ctx, id, p, func(t *Tender) {
		t.State, t.OpeningReport = StateOpened, digest
	}); err != nil {
		return nil, err
	}
	out.Report, out.Signed = report, signed
	return out, nil
}

// openingLogged looks in the log, after tender t's closing, for what an
// earlier opening logged: the index of its beacon-signature-used entry
// (−1 if none) and its opening-report entry (nil if none).
func (e *Engine) openingLogged(ctx context.Context, t *Tender) (int64, *auditlog.Entry, error) {
	after := *t
	after.LogStart = t.Closing.LogIndex + 1
	end, err := e.logSize(ctx)
	if err != nil {
		return -1, nil, err
	}
	entries, err := e.tenderEntries(ctx, &after, end)
	if err != nil {
		return -1, nil, err
	}
	beacon := int64(-1)
	for _, le := range entries {
		ent, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return -1, nil, fmt.Errorf("tender: log entry %d: %w", le.Index, err)
		}
		switch ent.Type {
		case "beacon-signature-used":
			beacon = le.Index
		case "opening-report":
			return beacon, &ent, nil
		}
	}
	return beacon, nil, nil
}

// finishOpening finishes an opening whose report entry was logged before
// it was interrupted, from the signed reports in Blobs.
func (e *Engine) finishOpening(ctx context.Context, t *Tender, p *Transition, logged *auditlog.Entry) (*Opening, error) {
	digest, err := canon.ParseSHA256(logged.Value("report"))
	if err != nil {
		return nil, fmt.Errorf("tender: opening-report entry: %w", err)
	}
	signed, err := e.readBlob(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("tender: opening report: %w", err)
	}
	// The engine holds no verifier of its own signatures: the report is
	// the one it stored under the logged digest.
	text, err := canon.NoteText(signed, audit.ErrMalformed)
	if err != nil {
		return nil, fmt.Errorf("tender: stored opening report: %w", err)
	}
	report, err := audit.ParseOpeningReport(text)
	if err != nil {
		return nil, fmt.Errorf("tender: stored opening report: %w", err)
	}
	out := &Opening{Report: report, Signed: signed, Witness: map[string][]byte{}}
	for _, o := range report.Offers {
		if o.Outcome == audit.OutcomeFailed {
			if out.Witness[o.Bidder], err = e.readBlob(ctx, o.Digest); err != nil {
				return nil, fmt.Errorf("tender: witness report of %s: %w", o.Bidder, err)
			}
		}
	}
	if _, err := e.finish(ctx, t.ID, p, func(t *Tender) {
		t.State, t.OpeningReport = StateOpened, digest
	}); err != nil {
		return nil, err
	}
	e.log.Warn("an opening interrupted after its report was logged was finished", "tender", t.ID)
	return out, nil
}

// putBytes stores a small document (a signed report) in Blobs.
func (e *Engine) putBytes(ctx context.Context, b []byte) ([32]byte, error) {
	info, err := e.cfg.Blobs.Put(ctx, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return [32]byte{}, fmt.Errorf("tender: storing report: %w", err)
	}
	return info.Digest, nil
}

type failure struct {
	step, fault, detail string
	stanzas             []string
}

type openResult struct {
	plaintext [32]byte
	fail      *failure
	abort     error // the ceremony cannot go on (the committee's storage failed)
}

// delivered returns the closing's offers with the committed files that
// arrived after closing, in log order. It holds the tender's fence, so a
// delivery is either seen here or refused (the opening time has passed).
func (e *Engine) delivered(ctx context.Context, t *Tender) ([]Offer, error) {
	mu := e.tenderLock(t.ID)
	mu.Lock()
	defer mu.Unlock()
	offers := slices.Clone(t.Closing.Offers)
	byBidder := map[string]int{}
	for i, o := range offers {
		if o.awaitsDelivery() {
			byBidder[o.Bidder] = i
		}
	}
	if len(byBidder) > 0 {
		end, err := e.logSize(ctx)
		if err != nil {
			return nil, err
		}
		entries, err := e.tenderEntries(ctx, t, end)
		if err != nil {
			return nil, err
		}
		for _, le := range entries {
			if le.Index <= t.Closing.LogIndex {
				continue
			}
			ent, err := auditlog.ParseEntry(le.Data)
			if err != nil || ent.Type != "offer-received" {
				continue
			}
			o, err := offerFromEntry(ent, le.Index)
			if err != nil {
				return nil, err
			}
			if i, ok := byBidder[o.Bidder]; ok && o.delivers(offers[i]) {
				offers[i].Delivered, offers[i].LogIndex, offers[i].Received = true, o.LogIndex, o.Received
				delete(byBidder, o.Bidder)
			}
		}
	}
	slices.SortFunc(offers, func(a, b Offer) int { return cmp.Compare(a.LogIndex, b.LogIndex) })
	return offers, nil
}

// openAll opens offers with at most OpenWorkers at once.
func (e *Engine) openAll(ctx context.Context, offers []Offer, id *sealer.Identity, sink Sink) []openResult {
	results := make([]openResult, len(offers))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(e.cfg.OpenWorkers, len(results)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = e.openOne(ctx, offers[i], id, sink)
			}
		}()
	}
	for i := range results {
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return results
}

// openOne opens one offer and says, if it fails, at which step and whose
// fault it is: the file's (as sealed by the bidder) or the system's. The
// step is the one sealer names, as for the committee's own sealer.Open,
// so that an auditor re-deriving it from the sealed file agrees. A
// failure of the committee's sink is no fault of the offer: it aborts.
func (e *Engine) openOne(ctx context.Context, o Offer, id *sealer.Identity, sink Sink) (res openResult) {
	if o.awaitsDelivery() {
		res.fail = &failure{step: audit.StepMissing, fault: audit.FaultFile,
			detail: fmt.Sprintf("the committed file (SHA-256 %x, %d bytes) did not arrive before the opening time", o.SHA256, o.Size)}
		return res
	}
	blob, err := e.cfg.Blobs.Open(ctx, o.SHA256)
	if err != nil {
		res.fail = &failure{step: audit.StepStorageRead, fault: audit.FaultSystem, detail: detail(err)}
		return res
	}
	defer blob.Close()
	src := &watchedReader{r: blob}
	fail := func(err error) openResult {
		var oe *sealer.OpenError
		if !errors.As(err, &oe) { // sealer fails only with OpenErrors
			return openResult{abort: fmt.Errorf("tender: opening the offer of %s: %w", o.Bidder, err)}
		}
		if src.err != nil { // the storage, not the file, failed
			return openResult{fail: &failure{step: audit.StepStorageRead, fault: audit.FaultSystem, detail: detail(src.err), stanzas: oe.Stanzas}}
		}
		// Before blaming the bidder, check that the stored bytes are still
		// the ones the receipt names: if not, storage damaged them.
		if ierr := e.checkBlob(ctx, o); ierr != nil {
			return openResult{fail: &failure{step: audit.StepStorageRead, fault: audit.FaultSystem,
				detail: detail(fmt.Errorf("stored file no longer matches its receipt (%v); opening failed with: %v", ierr, err)), stanzas: oe.Stanzas}}
		}
		return openResult{fail: &failure{step: oe.Step, fault: audit.FaultFile, detail: detail(err), stanzas: oe.Stanzas}}
	}

	r, err := id.Open(src)
	if err != nil {
		return fail(err)
	}
	out := &watchedWriter{w: io.Discard}
	if sink != nil {
		w, err := sink.Create(o.Bidder, o.SHA256)
		if err != nil {
			return openResult{abort: fmt.Errorf("tender: committee storage for %s: %w", o.Bidder, err)}
		}
		out.w, out.c = w, w
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.close()
	}
	if err != nil && sink != nil {
		if derr := sink.Discard(o.Bidder, o.SHA256); derr != nil {
			e.log.Error("discarding a partial plaintext", "bidder", o.Bidder, "err", derr)
		}
	}
	switch {
	case out.err != nil:
		return openResult{abort: fmt.Errorf("tender: committee storage for %s: %w", o.Bidder, out.err)}
	case err != nil:
		return fail(err)
	}
	h.Sum(res.plaintext[:0])
	return res
}

// checkBlob re-reads a stored offer and checks its SHA-256 and size
// against the receipt's.
func (e *Engine) checkBlob(ctx context.Context, o Offer) error {
	r, err := e.cfg.Blobs.Open(ctx, o.SHA256)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return err
	}
	if [32]byte(h.Sum(nil)) != o.SHA256 || n != o.Size {
		return fmt.Errorf("%d bytes hashing to %x", n, h.Sum(nil)[:8])
	}
	return nil
}

// watchedReader remembers an error of the storage reader, so that a
// failure reading the blob is not blamed on the bidder's file.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

// watchedWriter remembers an error of the committee's sink.
type watchedWriter struct {
	w   io.Writer
	c   io.Closer
	err error
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

func (w *watchedWriter) close() error {
	if w.c == nil {
		return nil
	}
	if err := w.c.Close(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// detail is an error's message as a report's text field holds it: one
// line of printable characters, at most 900 bytes.
func detail(err error) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, err.Error())
	if len(s) > 900 {
		s = strings.ToValidUTF8(s[:900], "")
	}
	return strings.TrimSpace(s)
}
