package auditlog

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors from the current code")

// TestVectors pins the version 1 formats: a proof file (with the receipt,
// entry and checkpoint inside it), built deterministically from fixed keys,
// must verify against the committed keys and be byte-for-byte what the code
// produces today. Other implementations can check themselves against the
// same files.
func TestVectors(t *testing.T) {
	_, _, _, proofFile, keys := fuzzSeeds(t)
	dir := filepath.Join("testdata", "vectors")
	pf := filepath.Join(dir, "offer-v1.tlog-proof")
	if *update {
		_, logV := fixedKey(t, fixedLogName, 1)
		_, rcpV := fixedKey(t, fixedReceiptName, 2)
		err := errors.Join(
			os.MkdirAll(dir, 0o755),
			os.WriteFile(pf, proofFile, 0o644),
			os.WriteFile(filepath.Join(dir, "keys-v1.txt"), []byte(logV+"\n"+rcpV+"\n"), 0o644))
		if err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(proofFile, want) {
		t.Errorf("proof file changed; if the format changed on purpose, bump its version.\ngot:\n%s\nwant:\n%s", proofFile, want)
	}
	vkeys, err := os.ReadFile(filepath.Join(dir, "keys-v1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(vkeys, []byte("\n")), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("keys-v1.txt has %d lines, want 2 (log key, receipt key)", len(lines))
	}
	logKey, err := NewVerifier(string(lines[0]))
	if err != nil {
		t.Fatal(err)
	}
	rcpKey, err := NewVerifier(string(lines[1]))
	if err != nil {
		t.Fatal(err)
	}
	if logKey.KeyHash() != keys.Log.KeyHash() || rcpKey.KeyHash() != keys.Receipt.KeyHash() {
		t.Fatal("keys-v1.txt does not hold the fixed test keys")
	}
	r, c, err := VerifyProofFile(want, Keys{Log: logKey, Receipt: rcpKey})
	if err != nil {
		t.Fatal(err)
	}
	if r.Index != 5 || c.Size != 7 || c.Origin != "fuzz.example/log" {
		t.Errorf("vector verifies as receipt %+v, checkpoint %+v", r, c)
	}
}
