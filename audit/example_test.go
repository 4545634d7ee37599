package audit_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segel-lpse/segel/audit"
)

// exampleTB lets examples run the simulated tender of tender_test.go.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                   {}
func (exampleTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (exampleTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// The engine signs a witness report for an offer that did not open.
func ExampleWitnessReport_Sign() {
	signer, _ := mustSigner(exampleTB{}, "lpse.example.go.id/report")
	w := &audit.WitnessReport{
		Tender: "10012345000", Bidder: "bidder-0007", Size: 123456, Index: 42,
		Stanzas: []string{"segel-offer/v1"}, Step: audit.StepCommitteeHalf, Fault: audit.FaultFile,
		Detail:    "the committee half does not decrypt with key 0123456789abcdef",
		Time:      time.Date(2026, 11, 27, 3, 4, 5, 0, time.UTC),
		Witnesses: []string{"pokja-1", "pokja-2"},
	}
	signed, err := w.Sign(signer)
	if err != nil {
		panic(err)
	}
	text, _, _ := strings.Cut(string(signed), "\n\n") // the signature follows
	fmt.Println(text)
	// Output:
	// segel-witness-report/v1
	// tender: 10012345000
	// bidder: bidder-0007
	// sha256: 0000000000000000000000000000000000000000000000000000000000000000
	// size: 123456
	// index: 42
	// stanza: segel-offer/v1
	// step: committee-half
	// fault: file
	// detail: the committee half does not decrypt with key 0123456789abcdef
	// time: 2026-11-27T03:04:05Z
	// witness: pokja-1
	// witness: pokja-2
}

// The engine collects a tender's bundle after its opening report and
// writes it out.
func ExampleBundle_WriteDir() {
	run := runTender(exampleTB{}, tenderOptions{offers: 3, resubmits: 1, failures: 1})
	done := run.bundle // what the engine kept: entries, receipts, reports, checkpoints

	b := &audit.Bundle{
		Tender:        done.Tender,
		Keys:          run.trusted,
		Chain:         run.chain,
		Checkpoints:   []audit.SignedCheckpoint{{Signed: run.closing}, {Signed: run.final}},
		Entries:       done.Entries, // the tender's entries, with their log indexes
		Receipts:      done.Receipts,
		Witness:       done.Witness,
		OpeningReport: done.OpeningReport,
	}
	// Prove adds the proofs, and the checkpoints the receipts refer to.
	if err := b.Prove(context.Background(), run.log); err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "bundle")
	defer os.RemoveAll(dir)
	if err := b.WriteDir(dir); err != nil {
		panic(err)
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		fmt.Println(de.Name())
	}
	// Output:
	// README.txt
	// beacon.txt
	// bundle.txt
	// chain.json
	// checkpoints
	// consistency
	// entries
	// inclusion
	// keys.txt
	// offers.txt
	// opening-report.txt
	// receipts
	// witness
}

// An auditor verifies a bundle offline against keys obtained from the LPSE.
func ExampleVerify() {
	run := runTender(exampleTB{}, tenderOptions{offers: 3, resubmits: 1, failures: 1})
	dir, _ := os.MkdirTemp("", "bundle")
	defer os.RemoveAll(dir)
	if err := run.bundle.WriteDir(dir); err != nil {
		panic(err)
	}
	keysFile, _ := run.trusted.Marshal() // published by the LPSE

	trusted, err := audit.ParseTrusted(keysFile)
	if err != nil {
		panic(err)
	}
	b, err := audit.ReadDir(dir)
	if err != nil {
		panic(err)
	}
	res, err := audit.Verify(b, *trusted)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("tender %s: %d offers, %d opened, %d failed, %d superseded; unpinned keys: %d\n",
		res.Tender, res.Offers, res.Opened, res.Failed, res.Superseded, len(res.Unpinned))

	// The same bundle with one byte of the opening report changed.
	b.OpeningReport[len("segel-opening-report/v1\ntender: 1")] ^= 1
	_, err = audit.Verify(b, *trusted)
	fmt.Println(err)
	// Output:
	// tender 10012345000: 3 offers, 2 opened, 1 failed, 1 superseded; unpinned keys: 0
	// audit: opening-report.txt: opening-report: opening report: audit: signature verification failed: invalid signature by lpse.example.go.id/report
}

// The File I evaluation's document: members approve its SHA-256, and an
// auditor rebuilds it from the log's bidder-evaluated entries.
func ExampleEvaluation_Marshal() {
	ev := &audit.Evaluation{Tender: "T-1", Bidders: []audit.EvaluatedBidder{
		{Bidder: "u-a", Passed: true, Reasons: sha256.Sum256([]byte("memenuhi syarat"))},
		{Bidder: "u-b", Passed: false, Reasons: sha256.Sum256([]byte("tidak memenuhi syarat"))},
	}}
	text, err := ev.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	back, err := audit.ParseEvaluation(text)
	fmt.Println(strings.SplitN(string(text), "\n", 3)[:2], err, back.Bidders[1].Result())
	// Output: [segel-evaluation/v1 tender: T-1] <nil> failed
}
