package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/mod/sumdb/note"
)

// cmdMkbundle writes into directory args[0] the audit bundle of a small
// tender, driven through a real auditlog.Log as the engine would (two offers:
// one opened, one that failed with a witness report), with:
//
//	bundle/       the bundle
//	keys.txt      the LPSE's keys (segel-keys/v1), to pin with --trusted
//	other.txt     another LPSE's keys
//	bundle-bad/   the bundle with one byte of its opening report changed
func cmdMkbundle(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkbundle DIR")
	}
	dir := ts.MkAbs(args[0])
	ctx := context.Background()
	const (
		origin = "lpse.example.go.id/log"
		tender = "10012345000"
	)
	signer := func(name string) (note.Signer, string) {
		skey, vkey, err := auditlog.GenerateKey(name)
		ts.Check(err)
		s, err := note.NewSigner(skey)
		ts.Check(err)
		return s, vkey
	}
	entry := func(typ string, kv ...string) []byte {
		e := auditlog.Entry{Type: typ}
		for i := 0; i < len(kv); i += 2 {
			e.Fields = append(e.Fields, auditlog.Field{Key: kv[i], Value: kv[i+1]})
		}
		b, err := e.Marshal()
		ts.Check(err)
		return b
	}
	hexSum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	ft := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

	logS, logV := signer(origin)
	receiptS, receiptV := signer("lpse.example.go.id/receipt")
	reportS, reportV := signer("lpse.example.go.id/report")
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: origin, Signer: logS})
	ts.Check(err)
	base := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	opening := base.Add(2 * time.Hour)
	key, err := timelock.GenerateLocalKey()
	ts.Check(err)
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: base.Add(-time.Hour),
		Period: time.Second, Now: func() time.Time { return opening.Add(time.Minute) }})
	ts.Check(err)
	chain := beacon.Chain()
	round := chain.RoundAt(opening)
	trusted, err := audit.NewTrusted(logV, receiptV, reportV, chain.HashHex())
	ts.Check(err)

	b := &audit.Bundle{Tender: tender, Keys: trusted, Chain: chain, Receipts: map[int64][]byte{}, Witness: map[int64][]byte{}}
	add := func(e []byte) int64 {
		idx, err := l.Append(ctx, e)
		ts.Check(err)
		b.Entries = append(b.Entries, audit.LogEntry{Index: idx[0], Data: e})
		return idx[0]
	}
	add(entry("tender-announced", "tender", tender, "document", hexSum([]byte("rks")),
		"deadline", ft(opening.Add(-time.Hour)), "opening", ft(opening),
		"round", strconv.FormatUint(round, 10), "chain", chain.HashHex(), "committee-key", "0123456789abcdef",
		"time", ft(base)))
	report := &audit.OpeningReport{Tender: tender, Chain: chain.HashHex(), Round: round, Time: opening.Add(30 * time.Minute)}
	type offer struct {
		bidder string
		index  int64
		file   []byte
		sha    [32]byte
	}
	var offers []offer
	for i := range 2 {
		bidder := fmt.Sprintf("bidder-%04d", i)
		file := fmt.Appendf(nil, "penawaran %s\n", bidder)
		r := auditlog.Receipt{Origin: origin, Tender: tender, Bidder: bidder, SHA256: sha256.Sum256(file),
			Size: int64(len(file)), Received: base.Add(time.Duration(i+1) * time.Second)}
		e, err := r.Entry().Marshal()
		ts.Check(err)
		r.Index = add(e)
		signed, err := auditlog.SignReceipt(r, receiptS)
		ts.Check(err)
		if b.Receipts[r.Index], err = l.ProofFile(ctx, signed); err != nil {
			ts.Fatalf("%v", err)
		}
		offers = append(offers, offer{bidder, r.Index, file, r.SHA256})
	}
	add(entry("submission-closed", "tender", tender, "offers", "2", "time", ft(opening.Add(-time.Hour))))
	closing, err := l.Checkpoint(ctx)
	ts.Check(err)
	sig, err := beacon.Signature(ctx, round)
	ts.Check(err)
	report.Signature = sig
	add(entry("beacon-signature-used", "tender", tender, "chain", chain.HashHex(),
		"round", strconv.FormatUint(round, 10), "signature", hex.EncodeToString(sig), "time", ft(opening)))

	opened := offers[0]
	plain := sha256.Sum256(opened.file)
	add(entry("offer-opened", "tender", tender, "bidder", opened.bidder, "sha256", hex.EncodeToString(opened.sha[:]),
		"plaintext", hex.EncodeToString(plain[:]), "time", ft(opening.Add(10*time.Minute))))
	report.Offers = append(report.Offers, audit.OpenedOffer{Index: opened.index, Bidder: opened.bidder,
		SHA256: opened.sha, Size: int64(len(opened.file)), Outcome: audit.OutcomeOpened, Digest: plain})

	failed := offers[1]
	w := &audit.WitnessReport{Tender: tender, Bidder: failed.bidder, SHA256: failed.sha, Size: int64(len(failed.file)),
		Index: failed.index, Stanzas: []string{"segel-offer/v1"}, Step: audit.StepPayload, Fault: audit.FaultFile,
		Detail: "payload fails authentication at chunk 0", Time: opening.Add(10 * time.Minute),
		Witnesses: []string{"pokja-1", "pokja-2"}}
	signedW, err := w.Sign(reportS)
	ts.Check(err)
	b.Witness[failed.index] = signedW
	add(entry("offer-failed", "tender", tender, "bidder", failed.bidder, "sha256", hex.EncodeToString(failed.sha[:]),
		"report", hexSum(signedW), "fault", audit.FaultFile, "time", ft(w.Time)))
	report.Offers = append(report.Offers, audit.OpenedOffer{Index: failed.index, Bidder: failed.bidder,
		SHA256: failed.sha, Size: int64(len(failed.file)), Outcome: audit.OutcomeFailed, Digest: sha256.Sum256(signedW)})

	if b.OpeningReport, err = report.Sign(reportS); err != nil {
		ts.Fatalf("%v", err)
	}
	add(entry("opening-report", "tender", tender, "report", hexSum(b.OpeningReport), "opened", "1", "failed", "1",
		"time", ft(report.Time)))
	final, err := l.Checkpoint(ctx)
	ts.Check(err)
	b.Checkpoints = []audit.SignedCheckpoint{{Signed: closing}, {Signed: final}}
	ts.Check(b.Prove(ctx, l))

	ts.Check(os.MkdirAll(dir, 0o777))
	ts.Check(b.WriteDir(filepath.Join(dir, "bundle")))
	keys, err := trusted.Marshal()
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, "keys.txt"), keys, 0o666))

	_, oLog := signer(origin)
	_, oReceipt := signer("lpse.example.go.id/receipt")
	_, oReport := signer("lpse.example.go.id/report")
	other, err := audit.NewTrusted(oLog, oReceipt, oReport, chain.HashHex())
	ts.Check(err)
	otherKeys, err := other.Marshal()
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, "other.txt"), otherKeys, 0o666))

	bad := filepath.Join(dir, "bundle-bad")
	ts.Check(b.WriteDir(bad))
	name := filepath.Join(bad, "opening-report.txt")
	rb, err := os.ReadFile(name)
	ts.Check(err)
	rb[len(rb)/3] ^= 1
	ts.Check(os.WriteFile(name, rb, 0o666))
}
