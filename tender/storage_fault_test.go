package tender

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/vault"
)

// TestStorageDamageIsTheSystemsFault damages a stored offer on disk after
// its receipt was issued: the witness report must blame the system
// (storage-read), never the bidder, even though the damage shows up as a
// payload that fails authentication.
func TestStorageDamageIsTheSystemsFault(t *testing.T) {
	dir := t.TempDir()
	b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := newEnv(t, b)
	tn := runTender(t, e, 3, nil)
	closed, err := e.engine.Close(e.ctx, tn.ID)
	if err == nil {
		t.Fatal("closed before the deadline")
	}
	e.set(tn.Schedule.Deadline.Add(time.Second))
	if closed, err = e.engine.Close(e.ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	victim := closed.Closing.Offers[1]
	h := hex.EncodeToString(victim.SHA256[:])
	path := filepath.Join(dir, "blobs", h[:2], h[2:])
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("finding the stored blob (vault layout changed?): %v", err)
	}
	data[len(data)-10] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	op, err := e.engine.Open(e.ctx, "pokja-1", tn.ID, Ceremony{Committee: e.committee, Witnesses: []string{"pokja-1"}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.VerifyWitnessReport(op.Witness[victim.Bidder], e.reportKey)
	if err != nil {
		t.Fatal(err)
	}
	if w.Fault != audit.FaultSystem || w.Step != audit.StepStorageRead {
		t.Errorf("damaged storage reported as step %s, fault %s; want storage-read, system", w.Step, w.Fault)
	}
	if len(op.Witness) != 1 {
		t.Errorf("%d witness reports, want 1", len(op.Witness))
	}
}

// TestStorageChangeV2IsTheSystemsFault changes stored v2 files after
// their receipts (opening.md §5.3): bytes appended to one, which still
// opens; another's header swapped for the bidder's superseded file's, which
// does not. Both are the system's fault (storage-read), whatever the sealer
// says, and the changed file's plaintext is not reported as opened.
func TestStorageChangeV2IsTheSystemsFault(t *testing.T) {
	dir := t.TempDir()
	b, err := vault.OpenEmbedded(context.Background(), vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e := newEnv(t, b)
	e.useSecrets(t)
	tn := e.announceV2(t, "T-DISK", MethodSingleFile)
	e.set(testStart.Add(time.Minute))
	files := map[string][]byte{}
	for i := 1; i <= 3; i++ {
		bidder := bidderN(i)
		if err := e.engine.Register(e.ctx, bidder, tn.ID); err != nil {
			t.Fatal(err)
		}
		files[bidder] = e.sealV2(t, tn, bidder, 1, fmt.Sprintf("penawaran %s", bidder))
		if _, err := e.engine.Submit(e.ctx, bidder, tn.ID, bytes.NewReader(files[bidder])); err != nil {
			t.Fatal(err)
		}
	}
	// penyedia-2 supersedes its file; the first one's header is what the
	// storage will put in the second's place.
	first := files[bidderN(2)]
	files[bidderN(2)] = e.sealV2(t, tn, bidderN(2), 1, "penawaran penyedia-2, revisi")
	if _, err := e.engine.Submit(e.ctx, bidderN(2), tn.ID, bytes.NewReader(files[bidderN(2)])); err != nil {
		t.Fatal(err)
	}
	e.set(e.beacon.Chain().TimeOf(tn.Round))
	f := e.engine.File(tn.ID, 1)
	started, err := f.StartOpening(e.ctx, "pokja-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range v2Members[:3] {
		e.contributeAs(t, started, 1, m)
	}
	path := func(data []byte) string {
		h := hex.EncodeToString(func() []byte { s := sha256.Sum256(data); return s[:] }())
		return filepath.Join(dir, "blobs", h[:2], h[2:])
	}
	// After the contributions, the stored bytes change.
	if err := os.WriteFile(path(files[bidderN(1)]), append(bytes.Clone(files[bidderN(1)]), "tambahan"...), 0o644); err != nil {
		t.Fatal(err)
	}
	cur := files[bidderN(2)]
	swapped := append(bytes.Clone(first[:headerLen(first)]), cur[headerLen(cur):]...)
	if err := os.WriteFile(path(cur), swapped, 0o644); err != nil {
		t.Fatal(err)
	}
	e.engine.headers = map[[32]byte]*sealer.Header{} // a restarted server
	op, err := f.CompleteOpening(e.ctx, "pokja-1", Completion{Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range op.Report.Offers {
		want := audit.OutcomeFailed
		if o.Bidder == bidderN(3) {
			want = audit.OutcomeOpened
		}
		if o.Outcome != want {
			t.Errorf("%s: %s, want %s", o.Bidder, o.Outcome, want)
			continue
		}
		if want == audit.OutcomeOpened {
			continue
		}
		w, err := audit.VerifyWitnessReport(op.Witness[o.Bidder], e.reportKey)
		if err != nil {
			t.Fatal(err)
		}
		if w.Fault != audit.FaultSystem || w.Step != audit.StepStorageRead {
			t.Errorf("%s's changed file reported as step %s, fault %s; want storage-read, system", o.Bidder, w.Step, w.Fault)
		}
	}
}
