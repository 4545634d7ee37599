package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/vault"
)

// announceID is env.announce with the tender id given.
func (e *env) announceID(id string) (*Tender, error) {
	return e.announceAs(id, "Tender "+id, "Dokumen pemilihan "+id)
}

// TestTenderIDsRefused checks that an id that could reach into another
// tender's records ('/') or is otherwise outside the documented form is
// refused with a message saying the form.
func TestTenderIDsRefused(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		if _, err := e.announceID("T-1"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"T-1/question", "T-1/x", "T-1/", "/T-1", "-T-1", ".T", "_T", "T 1", "T-1\n", "T-é", "../T-1",
			strings.Repeat("1", 65)} {
			_, err := e.announceID(id)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "give 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit") {
				t.Errorf("Announce(%q): err = %v, want ErrInvalid saying the allowed form", id, err)
			}
		}
		if got, err := e.engine.List(e.ctx); err != nil || len(got) != 1 {
			t.Errorf("after the refusals: %d tenders, %v; want only T-1", len(got), err)
		}
		for _, id := range []string{strings.Repeat("1", 64), "12345678", "T-1.x_y-z"} {
			if _, err := e.announceID(id); err != nil {
				t.Errorf("Announce(%q): %v", id, err)
			}
		}
	})
}

// TestTenderIDPrefixes runs tenders whose ids prefix one another through
// questions, offers, opening and bundles, and checks that no record of
// one shows up in another's.
func TestTenderIDPrefixes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		ids := []string{"T-1", "T-10", "T-1.x", "T-1-x", "T-1_x"}
		for _, id := range ids {
			if _, err := e.announceID(id); err != nil {
				t.Fatal(err)
			}
		}
		// Ids with '/' are refused (TestTenderIDsRefused); were one
		// accepted, its records would be checked for leaks like the rest.
		for _, id := range []string{"T-1/question", "T-1/x"} {
			if _, err := e.announceID(id); err == nil {
				ids = append(ids, id)
			}
		}
		e.set(testStart.Add(time.Minute))
		questions := map[string][32]byte{}
		for i, id := range ids {
			bidder := fmt.Sprintf("penyedia-%d", i+1)
			// Each bidder registers for one tender only, and the first
			// for every tender, so registrations cannot hide a leak.
			for _, b := range []string{"penyedia-20", bidder} {
				if err := e.engine.Register(e.ctx, b, id); err != nil {
					t.Fatal(err)
				}
			}
			m, err := e.engine.Ask(e.ctx, bidder, id, KindQuestion, "Pertanyaan tentang "+id)
			if err != nil {
				t.Fatal(err)
			}
			questions[id] = m.Document
			tn, err := e.engine.Get(e.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []string{"penyedia-20", bidder} {
				if _, err := e.engine.Submit(e.ctx, b, id, bytes.NewReader(e.sealFor(t, tn, b+" untuk "+id))); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, id := range ids {
			for j, other := range ids {
				if j == i {
					continue
				}
				if _, err := e.engine.Ask(e.ctx, fmt.Sprintf("penyedia-%d", i+1), other, KindQuestion, "?"); !errors.Is(err, ErrNotRegistered) {
					t.Errorf("a bidder of %s asks on %s: err = %v, want ErrNotRegistered", id, other, err)
				}
			}
			got, err := e.engine.Messages(e.ctx, id, KindQuestion)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Document != questions[id] {
				t.Errorf("questions of %s: %+v, want only its own", id, got)
			}
		}

		e.set(e.beacon.Chain().TimeOf(e.engine.chain.RoundAt(testStart.Add(150 * time.Minute))))
		trusted := e.trusted(t)
		for i, id := range ids {
			op, err := e.engine.Open(e.ctx, "pokja-1", id, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
			if err != nil {
				t.Fatalf("opening %s: %v", id, err)
			}
			bidder := fmt.Sprintf("penyedia-%d", i+1)
			var bidders []string
			for _, o := range op.Report.Offers {
				bidders = append(bidders, o.Bidder)
				want := sha256.Sum256([]byte(o.Bidder + " untuk " + id))
				if o.Outcome != audit.OutcomeOpened || o.Digest != want {
					t.Errorf("%s: offer of %s is %s %x, want its own offer opened", id, o.Bidder, o.Outcome, o.Digest[:4])
				}
			}
			if strings.Join(bidders, " ") != "penyedia-20 "+bidder {
				t.Errorf("%s: opening report lists %q, want penyedia-20 and %s", id, bidders, bidder)
			}
			b, err := e.engine.Bundle(e.ctx, id, trusted, true)
			if err != nil {
				t.Fatalf("bundle of %s: %v", id, err)
			}
			if len(b.Receipts) != 2 {
				t.Errorf("bundle of %s has %d receipts, want 2", id, len(b.Receipts))
			}
			res, err := audit.Verify(b, *trusted)
			if err != nil {
				t.Fatalf("bundle of %s: %v", id, err)
			}
			if res.Offers != 2 || res.Opened != 2 || res.Receipts != 2 || res.Sealed != 2 {
				t.Errorf("bundle of %s: %+v", id, res)
			}
		}
	})
}
