package tender

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// TestCrashBetweenLogAndIndex simulates the two crashes a kill -9 can
// cause inside Submit: after the log append but before the engine's
// index (the next offer must still supersede the logged one), and after
// the index but before the receipt was kept (the bundle re-signs it,
// byte for byte). The tender's bundle must verify.
func TestCrashBetweenLogAndIndex(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		e.set(testStart.Add(time.Minute))
		for _, b := range []string{"penyedia-1", "penyedia-2"} {
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		submit := func(b, doc string) *Receipt {
			t.Helper()
			rc, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealFor(t, tn, doc)))
			if err != nil {
				t.Fatal(err)
			}
			return rc
		}
		submit("penyedia-1", "first")

		// Crash 1: logged (with its offer-superseded entry), not indexed.
		file := e.sealFor(t, tn, "second, logged before the crash")
		blob, err := e.backend.Put(e.ctx, bytes.NewReader(file), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		r := auditlog.Receipt{Tender: tn.ID, Bidder: "penyedia-1", SHA256: blob.Digest, Size: blob.Size, Received: e.clock()}
		rec, _ := r.Entry().Marshal()
		if _, _, err := e.engine.logOffer(e.ctx, tn.ID, Offer{Bidder: "penyedia-1", SHA256: blob.Digest, Size: blob.Size, Received: e.clock(), Delivered: true}, rec); err != nil {
			t.Fatal(err)
		}
		// The process "restarts" (a new engine on the same storage) and the
		// bidder submits again: it supersedes the logged offer, not the first.
		e.engine, err = New(e.engine.cfg)
		if err != nil {
			t.Fatal(err)
		}
		third := submit("penyedia-1", "third")

		// Crash 2: indexed, receipt not kept.
		rc2 := submit("penyedia-2", "only offer")
		if err := e.backend.Update(e.ctx, func(tx vault.Tx) error {
			return tx.Delete(tableReceipts, receiptKey(tn.ID, rc2.Index))
		}); err != nil {
			t.Fatal(err)
		}

		e.set(tn.Schedule.Deadline.Add(time.Second))
		closed, err := e.engine.Close(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(closed.Closing.Offers) != 2 || !closed.Closing.Offers[0].same(Offer{Bidder: "penyedia-1", SHA256: third.SHA256, LogIndex: third.Index}) {
			t.Fatalf("closing = %+v", closed.Closing.Offers)
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}}); err != nil {
			t.Fatal(err)
		}
		b, err := e.engine.Bundle(e.ctx, tn.ID, e.trusted(t), true)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := audit.Verify(b, *e.trusted(t)); err != nil {
			t.Fatalf("bundle after the crashes does not verify: %v", err)
		} else if res.Superseded != 2 {
			t.Errorf("superseded = %d, want 2", res.Superseded)
		}
		var kept []byte
		e.backend.View(e.ctx, func(tx vault.Tx) error {
			kept, _ = tx.Get(tableReceipts, receiptKey(tn.ID, rc2.Index))
			return nil
		})
		if !bytes.Equal(kept, rc2.Signed) {
			t.Errorf("re-signed receipt differs from the one the bidder got")
		}
	})
}

// TestConcurrentIntent checks that an intent of another instance, still
// fresh and not in the log, makes a submission wait (ErrBusy) instead of
// superseding the wrong offer; once stale, it is dropped.
func TestConcurrentIntent(t *testing.T) {
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := newEnv(t, b)
	e.engine.cfg.Shared = true // as if other server instances used this backend
	tn := e.announce(t)
	e.set(testStart.Add(time.Minute))
	if err := e.engine.Register(e.ctx, "penyedia-1", tn.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(e.ctx, func(tx vault.Tx) error {
		return putJSON(tx, tablePending, tn.ID+"/penyedia-1", pending{Offer: Offer{Bidder: "penyedia-1"}, From: e.log.Size(), At: e.clock()})
	}); err != nil {
		t.Fatal(err)
	}
	file := e.sealFor(t, tn, "offer")
	if _, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(file)); !errors.Is(err, ErrBusy) {
		t.Fatalf("submit during another instance's intent: err = %v, want ErrBusy", err)
	}
	e.set(e.clock().Add(2 * busyFor))
	if _, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(file)); err != nil {
		t.Fatalf("submit after the intent went stale: %v", err)
	}
}

// failingIndex fails the next Batch that writes the offer index, once
// armed: a write failure between the log append and the index.
type failingIndex struct {
	vault.Records
	armed bool
}

var errInjected = errors.New("injected index write failure")

func (f *failingIndex) Batch(ctx context.Context, fn func(vault.Tx) error) error {
	if !f.armed {
		return f.Records.Batch(ctx, fn)
	}
	return f.Records.Batch(ctx, func(tx vault.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.Get(tableOffers, "probe"); errors.Is(err, vault.ErrNotFound) {
			f.armed = false
			return errInjected
		}
		return nil
	})
}

// TestIndexWriteFailureIsRepaired: an offer logged whose index write
// failed is reconciled into the index before the bidder's next offer,
// in the same process, which then supersedes it and not the one before.
func TestIndexWriteFailureIsRepaired(t *testing.T) {
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := newEnv(t, b)
	fi := &failingIndex{Records: b}
	e.engine.cfg.Records = fi
	tn := e.announce(t)
	e.set(testStart.Add(time.Minute))
	if err := e.engine.Register(e.ctx, "penyedia-1", tn.ID); err != nil {
		t.Fatal(err)
	}
	submit := func(doc string) (*Receipt, error) {
		return e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(e.sealFor(t, tn, doc)))
	}
	if _, err := submit("first"); err != nil {
		t.Fatal(err)
	}
	fi.armed = true
	if _, err := submit("second, logged but not indexed"); !errors.Is(err, errInjected) {
		t.Fatalf("submit with a failing index write: err = %v", err)
	}
	third, err := submit("third")
	if err != nil {
		t.Fatal(err)
	}
	e.set(tn.Schedule.Deadline.Add(time.Second))
	closed, err := e.engine.Close(e.ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(closed.Closing.Offers) != 1 || closed.Closing.Offers[0].SHA256 != third.SHA256 {
		t.Fatalf("closing = %+v", closed.Closing.Offers)
	}
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}}); err != nil {
		t.Fatal(err)
	}
	bundle, err := e.engine.Bundle(e.ctx, tn.ID, e.trusted(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := audit.Verify(bundle, *e.trusted(t)); err != nil {
		t.Fatalf("bundle does not verify: %v", err)
	} else if res.Superseded != 2 {
		t.Errorf("superseded = %d, want 2", res.Superseded)
	}
}
