package tender

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
)

// The File I evaluation of a two-file or two-stage tender
// (doc/spec/opening.md §6): a member proposes an evaluation document (its
// own approval), members approve its digest, and the approval by the k-th
// distinct member fixes it, in one append with a bidder-evaluated entry
// per bidder and evaluation-fixed. A fixed evaluation is final. Then File
// II opens for the bidders who passed (two-file), or stage 2 is announced
// to them (two-stage).

// Evaluation is a v2 tender's fixed File I evaluation.
type Evaluation struct {
	Digest   [32]byte // SHA-256 of the evaluation document
	Passed   []string // bidders who passed, ascending
	Failed   []string // bidders who failed, ascending
	Time     time.Time
	LogIndex int64 // of its evaluation-fixed entry
}

// A Proposal is an evaluation document proposed and approved so far.
type Proposal struct {
	Digest    [32]byte // SHA-256 of the document in Blobs
	By        string
	Time      time.Time
	Bidders   []audit.EvaluatedBidder
	Approvals []string // members whose latest approval it is, in order (the proposer first, unless it approved another since)
}

// BidderResult is the committee's finding on one bidder's File I.
type BidderResult struct {
	Bidder string
	Passed bool
	// Reasons are the committee's reasons, in words. They may name people,
	// so they are kept in the vault and logged only by SHA-256.
	Reasons string
}

// maxApprovals caps one member's approvals and proposals in one
// evaluation: each is an evaluation-approved entry every member's tool
// replays, and a member approving two documents in turn without end must
// not stall the tender (audit.MaxTenderEntries).
const maxApprovals = 32

// maxProposals caps the proposals kept in a tender's record. A proposal
// nobody approves any more is dropped, and a member approves one at a
// time, so a committee of n keeps at most n: the cap is never reached by
// a committee, however many times one member proposes.
const maxProposals = sealer.MaxMembers + 1

// ProposeEvaluation records, by committee member actor, an evaluation of
// File I of v2 tender f (a two-file or two-stage tender, once its File I
// opening completed): one result for every bidder of File I's closing
// set, a bidder whose File I did not open being failed. The document and
// the reasons are stored; the proposal is actor's own approval (logged as
// evaluation-approved), and with a threshold of 1 it is fixed at once. It
// returns the document's digest, which the other members approve.
func (f File) ProposeEvaluation(ctx context.Context, actor string, results []BidderResult) ([32]byte, error) {
	e, id := f.e, f.tender
	t, err := e.evaluating(ctx, actor, f)
	if err != nil {
		return [32]byte{}, err
	}
	failedToOpen, err := e.failedFiles(ctx, t)
	if err != nil {
		return [32]byte{}, err
	}
	ev := &audit.Evaluation{Tender: id}
	closing := map[string]bool{}
	for _, o := range t.Parts[0].Closing.Offers {
		closing[o.Bidder] = true
	}
	given := map[string]bool{}
	for _, r := range results {
		switch {
		case !closing[r.Bidder]:
			return [32]byte{}, fmt.Errorf("%w: %q has no File I in tender %s", ErrInvalid, r.Bidder, id)
		case given[r.Bidder]:
			return [32]byte{}, fmt.Errorf("%w: %q is evaluated twice", ErrInvalid, r.Bidder)
		case r.Passed && failedToOpen[r.Bidder]:
			return [32]byte{}, fmt.Errorf("%w: %s's File I did not open: it fails the evaluation (its reasons name the witness report)", ErrInvalid, r.Bidder)
		}
		given[r.Bidder] = true
		reasons, err := e.putText(ctx, r.Reasons)
		if err != nil {
			return [32]byte{}, fmt.Errorf("the reasons for %s: %w", r.Bidder, err)
		}
		ev.Bidders = append(ev.Bidders, audit.EvaluatedBidder{Bidder: r.Bidder, Passed: r.Passed, Reasons: reasons})
	}
	for b := range closing {
		if !given[b] {
			return [32]byte{}, fmt.Errorf("%w: %s has a File I and no result; every bidder of File I is evaluated", ErrInvalid, b)
		}
	}
	slices.SortFunc(ev.Bidders, func(a, b audit.EvaluatedBidder) int { return strings.Compare(a.Bidder, b.Bidder) })
	text, err := ev.Marshal()
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	digest, err := e.putBytes(ctx, text)
	if err != nil {
		return [32]byte{}, err
	}
	_, err = e.approve(ctx, actor, t, digest, &Proposal{Digest: digest, By: actor, Time: e.now(), Bidders: ev.Bidders})
	return digest, err
}

// ApproveEvaluation records committee member actor's approval of the
// evaluation proposed with digest (logged as evaluation-approved). A
// member approves one evaluation at a time: its approval of any other is
// withdrawn (a proposal is its proposer's approval). The approval by the
// k-th distinct member whose latest approval it is fixes it: the tender then goes on
// to File II's opening (two-file, StateClosed with Part 2) or to the
// announcement of stage 2 (two-stage, StateEvaluated). Approving twice is
// refused (ErrDuplicate); so is an approval once an evaluation is fixed
// (ErrState).
func (f File) ApproveEvaluation(ctx context.Context, actor string, digest [32]byte) (*Tender, error) {
	t, err := f.e.evaluating(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	return f.e.approve(ctx, actor, t, digest, nil)
}

// evaluating returns the tender of f, File I of a v2 two-file or
// two-stage tender in evaluation, for committee member actor.
func (e *Engine) evaluating(ctx context.Context, actor string, f File) (*Tender, error) {
	t, err := e.Get(ctx, f.tender)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if err := t.checkV2File(f.file); err != nil {
		return nil, err
	}
	if t.Method == MethodSingleFile || f.file != 1 {
		return nil, fmt.Errorf("%w: only File I of a two-file or two-stage tender is evaluated", ErrInvalid)
	}
	if t.State != StateEvaluation {
		return nil, fmt.Errorf("%w: File I is evaluated after its opening completed, until the evaluation is fixed; tender %s is %s", ErrState, t.ID, t.State)
	}
	return t, nil
}

// failedFiles returns the bidders whose File I did not open, from the
// logged File I opening report.
func (e *Engine) failedFiles(ctx context.Context, t *Tender) (map[string]bool, error) {
	signed, err := e.readBlob(ctx, t.Parts[0].Report)
	if err != nil {
		return nil, fmt.Errorf("tender: File I's opening report: %w", err)
	}
	text, err := canon.NoteText(signed, audit.ErrMalformed)
	if err != nil {
		return nil, fmt.Errorf("tender: stored opening report: %w", err)
	}
	r, err := audit.ParseOpeningReport(text)
	if err != nil {
		return nil, fmt.Errorf("tender: stored opening report: %w", err)
	}
	out := map[string]bool{}
	for _, o := range r.Offers {
		if o.Outcome != audit.OutcomeOpened {
			out[o.Bidder] = true
		}
	}
	return out, nil
}

// approve records actor's approval of the proposal with digest (proposed
// now, if proposal is not nil) as a transition: an approval is decided in
// the tender's record before it is logged, so that of two k-th approvals
// at once one fixes the evaluation and the other is refused.
func (e *Engine) approve(ctx context.Context, actor string, t *Tender, digest [32]byte, proposal *Proposal) (*Tender, error) {
	p := &Transition{Op: opApprove, By: actor}
	return e.transit(ctx, t.ID, p, func(t *Tender) error {
		if t.State != StateEvaluation {
			return fmt.Errorf("%w: the evaluation of tender %s is fixed, or not open; tender is %s", ErrState, t.ID, t.State)
		}
		// decide may run again (a serialization conflict): it changes
		// nothing it reads.
		q := proposal
		i := slices.IndexFunc(t.Proposals, func(q Proposal) bool { return q.Digest == digest })
		switch {
		case q != nil && i >= 0:
			q = &t.Proposals[i] // proposed again: an approval of the same document
		case q != nil && len(t.Proposals) >= maxProposals:
			return fmt.Errorf("%w: tender %s has %d evaluations proposed; approve one of them", ErrState, t.ID, len(t.Proposals))
		case q == nil && i < 0:
			return fmt.Errorf("%w: no evaluation %x… is proposed for tender %s", ErrNotFound, digest[:8], t.ID)
		case q == nil:
			q = &t.Proposals[i]
		}
		if slices.Contains(q.Approvals, actor) {
			return fmt.Errorf("%w: %s approved evaluation %x… already", ErrDuplicate, actor, digest[:8])
		}
		if t.Approved[actor] >= maxApprovals {
			return fmt.Errorf("%w: %s has approved or proposed %d times, the most a member may in one evaluation; its approval of the document it approved last stands",
				ErrState, actor, t.Approved[actor])
		}
		now := e.now()
		ent, err := entry("evaluation-approved", "tender", t.ID, "evaluation", hexEntry(digest[:]), "by", actor, "time", canon.FormatTime(now))
		if err != nil {
			return err
		}
		p.Entries, p.Evaluation, p.State, p.Part = [][]byte{ent}, nil, "", 0
		p.Proposal = &Proposal{Digest: digest, By: q.By, Time: q.Time, Bidders: q.Bidders, Approvals: append(slices.Clone(q.Approvals), actor)}
		if len(p.Proposal.Approvals) < t.Threshold {
			return nil
		}
		// The k-th approval fixes it, in the same append.
		ev := &Evaluation{Digest: digest, Time: now}
		var passed int
		for _, b := range q.Bidders {
			ent, err := entry("bidder-evaluated", "tender", t.ID, "bidder", b.Bidder, "result", b.Result(),
				"reasons", hexEntry(b.Reasons[:]), "time", canon.FormatTime(now))
			if err != nil {
				return err
			}
			p.Entries = append(p.Entries, ent)
			if b.Passed {
				ev.Passed = append(ev.Passed, b.Bidder)
				passed++
			} else {
				ev.Failed = append(ev.Failed, b.Bidder)
			}
		}
		ent, err = entry("evaluation-fixed", "tender", t.ID, "evaluation", hexEntry(digest[:]), "passed", uintEntry(passed),
			"failed", uintEntry(len(q.Bidders)-passed), "time", canon.FormatTime(now))
		if err != nil {
			return err
		}
		p.Entries = append(p.Entries, ent)
		p.Evaluation = ev
		p.State, p.Part = StateEvaluated, 1
		if t.Method == MethodTwoFile {
			p.State, p.Part = StateClosed, 2
		}
		return nil
	})
}

// applyApproval sets what approval transition p decided on t, its first
// entry logged at first.
func (p *Transition) applyApproval(t *Tender, first int64) {
	q := *p.Proposal
	if t.Approved == nil {
		t.Approved = map[string]int{}
	}
	t.Approved[p.By]++
	// A member approves one document at a time, its latest (opening.md
	// §6): this approval withdraws p.By's approval of any other.
	for j := range t.Proposals {
		if t.Proposals[j].Digest != q.Digest {
			t.Proposals[j].Approvals = slices.DeleteFunc(slices.Clone(t.Proposals[j].Approvals), func(u string) bool { return u == p.By })
		}
	}
	// A proposal nobody approves any more is dropped: one member
	// proposing again and again cannot fill the record (its document
	// stays in the vault; proposing it again brings it back).
	t.Proposals = slices.DeleteFunc(t.Proposals, func(r Proposal) bool { return len(r.Approvals) == 0 && r.Digest != q.Digest })
	if i := slices.IndexFunc(t.Proposals, func(r Proposal) bool { return r.Digest == q.Digest }); i >= 0 {
		t.Proposals[i] = q
	} else {
		t.Proposals = append(t.Proposals, q)
	}
	if p.Evaluation != nil {
		ev := *p.Evaluation
		ev.LogIndex = first + int64(len(p.Entries)) - 1
		t.Evaluation, t.Part = &ev, p.Part
	}
}

// StageTwo is the announcement of a two-stage tender's stage 2.
type StageTwo struct {
	Deadline time.Time // end of the stage 2 window
	Opening  time.Time // stage 2's opening time, not before the deadline; fixes its round
}

// AnnounceStageTwo announces stage 2 of two-stage tender f (file 2), by
// committee member actor, once the stage 1 evaluation is fixed: its window
// opens now, for the bidders who passed stage 1, until s.Deadline; its
// files are sealed to the first round at or after s.Opening, which must be
// a later round than stage 1's. Logged as stage-two-announced.
func (f File) AnnounceStageTwo(ctx context.Context, actor string, s StageTwo) (*Tender, error) {
	e, id := f.e, f.tender
	t, err := e.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := e.CheckCommittee(ctx, actor, t); err != nil {
		return nil, err
	}
	if err := t.checkV2File(f.file); err != nil {
		return nil, err
	}
	now := e.now()
	round := e.chain.RoundAt(s.Opening)
	switch {
	case t.Method != MethodTwoStage || f.file != 2:
		return nil, fmt.Errorf("%w: only stage 2 of a two-stage tender is announced after the announcement", ErrInvalid)
	case !s.Deadline.After(now):
		return nil, fmt.Errorf("%w: stage 2's deadline %s is already past", ErrInvalid, ts(s.Deadline))
	case s.Opening.Before(s.Deadline):
		return nil, fmt.Errorf("%w: stage 2 opens %s, before its deadline %s", ErrInvalid, ts(s.Opening), ts(s.Deadline))
	case round <= t.Round:
		return nil, fmt.Errorf("%w: stage 2's round %d is not after stage 1's %d", ErrInvalid, round, t.Round)
	}
	ent, err := entry("stage-two-announced", "tender", id, "deadline", canon.FormatTime(s.Deadline), "opening", canon.FormatTime(s.Opening),
		"round", uintEntry(round), "chain", t.ChainHash, "time", canon.FormatTime(now))
	if err != nil {
		return nil, err
	}
	p := &Transition{Op: opStageTwo, By: actor, Entries: [][]byte{ent}, State: StateAnnounced, Part: 2,
		Stage: &FilePart{File: 2, Start: now, Deadline: s.Deadline, Opening: s.Opening, Round: round}}
	return e.transit(ctx, id, p, func(t *Tender) error {
		if t.State != StateEvaluated {
			return fmt.Errorf("%w: stage 2 is announced once the stage 1 evaluation is fixed, once; tender %s is %s", ErrState, t.ID, t.State)
		}
		return nil
	})
}
