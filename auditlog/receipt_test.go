package auditlog_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/segel-lpse/segel/internal/mutate"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/segel-lpse/segel/auditlog"
)

const receiptOrigin = "lpse.example.go.id/receipt"

func testReceipt() auditlog.Receipt {
	return auditlog.Receipt{
		Origin:   testOrigin,
		Index:    41,
		Tender:   "10012345000",
		Bidder:   "u-17",
		SHA256:   sha256.Sum256([]byte("sealed offer")),
		Size:     123456,
		Received: time.Date(2026, 11, 26, 10, 4, 5, 123e6, time.FixedZone("WIB", 7*3600)),
	}
}

// testReceiptV2 is a version 2 receipt: File II of a v2 tender's offer.
func testReceiptV2() auditlog.Receipt {
	r := testReceipt()
	r.File, r.Header = 2, sha256.Sum256([]byte("age header"))
	return r
}

func TestReceiptV2RoundTrip(t *testing.T) {
	signer, verifier := newKeys(t, receiptOrigin)
	r := testReceiptV2()
	signed, err := auditlog.SignReceipt(r, signer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := auditlog.VerifyReceipt(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	got.Received = r.Received
	if got != r {
		t.Errorf("VerifyReceipt = %+v, want %+v", got, r)
	}
	wantText := "segel-receipt/v2\norigin: lpse.example.go.id/log\nindex: 41\ntender: 10012345000\nbidder: u-17\nfile: 2\n" +
		"sha256: " + hex.EncodeToString(r.SHA256[:]) + "\nsize: 123456\nheader: " + hex.EncodeToString(r.Header[:]) +
		"\nreceived: 2026-11-26T03:04:05.123Z\n\n"
	if !strings.HasPrefix(string(signed), wantText) {
		t.Errorf("signed receipt =\n%s\nwant text\n%s", signed, wantText)
	}
	if e := r.Entry(); e.Type != "file-received" || e.Value("file") != "2" || e.Value("header") != hex.EncodeToString(r.Header[:]) {
		t.Errorf("Entry = %+v, want the file-received entry", e)
	}
	// Only files 1 and 2 exist.
	r.File = 3
	if _, err := auditlog.SignReceipt(r, signer); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("a receipt for file 3: %v, want ErrMalformed", err)
	}
	mutate.CheckAllRejected(t, signed, func(b []byte) error {
		_, err := auditlog.VerifyReceipt(b, verifier)
		return err
	})
	// A version 1 header on version 2 fields, or the reverse, is refused.
	for _, b := range []string{
		strings.Replace(string(signed), "segel-receipt/v2", "segel-receipt/v1", 1),
	} {
		if _, err := auditlog.VerifyReceipt([]byte(b), verifier); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
}

func TestReceiptRoundTrip(t *testing.T) {
	signer, verifier := newKeys(t, receiptOrigin)
	r := testReceipt()
	signed, err := auditlog.SignReceipt(r, signer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := auditlog.VerifyReceipt(signed, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Received.Equal(r.Received) || got.Received.Location() != time.UTC {
		t.Errorf("Received = %v, want %v in UTC", got.Received, r.Received)
	}
	got.Received = r.Received
	if got != r {
		t.Errorf("VerifyReceipt = %+v, want %+v", got, r)
	}
	wantText := "segel-receipt/v1\norigin: lpse.example.go.id/log\nindex: 41\ntender: 10012345000\nbidder: u-17\n" +
		"sha256: " + hex.EncodeToString(r.SHA256[:]) + "\nsize: 123456\nreceived: 2026-11-26T03:04:05.123Z\n\n"
	if !strings.HasPrefix(string(signed), wantText) {
		t.Errorf("signed receipt =\n%s\nwant text\n%s", signed, wantText)
	}
}

func TestReceiptMutations(t *testing.T) {
	t.Parallel()
	signer, verifier := newKeys(t, receiptOrigin)
	signed, err := auditlog.SignReceipt(testReceipt(), signer)
	if err != nil {
		t.Fatal(err)
	}
	mutate.CheckAllRejected(t, signed, func(b []byte) error {
		_, err := auditlog.VerifyReceipt(b, verifier)
		return err
	})
}

func TestReceiptInvalid(t *testing.T) {
	signer, verifier := newKeys(t, receiptOrigin)
	logSigner, logVerifier := newKeys(t, testOrigin)
	for _, tc := range []struct {
		name   string
		change func(*auditlog.Receipt)
	}{
		{"negative index", func(r *auditlog.Receipt) { r.Index = -1 }},
		{"negative size", func(r *auditlog.Receipt) { r.Size = -1 }},
		{"empty tender", func(r *auditlog.Receipt) { r.Tender = "" }},
		{"bidder with newline", func(r *auditlog.Receipt) { r.Bidder = "u\n17" }},
		{"origin with plus", func(r *auditlog.Receipt) { r.Origin = "a+b" }},
		{"no receive time", func(r *auditlog.Receipt) { r.Received = time.Time{} }},
		{"year 10000", func(r *auditlog.Receipt) { r.Received = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	} {
		r := testReceipt()
		tc.change(&r)
		if _, err := auditlog.SignReceipt(r, signer); !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("%s: SignReceipt = %v, want ErrMalformed", tc.name, err)
		}
	}
	// A receipt is not a checkpoint and a checkpoint is not a receipt, even
	// when signed with the expected key.
	signed, _ := auditlog.SignReceipt(testReceipt(), logSigner)
	if _, err := auditlog.VerifyCheckpoint(signed, logVerifier); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("receipt verified as a checkpoint: %v", err)
	}
	cp := signedCheckpoint(t, logSigner, 3)
	if _, err := auditlog.VerifyReceipt(cp, logVerifier); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("checkpoint verified as a receipt: %v", err)
	}
	// Wrong key.
	good, _ := auditlog.SignReceipt(testReceipt(), signer)
	if _, err := auditlog.VerifyReceipt(good, logVerifier); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("receipt verified with the log key: %v", err)
	}
	if _, err := auditlog.VerifyReceipt(good, verifier); err != nil {
		t.Error(err)
	}
}

// offerScenario builds a log holding one offer among other entries, its
// receipt and its proof file.
type offerScenario struct {
	log       *auditlog.Log
	keys      auditlog.Keys
	logSigner note.Signer
	rcpSigner note.Signer
	receipt   []byte
	proofFile []byte
}

func newOfferScenario(t testing.TB, before, after int) *offerScenario {
	return newScenario(t, testReceipt(), before, after)
}

func newScenario(t testing.TB, r auditlog.Receipt, before, after int) *offerScenario {
	t.Helper()
	ctx := context.Background()
	var sc offerScenario
	sc.logSigner, sc.keys.Log = newKeys(t, testOrigin)
	sc.rcpSigner, sc.keys.Receipt = newKeys(t, receiptOrigin)
	sc.log = newLog(t, auditlog.NewMemoryStorage(), sc.logSigner, 0)
	for i := range before {
		sc.log.Append(ctx, entry(i))
	}
	e, err := r.Entry().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	indexes, err := sc.log.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	r.Index = indexes[0]
	for i := range after {
		sc.log.Append(ctx, entry(before+1+i))
	}
	if sc.receipt, err = auditlog.SignReceipt(r, sc.rcpSigner); err != nil {
		t.Fatal(err)
	}
	if sc.proofFile, err = sc.log.ProofFile(ctx, sc.receipt); err != nil {
		t.Fatal(err)
	}
	return &sc
}

func TestProofFile(t *testing.T) {
	for _, tc := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {6, 9}, {41, 30}} {
		sc := newOfferScenario(t, tc[0], tc[1])
		r, c, err := auditlog.VerifyProofFile(sc.proofFile, sc.keys)
		if err != nil {
			t.Fatalf("VerifyProofFile (%d before, %d after): %v\n%s", tc[0], tc[1], err, sc.proofFile)
		}
		if r.Index != int64(tc[0]) || c.Size != int64(tc[0]+tc[1]+1) || r.Tender != "10012345000" {
			t.Errorf("VerifyProofFile = receipt %+v, checkpoint %+v", r, c)
		}
	}
}

// TestProofFileV2 proves a version 2 receipt's file-received entry, and
// refuses a version 2 receipt whose entry is another part's.
func TestProofFileV2(t *testing.T) {
	ctx := context.Background()
	sc := newScenario(t, testReceiptV2(), 6, 9)
	r, _, err := auditlog.VerifyProofFile(sc.proofFile, sc.keys)
	if err != nil {
		t.Fatal(err)
	}
	if r.File != 2 || r.Index != 6 {
		t.Errorf("VerifyProofFile = %+v", r)
	}
	mutate.CheckAllRejected(t, sc.proofFile, func(b []byte) error {
		_, _, err := auditlog.VerifyProofFile(b, sc.keys)
		return err
	})
	other := testReceiptV2()
	other.Index, other.File = 6, 1 // the same file, claimed as File I
	otherSigned, _ := auditlog.SignReceipt(other, sc.rcpSigner)
	spliced := strings.Replace(string(sc.proofFile), string(sc.receipt), string(otherSigned), 1)
	if _, _, err := auditlog.VerifyProofFile([]byte(spliced), sc.keys); !errors.Is(err, auditlog.ErrInvalidProof) {
		t.Errorf("proof file with the receipt of another part = %v, want ErrInvalidProof", err)
	}
	if _, err := sc.log.ProofFile(ctx, otherSigned); err == nil {
		t.Error("Log.ProofFile for the receipt of another part succeeded")
	}
}

func TestProofFileMutations(t *testing.T) {
	t.Parallel()
	sc := newOfferScenario(t, 6, 9)
	mutate.CheckAllRejected(t, sc.proofFile, func(b []byte) error {
		_, _, err := auditlog.VerifyProofFile(b, sc.keys)
		return err
	})
}

func TestProofFileMismatch(t *testing.T) {
	ctx := context.Background()
	sc := newOfferScenario(t, 6, 9)
	// A receipt for another offer, validly signed, spliced into the file.
	other := testReceipt()
	other.Index = 6
	other.Size++
	otherSigned, _ := auditlog.SignReceipt(other, sc.rcpSigner)
	spliced := strings.Replace(string(sc.proofFile), string(sc.receipt), string(otherSigned), 1)
	if _, _, err := auditlog.VerifyProofFile([]byte(spliced), sc.keys); !errors.Is(err, auditlog.ErrInvalidProof) {
		t.Errorf("proof file with another offer's receipt = %v, want ErrInvalidProof", err)
	}
	// A receipt pointing at another index.
	moved := testReceipt()
	moved.Index = 7
	movedSigned, _ := auditlog.SignReceipt(moved, sc.rcpSigner)
	spliced = strings.Replace(string(sc.proofFile), string(sc.receipt), string(movedSigned), 1)
	if _, _, err := auditlog.VerifyProofFile([]byte(spliced), sc.keys); !errors.Is(err, auditlog.ErrInvalidProof) {
		t.Errorf("proof file with a receipt for index 7 = %v, want ErrInvalidProof", err)
	}
	// No keys at all.
	if _, _, err := auditlog.VerifyProofFile(sc.proofFile, auditlog.Keys{}); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("proof file with no keys = %v, want ErrSignature", err)
	}
	// Keys swapped: the checkpoint is not signed by the receipt key.
	swapped := auditlog.Keys{Log: sc.keys.Receipt, Receipt: sc.keys.Log}
	if _, _, err := auditlog.VerifyProofFile(sc.proofFile, swapped); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("proof file with swapped keys = %v, want ErrSignature", err)
	}
	// ProofFile refuses receipts that do not match the log.
	if _, err := sc.log.ProofFile(ctx, movedSigned); err == nil {
		t.Error("Log.ProofFile for a receipt that does not match its entry succeeded")
	}
	// An oversized file.
	big := append([]byte(sc.proofFile), make([]byte, auditlog.MaxProofFileSize)...)
	if _, _, err := auditlog.VerifyProofFile(big, sc.keys); !errors.Is(err, auditlog.ErrMalformed) {
		t.Errorf("oversized proof file = %v, want ErrMalformed", err)
	}
}
