package tender

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/vault"
)

// TestTwoStage runs a two-stage tender (metode dua tahap): stage 1 opened
// and evaluated, stage 2 announced after the evaluation and open to the
// bidders who passed only, then opened (opening.md §3).
func TestTwoStage(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.useSecrets(t)
		tn := e.announceV2(t, "T-DUA-TAHAP", MethodTwoStage)
		e.set(testStart.Add(time.Minute))
		for i := 1; i <= 4; i++ {
			b := bidderN(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealV2(t, tn, b, 1, "tahap 1 "+b))); err != nil {
				t.Fatal(err)
			}
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		f1, f2 := e.engine.File(tn.ID, 1), e.engine.File(tn.ID, 2)
		if _, err := f1.StartOpening(e.ctx, "pokja-1"); err != nil {
			t.Fatal(err)
		}
		for _, m := range v2Members[:3] {
			if _, err := e.memberTool(t, tn, 1, m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f1.CompleteOpening(e.ctx, "pokja-1", Completion{}); err != nil {
			t.Fatal(err)
		}
		stage2 := StageTwo{Deadline: e.clock().Add(time.Hour), Opening: e.clock().Add(90 * time.Minute)}
		if _, err := f2.AnnounceStageTwo(e.ctx, "pokja-1", stage2); !errors.Is(err, ErrState) {
			t.Errorf("stage 2 before the evaluation is fixed: %v, want ErrState", err)
		}
		digest, err := f1.ProposeEvaluation(e.ctx, "pokja-2", []BidderResult{
			{Bidder: bidderN(1), Passed: true, Reasons: "lulus"}, {Bidder: bidderN(2), Passed: false, Reasons: "tidak lulus"},
			{Bidder: bidderN(3), Passed: true, Reasons: "lulus"}, {Bidder: bidderN(4), Passed: true, Reasons: "lulus"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"pokja-3", "pokja-5"} {
			if tn, err = f1.ApproveEvaluation(e.ctx, m, digest); err != nil {
				t.Fatal(err)
			}
		}
		if tn.State != StateEvaluated {
			t.Fatalf("after the evaluation: %s, want %s", tn.State, StateEvaluated)
		}
		if _, err := f2.AnnounceStageTwo(e.ctx, "pokja-1", StageTwo{Deadline: stage2.Deadline, Opening: e.clock()}); !errors.Is(err, ErrInvalid) {
			t.Errorf("stage 2 opening before its deadline: %v, want ErrInvalid", err)
		}
		if tn, err = f2.AnnounceStageTwo(e.ctx, "pokja-1", stage2); err != nil {
			t.Fatal(err)
		}
		if p := tn.Parts[1]; tn.State != StateAnnounced || tn.Part != 2 || p.Round != e.beacon.Chain().RoundAt(stage2.Opening) {
			t.Fatalf("after stage 2's announcement: %s part %d, %+v", tn.State, tn.Part, p)
		}
		if last := e.lastEntries(t, 1)[0]; last.Type != "stage-two-announced" || last.Value("round") != uintEntry(tn.Parts[1].Round) {
			t.Errorf("logged %+v", last)
		}
		if _, err := f2.AnnounceStageTwo(e.ctx, "pokja-1", stage2); !errors.Is(err, ErrState) {
			t.Errorf("stage 2 announced twice: %v, want ErrState", err)
		}
		// Stage 2: only the bidders who passed.
		e.set(e.clock().Add(time.Minute))
		if _, err := f2.Submit(e.ctx, bidderN(2), bytes.NewReader(e.sealV2(t, tn, bidderN(2), 2, "tahap 2"))); !errors.Is(err, ErrForbidden) {
			t.Errorf("stage 2 from a bidder who failed stage 1: %v, want ErrForbidden", err)
		}
		if _, err := f1.Submit(e.ctx, bidderN(1), bytes.NewReader(e.sealV2(t, tn, bidderN(1), 1, "tahap 1 lagi"))); !errors.Is(err, ErrLate) && !errors.Is(err, ErrState) {
			t.Errorf("a stage 1 file during stage 2: %v", err)
		}
		for _, i := range []int{1, 3} {
			if _, err := f2.Submit(e.ctx, bidderN(i), bytes.NewReader(e.sealV2(t, tn, bidderN(i), 2, "tahap 2 harga "+bidderN(i)))); err != nil {
				t.Fatal(err)
			}
		}
		e.set(e.beacon.Chain().TimeOf(tn.Parts[1].Round))
		if _, err := f2.StartOpening(e.ctx, "pokja-4"); err != nil {
			t.Fatal(err)
		}
		for _, m := range v2Members[1:4] {
			if _, err := e.memberTool(t, tn, 2, m); err != nil {
				t.Fatal(err)
			}
		}
		op, err := f2.CompleteOpening(e.ctx, "pokja-2", Completion{})
		if err != nil {
			t.Fatal(err)
		}
		if len(op.Report.Offers) != 2 || op.Report.Offers[0].Outcome != audit.OutcomeOpened || op.Report.Offers[1].Outcome != audit.OutcomeOpened {
			t.Errorf("stage 2's report: %+v", op.Report.Offers)
		}
		if tn, _ = e.engine.Get(e.ctx, tn.ID); tn.State != StateOpened {
			t.Errorf("after stage 2: %s", tn.State)
		}
		// penyedia-4 passed stage 1 and sent nothing in stage 2.
		e.checkBids(t, tn.ID, "price-opened:tenderUpdate", map[string]string{bidderN(1): "valid", bidderN(2): "disqualified",
			bidderN(3): "valid", bidderN(4): "withdrawn"})
		if res := e.verifyBundle(t, tn.ID); res.Method != "two-stage" || res.Opened != 6 {
			t.Errorf("Verify = %+v", res)
		}
	})
}
