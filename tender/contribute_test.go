package tender

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// contribution computes member's contribution to the file of header h.
func (e *env) contribution(t testing.TB, tn *Tender, member string, h SealedHeader) sealer.Contribution {
	t.Helper()
	p, err := sealer.Inspect(io.MultiReader(bytes.NewReader(h.Header)), e.beacon.Chain())
	if err != nil {
		t.Fatal(err)
	}
	c, err := tn.KeyCommittee(e.engine)
	if err != nil {
		t.Fatal(err)
	}
	contrib, err := sealer.Contribute(p, c, e.members[member])
	if err != nil {
		t.Fatal(err)
	}
	return contrib
}

// TestContributionFaults: a claim, a bad contribution and absences each
// end where opening.md §7 says — with failures accepted, a file short of k
// fails at contributions (the committee's fault) or at contribution (the
// members whose contributions failed); without, the completion is refused
// naming the files and who has not answered. Wrong batches change nothing.
func TestContributionFaults(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.useSecrets(t)
		tn := e.announceV2(t, "T-FAULTS", MethodSingleFile)
		e.set(testStart.Add(time.Minute))
		for i := 1; i <= 3; i++ {
			b := bidderN(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealV2(t, tn, b, 1, "penawaran "+b))); err != nil {
				t.Fatal(err)
			}
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		f := e.engine.File(tn.ID, 1)
		if _, err := f.StartOpening(e.ctx, "pokja-1"); err != nil {
			t.Fatal(err)
		}
		headers, err := f.Headers(e.ctx, "pokja-3")
		if err != nil {
			t.Fatal(err)
		}
		h1, h2, h3 := headers[0], headers[1], headers[2]

		// Wrong batches: refused whole, nothing recorded or logged.
		c1 := e.contribution(t, tn, "pokja-3", h1)
		other := c1
		other.Member = tn.MemberIndex("pokja-1")
		for _, tc := range []struct {
			name  string
			actor string
			batch []FileAnswer
			want  error
		}{
			{"another member's index", "pokja-3", []FileAnswer{{Index: h1.LogIndex, Contribution: &other}}, ErrInvalid},
			{"another file's contribution", "pokja-3", []FileAnswer{{Index: h2.LogIndex, Contribution: &c1}}, ErrInvalid},
			{"not a file of the part", "pokja-3", []FileAnswer{{Index: 1, Claim: audit.AnswerClaimedKey}}, ErrInvalid},
			{"an unknown claim", "pokja-3", []FileAnswer{{Index: h1.LogIndex, Claim: "asleep"}}, ErrInvalid},
			{"a contribution and a claim", "pokja-3", []FileAnswer{{Index: h1.LogIndex, Claim: audit.AnswerClaimedKey, Contribution: &c1}}, ErrInvalid},
			{"one file twice", "pokja-3", []FileAnswer{{Index: h1.LogIndex, Contribution: &c1}, {Index: h1.LogIndex, Claim: audit.AnswerClaimedKey}}, ErrInvalid},
			{"an empty batch", "pokja-3", nil, ErrInvalid},
			{"by a bidder", bidderN(1), []FileAnswer{{Index: h1.LogIndex, Claim: audit.AnswerClaimedKey}}, ErrForbidden},
		} {
			size := e.log.Size()
			if _, err := f.Contribute(e.ctx, tc.actor, tc.batch); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			if e.log.Size() != size {
				t.Errorf("%s: refused but logged", tc.name)
			}
		}
		// pokja-1 and pokja-2 contribute to every file; pokja-3 claims its
		// wrap of file 1 does not open, sends a bad contribution for file 2
		// and a good one for file 3; pokja-4 and pokja-5 are absent.
		for _, m := range []string{"pokja-1", "pokja-2"} {
			e.contributeAs(t, tn, 1, m)
		}
		bad := e.contribution(t, tn, "pokja-3", h2)
		bad.Key[0] ^= 1
		good := e.contribution(t, tn, "pokja-3", h3)
		b, err := f.Contribute(e.ctx, "pokja-3", []FileAnswer{
			{Index: h1.LogIndex, Claim: audit.AnswerClaimedKey},
			{Index: h2.LogIndex, Contribution: &bad},
			{Index: h3.LogIndex, Contribution: &good},
		})
		if err != nil {
			t.Fatal(err)
		}
		if b.Contributed != 1 || b.Claimed != 1 || b.Refused != 1 || b.Refusals[h2.LogIndex] == "" {
			t.Errorf("pokja-3's batch: %+v", b)
		}
		if last := e.lastEntries(t, 1)[0]; last.Value("contributed") != "1" || last.Value("claimed") != "1" || last.Value("refused") != "1" {
			t.Errorf("pokja-3's batch logged %+v", last)
		}

		_, err = f.CompleteOpening(e.ctx, "pokja-3", Completion{})
		if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), bidderN(1)+"'s file") || !strings.Contains(err.Error(), bidderN(2)+"'s file") ||
			!strings.Contains(err.Error(), "not answered: pokja-4, pokja-5") || strings.Contains(err.Error(), bidderN(3)) {
			t.Errorf("completing with two files short of k: %v", err)
		}
		// Failing files for want of contributions is the committee's
		// decision, not one member's: pokja-3, whose claim and bad
		// contribution leave two files short, cannot make them fail alone,
		// nor by asking twice; nor can a member who took no part.
		size := e.log.Size()
		var ops bytes.Buffer // the engine's operational log, during the refusals
		e.engine.log = slog.New(slog.NewTextHandler(&ops, nil))
		for i, m := range []string{"pokja-3", "pokja-3", "pokja-1"} {
			_, err := f.CompleteOpening(e.ctx, m, Completion{AcceptFailures: true})
			want := []string{"pokja-3", "pokja-3", "pokja-1, pokja-3"}[i]
			if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "failures accepted") || !strings.Contains(err.Error(), "asked so far: "+want) {
				t.Errorf("%s asks to complete with failures accepted: %v, want ErrState naming %s as having asked", m, err, want)
			}
		}
		if _, err := f.CompleteOpening(e.ctx, "pokja-4", Completion{AcceptFailures: true}); !errors.Is(err, ErrForbidden) {
			t.Errorf("a member who sent no batch asks to complete with failures accepted: %v, want ErrForbidden", err)
		}
		if e.log.Size() != size {
			t.Errorf("completions refused but %d entries logged", e.log.Size()-size)
		}
		if strings.Contains(ops.String(), "level=ERROR") {
			t.Errorf("refused completions logged errors:\n%s", ops.String())
		}
		op, err := f.CompleteOpening(e.ctx, "pokja-2", Completion{AcceptFailures: true})
		if err != nil {
			t.Fatal(err)
		}
		byBidder := map[string]audit.OpenedOffer{}
		for _, o := range op.Report.Offers {
			byBidder[o.Bidder] = o
		}
		if o := byBidder[bidderN(3)]; o.Outcome != audit.OutcomeOpened || len(o.Contributors) != 3 {
			t.Errorf("file 3: %+v", o)
		}
		answersOf := func(w *audit.WitnessReport) map[string]string {
			m := map[string]string{}
			for _, a := range w.Members {
				m[a.User] = a.Answer
			}
			return m
		}
		for _, tc := range []struct {
			bidder, step, fault, pokja3 string
		}{
			{bidderN(1), audit.StepContributions, audit.FaultCommittee, audit.AnswerClaimedKey},
			{bidderN(2), audit.StepContribution, audit.FaultMember, audit.AnswerRefused},
		} {
			o := byBidder[tc.bidder]
			w, err := audit.VerifyWitnessReport(op.Witness[tc.bidder], e.reportKey)
			if err != nil {
				t.Fatal(err)
			}
			a := answersOf(w)
			if o.Outcome != audit.OutcomeFailed || w.Step != tc.step || w.Fault != tc.fault || a["pokja-3"] != tc.pokja3 ||
				a["pokja-1"] != audit.AnswerContributed || a["pokja-4"] != audit.AnswerAbsent || len(o.Contributors) != 2 {
				t.Errorf("%s: %s, witness %s/%s, answers %v, contributors %v", tc.bidder, o.Outcome, w.Step, w.Fault, a, o.Contributors)
			}
			if !slices.Equal(w.Witnesses, []string{"pokja-1", "pokja-2", "pokja-3"}) {
				t.Errorf("%s: witnesses %v, want the three who took part", tc.bidder, w.Witnesses)
			}
		}
		var faults []string
		for _, ent := range e.lastEntries(t, 4) {
			if ent.Type == "file-failed" {
				faults = append(faults, ent.Value("fault"))
			}
		}
		if !slices.Equal(faults, []string{audit.FaultCommittee, audit.FaultMember}) {
			t.Errorf("file-failed faults %v", faults)
		}
		if res := e.verifyBundle(t, tn.ID); res.Method != "single-file" || res.Opened != 1 || res.Failed != 2 {
			t.Errorf("Verify = %+v", res)
		}
	})
}

// TestBatchesCapped: one member cannot send batch after batch without end
// — each is a log entry every member's tool reads and replays, and a
// flood of them would push the tender past what the tools accept
// (audit.MaxTenderEntries). Its batches past maxBatches are refused,
// saying why; its answers so far stand, and other members are unaffected.
func TestBatchesCapped(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	e.useSecrets(t)
	tn := e.announceV2(t, "T-FLOOD-B", MethodSingleFile)
	e.set(testStart.Add(time.Minute))
	b := bidderN(1)
	if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealV2(t, tn, b, 1, "penawaran"))); err != nil {
		t.Fatal(err)
	}
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	f := e.engine.File(tn.ID, 1)
	if _, err := f.StartOpening(e.ctx, "pokja-1"); err != nil {
		t.Fatal(err)
	}
	headers, err := f.Headers(e.ctx, "pokja-5")
	if err != nil {
		t.Fatal(err)
	}
	claim := []FileAnswer{{Index: headers[0].LogIndex, Claim: audit.AnswerClaimedKey}}
	for i := range maxBatches {
		if _, err := f.Contribute(e.ctx, "pokja-5", claim); err != nil {
			t.Fatalf("batch %d: %v", i+1, err)
		}
	}
	size := e.log.Size()
	if _, err := f.Contribute(e.ctx, "pokja-5", claim); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "batches") {
		t.Errorf("batch %d: %v, want ErrState about its batches", maxBatches+1, err)
	}
	if e.log.Size() != size {
		t.Error("a refused batch was logged")
	}
	for _, m := range v2Members[:3] {
		e.contributeAs(t, tn, 1, m)
	}
	op, err := f.CompleteOpening(e.ctx, "pokja-1", Completion{})
	if err != nil {
		t.Fatal(err)
	}
	if len(op.Report.Offers) != 1 || op.Report.Offers[0].Outcome != audit.OutcomeOpened {
		t.Errorf("report: %+v", op.Report.Offers)
	}
}
