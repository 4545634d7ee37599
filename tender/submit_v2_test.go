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
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// lastEntries returns the log's last n entries, parsed.
func (e *env) lastEntries(t testing.TB, n int) []auditlog.Entry {
	t.Helper()
	size := e.log.Size()
	raw, err := e.log.Entries(e.ctx, size-int64(n), size)
	if err != nil {
		t.Fatal(err)
	}
	var out []auditlog.Entry
	for _, b := range raw {
		ent, err := auditlog.ParseEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ent)
	}
	return out
}

// headerOf returns the SHA-256 of a sealed file's age header.
func headerOf(t testing.TB, file []byte) [32]byte {
	t.Helper()
	end := bytes.Index(file, []byte("\n--- "))
	if end < 0 {
		t.Fatal("no header MAC line")
	}
	end += bytes.IndexByte(file[end+1:], '\n') + 2
	return sha256.Sum256(file[:end])
}

// TestSubmitV2 submits the files of a two-file tender: each part on its
// own, with version 2 receipts naming the part and the header, and every
// wrong file refused at submission while the bidder can still fix it
// (doc/spec/opening.md §5.1).
func TestSubmitV2(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) vault.Backend) {
		e := newEnv(t, open(t))
		tn := e.announceV2(t, "T-2F", MethodTwoFile)
		for i := 1; i <= 3; i++ {
			if err := e.engine.Register(e.ctx, bidderN(i), tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		e.set(testStart.Add(10 * time.Minute))
		b1 := bidderN(1)
		f1 := e.sealV2(t, tn, b1, 1, "File I: dokumen administrasi dan teknis")
		f2 := e.sealV2(t, tn, b1, 2, "File II: harga Rp 1.000.000")
		r1, err := e.engine.Submit(e.ctx, b1, tn.ID, bytes.NewReader(f1))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := e.engine.File(tn.ID, 2).Submit(e.ctx, b1, bytes.NewReader(f2))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range []*Receipt{r1, r2} {
			file := [][]byte{f1, f2}[i]
			if r.File != i+1 || r.Header != headerOf(t, file) || r.SHA256 != sha256.Sum256(file) || r.Size != int64(len(file)) {
				t.Errorf("receipt of file %d: %+v", i+1, r.Receipt)
			}
			if !bytes.HasPrefix(r.Signed, []byte("segel-receipt/v2\n")) {
				t.Errorf("receipt of file %d is not a version 2 receipt:\n%s", i+1, r.Signed)
			}
			if got, err := auditlog.VerifyReceipt(r.Signed, e.keys.Receipt); err != nil || got != r.Receipt {
				t.Errorf("receipt of file %d: %+v, %v", i+1, got, err)
			}
			proof, err := e.engine.ProofFile(e.ctx, r.Signed)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := auditlog.VerifyProofFile(proof, e.keys); err != nil {
				t.Errorf("proof file of file %d: %v", i+1, err)
			}
		}
		if got, err := e.engine.File(tn.ID, 2).Receipt(e.ctx, b1, b1); err != nil || !bytes.Equal(got.Signed, r2.Signed) {
			t.Errorf("File(2).Receipt: %v", err)
		}
		if _, err := e.engine.File(tn.ID, 2).Receipt(e.ctx, "pokja-1", b1); !errors.Is(err, ErrState) {
			t.Errorf("the committee asks for a receipt before closing: %v, want ErrState", err)
		}

		// A new File I supersedes the old one and leaves File II alone.
		f1b := e.sealV2(t, tn, b1, 1, "File I, revised")
		r1b, err := e.engine.File(tn.ID, 1).Submit(e.ctx, b1, bytes.NewReader(f1b))
		if err != nil {
			t.Fatal(err)
		}
		last := e.lastEntries(t, 2)
		if last[0].Type != "file-received" || last[1].Type != "file-superseded" || last[1].Value("file") != "1" ||
			last[1].Value("sha256") != hexEntry(r1.SHA256[:]) || last[1].Value("by") != hexEntry(r1b.SHA256[:]) {
			t.Errorf("resubmission logged %+v", last)
		}
		if _, err := e.engine.File(tn.ID, 2).Submit(e.ctx, b1, bytes.NewReader(f2)); !errors.Is(err, ErrDuplicate) {
			t.Errorf("File II again: %v, want ErrDuplicate", err)
		}

		// Refused, each with a reason the bidder can act on, and nothing
		// stored, logged or receipted.
		b2 := bidderN(2)
		good := e.sealV2(t, tn, b2, 1, strings.Repeat("dokumen teknis ", 5000))
		v1target := sealer.Target{Chain: e.beacon.Chain(), Round: tn.Round, Committee: e.committee.Recipient()}
		var v1 bytes.Buffer
		if _, err := sealer.Seal(&v1, strings.NewReader("v1"), v1target); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			bidder string
			file   int
			sealed []byte
			want   error
			says   string
		}{
			{"File I uploaded as File II", b2, 2, good, ErrWrongSeal, "sealed as File I, this is the File II upload"},
			{"another bidder's file", bidderN(3), 1, good, ErrWrongSeal, "sealed for bidder " + b2},
			{"a v1 file", b2, 1, v1.Bytes(), ErrWrongSeal, "format version 1"},
			{"cut short in upload", b2, 1, good[:len(good)-100], ErrWrongSeal, "cut short (100 bytes missing)"},
			{"cut at the last chunk", b2, 1, good[:len(good)-1], ErrWrongSeal, "cut short (1 bytes missing)"},
			{"bytes after its end", b2, 1, append(bytes.Clone(good), "\r\n"...), ErrWrongSeal, "2 bytes after its end"},
			{"a third file", b2, 3, good, ErrInvalid, "no file 3"},
			{"not registered", bidderN(4), 1, e.sealV2(t, tn, bidderN(4), 1, "x"), ErrNotRegistered, "register"},
		} {
			size := e.log.Size()
			_, err := e.engine.File(tn.ID, tc.file).Submit(e.ctx, tc.bidder, bytes.NewReader(tc.sealed))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.want, tc.says)
			}
			if e.log.Size() != size {
				t.Errorf("%s: refused but logged", tc.name)
			}
			if _, err := e.backend.Stat(e.ctx, sha256.Sum256(tc.sealed)); !errors.Is(err, vault.ErrNotFound) {
				t.Errorf("%s: refused but its bytes are stored (%v)", tc.name, err)
			}
		}
		if _, err := e.engine.Submit(e.ctx, b2, tn.ID, bytes.NewReader(good)); err != nil {
			t.Errorf("the whole file after the cut one: %v", err)
		}

		// Commit File II now, deliver it after the deadline, before File
		// II's opening (and after File I's).
		b3 := bidderN(3)
		f3 := e.sealV2(t, tn, b3, 2, "File II of bidder 3")
		if _, err := e.engine.File(tn.ID, 2).Commit(e.ctx, b3, sha256.Sum256(f3), int64(len(f3))); err != nil {
			t.Fatal(err)
		}
		if last := e.lastEntries(t, 1)[0]; last.Type != "file-committed" || last.Value("file") != "2" {
			t.Errorf("commitment logged %+v", last)
		}
		e.set(tn.Schedule.Deadline.Add(time.Second))
		if _, err := e.engine.File(tn.ID, 2).Submit(e.ctx, b2, bytes.NewReader(e.sealV2(t, tn, b2, 2, "late"))); !errors.Is(err, ErrLate) {
			t.Errorf("a late File II: %v, want ErrLate", err)
		}
		e.set(tn.Schedule.Opening.Add(time.Minute))
		if _, err := e.engine.File(tn.ID, 2).Submit(e.ctx, b3, bytes.NewReader(f3)); err != nil {
			t.Errorf("delivering a committed File II after File I's opening time, before File II's: %v", err)
		}
	})
}

// TestSubmitV2Upload sends File II through a resumable upload.
func TestSubmitV2Upload(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn := e.announceV2(t, "T-2F", MethodTwoFile)
	b := bidderN(1)
	if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
		t.Fatal(err)
	}
	f2 := e.sealV2(t, tn, b, 2, strings.Repeat("harga ", 1000))
	u, err := e.engine.File(tn.ID, 2).BeginUpload(e.ctx, b, int64(len(f2)))
	if err != nil {
		t.Fatal(err)
	}
	half := len(f2) / 2
	if _, err := e.engine.UploadChunk(e.ctx, b, u.ID, 0, bytes.NewReader(f2[:half])); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.UploadChunk(e.ctx, b, u.ID, int64(half), bytes.NewReader(f2[half:])); err != nil {
		t.Fatal(err)
	}
	r, err := e.engine.FinishUpload(e.ctx, b, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.File != 2 || r.SHA256 != sha256.Sum256(f2) {
		t.Errorf("receipt %+v, want File II's", r.Receipt)
	}
	// File I sealed and uploaded as File II is refused at the finish.
	f1 := e.sealV2(t, tn, b, 1, "teknis")
	u, err = e.engine.File(tn.ID, 2).BeginUpload(e.ctx, b, int64(len(f1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.UploadChunk(e.ctx, b, u.ID, 0, bytes.NewReader(f1)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.FinishUpload(e.ctx, b, u.ID); !errors.Is(err, ErrWrongSeal) {
		t.Errorf("File I finished as File II: %v, want ErrWrongSeal", err)
	}
}

// TestSubmitTwoStage: stage 2 takes no file before it is announced.
func TestSubmitTwoStage(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn := e.announceV2(t, "T-2S", MethodTwoStage)
	b := bidderN(1)
	if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.FileTarget(e.engine, b, 2); !errors.Is(err, ErrState) {
		t.Errorf("stage 2's target before its announcement: %v, want ErrState", err)
	}
	f := e.sealV2(t, tn, b, 1, "tahap 1")
	if _, err := e.engine.File(tn.ID, 2).Submit(e.ctx, b, bytes.NewReader(f)); !errors.Is(err, ErrNotYetOpen) {
		t.Errorf("a stage 2 file before stage 2: %v, want ErrNotYetOpen", err)
	}
	if _, err := e.engine.Submit(e.ctx, b, tn.ID, bytes.NewReader(f)); err != nil {
		t.Error(err)
	}
}

// TestFileParts refuses every request for a part a tender does not have
// (0, −1, 3; 2 of a single-file tender), and a File II uploaded as File I,
// by every way a file comes in, with a reason the caller can act on.
func TestFileParts(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	e.useSecrets(t)
	two := e.announceV2(t, "T-PARTS-2", MethodTwoFile)
	one := e.announceV2(t, "T-PARTS-1", MethodSingleFile)
	e.set(testStart.Add(time.Minute))
	b := bidderN(1)
	for _, tn := range []*Tender{two, one} {
		if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
			t.Fatal(err)
		}
	}
	f2 := e.sealV2(t, two, b, 2, "harga")
	size := e.log.Size()
	if _, err := e.engine.File(two.ID, 1).Submit(e.ctx, b, bytes.NewReader(f2)); !errors.Is(err, ErrWrongSeal) ||
		!strings.Contains(err.Error(), "sealed as File II, this is the File I upload") {
		t.Errorf("File II uploaded as File I: %v", err)
	}
	u, err := e.engine.File(two.ID, 1).BeginUpload(e.ctx, b, int64(len(f2)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.UploadChunk(e.ctx, b, u.ID, 0, bytes.NewReader(f2)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.engine.FinishUpload(e.ctx, b, u.ID); !errors.Is(err, ErrWrongSeal) {
		t.Errorf("File II finished as File I: %v, want ErrWrongSeal", err)
	}
	type req struct {
		name string
		do   func(f File) error
	}
	for _, r := range []req{
		{"Submit", func(f File) error { _, err := f.Submit(e.ctx, b, bytes.NewReader(f2)); return err }},
		{"Commit", func(f File) error { _, err := f.Commit(e.ctx, b, sha256.Sum256(f2), int64(len(f2))); return err }},
		{"BeginUpload", func(f File) error { _, err := f.BeginUpload(e.ctx, b, int64(len(f2))); return err }},
		{"StartOpening", func(f File) error { _, err := f.StartOpening(e.ctx, "pokja-1"); return err }},
		{"Headers", func(f File) error { _, err := f.Headers(e.ctx, "pokja-1"); return err }},
		{"Evidence", func(f File) error { _, err := f.Evidence(e.ctx, "pokja-1", 0); return err }},
		{"Contribute", func(f File) error {
			_, err := f.Contribute(e.ctx, "pokja-1", []FileAnswer{{Index: 1, Claim: audit.AnswerClaimedKey}})
			return err
		}},
		{"CompleteOpening", func(f File) error { _, err := f.CompleteOpening(e.ctx, "pokja-1", Completion{}); return err }},
		{"Receipt", func(f File) error { _, err := f.Receipt(e.ctx, b, b); return err }},
	} {
		for _, p := range []struct {
			tn   *Tender
			file int
		}{{two, 0}, {two, -1}, {two, 3}, {one, 2}} {
			err := r.do(e.engine.File(p.tn.ID, p.file))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("file %d", p.file)) {
				t.Errorf("%s of file %d of %s: %v, want ErrInvalid naming file %d", r.name, p.file, p.tn.Method, err, p.file)
			}
		}
	}
	if e.log.Size() != size {
		t.Errorf("refused requests logged %d entries", e.log.Size()-size)
	}
}

// TestFilesCapped: a bidder replacing its file again and again is
// stopped at maxFiles files for a part — each replacement is two log
// entries every member's tool replays (audit.MaxTenderEntries) — and its
// last file stands; its other part and other bidders are unaffected.
func TestFilesCapped(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn := e.announceV2(t, "T-FLOOD-F", MethodTwoFile)
	e.set(testStart.Add(time.Minute))
	b := bidderN(1)
	if err := e.engine.Register(e.ctx, b, tn.ID); err != nil {
		t.Fatal(err)
	}
	f1 := e.engine.File(tn.ID, 1)
	for i := range maxFiles {
		var err error
		if i%2 == 0 {
			_, err = f1.Submit(e.ctx, b, bytes.NewReader(e.sealV2(t, tn, b, 1, fmt.Sprintf("versi %d", i))))
		} else {
			_, err = f1.Commit(e.ctx, b, sha256.Sum256([]byte(fmt.Sprint(i))), 1000)
		}
		if err != nil {
			t.Fatalf("file %d: %v", i+1, err)
		}
	}
	size := e.log.Size()
	if _, err := f1.Submit(e.ctx, b, bytes.NewReader(e.sealV2(t, tn, b, 1, "satu lagi"))); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "stands") {
		t.Errorf("file %d: %v, want ErrState saying the last file stands", maxFiles+1, err)
	}
	if _, err := f1.Commit(e.ctx, b, sha256.Sum256([]byte("lagi")), 1000); !errors.Is(err, ErrState) {
		t.Errorf("commitment %d: %v, want ErrState", maxFiles+1, err)
	}
	if e.log.Size() != size {
		t.Error("a refused file was logged")
	}
	if _, err := e.engine.File(tn.ID, 2).Submit(e.ctx, b, bytes.NewReader(e.sealV2(t, tn, b, 2, "harga"))); err != nil {
		t.Errorf("File II: %v", err)
	}
}

// TestQuestionsCapped: a bidder asking question after question is stopped
// at maxMessages — each is a log entry of the tender that every member's
// tool replays at the opening — and other bidders may still ask.
func TestQuestionsCapped(t *testing.T) {
	e := newEnv(t, openEmbedded(t))
	tn := e.announceV2(t, "T-FLOOD-Q", MethodSingleFile)
	e.set(testStart.Add(time.Minute))
	for i := 1; i <= 2; i++ {
		if err := e.engine.Register(e.ctx, bidderN(i), tn.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := range maxMessages {
		if _, err := e.engine.Ask(e.ctx, bidderN(1), tn.ID, KindQuestion, fmt.Sprintf("pertanyaan %d", i)); err != nil {
			t.Fatalf("question %d: %v", i+1, err)
		}
	}
	size := e.log.Size()
	if _, err := e.engine.Ask(e.ctx, bidderN(1), tn.ID, KindQuestion, "satu lagi"); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "questions") {
		t.Errorf("question %d: %v, want ErrState about its questions", maxMessages+1, err)
	}
	if e.log.Size() != size {
		t.Error("a refused question was logged")
	}
	if _, err := e.engine.Ask(e.ctx, bidderN(2), tn.ID, KindQuestion, "pertanyaan lain"); err != nil {
		t.Errorf("another bidder's question: %v", err)
	}
}
