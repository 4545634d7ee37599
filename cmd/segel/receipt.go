package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/timelock"
)

const receiptUsage = `Usage:
    segel receipt --lpse URL --tender ID --trusted KEYS [--bidder ID]
                  [--token-file FILE] [-o OUTPUT]

receipt fetches again the signed receipt of your current offer in a
tender, for a bidder who lost the one segel submit wrote. It verifies it
against the pinned keys KEYS, checks that it names the tender (and the
bidder), and writes it byte for byte as it was signed to OUTPUT, standard
output by default; what it binds goes to standard error. Nothing is written
if it does not verify.

A member of the tender's committee fetches a bidder's receipt with
--bidder ID, once submission has closed.

The API token comes from --token-file FILE or $SEGEL_TOKEN (see segel help
submit).

Options:
    --lpse URL           the LPSE's server, such as https://lpse.example.go.id
    --tender ID          the tender
    --trusted KEYS       the LPSE's keys file (its /v1/keys, obtained out of
                         band), as for segel verify
    --bidder ID          whose receipt: a bidder's user id; default your own
    --token-file FILE    the API token
    -o, --output OUTPUT  write the receipt to OUTPUT

Exit status: 0 written and verified, 1 failure (no offer, not verified, …),
2 usage error, 4 the LPSE could not be reached: run it again.
`

const proofUsage = `Usage:
    segel proof --lpse URL --trusted KEYS [-o OUTPUT] [RECEIPT]

proof fetches the offer proof file of a signed receipt (RECEIPT, standard
input by default): the receipt, its log entry and its inclusion proof in a
checkpoint the LPSE signs now. It verifies the receipt, then the proof file,
against the pinned keys KEYS, and writes the proof file byte for byte to
OUTPUT, standard output by default. Nothing is written if it does not
verify. No token is needed.

A proof file fetched later proves the same receipt in a larger log: fetch
one whenever an auditor asks, and check it with segel verify.

Options:
    --lpse URL           the LPSE's server, such as https://lpse.example.go.id
    --trusted KEYS       the LPSE's keys file (its /v1/keys, obtained out of
                         band), as for segel verify
    -o, --output OUTPUT  write the proof file to OUTPUT

Exit status: 0 written and verified, 1 failure (not verified, …), 2 usage
error, 4 the LPSE could not be reached: run it again.
`

const againFetch = "run the same command again"

func runReceipt(e *env, args []string) error {
	fs := newFlagSet("receipt")
	var lpse, tenderID, trusted, bidder, tokenFile, out string
	fs.StringVar(&lpse, "lpse", "", "")
	fs.StringVar(&tenderID, "tender", "", "")
	fs.StringVar(&trusted, "trusted", "", "")
	fs.StringVar(&bidder, "bidder", client.Me, "")
	fs.StringVar(&tokenFile, "token-file", "", "")
	fs.Var(noTokenFlag{}, "token", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	pos, err := parse(e, fs, receiptUsage, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf(receiptUsage, "receipt takes no arguments, got %q", pos)
	case lpse == "" || tenderID == "":
		return usageErrorf(receiptUsage, "missing --lpse URL or --tender ID")
	case trusted == "":
		return usageErrorf(receiptUsage, "missing --trusted KEYS: the LPSE's keys file (its /v1/keys, obtained out of band); the receipt is verified against it")
	case bidder == "":
		return usageErrorf(receiptUsage, "--bidder is empty")
	}
	token, err := loadToken(e, receiptUsage, tokenFile)
	if err != nil {
		return err
	}
	keys, err := loadTrustedKeys(trusted)
	if err != nil {
		return err
	}
	// A receipt involves no beacon: the chain is not used.
	cl, err := newLPSEClient(lpse, timelock.Quicknet, token, nil)
	if err != nil {
		return err
	}
	r := &retrier{ctx: e.ctx, retries: client.DefaultRetries, backoff: backoff, say: func(format string, args ...any) {
		fmt.Fprintf(e.stderr, "segel: "+format+"\n", args...)
	}}
	var signed []byte
	err = r.do("fetching the receipt", func() (err error) {
		signed, err = cl.OfferReceipt(e.ctx, tenderID, bidder)
		return err
	})
	if err != nil {
		return netErr(fmt.Errorf("tender %s: %w", tenderID, err), againFetch)
	}
	if err := damagedNote(signed, "receipt"); err != nil {
		return fmt.Errorf("the LPSE's receipt does not verify: %w", err)
	}
	rc, err := verifyReceipt(signed, keys)
	if err != nil {
		return fmt.Errorf("the LPSE's receipt does not verify against the pinned keys: %w", err)
	}
	if rc.Tender != tenderID || bidder != client.Me && rc.Bidder != bidder {
		return fmt.Errorf("the LPSE answered the receipt of bidder %s in tender %s, not of %s in %s", rc.Bidder, rc.Tender, bidder, tenderID)
	}
	if err := writeOutput(e, out, signed); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "segel: receipt verified: tender %s, bidder %s, sha256 %s, size %d, received %s, log index %d\n",
		rc.Tender, rc.Bidder, hex.EncodeToString(rc.SHA256[:]), rc.Size, rc.Received.UTC().Format(time.RFC3339Nano), rc.Index)
	return nil
}

func runProof(e *env, args []string) error {
	fs := newFlagSet("proof")
	var lpse, trusted, out string
	fs.StringVar(&lpse, "lpse", "", "")
	fs.StringVar(&trusted, "trusted", "", "")
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	pos, err := parse(e, fs, proofUsage, args)
	if err != nil {
		return err
	}
	in, err := atMostOne(proofUsage, pos)
	if err != nil {
		return err
	}
	switch {
	case lpse == "":
		return usageErrorf(proofUsage, "missing --lpse URL")
	case trusted == "":
		return usageErrorf(proofUsage, "missing --trusted KEYS: the LPSE's keys file (its /v1/keys, obtained out of band); the receipt and proof file are verified against it")
	}
	keys, err := loadTrustedKeys(trusted)
	if err != nil {
		return err
	}
	src, closeIn, err := openInput(e, in)
	if err != nil {
		return err
	}
	defer closeIn()
	signed, err := io.ReadAll(io.LimitReader(src, auditlog.MaxReceiptSize+1))
	if err != nil {
		return fmt.Errorf("failed to read the receipt: %w", err)
	}
	name := in
	if name == "" || name == "-" {
		name = "standard input"
	}
	if len(signed) > auditlog.MaxReceiptSize {
		return fmt.Errorf("%s: larger than a receipt (%d bytes at most)", name, auditlog.MaxReceiptSize)
	}
	if err := damagedNote(signed, "receipt"); err != nil {
		return fmt.Errorf("%s: receipt does not verify: %w", name, err)
	}
	rc, err := verifyReceipt(signed, keys)
	if err != nil {
		return fmt.Errorf("%s: receipt does not verify: %w", name, err)
	}
	cl, err := newLPSEClient(lpse, timelock.Quicknet, "", nil)
	if err != nil {
		return err
	}
	r := &retrier{ctx: e.ctx, retries: client.DefaultRetries, backoff: backoff, say: func(format string, args ...any) {
		fmt.Fprintf(e.stderr, "segel: "+format+"\n", args...)
	}}
	var proof []byte
	err = r.do("fetching the proof file", func() (err error) {
		proof, err = cl.ProofFile(e.ctx, signed)
		return err
	})
	if err != nil {
		return netErr(fmt.Errorf("fetching the proof file: %w", err), againFetch)
	}
	if err := checkProof(proof, keys, rc); err != nil {
		return err
	}
	if err := writeOutput(e, out, proof); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "segel: proof file verified: the receipt of bidder %s in tender %s, log index %d, is in the LPSE's log\n",
		rc.Bidder, rc.Tender, rc.Index)
	return nil
}

// writeOutput writes b, whole, to the output named name (standard output
// for "" or "-").
func writeOutput(e *env, name string, b []byte) error {
	o, err := newOutput(e, name, false)
	if err != nil {
		return err
	}
	defer o.abort()
	if _, err := o.Write(b); err != nil {
		return err
	}
	return o.commit()
}
