package tender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// race runs f(0) … f(n−1) at once, from goroutines released together,
// and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	ready.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Wait()
			errs[i] = f(i)
		}()
	}
	ready.Done()
	done.Wait()
	return errs
}

// once checks that exactly one call of a race succeeded (at least one if
// idempotent) and that every other was refused with one of refusals.
func once(t *testing.T, what string, errs []error, idempotent bool, refusals ...error) {
	t.Helper()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		refused := false
		for _, r := range refusals {
			refused = refused || errors.Is(err, r)
		}
		if !refused {
			t.Errorf("%s: a concurrent call failed with %v, want one of %v", what, err, refusals)
		}
	}
	if ok != 1 && !(idempotent && ok > 1) {
		t.Errorf("%s: %d of %d concurrent calls succeeded, want 1", what, ok, len(errs))
	}
}

// count returns how many entries of each type the log holds about tender id.
func (e *env) count(t *testing.T, id string) map[string]int {
	t.Helper()
	entries, err := e.log.Entries(e.ctx, 0, e.log.Size())
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, b := range entries {
		if ent, err := auditlog.ParseEntry(b); err == nil && ent.Value("tender") == id {
			n[ent.Type]++
		}
	}
	return n
}

func (e *env) verify(t *testing.T, id string) *audit.Result {
	t.Helper()
	b, err := e.engine.Bundle(e.ctx, id, e.trusted(t), true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(b, *e.trusted(t))
	if err != nil {
		t.Fatalf("bundle does not verify: %v", err)
	}
	return res
}

// TestConcurrentTransitions calls every state change of a tender several
// times at once (a double click, or several committee members): one
// succeeds and the others are refused before they log anything, so the log
// holds each entry once and the tender's bundle verifies. The closing is
// raced between two engines on one backend, as two server instances.
func TestConcurrentTransitions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.dir.ppk("ppk-1")
		const n = 4
		doc, err := e.backend.Put(e.ctx, bytes.NewReader([]byte("Dokumen pemilihan")), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		a := Announcement{ID: "T-RACE", Title: "Pengadaan serentak", Document: doc.Digest,
			Committee: []string{"pokja-1", "pokja-2", "pokja-3"}, CommitteeKey: e.committee.Recipient().String(),
			Schedule: Schedule{RegistrationEnd: testStart.Add(90 * time.Minute), ClarificationEnd: testStart.Add(60 * time.Minute),
				SubmissionStart: testStart, Deadline: testStart.Add(2 * time.Hour), Opening: testStart.Add(150 * time.Minute), ObjectionDays: 1}}
		once(t, "announce", race(n, func(int) error { _, err := e.engine.Announce(e.ctx, "pokja-1", a); return err }),
			false, ErrState, ErrInvalid)
		tn, err := e.engine.Get(e.ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := e.announce(t) // cancelled at the end
		e.set(testStart.Add(time.Minute))
		for i := 1; i <= 3; i++ {
			b := fmt.Sprintf("penyedia-%d", i)
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(e.sealFor(t, tn, "penawaran "+b))); err != nil {
				t.Fatal(err)
			}
		}

		// The same addendum at once: one is logged; the others are
		// refused while it runs, or change nothing after it.
		deadline := tn.Schedule.Deadline.Add(-30 * time.Minute)
		once(t, "amend", race(n, func(int) error {
			_, err := e.engine.Amend(e.ctx, "pokja-1", tn.ID, Amendment{Deadline: deadline})
			return err
		}), false, ErrState, ErrInvalid)

		e.set(deadline.Add(time.Second))
		other, err := New(e.engine.cfg) // a second server instance
		if err != nil {
			t.Fatal(err)
		}
		once(t, "close", race(n, func(i int) error {
			eng := e.engine
			if i%2 == 1 {
				eng = other
			}
			_, err := eng.Close(e.ctx, tn.ID)
			return err
		}), true, ErrState)

		e.set(e.beacon.Chain().TimeOf(tn.Round))
		once(t, "open", race(n, func(i int) error {
			_, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
			return err
		}), false, ErrState)
		once(t, "result", race(n, func(i int) error {
			_, err := e.engine.AnnounceResult(e.ctx, fmt.Sprintf("pokja-%d", 1+i%3), tn.ID, "penyedia-2", "Pemenang: penyedia-2")
			return err
		}), false, ErrState)
		e.set(e.clock().Add(25 * time.Hour))
		once(t, "award", race(n, func(i int) error {
			_, err := e.engine.Award(e.ctx, "ppk-1", tn.ID, fmt.Sprintf("SPPBJ %d", i))
			return err
		}), false, ErrState)

		got := e.count(t, tn.ID)
		for _, typ := range []string{"tender-announced", "tender-amended", "submission-closed", "beacon-signature-used",
			"opening-report", "result-announced", "tender-awarded"} {
			if got[typ] != 1 {
				t.Errorf("the log has %d %s entries, want 1", got[typ], typ)
			}
		}
		if res := e.verify(t, tn.ID); res.Opened != 3 {
			t.Errorf("bundle: %d opened, want 3", res.Opened)
		}

		// Cancelling at once: one cancellation.
		once(t, "cancel", race(n, func(i int) error {
			_, err := e.engine.Cancel(e.ctx, "pokja-2", c.ID, fmt.Sprintf("dibatalkan %d", i))
			return err
		}), false, ErrState)
		if got := e.count(t, c.ID)["tender-cancelled"]; got != 1 {
			t.Errorf("the log has %d tender-cancelled entries, want 1", got)
		}
	})
}

// instance returns another server instance on e's backend: an engine
// with its own audit log, which knows only what it reads from storage.
func (e *env) instance(t *testing.T) *Engine {
	t.Helper()
	l, err := auditlog.Open(e.ctx, auditlog.Config{Storage: e.backend.AuditLog("main"), Origin: "lpse.test/log", Signer: e.logSigner})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.engine.cfg
	cfg.Log, cfg.Shared = l, true
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// TestTransitionsAcrossInstances races the closing, then the opening,
// between two server instances with their own audit logs on one backend
// (lpsed --shared on one PostgreSQL): the tender's record, not a lock in
// one process, lets one through.
func TestTransitionsAcrossInstances(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := runTender(t, e, 2, nil)
		e.set(tn.Schedule.Deadline.Add(time.Second))
		two := [2]*Engine{e.instance(t), e.instance(t)}
		once(t, "close", race(2, func(i int) error { _, err := two[i].Close(e.ctx, tn.ID); return err }), true, ErrState)
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		two = [2]*Engine{e.instance(t), e.instance(t)}
		once(t, "open", race(2, func(i int) error {
			_, err := two[i].Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
			return err
		}), false, ErrState)
		e.engine = e.instance(t)
		e.log = e.engine.cfg.Log
		got := e.count(t, tn.ID)
		for _, typ := range []string{"submission-closed", "beacon-signature-used", "opening-report"} {
			if got[typ] != 1 {
				t.Errorf("the log has %d %s entries, want 1", got[typ], typ)
			}
		}
		if res := e.verify(t, tn.ID); res.Opened != 2 {
			t.Errorf("bundle: %d opened, want 2", res.Opened)
		}
	})
}

// failingSink fails the creation of the plaintext of its nth offer.
type failingSink struct {
	memSink
	n, seen atomic.Int32
}

func (s *failingSink) Create(bidder string, sealed [32]byte) (io.WriteCloser, error) {
	if s.seen.Add(1) == s.n.Load() {
		return nil, errors.New("committee disk full")
	}
	return s.memSink.Create(bidder, sealed)
}

// failOpened fails, once armed, the transaction that records a tender
// as opened: a crash after the opening report was logged.
type failOpened struct {
	vault.Records
	armed atomic.Bool
}

func (f *failOpened) Update(ctx context.Context, fn func(vault.Tx) error) error {
	return f.Records.Update(ctx, func(tx vault.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if !f.armed.Load() {
			return nil
		}
		return tx.Scan(tableTenders, "", func(key string, value []byte) error {
			if bytes.Contains(value, []byte(`"State":"opened"`)) && f.armed.CompareAndSwap(true, false) {
				return errInjected
			}
			return nil
		})
	})
}

// TestOpeningResumes interrupts openings part-way and checks that the
// next Open resumes each: after the beacon signature was logged (the
// committee's storage failed), it is not logged again; after the opening
// report was logged (a crash before the tender was recorded as opened,
// then a restart), the opening is only finished. The bundle verifies.
func TestOpeningResumes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		fo := &failOpened{Records: e.engine.cfg.Records}
		e.engine.cfg.Records = fo
		tn := runTender(t, e, 3, nil)
		e.set(tn.Schedule.Deadline.Add(time.Second))
		if _, err := e.engine.Close(e.ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		sink := &failingSink{}
		sink.n.Store(2)
		cer := Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}, Sink: sink}
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, cer); err == nil {
			t.Fatal("opening with a failing sink succeeded")
		}
		if got := e.count(t, tn.ID)["beacon-signature-used"]; got != 1 {
			t.Fatalf("after the interrupted opening, %d beacon-signature-used entries, want 1", got)
		}

		// Interrupted again, after the report is logged; then a restart
		// once the lease has run out.
		fo.armed.Store(true)
		sink.n.Store(0)
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, cer); !errors.Is(err, errInjected) {
			t.Fatalf("opening with a failing finish: err = %v", err)
		}
		e.set(e.clock().Add(2 * leaseFor))
		var err error
		if e.engine, err = New(e.engine.cfg); err != nil {
			t.Fatal(err)
		}
		op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, cer)
		if err != nil {
			t.Fatalf("resumed opening: %v", err)
		}
		if len(op.Report.Offers) != 3 || op.Signed == nil {
			t.Errorf("resumed opening reports %d offers", len(op.Report.Offers))
		}
		got := e.count(t, tn.ID)
		if got["beacon-signature-used"] != 1 || got["opening-report"] != 1 || got["offer-opened"] != 3 {
			t.Errorf("log after resumed openings: %v", got)
		}
		if res := e.verify(t, tn.ID); res.Opened != 3 {
			t.Errorf("bundle: %d opened, want 3", res.Opened)
		}
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, cer); !errors.Is(err, ErrState) {
			t.Errorf("opening an opened tender: err = %v, want ErrState", err)
		}
	})
}

// TestAbandonedTransitionCompleted: an amendment recorded but not logged
// (a crash between the two steps) refuses the closing at the deadline
// and a cancellation while its lease runs; after that, the next caller
// completes it — logged once, before submission-closed — and goes on.
func TestAbandonedTransitionCompleted(t *testing.T) {
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := newEnv(t, b)
	tn := e.announce(t)
	deadline := tn.Schedule.Deadline
	extended := deadline.Add(10 * time.Minute)
	e.set(deadline.Add(-time.Second))
	p := &Transition{Op: opAmend, By: "pokja-1"}
	if _, _, err := e.engine.begin(e.ctx, tn.ID, p, func(t *Tender) error {
		next := *t
		next.Schedule.Deadline, next.Amendments = extended, 1
		ent, err := next.announcedEntry("tender-amended", e.clock())
		p.Entries, p.Document, p.Schedule, p.Amendments = [][]byte{ent}, &next.Document, &next.Schedule, 1
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.set(deadline.Add(time.Second))
	if _, err := e.engine.Close(e.ctx, tn.ID); !errors.Is(err, ErrState) {
		t.Fatalf("close during an amendment: err = %v, want ErrState", err)
	}
	if _, err := e.engine.Cancel(e.ctx, "pokja-1", tn.ID, "batal"); !errors.Is(err, ErrState) {
		t.Fatalf("cancel during an amendment: err = %v, want ErrState", err)
	}
	if n := e.count(t, tn.ID); n["tender-amended"]+n["submission-closed"]+n["tender-cancelled"] != 0 {
		t.Fatalf("logged during the amendment: %v", n)
	}

	// The lease runs out: the closing completes the amendment, which
	// moved the deadline, so the tender stays open.
	e.set(deadline.Add(time.Second + 2*leaseFor))
	if _, err := e.engine.Close(e.ctx, tn.ID); !errors.Is(err, ErrState) {
		t.Fatalf("close before the amended deadline: err = %v, want ErrState", err)
	}
	got, err := e.engine.Get(e.ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amendments != 1 || !got.Schedule.Deadline.Equal(extended) || got.Pending != nil {
		t.Errorf("after completing the abandoned amendment: %d amendments, deadline %s, pending %v", got.Amendments, ts(got.Schedule.Deadline), got.Pending)
	}
	e.set(extended.Add(time.Second))
	if _, err := e.engine.Close(e.ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, tn.ID); n["tender-amended"] != 1 || n["submission-closed"] != 1 {
		t.Errorf("log: %v, want one tender-amended and one submission-closed", n)
	}
}

// TestCommitteeMemberNoLongerAssignable: a member who may no longer sit
// on a committee (here: became LPSE staff after the announcement) is
// refused every committee action; the others still act.
func TestCommitteeMemberNoLongerAssignable(t *testing.T) {
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := newEnv(t, b)
	tn := runTender(t, e, 1, nil)
	q, err := e.engine.Ask(e.ctx, "penyedia-1", tn.ID, KindQuestion, "Apakah jembatan dari baja?")
	if err != nil {
		t.Fatal(err)
	}
	e.dir.mu.Lock()
	e.dir.staff["pokja-2"] = true
	e.dir.mu.Unlock()

	newDeadline := tn.Schedule.Deadline.Add(-time.Minute)
	cer := Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1", "pokja-2"}}
	for name, call := range map[string]func(actor string) error{
		"amend": func(a string) error {
			_, err := e.engine.Amend(e.ctx, a, tn.ID, Amendment{Deadline: newDeadline})
			return err
		},
		"reply": func(a string) error {
			_, err := e.engine.Reply(e.ctx, a, tn.ID, KindQuestion, q.Document, "Ya, baja.")
			return err
		},
		"cancel": func(a string) error {
			_, err := e.engine.Cancel(e.ctx, a, tn.ID, "batal")
			return err
		},
		"close": func(a string) error { return e.engine.CheckCommittee(e.ctx, a, tn) },
		"open": func(a string) error {
			c := cer
			c.Witnesses = []string{a}
			_, err := e.engine.Open(e.ctx, a, tn.ID, c)
			return err
		},
		"result": func(a string) error {
			_, err := e.engine.AnnounceResult(e.ctx, a, tn.ID, "penyedia-1", "Pemenang")
			return err
		},
	} {
		if err := call("pokja-2"); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s by a member now LPSE staff: err = %v, want ErrForbidden", name, err)
		}
	}
	if _, err := e.engine.Amend(e.ctx, "pokja-1", tn.ID, Amendment{Deadline: newDeadline}); err != nil {
		t.Errorf("amend by a member still assignable: %v", err)
	}
	if _, err := e.engine.Reply(e.ctx, "pokja-1", tn.ID, KindQuestion, q.Document, "Ya, baja."); err != nil {
		t.Errorf("reply by a member still assignable: %v", err)
	}
}

// TestClosingSeesOtherInstancesOffers submits offers through one instance
// and closes through another that has appended nothing since they were
// logged: its replay must read the log as stored, not as its own Log last
// saw it, or acknowledged offers are left out of the closing.
func TestClosingSeesOtherInstancesOffers(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		e.set(testStart.Add(time.Minute))
		a, b := e.instance(t), e.instance(t)
		const n = 3
		for i := 1; i <= n; i++ {
			bidder := fmt.Sprintf("penyedia-%d", i)
			if err := a.Register(e.ctx, bidder, tn.ID); err != nil {
				t.Fatal(err)
			}
			file := e.sealFor(t, tn, fmt.Sprintf("penawaran %d", i))
			if _, err := a.Submit(e.ctx, bidder, tn.ID, bytes.NewReader(file)); err != nil {
				t.Fatalf("offer %d: %v", i, err)
			}
		}
		e.set(tn.Schedule.Deadline.Add(time.Second))
		closed, err := b.Close(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(closed.Closing.Offers); got != n {
			t.Errorf("closed by the other instance with %d offers, want %d", got, n)
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		if _, err := b.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}}); err != nil {
			t.Fatal(err)
		}
		e.engine, e.log = b, b.cfg.Log
		if res := e.verify(t, tn.ID); res.Opened != n {
			t.Errorf("bundle: %d offers opened, want %d", res.Opened, n)
		}
	})
}
