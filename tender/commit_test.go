package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/vault"
)

// TestCommitThenUpload covers "commit now, upload later": a commitment
// delivered before the deadline, one delivered after closing, one never
// delivered, and one replaced by a whole offer; then the opening and the
// audit bundle.
func TestCommitThenUpload(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		e.set(testStart.Add(time.Minute))
		files := map[int][]byte{}
		for i := 1; i <= 4; i++ {
			b := bidderName(i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			files[i] = e.sealFor(t, tn, "penawaran "+b)
		}
		commit := func(i int, f []byte) *Commitment {
			t.Helper()
			c, err := e.engine.Commit(e.ctx, bidderName(i), tn.ID, sha256.Sum256(f), int64(len(f)))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		submit := func(i int, f []byte) (*Receipt, error) {
			return e.engine.Submit(e.ctx, bidderName(i), tn.ID, bytes.NewReader(f))
		}
		for i := 1; i <= 4; i++ {
			commit(i, files[i])
		}
		// 1 delivers before the deadline; 4 replaces its commitment with
		// another whole offer.
		if _, err := submit(1, files[1]); err != nil {
			t.Fatal(err)
		}
		files[4] = e.sealFor(t, tn, "penawaran revisi penyedia-4")
		if _, err := submit(4, files[4]); err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.Commit(e.ctx, bidderName(3), tn.ID, sha256.Sum256(files[3]), 2<<20); !errors.Is(err, ErrTooLarge) {
			t.Errorf("commitment over the size cap: err = %v, want ErrTooLarge", err)
		}

		// After the deadline: closed, then 2 delivers its committed file;
		// another file is refused; 3 never delivers.
		e.set(tn.Schedule.Deadline.Add(time.Second))
		if _, err := e.engine.Commit(e.ctx, bidderName(3), tn.ID, sha256.Sum256(files[3]), int64(len(files[3]))); !errors.Is(err, ErrLate) {
			t.Errorf("commitment after the deadline: err = %v, want ErrLate", err)
		}
		closed, err := e.engine.Close(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(closed.Closing.Offers); n != 4 {
			t.Fatalf("closing holds %d offers, want 4", n)
		}
		if _, err := submit(2, e.sealFor(t, tn, "not what was committed")); !errors.Is(err, ErrLate) {
			t.Errorf("another file after the deadline: err = %v, want ErrLate", err)
		}
		if _, err := submit(1, e.sealFor(t, tn, "new offer after the deadline")); !errors.Is(err, ErrLate) {
			t.Errorf("a new offer after the deadline: err = %v, want ErrLate", err)
		}
		rc, err := submit(2, files[2])
		if err != nil {
			t.Fatalf("delivering the committed file after closing: %v", err)
		}
		e.set(tn.Schedule.Opening)
		if _, err := submit(3, files[3]); !errors.Is(err, ErrLate) {
			t.Errorf("delivery at the opening time: err = %v, want ErrLate", err)
		}

		e.set(e.beacon.Chain().TimeOf(tn.Round))
		op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
		if err != nil {
			t.Fatal(err)
		}
		outcome := map[string]audit.OpenedOffer{}
		for _, o := range op.Report.Offers {
			outcome[o.Bidder] = o
		}
		for i, want := range map[int]string{1: audit.OutcomeOpened, 2: audit.OutcomeOpened, 3: audit.OutcomeFailed, 4: audit.OutcomeOpened} {
			if got := outcome[bidderName(i)].Outcome; got != want {
				t.Errorf("%s: %s, want %s", bidderName(i), got, want)
			}
		}
		if outcome[bidderName(2)].Index != rc.Index {
			t.Errorf("delivered offer is listed at index %d, its receipt says %d", outcome[bidderName(2)].Index, rc.Index)
		}
		w, err := audit.VerifyWitnessReport(op.Witness[bidderName(3)], e.reportKey)
		if err != nil || w.Step != audit.StepMissing || w.Fault != audit.FaultFile {
			t.Errorf("witness report of the missing file: %+v, %v", w, err)
		}
		b, err := e.engine.Bundle(e.ctx, tn.ID, e.trusted(t), true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Verify(b, *e.trusted(t)); err != nil {
			t.Errorf("bundle does not verify: %v", err)
		}
	})
}

func bidderName(i int) string { return "penyedia-" + string(rune('0'+i)) }
