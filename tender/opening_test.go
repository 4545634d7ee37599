package tender

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
	"github.com/segel-lpse/segel/vault"
)

// memSink keeps opened plaintexts in memory.
type memSink struct {
	mu   sync.Mutex
	docs map[string]*bytes.Buffer
}

func (s *memSink) Create(bidder string, sealed [32]byte) (io.WriteCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = map[string]*bytes.Buffer{}
	}
	b := new(bytes.Buffer)
	s.docs[bidder] = b
	return nopCloser{b}, nil
}

func (s *memSink) Discard(bidder string, sealed [32]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.docs, bidder)
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// runTender takes a tender from announcement to closing with n offers,
// of which the ones named in broken are damaged after sealing (in ways
// Inspect cannot see), and returns it.
func runTender(t *testing.T, e *env, n int, broken map[int]func([]byte) []byte) *Tender {
	t.Helper()
	tn := e.announce(t)
	e.set(testStart.Add(time.Minute))
	for i := 1; i <= n; i++ {
		b := fmt.Sprintf("penyedia-%d", i)
		if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
			t.Fatal(err)
		}
		file := e.sealFor(t, tn, fmt.Sprintf("penawaran %d: Rp %d.000.000", i, 900+i))
		if f := broken[i]; f != nil {
			file = f(file)
		}
		if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(file)); err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
	}
	return tn
}

func TestOpeningCeremony(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := runTender(t, e, 6, map[int]func([]byte) []byte{
			// Payload damaged: the header is fine, the document is not.
			2: func(f []byte) []byte { f = bytes.Clone(f); f[len(f)-5] ^= 1; return f },
			// The time-lock half's V damaged: inspect passes, opening fails.
			5: func(f []byte) []byte { return flipBodyByte(t, f, 96+2) },
		})
		ceremony := Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1", "pokja-2"}, Sink: &memSink{}}

		// After the deadline, before the round: the engine closes, but the
		// beacon does not give the signature, whatever the engine's clock.
		e.set(tn.Schedule.Deadline.Add(time.Minute))
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, ceremony); !errors.Is(err, timelock.ErrTooEarly) {
			t.Fatalf("Open before the round: err = %v, want ErrTooEarly", err)
		}
		if _, err := e.engine.Open(e.ctx, "penyedia-1", tn.ID, ceremony); !errors.Is(err, ErrForbidden) {
			t.Errorf("Open by a bidder: err = %v, want ErrForbidden", err)
		}
		e.set(e.beacon.Chain().TimeOf(tn.Round))
		op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, ceremony)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := audit.VerifyOpeningReport(op.Signed, e.reportKey); err != nil || len(got.Offers) != 6 {
			t.Fatalf("opening report: %v (%d offers)", err, len(got.Offers))
		}
		sink := ceremony.Sink.(*memSink)
		for i, line := range op.Report.Offers {
			bidder := fmt.Sprintf("penyedia-%d", i+1)
			if line.Bidder != bidder {
				t.Fatalf("line %d is %s, want %s", i, line.Bidder, bidder)
			}
			switch i + 1 {
			case 2, 5:
				if line.Outcome != audit.OutcomeFailed {
					t.Errorf("%s: outcome %s, want failed", bidder, line.Outcome)
				}
				w, err := audit.VerifyWitnessReport(op.Witness[bidder], e.reportKey)
				if err != nil {
					t.Fatalf("%s: witness report: %v", bidder, err)
				}
				wantStep := map[int]string{2: audit.StepPayload, 5: audit.StepTimeLockHalf}[i+1]
				if w.Step != wantStep || w.Fault != audit.FaultFile {
					t.Errorf("%s: witness says step %s fault %s, want %s file", bidder, w.Step, w.Fault, wantStep)
				}
				if sha256.Sum256(op.Witness[bidder]) != line.Digest {
					t.Errorf("%s: report line does not name the witness report", bidder)
				}
				if _, ok := sink.docs[bidder]; ok {
					t.Errorf("%s: a failed offer's partial plaintext was kept", bidder)
				}
			default:
				want := fmt.Sprintf("penawaran %d: Rp %d.000.000", i+1, 901+i)
				if line.Outcome != audit.OutcomeOpened || sink.docs[bidder].String() != want {
					t.Errorf("%s: outcome %s, plaintext %q", bidder, line.Outcome, sink.docs[bidder])
				}
				if sha256.Sum256([]byte(want)) != line.Digest {
					t.Errorf("%s: report line has the wrong plaintext digest", bidder)
				}
			}
		}
		if _, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, ceremony); !errors.Is(err, ErrState) {
			t.Errorf("opening twice: err = %v, want ErrState", err)
		}

		// The whole tender verifies offline from its bundle, written to
		// disk and read back.
		trusted := e.trusted(t)
		b, err := e.engine.Bundle(e.ctx, tn.ID, trusted, true)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir() + "/bundle"
		if err := b.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		rb, err := audit.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		res, err := audit.Verify(rb, *trusted)
		if err != nil {
			t.Fatalf("bundle does not verify: %v", err)
		}
		if res.Offers != 6 || res.Opened != 4 || res.Failed != 2 || len(res.Unpinned) != 0 {
			t.Errorf("verify result = %+v", res)
		}

		// Results, an objection and its answer, award.
		if _, err := e.engine.AnnounceResult(e.ctx, "pokja-1", tn.ID, "penyedia-9", "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("result naming a non-bidder: err = %v, want ErrInvalid", err)
		}
		if _, err := e.engine.AnnounceResult(e.ctx, "pokja-1", tn.ID, "penyedia-1", "Pemenang: penyedia-1, Rp 901.000.000"); err != nil {
			t.Fatal(err)
		}
		obj, err := e.engine.Ask(e.ctx, "penyedia-3", tn.ID, KindObjection, "Sanggah: evaluasi teknis keliru")
		if err != nil {
			t.Fatal(err)
		}
		e.set(e.clock().Add(4 * 24 * time.Hour))
		if _, err := e.engine.Award(e.ctx, "pokja-1", tn.ID, "SPPBJ"); !errors.Is(err, ErrForbidden) {
			t.Errorf("award by a committee member: err = %v, want ErrForbidden", err)
		}
		e.dir.ppk("ppk-1")
		if _, err := e.engine.Award(e.ctx, "ppk-1", tn.ID, "SPPBJ"); !errors.Is(err, ErrState) {
			t.Errorf("award with an unanswered objection: err = %v, want ErrState", err)
		}
		if _, err := e.engine.Reply(e.ctx, "pokja-2", tn.ID, KindObjection, obj.Document, "Jawaban sanggah: evaluasi sesuai dokumen"); err != nil {
			t.Fatal(err)
		}
		aw, err := e.engine.Award(e.ctx, "ppk-1", tn.ID, "SPPBJ no. 7/2026")
		if err != nil || aw.State != StateAwarded {
			t.Fatalf("award: %v, state %v", err, aw)
		}
		e.checkLoggedText(t, tn.ID, "result-announced", "result", "Pemenang: penyedia-1, Rp 901.000.000")
		e.checkLoggedText(t, tn.ID, "tender-awarded", "document", "SPPBJ no. 7/2026")
	})
}

// checkLoggedText checks what doc/spec/entries.md says of `result` and of
// `document` in tender-awarded: the SHA-256 of the text exactly as given,
// which the vault holds under that digest.
func (e *env) checkLoggedText(t *testing.T, id, typ, field, text string) {
	t.Helper()
	entries, err := e.log.Entries(e.ctx, 0, e.log.Size())
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(text))
	found := false
	for _, b := range entries {
		ent, err := auditlog.ParseEntry(b)
		if err != nil || ent.Type != typ || ent.Value("tender") != id {
			continue
		}
		found = true
		if got := ent.Value(field); got != hex.EncodeToString(want[:]) {
			t.Errorf("%s %s = %s, want SHA-256 of %q", typ, field, got, text)
		}
	}
	if !found {
		t.Fatalf("no %s entry for %s", typ, id)
	}
	stored, err := e.engine.readBlob(e.ctx, want)
	if err != nil || string(stored) != text {
		t.Errorf("vault holds %q, %v under the digest of %s %s; want %q", stored, err, typ, field, text)
	}
}

// flipBodyByte flips byte pos of the offer stanza's body, re-encoding the
// header as age writes it.
func flipBodyByte(t *testing.T, file []byte, pos int) []byte {
	t.Helper()
	end := bytes.Index(file, []byte("\n--- ")) + 1
	lines := strings.Split(string(file[:end-1]), "\n")
	body, err := b64.DecodeString(strings.Join(lines[2:], ""))
	if err != nil {
		t.Fatal(err)
	}
	body[pos] ^= 1
	var buf bytes.Buffer
	buf.WriteString(lines[0] + "\n" + lines[1] + "\n")
	enc := b64.EncodeToString(body)
	for len(enc) >= 64 {
		buf.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	buf.WriteString(enc + "\n")
	buf.Write(file[end:])
	return buf.Bytes()
}

func (e *env) trusted(t *testing.T) *audit.Trusted {
	t.Helper()
	tr, err := audit.NewTrusted(e.vkeys[0], e.vkeys[1], e.vkeys[2], e.beacon.Chain().HashHex())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

var _ = context.Background
var _ = auditlog.ErrMalformed
