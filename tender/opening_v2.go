package tender

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/member"
	"github.com/segel-lpse/segel/sealer"
)

// The opening of a v2 tender's file part (doc/spec/opening.md §5), in
// three acts by the committee: StartOpening once the part's round is out
// (the beacon signature logged once; headers served from then on), each
// member's Contribute (contribute.go), and CompleteOpening by one of the
// members who took part (complete.go).

// StartOpening starts the opening of file part f by committee member
// actor (opening.md §5.2): it closes the part's window if its deadline has
// passed, gets the part's round signature from the beacon (an error
// wrapping timelock.ErrTooEarly before the round), verifies it, logs
// beacon-signature-used once, and from then on serves the part's headers
// to members and takes their contributions. File II of a two-file tender
// starts only once the File I evaluation is fixed (and its round is out,
// whichever is later). Starting an opening that started already returns
// the tender unchanged.
func (f File) StartOpening(ctx context.Context, actor string) (*Tender, error) {
	e, id, file := f.e, f.tender, f.file
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if err := t.checkV2File(file); err != nil {
		return nil, err
	}
	if t.State == StateOpening && t.Part == file {
		return t, nil
	}
	if t.Part == file {
		if t, err = e.closeBeforeOpening(ctx, t, file); err != nil {
			return nil, err
		}
	}
	if err := t.readyToOpen(file); err != nil {
		return nil, err
	}
	round := t.Parts[file-1].Round
	sig, err := e.roundSignature(ctx, round)
	if err != nil {
		return nil, err
	}
	if _, err := sealer.NewOpener(e.chain, round, sig); err != nil {
		return nil, fmt.Errorf("tender: the beacon's signature of round %d: %w", round, err)
	}
	now := e.now()
	ent, err := entry("beacon-signature-used", "tender", id, "chain", t.ChainHash, "round", uintEntry(round),
		"signature", hexEntry(sig), "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opStart, By: actor, Entries: [][]byte{ent}, State: StateOpening, File: file,
		Started: &Started{Signature: sig, By: actor, Time: now}}
	t, err = e.transit(ctx, id, p, func(t *Tender) error { return t.readyToOpen(file) })
	if err != nil {
		return nil, err
	}
	e.log.Info("opening started", "tender", id, "file", file, "round", round)
	return t, nil
}

// checkV2File refuses a v1 tender, and a file part t does not have.
func (t *Tender) checkV2File(file int) error {
	if !t.V2() {
		return fmt.Errorf("%w: tender %s is opened with its committee key (Open), not by members' contributions", ErrInvalid, t.ID)
	}
	return t.checkFile(file)
}

// readyToOpen refuses, saying why, unless file part file of t is closed
// and next to open.
func (t *Tender) readyToOpen(file int) error {
	switch {
	case t.State == StateClosed && t.Part == file:
		return nil
	case file == 2 && t.Part == 1 && t.State != StateCancelled:
		return fmt.Errorf("%w: File II opens only after the File I evaluation is fixed; tender %s is %s", ErrState, t.ID, t.State)
	case t.State == StateAnnounced && t.Part == file:
		_, deadline, _ := t.window(file)
		return fmt.Errorf("%w: submission is open until %s", ErrState, ts(deadline))
	}
	return t.stateIs(StateClosed, file)
}

// A SealedHeader is the age header of a current file of a part, as a
// member's tool gets it to check and contribute (opening.md §4.3).
type SealedHeader struct {
	Bidder   string
	File     int
	LogIndex int64    // of its file-received entry
	SHA256   [32]byte // of the whole sealed file
	Size     int64
	// Header is the file's age header, from its first byte through the LF
	// of its "---" line; its SHA-256 is the file-received entry's header.
	Header []byte
}

// Headers returns, to committee member actor, the headers of file part
// f's current files once its opening has started (opening.md §5.2):
// before, nothing is served, since who made an offer is withheld until the
// opening. For File II, only the files of bidders who passed File I.
// Committed files never delivered have no header (they fail as missing).
func (f File) Headers(ctx context.Context, actor string) ([]SealedHeader, error) {
	t, files, err := f.opening(ctx, actor)
	if err != nil {
		return nil, err
	}
	var out []SealedHeader
	for _, o := range files {
		if !o.Delivered || t.withheld(o) {
			continue
		}
		header, err := f.e.readHeader(ctx, o)
		if err != nil {
			// The completion reports it (storage-read); the other files
			// can still be opened.
			f.e.log.Error("a sealed file's header cannot be served", "tender", t.ID, "bidder", o.Bidder, "file", o.File, "err", err)
			continue
		}
		out = append(out, SealedHeader{Bidder: o.Bidder, File: o.File, LogIndex: o.LogIndex, SHA256: o.SHA256, Size: o.Size, Header: header})
	}
	return out, nil
}

// opening returns v2 tender f's record and the part's current files, for
// committee member actor, while the part's opening runs.
func (f File) opening(ctx context.Context, actor string) (*Tender, []Offer, error) {
	t, err := f.e.Get(ctx, f.tender)
	if err != nil {
		return nil, nil, err
	}
	if err := f.e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, nil, err
	}
	if err := t.checkV2File(f.file); err != nil {
		return nil, nil, err
	}
	if err := t.stateIs(StateOpening, f.file); err != nil {
		return nil, nil, fmt.Errorf("%w: headers are served and contributions taken while the opening of file %d runs", err, f.file)
	}
	files, err := f.e.delivered(ctx, t, f.file)
	if err != nil {
		return nil, nil, err
	}
	return t, files, nil
}

// withheld reports whether o is a File II of a bidder who did not pass
// the File I evaluation: never opened, nothing served (opening.md §6).
func (t *Tender) withheld(o Offer) bool {
	return o.File == 2 && t.Method == MethodTwoFile && (t.Evaluation == nil || !slices.Contains(t.Evaluation.Passed, o.Bidder))
}

// maxHeader caps the age header read from a stored file: a committee of
// 32 makes a header of about 54 KB (offer-v2.md §3).
const maxHeader = 128 << 10

// readHeader reads the age header of stored file o and checks it against
// o's logged header digest.
func (e *Engine) readHeader(ctx context.Context, o Offer) ([]byte, error) {
	r, err := e.cfg.Blobs.Open(ctx, o.SHA256)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf, err := io.ReadAll(io.LimitReader(r, maxHeader))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	end := bytes.Index(buf, []byte("\n--- "))
	if end < 0 {
		return nil, fmt.Errorf("no header MAC line in the first %d bytes", len(buf))
	}
	nl := bytes.IndexByte(buf[end+1:], '\n')
	if nl < 0 {
		return nil, fmt.Errorf("the header MAC line does not end")
	}
	header := buf[:end+1+nl+1]
	if sha256.Sum256(header) != o.Header {
		return nil, fmt.Errorf("the stored header's SHA-256 is not the logged %x…", o.Header[:8])
	}
	return header, nil
}

// header returns the parsed header of stored file o, inspected once per
// engine: Inspect checks the time-lock half's point, a G2 subgroup check
// that dominates checking a contribution.
func (e *Engine) header(ctx context.Context, o Offer) (*sealer.Header, error) {
	e.headersMu.Lock()
	h, ok := e.headers[o.SHA256]
	e.headersMu.Unlock()
	if ok {
		return h, nil
	}
	raw, err := e.readHeader(ctx, o)
	if err != nil {
		return nil, err
	}
	// Not a Seeker: Inspect must not measure the header as the whole file.
	if h, err = sealer.Inspect(io.MultiReader(bytes.NewReader(raw)), e.chain); err != nil {
		return nil, err
	}
	e.headersMu.Lock()
	if len(e.headers) >= 4096 {
		clear(e.headers)
	}
	e.headers[o.SHA256] = h
	e.headersMu.Unlock()
	return h, nil
}

// Evidence returns, to committee member actor while the opening of f
// runs, the tender's log entries with inclusion proofs in a fresh signed
// checkpoint, for the member's tool to check the headers against
// (member.Verify, opening.md §5.2). seen is the tree size of the last
// checkpoint the tool saw, 0 if none: the evidence then proves that the
// new checkpoint extends it (the tool sets Previous to the checkpoint it
// kept).
func (f File) Evidence(ctx context.Context, actor string, seen int64) (*member.Evidence, error) {
	t, _, err := f.opening(ctx, actor)
	if err != nil {
		return nil, err
	}
	return f.e.logEvidence(ctx, t, seen)
}

// LogEvidence returns, to anyone, v2 tender id's log entries with
// inclusion proofs in a fresh signed checkpoint: what a bidder's tool
// replays (member.Verify) to seal to the committee and the round the log
// names, not the ones the server says (opening.md §2.2).
//
// Until File I's opening report is logged, only the entries that fix the
// committee and the rounds are given (publicBeforeOpening): who bid, and
// their files' digests, are withheld until the opening (ocds.md §4), and
// whole appends left out are what member.Verify cannot tell from a log
// without them — which is all a bidder's check needs.
func (e *Engine) LogEvidence(ctx context.Context, id string) (*member.Evidence, error) {
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.V2() {
		return nil, fmt.Errorf("%w: tender %s is a version 1 tender, sealed to one committee key: its log is in its audit bundle", ErrInvalid, id)
	}
	ev, err := e.logEvidence(ctx, t, 0)
	if err != nil {
		return nil, err
	}
	if len(t.Parts) == 0 || t.Parts[0].Report == ([32]byte{}) {
		ev.Entries = slices.DeleteFunc(ev.Entries, func(le audit.LogEntry) bool {
			ent, err := auditlog.ParseEntry(le.Data)
			return err != nil || !publicBeforeOpening[ent.Type]
		})
	}
	return ev, nil
}

// publicBeforeOpening are the entry types of a v2 tender that name no
// bidder: the announcement's append and the schedule's.
var publicBeforeOpening = map[string]bool{
	"tender-announced": true, "tender-committee": true, "committee-member": true,
	"file-ii-scheduled": true, "tender-amended": true,
}

func (e *Engine) logEvidence(ctx context.Context, t *Tender, seen int64) (*member.Evidence, error) {
	size, err := e.logSize(ctx)
	if err != nil {
		return nil, err
	}
	// Signed after size was read, the checkpoint covers every entry below it.
	cp, err := e.cfg.Log.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("tender: checkpoint: %w", err)
	}
	b := &audit.Bundle{Checkpoints: []audit.SignedCheckpoint{{Signed: cp}}}
	if b.Entries, err = e.tenderEntries(ctx, t, size); err != nil {
		return nil, err
	}
	if err := b.Prove(ctx, e.cfg.Log); err != nil {
		return nil, err
	}
	ev := &member.Evidence{Checkpoint: cp, Entries: b.Entries}
	if seen > 0 {
		if ev.Consistency, err = e.cfg.Log.ProveConsistency(ctx, seen, b.Checkpoints[0].Size); err != nil {
			return nil, err
		}
	}
	return ev, nil
}
