package auditlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
)

// The fuzz targets check that parsers never panic and that whatever they
// accept is canonical: parse→marshal returns the same bytes. The seed corpus
// under testdata/fuzz was grown by running each target for about 15 seconds.

// fuzzKeys are fixed keys, so that seeds stay valid across runs.
func fuzzKeys(t testing.TB) (logS, rcpS note.Signer, keys Keys) {
	mk := func(name string, seed byte) (note.Signer, note.Verifier) {
		skey, vkey := fixedKey(t, name, seed)
		s, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		return s, v
	}
	logS, keys.Log = mk(fixedLogName, 1)
	rcpS, keys.Receipt = mk(fixedReceiptName, 2)
	return logS, rcpS, keys
}

const (
	fixedLogName     = "fuzz.example/log"
	fixedReceiptName = "fuzz.example/receipt"
)

// fixedKey derives a key pair from seed: for test vectors only.
func fixedKey(t testing.TB, name string, seed byte) (skey, vkey string) {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)), name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// fuzzSeeds returns a valid signed checkpoint, receipt, entry and proof file.
func fuzzSeeds(t testing.TB) (checkpoint, receipt, entry, proofFile []byte, keys Keys) {
	ctx := context.Background()
	logS, rcpS, keys := fuzzKeys(t)
	l, err := Open(ctx, Config{Storage: NewMemoryStorage(), Origin: "fuzz.example/log", Signer: logS})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		l.Append(ctx, []byte{byte(i)})
	}
	r := Receipt{Origin: "fuzz.example/log", Tender: "T1", Bidder: "B1", SHA256: sha256.Sum256(nil), Size: 7,
		Received: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	entry, err = r.Entry().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := l.Append(ctx, entry)
	if err != nil {
		t.Fatal(err)
	}
	l.Append(ctx, []byte("after"))
	r.Index = idx[0]
	if receipt, err = SignReceipt(r, rcpS); err != nil {
		t.Fatal(err)
	}
	if proofFile, err = l.ProofFile(ctx, receipt); err != nil {
		t.Fatal(err)
	}
	if checkpoint, err = l.storage.Checkpoint(ctx, -1); err != nil {
		t.Fatal(err)
	}
	return checkpoint, receipt, entry, proofFile, keys
}

func FuzzParseCheckpoint(f *testing.F) {
	signed, _, _, _, keys := fuzzSeeds(f)
	text, _ := canon.NoteText(signed, ErrMalformed)
	f.Add(text)
	f.Add(signed)
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		VerifyCheckpoint(b, keys.Log) // must not panic
		c, err := parseCheckpoint(b)
		if err != nil {
			return
		}
		got, err := c.marshal()
		if err != nil {
			t.Fatalf("parsed checkpoint %q does not marshal: %v", b, err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("parse→marshal: %q became %q", b, got)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	_, _, entry, _, _ := fuzzSeeds(f)
	f.Add(entry)
	f.Add([]byte("segel-entry/v1 user-rejected\nuser: u-17\nby: staff-3\nreason: NPWP tidak terbaca\ntime: 2026-11-26T03:04:05Z\n"))
	f.Add([]byte("segel-entry/v1 beacon-signature-used\ntender: T\nchain: " +
		"52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971\nround: 1\nsignature: ab\ntime: 2026-11-26T03:04:05Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err != nil {
			return
		}
		got, err := e.Marshal()
		if err != nil {
			t.Fatalf("parsed entry %q does not marshal: %v", b, err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("parse→marshal: %q became %q", b, got)
		}
	})
}

func FuzzParseReceipt(f *testing.F) {
	_, signed, _, _, keys := fuzzSeeds(f)
	text, _ := canon.NoteText(signed, ErrMalformed)
	f.Add(text)
	f.Add(signed)
	// A version 2 receipt (doc/spec/receipt.md §3).
	f.Add([]byte("segel-receipt/v2\norigin: lpse.example.go.id/log\nindex: 41\ntender: 10012345000\nbidder: u-17\nfile: 2\n" +
		"sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nsize: 123456\n" +
		"header: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752\nreceived: 2026-11-26T03:04:05.123Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		VerifyReceipt(b, keys.Receipt) // must not panic
		r, err := parseReceipt(b)
		if err != nil {
			return
		}
		got, err := r.marshal()
		if err != nil {
			t.Fatalf("parsed receipt %q does not marshal: %v", b, err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("parse→marshal: %q became %q", b, got)
		}
	})
}

func FuzzParseProofFile(f *testing.F) {
	_, _, _, proofFile, keys := fuzzSeeds(f)
	f.Add(proofFile)
	f.Fuzz(func(t *testing.T, b []byte) {
		VerifyProofFile(b, keys) // must not panic
		p, err := parseProofFile(b)
		if err != nil {
			return
		}
		if got := p.marshal(); !bytes.Equal(got, b) {
			t.Fatalf("parse→marshal: %q became %q", b, got)
		}
	})
}
