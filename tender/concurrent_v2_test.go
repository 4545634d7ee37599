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
