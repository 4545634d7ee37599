package tender

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// TestConcurrentV2 races every step of a two-file tender's openings and
// evaluation — several clicks at once, on two server instances with their
// own audit logs on one backend — and checks that each state change is
// logged once and the bundle verifies (opening.md §5, transition.go).
func TestConcurrentV2(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.useSecrets(t)
		tn := e.announceV2(t, "T-RACE-2", MethodTwoFile)
		e.set(testStart.Add(time.Minute))
		for i := 1; i <= 3; i++ {
			b := bidderN(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			for file := 1; file <= 2; file++ {
				if _, err := e.engine.File(tn.ID, file).Submit(e.ctx, b, bytes.NewReader(e.sealV2(t, tn, b, file, "berkas "+b))); err != nil {
					t.Fatal(err)
				}
			}
		}
		two := [2]*Engine{e.instance(t), e.instance(t)}
		e.engine = two[0]
		e.log = two[0].cfg.Log
		on := func(i int) *Engine { return two[i%2] }
		const n = 4
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		once(t, "start File I", race(n, func(i int) error {
			_, err := on(i).File(tn.ID, 1).StartOpening(e.ctx, v2Members[i%5])
			return err
		}), true, ErrState)
		for i, err := range race(4, func(i int) error { _, err := e.memberTool(t, tn, 1, v2Members[i]); return err }) {
			if err != nil {
				t.Fatalf("%s's batch: %v", v2Members[i], err)
			}
		}
		once(t, "complete File I", race(n, func(i int) error {
			_, err := on(i).File(tn.ID, 1).CompleteOpening(e.ctx, v2Members[i%4], Completion{})
			return err
		}), false, ErrState)
		digest, err := e.engine.File(tn.ID, 1).ProposeEvaluation(e.ctx, "pokja-1", []BidderResult{
			{Bidder: bidderN(1), Passed: true, Reasons: "lulus"}, {Bidder: bidderN(2), Passed: false, Reasons: "gugur"},
			{Bidder: bidderN(3), Passed: true, Reasons: "lulus"},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Three approvals at once where two fix it: an approval refused
		// while another is recorded is made again, as a member clicks
		// again; whichever way they fall, the evaluation is fixed once.
		for i, err := range race(3, func(i int) error {
			_, err := on(i).File(tn.ID, 1).ApproveEvaluation(e.ctx, v2Members[1+i], digest)
			return err
		}) {
			for errors.Is(err, ErrState) && bytes.Contains([]byte(err.Error()), []byte("in progress")) {
				_, err = e.engine.File(tn.ID, 1).ApproveEvaluation(e.ctx, v2Members[1+i], digest)
			}
			if err != nil && !errors.Is(err, ErrState) {
				t.Errorf("a concurrent approval: %v", err)
			}
		}
		e.engine = e.instance(t) // one that reads every instance's entries
		e.log = e.engine.cfg.Log
		if got := e.count(t, tn.ID); got["evaluation-fixed"] != 1 || got["bidder-evaluated"] != 3 {
			fixed, _ := e.engine.Get(e.ctx, tn.ID)
			t.Fatalf("after the approvals: %v (tender %s)", got, fixed.State)
		}
		e.set(e.beacon.Chain().TimeOf(tn.Parts[1].Round))
		once(t, "start File II", race(n, func(i int) error {
			_, err := on(i).File(tn.ID, 2).StartOpening(e.ctx, v2Members[i%5])
			return err
		}), true, ErrState)
		for _, m := range v2Members[2:5] {
			if _, err := e.memberTool(t, tn, 2, m); err != nil {
				t.Fatal(err)
			}
		}
		once(t, "complete File II", race(n, func(i int) error {
			_, err := on(i).File(tn.ID, 2).CompleteOpening(e.ctx, v2Members[2+i%3], Completion{})
			return err
		}), false, ErrState)
		e.engine = e.instance(t)
		e.log = e.engine.cfg.Log
		got := e.count(t, tn.ID)
		for typ, want := range map[string]int{"beacon-signature-used": 2, "file-opening-report": 2, "evaluation-fixed": 1,
			"contributions-received": 7, "file-opened": 5, "file-withheld": 1} {
			if got[typ] != want {
				t.Errorf("the log has %d %s entries, want %d", got[typ], typ, want)
			}
		}
		if res := e.verifyBundle(t, tn.ID); res.Opened != 5 || res.Withheld != 1 {
			t.Errorf("Verify = %+v", res)
		}
	})
}

// TestCompletionResumes interrupts a completion (the committee's storage
// fails) and completes it with the next request: every file is opened and
// logged once.
func TestCompletionResumes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.useSecrets(t)
		tn := e.announceV2(t, "T-RESUME", MethodSingleFile)
		e.set(testStart.Add(time.Minute))
		for i := 1; i <= 3; i++ {
			b := bidderN(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealV2(t, tn, b, 1, "berkas "+b))); err != nil {
				t.Fatal(err)
			}
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		f := e.engine.File(tn.ID, 1)
		if _, err := f.StartOpening(e.ctx, "pokja-1"); err != nil {
			t.Fatal(err)
		}
		for _, m := range v2Members[:3] {
			e.contributeAs(t, tn, 1, m)
		}
		sink := &failingSink{}
		sink.n.Store(2)
		if _, err := f.CompleteOpening(e.ctx, "pokja-1", Completion{Sink: sink}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk full")) {
			t.Fatalf("a completion whose storage fails: %v", err)
		}
		headers, err := f.Headers(e.ctx, "pokja-4")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Contribute(e.ctx, "pokja-4", []FileAnswer{{Index: headers[0].LogIndex, Claim: "claimed-key"}}); !errors.Is(err, ErrState) {
			t.Errorf("a batch while a completion is interrupted: %v, want ErrState", err)
		}
		op, err := f.CompleteOpening(e.ctx, "pokja-2", Completion{Sink: &memSink{}})
		if err != nil {
			t.Fatal(err)
		}
		if len(op.Report.Offers) != 3 {
			t.Errorf("report: %+v", op.Report.Offers)
		}
		got := e.count(t, tn.ID)
		if got["file-opened"] != 3 || got["file-opening-report"] != 1 {
			t.Errorf("log: %v", got)
		}
		e.verifyBundle(t, tn.ID)
	})
}

// TestConcurrentV2Committee races what several members do at once, on
// two server instances: one member's approval sent several times, two
// proposals at once, approvals racing the k-th; batches racing the
// completion, and the completion with failures accepted asked by several
// members at once. Each state change is logged once, a batch is either
// refused or in the report, and the bundle verifies.
func TestConcurrentV2Committee(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn, _ := e.inEvaluation(t, "T-RACE-C")
		two := [2]*Engine{e.instance(t), e.instance(t)}
		on := func(i int) *Engine { return two[i%2] }
		results := func(pass2 bool) []BidderResult {
			return []BidderResult{{Bidder: bidderN(1), Passed: true, Reasons: "lulus"},
				{Bidder: bidderN(2), Passed: pass2, Reasons: "hasil"}, {Bidder: bidderN(3), Passed: true, Reasons: "lulus"}}
		}
		// Two proposals at once, by pokja-1 and pokja-2.
		var digests [2][32]byte
		for i, err := range race(2, func(i int) error {
			var err error
			for {
				digests[i], err = on(i).File(tn.ID, 1).ProposeEvaluation(e.ctx, v2Members[i], results(i == 0))
				if !errors.Is(err, ErrState) || !bytes.Contains([]byte(err.Error()), []byte("in progress")) {
					return err
				}
			}
		}) {
			if err != nil {
				t.Fatalf("proposal %d: %v", i, err)
			}
		}
		// pokja-3 approves the second document four times at once: one
		// approval, the others refused as duplicates (or in progress).
		for _, err := range race(4, func(i int) error {
			_, err := on(i).File(tn.ID, 1).ApproveEvaluation(e.ctx, "pokja-3", digests[1])
			return err
		}) {
			if err != nil && !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrState) {
				t.Errorf("a repeated approval: %v", err)
			}
		}
		e.engine = e.instance(t)
		e.log = e.engine.cfg.Log
		if got := e.count(t, tn.ID); got["evaluation-approved"] != 3 || got["evaluation-fixed"] != 0 {
			t.Fatalf("after two proposals and one member's repeated approval: %v", got)
		}
		// pokja-4 and pokja-5 approve the second at once with pokja-1
		// moving to it: whichever way they fall, it is fixed once, and no
		// approval is logged after the fixing.
		for i, err := range race(3, func(i int) error {
			m := []string{"pokja-1", "pokja-4", "pokja-5"}[i]
			for {
				_, err := on(i).File(tn.ID, 1).ApproveEvaluation(e.ctx, m, digests[1])
				if !errors.Is(err, ErrState) || !bytes.Contains([]byte(err.Error()), []byte("in progress")) {
					return err
				}
			}
		}) {
			if err != nil && !errors.Is(err, ErrState) {
				t.Errorf("approval %d: %v", i, err)
			}
		}
		e.engine = e.instance(t)
		e.log = e.engine.cfg.Log
		fixed, err := e.engine.Get(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.count(t, tn.ID); got["evaluation-fixed"] != 1 || fixed.Evaluation == nil || fixed.Evaluation.Digest != digests[1] {
			t.Fatalf("after the racing approvals: %v, evaluation %+v", got, fixed.Evaluation)
		}

		// File II: three members' batches race the completion, and pokja-4
		// and pokja-5 ask for failures accepted at once.
		e.set(e.beacon.Chain().TimeOf(tn.Parts[1].Round))
		two = [2]*Engine{e.instance(t), e.instance(t)}
		if _, err := on(0).File(tn.ID, 2).StartOpening(e.ctx, "pokja-2"); err != nil {
			t.Fatal(err)
		}
		for _, m := range v2Members[:3] {
			if _, err := e.memberTool(t, tn, 2, m); err != nil {
				t.Fatal(err)
			}
		}
		errs := race(4, func(i int) error {
			if i < 2 {
				_, err := e.memberTool(t, tn, 2, v2Members[3+i])
				return err
			}
			_, err := on(i).File(tn.ID, 2).CompleteOpening(e.ctx, v2Members[i-2], Completion{})
			return err
		})
		for i, err := range errs {
			if err != nil && !errors.Is(err, ErrState) {
				t.Errorf("call %d racing the completion: %v", i, err)
			}
		}
		e.engine = e.instance(t)
		e.log = e.engine.cfg.Log
		after, err := e.engine.Get(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Parts[1].Report == ([32]byte{}) {
			if _, err := e.engine.File(tn.ID, 2).CompleteOpening(e.ctx, "pokja-1", Completion{}); err != nil {
				t.Fatal(err)
			}
		}
		got := e.count(t, tn.ID)
		if got["file-opening-report"] != 2 || got["file-opened"] != 3+2 || got["file-withheld"] != 1 {
			t.Errorf("log: %v", got)
		}
		for i := range 2 {
			if errs[i] == nil && got["contributions-received"] < 3+3+i {
				t.Errorf("%s's batch was taken but is not logged: %v", v2Members[3+i], got)
			}
		}
		e.verifyBundle(t, tn.ID)
	})
}
