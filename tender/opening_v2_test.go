package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// testSecrets is Config.Secrets for tests: a real AEAD from a vault
// keyring on the test's own backend.
func (e *env) useSecrets(t testing.TB) {
	t.Helper()
	kek, err := vault.ParseKEK(vault.GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := vault.NewKeyring(e.ctx, e.backend, kek)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := keys.AEAD(e.ctx, "tender-contributions")
	if err != nil {
		t.Fatal(err)
	}
	e.engine.cfg.Secrets = aead
}

// contributeAs has member compute, on its own, its answers for every
// header of file part file it is served, and send them as one batch.
func (e *env) contributeAs(t testing.TB, tn *Tender, file int, member string) *Batch {
	t.Helper()
	f := e.engine.File(tn.ID, file)
	headers, err := f.Headers(e.ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tn.KeyCommittee(e.engine)
	if err != nil {
		t.Fatal(err)
	}
	var answers []FileAnswer
	for _, sh := range headers {
		h, err := sealer.Inspect(io.MultiReader(bytes.NewReader(sh.Header)), e.beacon.Chain())
		if err != nil {
			t.Fatal(err)
		}
		contrib, err := sealer.Contribute(h, c, e.members[member])
		var we *sealer.WrapError
		switch {
		case errors.As(err, &we) && we.Share:
			answers = append(answers, FileAnswer{Index: sh.LogIndex, Claim: audit.AnswerClaimedShare})
		case errors.As(err, &we):
			answers = append(answers, FileAnswer{Index: sh.LogIndex, Claim: audit.AnswerClaimedKey})
		case err != nil:
			t.Fatal(err)
		default:
			answers = append(answers, FileAnswer{Index: sh.LogIndex, Contribution: &contrib})
		}
	}
	b, err := f.Contribute(e.ctx, member, answers)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpeningV2SingleFile opens a single-file v2 tender with 3 of 5
// members: nothing opens before the round, before k members contribute,
// or before the completion; the completion opens every file.
func TestOpeningV2SingleFile(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.useSecrets(t)
		tn := e.announceV2(t, "T-1F", MethodSingleFile)
		e.set(testStart.Add(time.Minute))
		docs := map[string]string{}
		for i := 1; i <= 3; i++ {
			b := bidderN(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			docs[b] = fmt.Sprintf("penawaran %d: Rp %d.000.000", i, 900+i)
			if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealV2(t, tn, b, 1, docs[b]))); err != nil {
				t.Fatal(err)
			}
		}
		f := e.engine.File(tn.ID, 1)
		if _, err := f.Headers(e.ctx, "pokja-1"); !errors.Is(err, ErrState) {
			t.Errorf("headers before the opening: %v, want ErrState", err)
		}
		e.set(tn.Schedule.Deadline.Add(time.Minute))
		if _, err := f.StartOpening(e.ctx, "pokja-1"); !errors.Is(err, timelock.ErrTooEarly) {
			t.Fatalf("start before the round: %v, want ErrTooEarly", err)
		}
		if _, err := f.StartOpening(e.ctx, "penyedia-1"); !errors.Is(err, ErrForbidden) {
			t.Errorf("start by a bidder: %v, want ErrForbidden", err)
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		size := e.log.Size()
		started, err := f.StartOpening(e.ctx, "pokja-2")
		if err != nil {
			t.Fatal(err)
		}
		if started.State != StateOpening || started.Parts[0].Started == nil {
			t.Fatalf("after the start: %+v", started)
		}
		if again, err := f.StartOpening(e.ctx, "pokja-3"); err != nil || again.Parts[0].Started.LogIndex != started.Parts[0].Started.LogIndex {
			t.Errorf("a second start: %v", err)
		}
		var beacons int
		for _, ent := range e.lastEntries(t, int(e.log.Size()-size)) {
			if ent.Type == "beacon-signature-used" {
				beacons++
			}
		}
		if beacons != 1 {
			t.Errorf("%d beacon-signature-used entries logged, want 1", beacons)
		}
		b1 := e.contributeAs(t, started, 1, "pokja-1")
		if b1.Contributed != 3 || b1.Claimed != 0 || b1.Refused != 0 {
			t.Errorf("pokja-1's batch: %+v", b1)
		}
		if last := e.lastEntries(t, 1)[0]; last.Type != "contributions-received" || last.Value("list") != hexEntry(b1.List[:]) {
			t.Errorf("the batch logged %+v", last)
		}
		// One participant of the three needed: refused, naming them.
		if _, err := f.CompleteOpening(e.ctx, "pokja-1", Completion{AcceptFailures: true}); !errors.Is(err, ErrState) {
			t.Errorf("completing with 1 participant: %v, want ErrState", err)
		}
		e.contributeAs(t, started, 1, "pokja-4")
		if _, err := f.CompleteOpening(e.ctx, "pokja-5", Completion{}); !errors.Is(err, ErrForbidden) {
			t.Errorf("completed by a member who sent nothing: %v, want ErrForbidden", err)
		}
		e.contributeAs(t, started, 1, "pokja-5")
		sink := &memSink{}
		op, err := f.CompleteOpening(e.ctx, "pokja-4", Completion{Sink: sink})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := audit.VerifyOpeningReport(op.Signed, e.reportKey); err != nil || got.File != 1 || len(got.Offers) != 3 {
			t.Fatalf("opening report: %+v, %v", got, err)
		}
		for _, line := range op.Report.Offers {
			if line.Outcome != audit.OutcomeOpened || len(line.Contributors) != 3 {
				t.Errorf("%s: %s with contributors %v", line.Bidder, line.Outcome, line.Contributors)
			}
			if got := sink.docs[line.Bidder].String(); got != docs[line.Bidder] || line.Digest != sha256.Sum256([]byte(got)) {
				t.Errorf("%s: plaintext %q", line.Bidder, got)
			}
		}
		tn, err = e.engine.Get(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tn.State != StateOpened || tn.Parts[0].Report != sha256.Sum256(op.Signed) {
			t.Errorf("after the completion: %s, report %x", tn.State, tn.Parts[0].Report)
		}
		// The member keys are gone.
		err = e.backend.View(e.ctx, func(tx vault.Tx) error {
			return tx.Scan(tableAnswers, tn.ID+"/", func(key string, value []byte) error {
				if bytes.Contains(value, []byte(`"Key"`)) {
					t.Errorf("answer %s still holds its key: %s", key, value)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.File(tn.ID, 1).Contribute(e.ctx, "pokja-2", []FileAnswer{{Index: op.Report.Offers[0].Index, Claim: audit.AnswerClaimedKey}}); !errors.Is(err, ErrState) {
			t.Errorf("a batch after the completion: %v, want ErrState", err)
		}
		last := e.lastEntries(t, 4)
		for i, typ := range []string{"file-opened", "file-opened", "file-opened", "file-opening-report"} {
			if last[i].Type != typ {
				t.Errorf("entry %d from the end is %s, want %s", 4-i, last[i].Type, typ)
			}
		}
	})
}
