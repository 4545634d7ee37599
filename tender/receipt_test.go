package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// TestOfferReceipt: a bidder gets its current offer's receipt again, byte
// for byte; another bidder never, the committee only after closing.
func TestOfferReceipt(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		for _, b := range []string{"penyedia-1", "penyedia-2", "penyedia-3"} {
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		e.set(testStart.Add(10 * time.Minute))
		if _, err := e.engine.OfferReceipt(e.ctx, "penyedia-1", tn.ID, "penyedia-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("before any offer: %v, want ErrNotFound", err)
		}
		first, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(e.sealFor(t, tn, "offer 1")))
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.engine.OfferReceipt(e.ctx, "penyedia-1", tn.ID, "penyedia-1")
		if err != nil || !bytes.Equal(got.Signed, first.Signed) || got.Receipt != first.Receipt {
			t.Fatalf("OfferReceipt = %+v, %v; want the receipt Submit returned", got, err)
		}
		// A later offer supersedes: its receipt is the current one.
		second, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(e.sealFor(t, tn, "offer 1, revised")))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.engine.OfferReceipt(e.ctx, "penyedia-1", tn.ID, "penyedia-1"); err != nil || !bytes.Equal(got.Signed, second.Signed) {
			t.Errorf("after resubmitting: %v, want the second receipt", err)
		}
		for _, c := range []struct {
			actor string
			want  error
		}{
			{"penyedia-2", ErrForbidden}, // another bidder
			{"pokja-1", ErrState},        // the committee, before closing
			{"pokja-9", ErrForbidden},    // not on the committee
		} {
			if _, err := e.engine.OfferReceipt(e.ctx, c.actor, tn.ID, "penyedia-1"); !errors.Is(err, c.want) {
				t.Errorf("%s asks for penyedia-1's receipt before closing: %v, want %v", c.actor, err, c.want)
			}
		}
		if _, err := e.engine.OfferReceipt(e.ctx, "penyedia-1", "T-NONE", "penyedia-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown tender: %v, want ErrNotFound", err)
		}

		// A commitment has no receipt until its file is delivered.
		file := e.sealFor(t, tn, "offer 2, committed")
		if _, err := e.engine.Commit(e.ctx, "penyedia-2", tn.ID, sha256.Sum256(file), int64(len(file))); err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.OfferReceipt(e.ctx, "penyedia-2", tn.ID, "penyedia-2"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "committed") {
			t.Errorf("undelivered commitment: %v, want ErrNotFound saying it is committed", err)
		}
		e.set(tn.Schedule.Deadline.Add(time.Second))
		delivered, err := e.engine.Submit(e.ctx, "penyedia-2", tn.ID, bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := e.engine.OfferReceipt(e.ctx, "penyedia-2", tn.ID, "penyedia-2"); err != nil || !bytes.Equal(got.Signed, delivered.Signed) {
			t.Errorf("delivered commitment: %v, want its receipt", err)
		}

		// After closing, the committee reads any bidder's receipt.
		if _, err := e.engine.Close(e.ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := e.engine.OfferReceipt(e.ctx, "pokja-2", tn.ID, "penyedia-1"); err != nil || !bytes.Equal(got.Signed, second.Signed) {
			t.Errorf("the committee after closing: %v, want penyedia-1's receipt", err)
		}
		if _, err := e.engine.OfferReceipt(e.ctx, "penyedia-2", tn.ID, "penyedia-1"); !errors.Is(err, ErrForbidden) {
			t.Errorf("another bidder after closing: %v, want ErrForbidden", err)
		}
		if _, err := e.engine.OfferReceipt(e.ctx, "pokja-1", tn.ID, "penyedia-3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a bidder with no offer, asked by the committee: %v, want ErrNotFound", err)
		}
	})
}

// TestOfferReceiptResigned: a receipt lost to a crash between the log
// append and its record is signed again from the log entry, identical.
func TestOfferReceiptResigned(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		if err := e.engine.Register(e.ctx, "penyedia-1", tn.ID); err != nil {
			t.Fatal(err)
		}
		e.set(testStart.Add(10 * time.Minute))
		rc, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(e.sealFor(t, tn, "offer 1")))
		if err != nil {
			t.Fatal(err)
		}
		drop := func() {
			t.Helper()
			if err := e.backend.Update(e.ctx, func(tx vault.Tx) error {
				return tx.Delete(tableReceipts, receiptKey(tn.ID, rc.Index))
			}); err != nil {
				t.Fatal(err)
			}
		}
		drop()
		got, err := e.engine.OfferReceipt(e.ctx, "penyedia-1", tn.ID, "penyedia-1")
		if err != nil || !bytes.Equal(got.Signed, rc.Signed) {
			t.Fatalf("re-signed receipt: %v\n%s\nwant\n%s", err, got.Signed, rc.Signed)
		}
		if _, err := auditlog.VerifyReceipt(got.Signed, e.keys.Receipt); err != nil {
			t.Error(err)
		}

		// An index that disagrees with the log gets no receipt signed.
		drop()
		if err := e.backend.Update(e.ctx, func(tx vault.Tx) error {
			var o Offer
			if err := getJSON(tx, tableOffers, tn.ID+"/penyedia-1", &o); err != nil {
				return err
			}
			o.Size++
			return putJSON(tx, tableOffers, tn.ID+"/penyedia-1", o)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.OfferReceipt(e.ctx, "penyedia-1", tn.ID, "penyedia-1"); err == nil || !strings.Contains(err.Error(), "does not match its log entry") {
			t.Errorf("index disagreeing with the log: %v, want a refusal", err)
		}
	})
}
