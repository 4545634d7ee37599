package client_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// A bidder seals an offer on their own machine, submits it and checks
// the signed receipt and its proof file offline.
func Example() {
	ctx := context.Background()
	url, tenderID, chain, stop := exampleServer() // an lpsed with tender T-UJI-1 open
	defer stop()

	// Offers are sealed to the chain the client pins, quicknet by default.
	// This example's server runs its own local beacon, whose chain info
	// the bidder pinned beforehand, as the LPSE publishes it.
	bidder, err := client.New(url, client.WithChain(chain)).Login(ctx, "direktur@cv-uji-0.test.co.id", password)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := bidder.Keys(ctx) // in practice: the keys the LPSE publishes, pinned
	if err != nil {
		log.Fatal(err)
	}
	target, err := bidder.Target(ctx, tenderID)
	if err != nil {
		log.Fatal(err)
	}
	var sealed bytes.Buffer
	if _, err := sealer.Seal(&sealed, strings.NewReader("Penawaran: Rp 2.100.000.000"), target); err != nil {
		log.Fatal(err)
	}
	rc, err := bidder.SubmitOffer(ctx, tenderID, &sealed)
	if err != nil {
		log.Fatal(err)
	}
	r, err := auditlog.VerifyReceipt([]byte(rc.Receipt), keys.Receipt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("receipt verifies for tender", r.Tender)
	proof, err := bidder.ProofFile(ctx, []byte(rc.Receipt))
	if err != nil {
		log.Fatal(err)
	}
	if _, _, err := auditlog.VerifyProofFile(proof, auditlog.Keys{Log: keys.Log, Receipt: keys.Receipt}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("proof file verifies")

	// Refusals carry a stable code to branch on.
	_, err = bidder.SubmitOffer(ctx, tenderID, strings.NewReader("not a sealed offer"))
	fmt.Println(client.ErrorCode(err))
	// Output:
	// receipt verifies for tender T-UJI-1
	// proof file verifies
	// wrong-seal
}

// exampleServer serves a deployment with one provider registered for an
// open tender, as setup builds it.
func exampleServer() (url, tenderID string, chain timelock.Chain, stop func()) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "segel-client-example-")
	if err != nil {
		log.Fatal(err)
	}
	ts, closeServer, err := newServer(ctx, exampleTB{}, dir)
	if err != nil {
		log.Fatal(err)
	}
	w, err := setup(ctx, ts.URL, 1, time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	chain, err = client.New(ts.URL).Chain(ctx)
	if err != nil {
		log.Fatal(err)
	}
	return ts.URL, w.tender.ID, chain, func() { closeServer(); os.RemoveAll(dir) }
}

// exampleTB reports a breach of the API's contract on standard output,
// where it fails the example.
type exampleTB struct{}

func (exampleTB) Helper() {}

func (exampleTB) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
