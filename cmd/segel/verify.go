package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/segel-lpse/segel/auditlog"
	"golang.org/x/mod/sumdb/note"
)

const verifyUsage = `Usage:
    segel verify [--trusted KEYS] FILE|DIR

verify checks, offline, a signed receipt (segel-receipt/v1), an offer proof
file (segel-proof/v1: receipt, log entry, inclusion proof and signed
checkpoint), or an audit bundle directory, against pinned public keys. It
prints what it verified on standard output and exits 0 only if everything
verifies.

KEYS is a file of trusted note verifier keys, one per line, such as
    lpse.example.go.id/log+1a2b3c4d+AaBbCc…
    lpse.example.go.id/receipt+5e6f7a8b+DdEeFf…
with "#" comment lines. A receipt must be signed by one of them; a proof
file's checkpoint by the key named after the log's origin and its receipt
by another one.

Options:
    --trusted KEYS   the pinned public keys

Exit status: 0 verified, 1 not verified or failure, 2 usage error.
`

// maxTrustedKeysSize caps a trusted keys file.
const maxTrustedKeysSize = 64 << 10

const (
	receiptHeader = "segel-receipt/v1\n"
	proofHeader   = "segel-proof/v1\n"
)

func runVerify(e *env, args []string) error {
	fs := newFlagSet("verify")
	var trusted string
	fs.StringVar(&trusted, "trusted", "", "")
	pos, err := parse(e, fs, verifyUsage, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf(verifyUsage, "verify takes one FILE or DIR")
	}
	name := pos[0]
	st, err := os.Stat(name)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return verifyBundle(e, name, trusted)
	}
	if trusted == "" {
		return usageErrorf(verifyUsage, "missing --trusted KEYS: a receipt or proof file verifies only against pinned keys")
	}
	keys, err := loadTrustedKeys(trusted)
	if err != nil {
		return err
	}
	b, err := readSmallFile(name, auditlog.MaxProofFileSize)
	if err != nil {
		return err
	}
	switch {
	case bytes.HasPrefix(b, []byte(receiptHeader)):
		r, err := verifyReceipt(b, keys)
		if err != nil {
			return fmt.Errorf("%s: receipt does not verify: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "file: receipt\n")
		printReceipt(e.stdout, r)
		fmt.Fprintf(e.stdout, "verified: receipt signature\n")
		return nil
	case bytes.HasPrefix(b, []byte(proofHeader)):
		r, c, err := verifyProofFile(b, keys)
		if err != nil {
			return fmt.Errorf("%s: proof file does not verify: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "file: proof file\n")
		printReceipt(e.stdout, r)
		fmt.Fprintf(e.stdout, "checkpoint: %s size %d root %s\n", c.Origin, c.Size, c.Hash)
		fmt.Fprintf(e.stdout, "verified: receipt signature, checkpoint signature, inclusion of the entry in the log\n")
		return nil
	}
	return fmt.Errorf("%s: not a receipt (%q) nor a proof file (%q)", name, receiptHeader[:len(receiptHeader)-1], proofHeader[:len(proofHeader)-1])
}

func printReceipt(w io.Writer, r auditlog.Receipt) {
	fmt.Fprintf(w, "origin: %s\nindex: %d\ntender: %s\nbidder: %s\nsha256: %s\nsize: %d\nreceived: %s\n",
		r.Origin, r.Index, r.Tender, r.Bidder, hex.EncodeToString(r.SHA256[:]), r.Size, r.Received.UTC().Format(time.RFC3339Nano))
}

// loadTrustedKeys reads a file of note verifier keys, one per line.
func loadTrustedKeys(name string) ([]note.Verifier, error) {
	b, err := readSmallFile(name, maxTrustedKeysSize)
	if err != nil {
		return nil, fmt.Errorf("failed to read trusted keys: %w", err)
	}
	var keys []note.Verifier
	for i, l := range contentLines(b) {
		v, err := auditlog.NewVerifier(l)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %w", name, i+1, err)
		}
		keys = append(keys, v)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no keys", name)
	}
	return keys, nil
}

// verifyReceipt verifies a receipt against whichever trusted key signed it.
func verifyReceipt(b []byte, keys []note.Verifier) (auditlog.Receipt, error) {
	var errs []error
	for _, k := range keys {
		r, err := auditlog.VerifyReceipt(b, k)
		if err == nil {
			return r, nil
		}
		errs = append(errs, err)
	}
	return auditlog.Receipt{}, mostTelling(errs)
}

// verifyProofFile tries the trusted keys as log key and receipt key. A log
// key must be named after the checkpoint's origin, which VerifyProofFile
// checks, so a wrong pairing fails on a signature and no other way.
func verifyProofFile(b []byte, keys []note.Verifier) (auditlog.Receipt, auditlog.Checkpoint, error) {
	var errs []error
	for _, lk := range keys {
		for _, rk := range keys {
			if lk == rk {
				continue
			}
			r, c, err := auditlog.VerifyProofFile(b, auditlog.Keys{Log: lk, Receipt: rk})
			if err == nil {
				return r, c, nil
			}
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return auditlog.Receipt{}, auditlog.Checkpoint{}, errors.New("need two trusted keys: the log key and the receipt key")
	}
	return auditlog.Receipt{}, auditlog.Checkpoint{}, mostTelling(errs)
}

// mostTelling picks, among the failures of every key tried, the one that
// says the most: a malformed file or a bad proof over a missing signature.
func mostTelling(errs []error) error {
	for _, target := range []error{auditlog.ErrMalformed, auditlog.ErrInvalidProof} {
		for _, err := range errs {
			if errors.Is(err, target) {
				return err
			}
		}
	}
	// A key that signed, but not this text, says more than the keys that
	// did not sign at all. auditlog tells them apart only in its messages.
	for _, err := range errs {
		if strings.Contains(err.Error(), "invalid signature") {
			return err
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("not signed by any trusted key: %w", errs[0])
}

// verifyBundle verifies an audit bundle directory with package audit.
func verifyBundle(e *env, dir, trusted string) error {
	return fmt.Errorf("%s: audit bundle verification is not available in this build yet (package audit has not landed); verify its receipts and proof files one by one", dir)
}
