package tender

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
)

// TestApprovalWithdrawn: a member's approval counts for one evaluation at
// a time, its latest (opening.md §6). pokja-1 proposes a document,
// pokja-2 approves it, pokja-1 finds a mistake and proposes a corrected
// one: pokja-1 no longer approves the first, so pokja-3's approval of the
// first is the second of three, not the third, and fixes nothing.
func TestApprovalWithdrawn(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn, _ := e.inEvaluation(t, "T-WITHDRAWN")
	f1 := e.engine.File(tn.ID, 1)
	wrong := []BidderResult{{Bidder: bidderN(1), Passed: true, Reasons: "lulus"},
		{Bidder: bidderN(2), Passed: true, Reasons: "lulus"}, {Bidder: bidderN(3), Passed: true, Reasons: "lulus"}}
	d1, err := f1.ProposeEvaluation(e.ctx, "pokja-1", wrong)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f1.ApproveEvaluation(e.ctx, "pokja-2", d1); err != nil {
		t.Fatal(err)
	}
	right := append([]BidderResult(nil), wrong...)
	right[1] = BidderResult{Bidder: bidderN(2), Passed: false, Reasons: "tenaga ahli tidak memenuhi"}
	d2, err := f1.ProposeEvaluation(e.ctx, "pokja-1", right)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f1.ApproveEvaluation(e.ctx, "pokja-3", d1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Evaluation != nil {
		t.Fatalf("the first document fixed with pokja-1's withdrawn approval: %+v", got.Evaluation)
	}
	// pokja-2 and pokja-3 move to the corrected document: it is fixed by
	// the three, and the bundle verifies.
	if _, err := f1.ApproveEvaluation(e.ctx, "pokja-2", d2); err != nil {
		t.Fatal(err)
	}
	if _, err := f1.ApproveEvaluation(e.ctx, "pokja-2", d2); !errors.Is(err, ErrDuplicate) {
		t.Errorf("approving the same document again: %v, want ErrDuplicate", err)
	}
	fixed, err := f1.ApproveEvaluation(e.ctx, "pokja-3", d2)
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Evaluation == nil || fixed.Evaluation.Digest != d2 {
		t.Fatalf("after three approvals of the corrected document: %+v", fixed.Evaluation)
	}
	if got := e.count(t, tn.ID); got["evaluation-approved"] != 6 || got["evaluation-fixed"] != 1 {
		t.Errorf("log: %v", got)
	}
}

// TestProposalsFlood: one member proposing evaluation after evaluation
// cannot fill the tender's proposals and keep the others from proposing
// theirs: a member's approval is of one document at a time, and a
// document nobody approves any more is dropped.
func TestProposalsFlood(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn, _ := e.inEvaluation(t, "T-FLOOD")
	f1 := e.engine.File(tn.ID, 1)
	for i := range maxApprovals { // more than the 16 proposals the record once held
		junk := []BidderResult{{Bidder: bidderN(1), Passed: false, Reasons: fmt.Sprintf("alasan %d", i)},
			{Bidder: bidderN(2), Passed: false, Reasons: "gugur"}, {Bidder: bidderN(3), Passed: false, Reasons: "gugur"}}
		if _, err := f1.ProposeEvaluation(e.ctx, "pokja-5", junk); err != nil {
			t.Fatalf("pokja-5's proposal %d: %v", i, err)
		}
	}
	d, err := f1.ProposeEvaluation(e.ctx, "pokja-1", []BidderResult{{Bidder: bidderN(1), Passed: true, Reasons: "lulus"},
		{Bidder: bidderN(2), Passed: false, Reasons: "gugur"}, {Bidder: bidderN(3), Passed: true, Reasons: "lulus"}})
	if err != nil {
		t.Fatalf("pokja-1's proposal after pokja-5's flood: %v", err)
	}
	got, err := e.engine.Get(e.ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Proposals) != 2 {
		t.Errorf("%d proposals kept, want 2: pokja-5's last and pokja-1's", len(got.Proposals))
	}
	for _, m := range []string{"pokja-2", "pokja-3"} {
		if _, err := f1.ApproveEvaluation(e.ctx, m, d); err != nil {
			t.Fatal(err)
		}
	}
	// The auditor's replay agrees: fixed, with penyedia-2 failed.
	entries, err := e.engine.tenderEntries(e.ctx, tn, e.log.Size())
	if err != nil {
		t.Fatal(err)
	}
	v, err := audit.ReplayOpening(entries, tn.ID, e.beacon.Chain())
	if err != nil {
		t.Fatal(err)
	}
	if !v.Fixed || v.Passed[bidderN(2)] || !v.Passed[bidderN(1)] {
		t.Errorf("the replay: fixed %v, passed %v", v.Fixed, v.Passed)
	}
}

// TestReplayWithdrawnApproval: a log in which an evaluation is fixed with
// an approval its member withdrew (a server logging what the engine never
// would) is refused by the auditor's replay, which members' tools run too.
func TestReplayWithdrawnApproval(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn, _ := e.inEvaluation(t, "T-REPLAY-W")
	at := canon.FormatTime(e.clock())
	doc := func(pass2 bool) (*audit.Evaluation, string) {
		ev := &audit.Evaluation{Tender: tn.ID}
		for i := 1; i <= 3; i++ {
			ev.Bidders = append(ev.Bidders, audit.EvaluatedBidder{Bidder: bidderN(i), Passed: i != 2 || pass2})
		}
		text, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return ev, fmt.Sprintf("%x", sha256.Sum256(text))
	}
	ev1, d1 := doc(true)
	_, d2 := doc(false)
	var ents [][]byte
	add := func(typ string, kv ...string) {
		ent, err := auditlog.MarshalEntry(typ, kv...)
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, ent)
	}
	add("evaluation-approved", "tender", tn.ID, "evaluation", d1, "by", "pokja-1", "time", at)
	add("evaluation-approved", "tender", tn.ID, "evaluation", d2, "by", "pokja-1", "time", at) // pokja-1 moves to d2
	add("evaluation-approved", "tender", tn.ID, "evaluation", d1, "by", "pokja-2", "time", at)
	if _, err := e.log.Append(e.ctx, ents...); err != nil {
		t.Fatal(err)
	}
	ents = nil
	add("evaluation-approved", "tender", tn.ID, "evaluation", d1, "by", "pokja-3", "time", at)
	for _, b := range ev1.Bidders {
		add("bidder-evaluated", "tender", tn.ID, "bidder", b.Bidder, "result", b.Result(), "reasons", strings.Repeat("0", 64), "time", at)
	}
	add("evaluation-fixed", "tender", tn.ID, "evaluation", d1, "passed", "3", "failed", "0", "time", at)
	if _, err := e.log.Append(e.ctx, ents...); err != nil {
		t.Fatal(err)
	}
	entries, err := e.engine.tenderEntries(e.ctx, tn, e.log.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.ReplayOpening(entries, tn.ID, e.beacon.Chain()); err == nil || !strings.Contains(err.Error(), "approved by 2 distinct members") {
		t.Errorf("an evaluation fixed with a withdrawn approval: %v, want a refusal counting 2 approvals", err)
	}
}

// TestApprovalsCapped: a member approving two documents in turn is
// stopped at maxApprovals; its last approval stands and the others can
// still fix the evaluation.
func TestApprovalsCapped(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn, _ := e.inEvaluation(t, "T-FLIP")
	f1 := e.engine.File(tn.ID, 1)
	res := func(pass2 bool) []BidderResult {
		return []BidderResult{{Bidder: bidderN(1), Passed: true, Reasons: "lulus"},
			{Bidder: bidderN(2), Passed: pass2, Reasons: "hasil"}, {Bidder: bidderN(3), Passed: true, Reasons: "lulus"}}
	}
	d1, err := f1.ProposeEvaluation(e.ctx, "pokja-1", res(true))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := f1.ProposeEvaluation(e.ctx, "pokja-2", res(false))
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxApprovals {
		if _, err := f1.ApproveEvaluation(e.ctx, "pokja-5", [][32]byte{d1, d2}[i%2]); err != nil {
			t.Fatalf("approval %d: %v", i+1, err)
		}
	}
	size := e.log.Size()
	if _, err := f1.ApproveEvaluation(e.ctx, "pokja-5", d1); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "stands") {
		t.Errorf("approval %d: %v, want ErrState", maxApprovals+1, err)
	}
	if e.log.Size() != size {
		t.Error("a refused approval was logged")
	}
	// pokja-5's last approval was of d2: pokja-3 makes it the third.
	fixed, err := f1.ApproveEvaluation(e.ctx, "pokja-3", d2)
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Evaluation == nil || fixed.Evaluation.Digest != d2 {
		t.Errorf("after pokja-3's approval: %+v", fixed.Evaluation)
	}
}
