package tender

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
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
