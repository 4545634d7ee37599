package tender

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

func TestSubmitAndClose(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		if tn.Round != e.beacon.Chain().RoundAt(tn.Schedule.Opening) {
			t.Errorf("round %d is not the first at or after the opening", tn.Round)
		}
		for _, b := range []string{"penyedia-1", "penyedia-2", "penyedia-3"} {
			if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		e.set(testStart.Add(10 * time.Minute))
		r1, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(e.sealFor(t, tn, "offer 1")))
		if err != nil {
			t.Fatal(err)
		}
		// The receipt verifies, and its proof file verifies offline.
		if got, err := auditlog.VerifyReceipt(r1.Signed, e.keys.Receipt); err != nil || got != r1.Receipt {
			t.Fatalf("VerifyReceipt: %+v, %v", got, err)
		}
		proof, err := e.engine.ProofFile(e.ctx, r1.Signed)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := auditlog.VerifyProofFile(proof, e.keys); err != nil {
			t.Fatalf("proof file: %v", err)
		}
		// A second offer supersedes the first; the same bytes again are a duplicate.
		second := e.sealFor(t, tn, "offer 1, revised")
		r1b, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(second))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(second)); !errors.Is(err, ErrDuplicate) {
			t.Errorf("resubmitting the same file: err = %v, want ErrDuplicate", err)
		}
		r2, err := e.engine.Submit(e.ctx, "penyedia-2", tn.ID, bytes.NewReader(e.sealFor(t, tn, "offer 2")))
		if err != nil {
			t.Fatal(err)
		}

		if _, err := e.engine.Close(e.ctx, tn.ID); !errors.Is(err, ErrState) {
			t.Errorf("Close before the deadline: err = %v, want ErrState", err)
		}
		e.set(tn.Schedule.Deadline.Add(time.Second))
		if _, err := e.engine.Submit(e.ctx, "penyedia-3", tn.ID, bytes.NewReader(e.sealFor(t, tn, "late"))); !errors.Is(err, ErrLate) {
			t.Errorf("late offer: err = %v, want ErrLate", err)
		}
		closed, err := e.engine.Close(e.ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []Offer{
			{Bidder: "penyedia-1", SHA256: r1b.SHA256, LogIndex: r1b.Index},
			{Bidder: "penyedia-2", SHA256: r2.SHA256, LogIndex: r2.Index},
		}
		if len(closed.Closing.Offers) != len(want) {
			t.Fatalf("closing has %d offers, want %d: %+v", len(closed.Closing.Offers), len(want), closed.Closing.Offers)
		}
		for i, o := range closed.Closing.Offers {
			if !o.same(want[i]) {
				t.Errorf("offer %d = %+v, want %+v", i, o, want[i])
			}
		}
		if _, err := auditlog.VerifyCheckpoint(closed.Closing.Checkpoint, e.keys.Log); err != nil {
			t.Errorf("closing checkpoint: %v", err)
		}
		again, err := e.engine.Close(e.ctx, tn.ID)
		if err != nil || again.Closing.LogIndex != closed.Closing.LogIndex {
			t.Errorf("closing twice: %v, index %d then %d", err, closed.Closing.LogIndex, again.Closing.LogIndex)
		}
	})
}

// TestSubmitRefusals checks every refusal, and that none changes anything.
func TestSubmitRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announce(t)
		if err := e.engine.Register(e.ctx, "penyedia-1", tn.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.engine.Register(e.ctx, "penyedia-unverified", tn.ID); !errors.Is(err, ErrForbidden) {
			t.Errorf("unverified provider registered: err = %v", err)
		}
		good := e.sealFor(t, tn, "offer")
		other, _ := age.GenerateHybridIdentity()
		target, _ := tn.Target(e.engine)
		wrongRound, wrongKey := target, target
		wrongRound.Round++
		wrongKey.Committee = other.Recipient()
		seal := func(tg sealer.Target) []byte {
			var buf bytes.Buffer
			if _, err := sealer.Seal(&buf, strings.NewReader("offer"), tg); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		e.set(testStart.Add(-time.Minute))
		if _, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(good)); !errors.Is(err, ErrNotYetOpen) {
			t.Errorf("before the window: err = %v, want ErrNotYetOpen", err)
		}
		e.set(testStart.Add(time.Minute))
		size0 := e.log.Size()
		tests := []struct {
			name   string
			bidder string
			file   []byte
			want   error
		}{
			{"wrong round", "penyedia-1", seal(wrongRound), ErrWrongSeal},
			{"wrong committee", "penyedia-1", seal(wrongKey), ErrWrongSeal},
			{"not sealed", "penyedia-1", []byte("plain text offer"), ErrWrongSeal},
			{"truncated header", "penyedia-1", good[:100], ErrWrongSeal},
			{"too large", "penyedia-1", append(bytes.Clone(good), make([]byte, 1<<20)...), ErrTooLarge},
			{"unverified", "penyedia-unverified", good, ErrForbidden},
			{"not registered", "penyedia-2", good, ErrNotRegistered},
			{"unknown user", "nobody", good, ErrForbidden},
		}
		for _, tt := range tests {
			_, err := e.engine.Submit(e.ctx, tt.bidder, tn.ID, bytes.NewReader(tt.file))
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := e.engine.Submit(e.ctx, "penyedia-1", "T-none", bytes.NewReader(good)); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown tender: err = %v, want ErrNotFound", err)
		}
		if got := e.log.Size(); got != size0 {
			t.Errorf("refusals appended %d log entries", got-size0)
		}
		e.dir.deactivated["penyedia-1"] = true
		if _, err := e.engine.Submit(e.ctx, "penyedia-1", tn.ID, bytes.NewReader(good)); !errors.Is(err, ErrForbidden) {
			t.Errorf("blacklisted provider: err = %v, want ErrForbidden", err)
		}
	})
}

func TestAnnounceRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		doc, _ := e.backend.Put(e.ctx, strings.NewReader("doc"), 100)
		base := Announcement{
			Title: "x", Document: doc.Digest, Committee: []string{"pokja-1"},
			CommitteeKey: e.committee.Recipient().String(),
			Schedule: Schedule{RegistrationEnd: testStart.Add(time.Hour), ClarificationEnd: testStart.Add(time.Hour),
				SubmissionStart: testStart, Deadline: testStart.Add(2 * time.Hour), Opening: testStart.Add(2 * time.Hour)},
		}
		tests := []struct {
			name  string
			actor string
			edit  func(a *Announcement)
			want  error
		}{
			{"staff on committee", "pokja-1", func(a *Announcement) { a.Committee = []string{"pokja-1", "lpse-admin"} }, ErrForbidden},
			{"announcer not on committee", "pokja-2", func(a *Announcement) {}, ErrForbidden},
			{"opening before deadline", "pokja-1", func(a *Announcement) { a.Schedule.Opening = testStart.Add(time.Hour) }, ErrInvalid},
			{"empty window", "pokja-1", func(a *Announcement) { a.Schedule.SubmissionStart = a.Schedule.Deadline }, ErrInvalid},
			{"bad key", "pokja-1", func(a *Announcement) { a.CommitteeKey = "age1notakey" }, ErrInvalid},
			{"no document", "pokja-1", func(a *Announcement) { a.Document[0] ^= 1 }, ErrInvalid},
			{"no title", "pokja-1", func(a *Announcement) { a.Title = " " }, ErrInvalid},
			{"duplicate member", "pokja-1", func(a *Announcement) { a.Committee = []string{"pokja-1", "pokja-1"} }, ErrInvalid},
		}
		size0 := e.log.Size()
		for _, tt := range tests {
			a := base
			a.Committee = append([]string(nil), base.Committee...)
			tt.edit(&a)
			if _, err := e.engine.Announce(e.ctx, tt.actor, a); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		if got := e.log.Size(); got != size0 {
			t.Errorf("refusals appended %d log entries", got-size0)
		}
		a := base
		a.ID = "T-1"
		if _, err := e.engine.Announce(e.ctx, "pokja-1", a); err != nil {
			t.Fatal(err)
		}
		if _, err := e.engine.Announce(e.ctx, "pokja-1", a); !errors.Is(err, ErrInvalid) {
			t.Errorf("reused id: err = %v, want ErrInvalid", err)
		}
	})
}

func TestPlans(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		e.dir.mu.Lock()
		e.dir.pakpa = map[string]bool{"kpa-1": true}
		e.dir.mu.Unlock()
		size0 := e.log.Size()
		if _, err := e.engine.AnnouncePlan(e.ctx, "pokja-1", "RUP-1", "Jembatan", 1, "x"); !errors.Is(err, ErrForbidden) {
			t.Errorf("plan by a committee member: err = %v, want ErrForbidden", err)
		}
		if _, err := e.engine.AnnouncePlan(e.ctx, "kpa-1", "RUP-1", "Jembatan", 0, "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("plan without a budget: err = %v, want ErrInvalid", err)
		}
		for _, text := range []string{"", " \n", strings.Repeat("x", maxText+1)} {
			if _, err := e.engine.AnnouncePlan(e.ctx, "kpa-1", "RUP-1", "Jembatan", 1, text); !errors.Is(err, ErrInvalid) {
				t.Errorf("plan text of %d bytes: err = %v, want ErrInvalid", len(text), err)
			}
			if _, err := e.backend.Stat(e.ctx, sha256.Sum256([]byte(text))); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("plan text of %d bytes refused, but stored (Stat: %v)", len(text), err)
			}
		}
		if e.log.Size() != size0 {
			t.Error("refused plans were logged")
		}
		p, err := e.engine.AnnouncePlan(e.ctx, "kpa-1", "RUP-1", "Rehabilitasi Jembatan", 2_500_000_000, "RUP 2026: jembatan")
		if err != nil {
			t.Fatal(err)
		}
		// Refusals after the text is known store no text: a taken id and
		// an id the log cannot hold.
		for _, id := range []string{"RUP-1", "RUP 1 with spaces", strings.Repeat("R", 65)} {
			text := "Teks rencana " + id
			if _, err := e.engine.AnnouncePlan(e.ctx, "kpa-1", id, "again", 1, text); !errors.Is(err, ErrInvalid) {
				t.Errorf("plan id %q: err = %v, want ErrInvalid", id, err)
			}
			if _, err := e.backend.Stat(e.ctx, sha256.Sum256([]byte(text))); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("plan id %q refused, but its text was stored (Stat: %v)", id, err)
			}
		}
		plans, err := e.engine.Plans(e.ctx)
		if err != nil || len(plans) != 1 || plans[0].ID != p.ID || plans[0].Budget != 2_500_000_000 {
			t.Errorf("Plans = %+v, %v", plans, err)
		}
	})
}
