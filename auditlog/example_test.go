package auditlog_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/segel-lpse/segel/auditlog"
)

// mustKeys generates a key pair for the examples. A real deployment
// generates keys once, keeps skey secret and publishes vkey.
func mustKeys(name string) (note.Signer, note.Verifier) {
	skey, vkey, err := auditlog.GenerateKey(name)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := auditlog.NewVerifier(vkey)
	if err != nil {
		log.Fatal(err)
	}
	return signer, verifier
}

// The writer appends entries and signs a checkpoint; an auditor holding the
// log's verifier key checks an inclusion proof offline.
func Example() {
	ctx := context.Background()
	signer, verifier := mustKeys("lpse.example.go.id/log")
	l, err := auditlog.Open(ctx, auditlog.Config{
		Storage:         auditlog.NewMemoryStorage(),
		Origin:          "lpse.example.go.id/log",
		Signer:          signer,
		CheckpointEvery: 1000,
	})
	if err != nil {
		log.Fatal(err)
	}
	indexes, err := l.Append(ctx, []byte("first\n"), []byte("second\n"), []byte("third\n"))
	if err != nil {
		log.Fatal(err)
	}
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		log.Fatal(err)
	}
	proof, err := l.ProveInclusion(ctx, indexes[1], 3)
	if err != nil {
		log.Fatal(err)
	}

	// Offline, on the auditor's machine.
	c, err := auditlog.VerifyCheckpoint(signed, verifier)
	if err != nil {
		log.Fatal(err)
	}
	err = auditlog.CheckInclusion([]byte("second\n"), indexes[1], c, proof)
	fmt.Println("indexes:", indexes)
	fmt.Println("checkpoint:", c.Origin, c.Size, c.Hash)
	fmt.Println("second is entry 1:", err == nil)
	err = auditlog.CheckInclusion([]byte("forged\n"), indexes[1], c, proof)
	fmt.Println("forged is entry 1:", err == nil)
	// The root hash is RFC 6962's SHA-256(0x01 || SHA-256(0x01 || leaf(first) ||
	// leaf(second)) || leaf(third)), checked independently of tlog.

	// Output:
	// indexes: [0 1 2]
	// checkpoint: lpse.example.go.id/log 3 mIn1se40+fSew2FUuHnwqfeB1/o8cHT+lqxkUfV+W+I=
	// second is entry 1: true
	// forged is entry 1: false
}

// An auditor holding an older checkpoint checks that a newer one extends it.
func ExampleCheckConsistency() {
	ctx := context.Background()
	signer, verifier := mustKeys("lpse.example.go.id/log")
	l, _ := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: "lpse.example.go.id/log", Signer: signer})
	l.Append(ctx, []byte("a\n"), []byte("b\n"))
	oldSigned, _ := l.Checkpoint(ctx)
	l.Append(ctx, []byte("c\n"), []byte("d\n"), []byte("e\n"))
	newSigned, _ := l.Checkpoint(ctx)
	proof, err := l.ProveConsistency(ctx, 2, 5)
	if err != nil {
		log.Fatal(err)
	}

	older, err1 := auditlog.VerifyCheckpoint(oldSigned, verifier)
	newer, err2 := auditlog.VerifyCheckpoint(newSigned, verifier)
	if err1 != nil || err2 != nil {
		log.Fatal(err1, err2)
	}
	fmt.Println(auditlog.CheckConsistency(older, newer, proof))
	// Output:
	// <nil>
}

// The server logs an offer, signs a receipt with the log index, and hands the
// bidder a proof file that verifies offline against the two pinned keys.
func ExampleSignReceipt() {
	ctx := context.Background()
	logSigner, logKey := mustKeys("lpse.example.go.id/log")
	receiptSigner, receiptKey := mustKeys("lpse.example.go.id/receipt")
	l, _ := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: "lpse.example.go.id/log", Signer: logSigner})

	r := auditlog.Receipt{
		Origin:   "lpse.example.go.id/log",
		Tender:   "10012345000",
		Bidder:   "u-17",
		SHA256:   sha256.Sum256([]byte("the sealed offer file")),
		Size:     21,
		Received: time.Date(2026, 11, 26, 9, 59, 58, 0, time.UTC),
	}
	entry, err := r.Entry().Marshal()
	if err != nil {
		log.Fatal(err)
	}
	indexes, err := l.Append(ctx, entry)
	if err != nil {
		log.Fatal(err)
	}
	r.Index = indexes[0]
	receipt, err := auditlog.SignReceipt(r, receiptSigner)
	if err != nil {
		log.Fatal(err)
	}
	proofFile, err := l.ProofFile(ctx, receipt)
	if err != nil {
		log.Fatal(err)
	}

	// The bidder, or an auditor, offline.
	got, err := auditlog.VerifyReceipt(receipt, receiptKey)
	fmt.Println(got.Tender, got.Bidder, got.Index, got.Received.Format(time.RFC3339), err)
	got, c, err := auditlog.VerifyProofFile(proofFile, auditlog.Keys{Log: logKey, Receipt: receiptKey})
	fmt.Println(got.Index, "of", c.Size, "in", c.Origin, err)
	// Output:
	// 10012345000 u-17 0 2026-11-26T09:59:58Z <nil>
	// 0 of 1 in lpse.example.go.id/log <nil>
}

func ExampleParseEntry() {
	e, err := auditlog.ParseEntry([]byte("segel-entry/v1 submission-closed\n" +
		"tender: 10012345000\n" +
		"offers: 7\n" +
		"time: 2026-11-26T03:00:00Z\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Type, e.Value("tender"), e.Value("offers"))

	_, err = auditlog.ParseEntry([]byte("segel-entry/v1 submission-closed\n" +
		"tender: 10012345000\n" +
		"offers: 07\n" +
		"time: 2026-11-26T03:00:00Z\n"))
	fmt.Println(err)
	// Output:
	// submission-closed 10012345000 7
	// auditlog: malformed input: entry submission-closed: field "offers": number "07" is not canonical decimal
}

func ExampleGenerateKey() {
	skey, vkey, err := auditlog.GenerateKey("lpse.example.go.id/log")
	if err != nil {
		log.Fatal(err)
	}
	// skey goes to the server's secret store; vkey is published and pinned
	// by auditors, who parse it with NewVerifier.
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Name(), len(skey) > 0)
	_, err = auditlog.NewVerifier(strings.ToUpper(vkey))
	fmt.Println(err != nil)
	// Output:
	// lpse.example.go.id/log true
	// true
}

func ExampleEntry_Marshal() {
	e := auditlog.Entry{Type: "offer-failed", Fields: []auditlog.Field{
		{Key: "tender", Value: "10012345000"},
		{Key: "bidder", Value: "u-17"},
		{Key: "sha256", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Key: "report", Value: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"},
		{Key: "fault", Value: "file"},
		{Key: "time", Value: "2026-11-26T03:00:00Z"},
	}}
	b, err := e.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	// Output:
	// segel-entry/v1 offer-failed
	// tender: 10012345000
	// bidder: u-17
	// sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
	// report: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
	// fault: file
	// time: 2026-11-26T03:00:00Z
}

func ExampleMarshalEntry() {
	b, err := auditlog.MarshalEntry("submission-closed",
		"tender", "10012345000", "offers", "7", "time", "2026-11-26T03:00:00Z")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))

	// Fields out of the order of doc/spec/entries.md §3 are refused.
	_, err = auditlog.MarshalEntry("submission-closed",
		"tender", "10012345000", "time", "2026-11-26T03:00:00Z", "offers", "7")
	fmt.Println(err)
	// Output:
	// segel-entry/v1 submission-closed
	// tender: 10012345000
	// offers: 7
	// time: 2026-11-26T03:00:00Z
	// auditlog: malformed input: entry submission-closed: field 1 is "time", want "offers"
}
