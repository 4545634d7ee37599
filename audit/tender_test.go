package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// This file drives a real auditlog.Log, real receipts and a real beacon
// signature through a whole tender, as package tender does, and collects its
// audit bundle.

const (
	origin   = "lpse.example.go.id/log"
	tenderID = "10012345000"
)

// tenderOptions shape the simulated tender.
type tenderOptions struct {
	offers    int  // bidders with a current offer at closing
	resubmits int  // of them, how many resubmitted once (superseded offers)
	failures  int  // of them, how many fail to open (payload altered by the bidder)
	seal      bool // seal real offers with package sealer, open them, include them
	garbage   bool // the failing offers are not age files at all (witness step header)
	commits   int  // of them, how many commit before the deadline and deliver after closing
	lie       lies // how the engine lies, consistently signing what it says

	times func(run *tenderRun, s *schedule) // changes when things happen, before any entry
}

// schedule is when the events of a simulated tender happen. The engine logs
// and signs these times as they are, right or wrong.
type schedule struct {
	deadline, opening time.Time   // announced
	round             uint64      // announced and used; RoundAt(opening) unless changed
	received          []time.Time // when each bidder's first offer arrives (its commitment, if committed)
	delivered         time.Time   // when committed files arrive, after closing

	amendAt       time.Time // if not zero, log a tender-amended entry at this time
	amendDeadline time.Time // its deadline
	amendOpening  time.Time // its opening, if not the announced one
	amendRound    uint64    // its round, if not the announced one; the tender then uses it
	amendAfter    int       // the amendment follows the offers of this many bidders,
	amendClosed   bool      // or submission-closed
}

// lies make the engine misbehave while still signing and logging everything:
// the bundle then verifies cryptographically and must fail on its meaning.
type lies struct {
	witness             func(run *tenderRun, w *audit.WitnessReport) // before signing
	report              func(run *tenderRun, r *audit.OpeningReport) // before signing
	signature           func(sig []byte) []byte                      // the beacon signature logged and reported
	openSuperseded      bool                                         // log the first replaced offer as opened
	noSupersededEntry   bool                                         // replace offers without offer-superseded
	noClosingCheckpoint bool                                         // no checkpoint between closing and opening
}

// offerInfo is one submission as the engine knows it.
type offerInfo struct {
	bidder string
	index  int64
	sha    [32]byte
	size   int64
}

// tenderRun is the outcome: the engine's keys and log, and the bundle.
type tenderRun struct {
	log                 *auditlog.Log
	receiptS, reportS   note.Signer
	trusted             *audit.Trusted
	chain               timelock.Chain
	bundle              *audit.Bundle
	received            map[string][]int64 // bidder → offer-received indexes, in order
	sealedFiles         map[int64][]byte
	closing, final      []byte // checkpoints
	opening             *audit.OpeningReport
	witnessByBidderName map[string]int64
	current, replaced   []offerInfo
}

func mustSigner(tb testing.TB, name string) (note.Signer, string) {
	tb.Helper()
	skey, vkey, err := auditlog.GenerateKey(name)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, vkey
}

func entry(tb testing.TB, typ string, kv ...string) []byte {
	tb.Helper()
	b, err := auditlog.MarshalEntry(typ, kv...)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// runTender runs a whole tender and returns its completed bundle.
func runTender(tb testing.TB, o tenderOptions) *tenderRun {
	tb.Helper()
	ctx := context.Background()
	logS, logV := mustSigner(tb, origin)
	receiptS, receiptV := mustSigner(tb, "lpse.example.go.id/receipt")
	reportS, reportV := mustSigner(tb, "lpse.example.go.id/report")
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: auditlog.NewMemoryStorage(), Origin: origin, Signer: logS})
	if err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	opening := base.Add(2 * time.Hour)
	key, err := timelock.GenerateLocalKey()
	if err != nil {
		tb.Fatal(err)
	}
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: base.Add(-time.Hour),
		Period: time.Second, Now: func() time.Time { return opening.Add(time.Minute) }})
	if err != nil {
		tb.Fatal(err)
	}
	chain := beacon.Chain()
	s := schedule{deadline: opening.Add(-time.Hour), opening: opening, round: chain.RoundAt(opening),
		delivered: opening.Add(-30 * time.Minute)}
	for i := range o.offers {
		s.received = append(s.received, base.Add(time.Duration(i+1)*time.Second))
	}
	trusted, err := audit.NewTrusted(logV, receiptV, reportV, chain.HashHex())
	if err != nil {
		tb.Fatal(err)
	}
	run := &tenderRun{log: l, receiptS: receiptS, reportS: reportS, trusted: trusted, chain: chain,
		received: map[string][]int64{}, sealedFiles: map[int64][]byte{}, witnessByBidderName: map[string]int64{}}
	if o.times != nil {
		o.times(run, &s)
	}
	round := s.round
	if s.amendOpening.IsZero() {
		s.amendOpening = s.opening
	}
	if s.amendRound != 0 {
		round = s.amendRound // the last announcement's round is the one used
	}
	b := &audit.Bundle{Tender: tenderID, Keys: trusted, Chain: chain,
		Receipts: map[int64][]byte{}, Witness: map[int64][]byte{}}
	appendTender := func(e []byte) int64 {
		idx, err := l.Append(ctx, e)
		if err != nil {
			tb.Fatal(err)
		}
		b.Entries = append(b.Entries, audit.LogEntry{Index: idx[0], Data: e})
		return idx[0]
	}
	other := func(i int) { // another tender's and the registry's traffic
		if _, err := l.Append(ctx, entry(tb, "user-approved", "user", "u"+strconv.Itoa(i), "by", "staff-1",
			"time", canon.FormatTime(base))); err != nil {
			tb.Fatal(err)
		}
	}
	var committee *age.HybridIdentity
	committeeKey := "0123456789abcdef"
	if o.seal {
		if committee, err = age.GenerateHybridIdentity(); err != nil {
			tb.Fatal(err)
		}
		committeeKey = sealer.KeyID(committee.Recipient())
	}
	other(0)
	appendTender(entry(tb, "tender-announced", "tender", tenderID, "document", hexSum([]byte("rks")),
		"deadline", canon.FormatTime(s.deadline), "opening", canon.FormatTime(s.opening),
		"round", strconv.FormatUint(s.round, 10), "chain", chain.HashHex(), "committee-key", committeeKey,
		"time", canon.FormatTime(base)))
	amend := func() {
		appendTender(entry(tb, "tender-amended", "tender", tenderID, "amendment", "1", "document", hexSum([]byte("rks 2")),
			"deadline", canon.FormatTime(s.amendDeadline), "opening", canon.FormatTime(s.amendOpening),
			"round", strconv.FormatUint(round, 10), "chain", chain.HashHex(), "committee-key", committeeKey,
			"time", canon.FormatTime(s.amendAt)))
	}

	type current struct {
		bidder    string
		index     int64
		file      []byte
		sha       [32]byte
		plaintext []byte
	}
	var offers []*current
	// prepare makes a bidder's offer file; receive logs and receipts it.
	prepare := func(bidder string, n int) *current {
		doc := fmt.Appendf(nil, "penawaran %s nomor %d\n", bidder, n)
		file := doc
		if o.garbage && len(offers) >= o.offers-o.failures {
			file = fmt.Appendf(nil, "not an age file from %s\n", bidder)
		} else if o.seal {
			var buf bytes.Buffer
			if _, err := sealer.Seal(&buf, bytes.NewReader(doc), sealer.Target{Chain: chain, Round: round,
				Committee: committee.Recipient()}); err != nil {
				tb.Fatal(err)
			}
			file = buf.Bytes()
		}
		return &current{bidder: bidder, file: file, sha: sha256.Sum256(file), plaintext: doc}
	}
	receive := func(c *current, at time.Time) *current {
		bidder, file := c.bidder, c.file
		r := auditlog.Receipt{Origin: origin, Tender: tenderID, Bidder: bidder, SHA256: c.sha,
			Size: int64(len(file)), Received: at}
		e, err := r.Entry().Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		r.Index = appendTender(e)
		signed, err := auditlog.SignReceipt(r, receiptS)
		if err != nil {
			tb.Fatal(err)
		}
		pf, err := l.ProofFile(ctx, signed)
		if err != nil {
			tb.Fatal(err)
		}
		b.Receipts[r.Index] = pf
		run.received[bidder] = append(run.received[bidder], r.Index)
		if o.seal {
			run.sealedFiles[r.Index] = file
		}
		c.index = r.Index
		return c
	}
	submit := func(bidder string, n int, at time.Time) *current { return receive(prepare(bidder, n), at) }
	var committed []*current
	for i := range o.offers {
		if !s.amendAt.IsZero() && !s.amendClosed && i == s.amendAfter {
			amend()
		}
		bidder := fmt.Sprintf("bidder-%04d", i)
		at := s.received[i]
		if i >= o.offers-o.commits { // commit now, deliver after closing
			c := prepare(bidder, 1)
			appendTender(entry(tb, "offer-committed", "tender", tenderID, "bidder", bidder,
				"sha256", hex.EncodeToString(c.sha[:]), "size", strconv.Itoa(len(c.file)), "time", canon.FormatTime(at)))
			committed = append(committed, c)
			continue
		}
		c := submit(bidder, 1, at)
		if i%7 == 3 {
			other(i)
		}
		if i < o.resubmits {
			old := c
			c = submit(bidder, 2, at.Add(time.Minute))
			run.replaced = append(run.replaced, offerInfo{bidder, old.index, old.sha, int64(len(old.file))})
			if o.lie.noSupersededEntry {
				offers = append(offers, c)
				continue
			}
			appendTender(entry(tb, "offer-superseded", "tender", tenderID, "bidder", bidder,
				"sha256", hex.EncodeToString(old.sha[:]), "by", hex.EncodeToString(c.sha[:]),
				"time", canon.FormatTime(at.Add(time.Minute))))
		}
		offers = append(offers, c)
	}
	if !s.amendAt.IsZero() && !s.amendClosed && s.amendAfter == o.offers {
		amend()
	}
	closedAt := opening.Add(-time.Hour)
	appendTender(entry(tb, "submission-closed", "tender", tenderID, "offers", strconv.Itoa(len(offers)+len(committed)),
		"time", canon.FormatTime(closedAt)))
	if !o.lie.noClosingCheckpoint {
		if run.closing, err = l.Checkpoint(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	if !s.amendAt.IsZero() && s.amendClosed {
		amend()
	}
	for _, c := range committed {
		offers = append(offers, receive(c, s.delivered))
	}
	for _, c := range offers {
		run.current = append(run.current, offerInfo{c.bidder, c.index, c.sha, int64(len(c.file))})
	}
	other(-1)
	sig, err := beacon.Signature(ctx, round)
	if err != nil {
		tb.Fatal(err)
	}
	if o.lie.signature != nil {
		sig = o.lie.signature(sig)
	}
	appendTender(entry(tb, "beacon-signature-used", "tender", tenderID, "chain", chain.HashHex(),
		"round", strconv.FormatUint(round, 10), "signature", hex.EncodeToString(sig), "time", canon.FormatTime(opening)))

	report := &audit.OpeningReport{Tender: tenderID, Chain: chain.HashHex(), Round: round, Signature: sig,
		Time: opening.Add(30 * time.Minute)}
	var opened, failed int
	for k, c := range offers {
		fails := k >= len(offers)-o.failures
		if fails && o.seal && !o.garbage { // the bidder's copy was altered after sealing
			c.file[len(c.file)-1] ^= 1
		}
		outcome, digest := audit.OutcomeOpened, sha256.Sum256(c.plaintext)
		if o.seal {
			pt, err := sealer.Open(ctx, bytes.NewReader(c.file), beacon, committee)
			if err == nil {
				var got []byte
				got, err = io.ReadAll(pt)
				digest = sha256.Sum256(got)
			}
			if (err != nil) != fails {
				tb.Fatalf("opening offer %d: %v", k, err)
			}
		}
		if fails {
			if o.seal && !o.garbage {
				c.file[len(c.file)-1] ^= 1 // the stored bytes are the receipted ones
			}
			w := &audit.WitnessReport{Tender: tenderID, Bidder: c.bidder, SHA256: c.sha, Size: int64(len(c.file)),
				Index: c.index, Stanzas: []string{sealer.StanzaType}, Step: audit.StepPayload, Fault: audit.FaultFile,
				Detail: "payload fails authentication at chunk 0 (the file was altered after sealing)",
				Time:   opening.Add(10 * time.Minute), Witnesses: []string{"pokja-1", "pokja-2", "pokja-3"}}
			if o.garbage {
				w.Stanzas, w.Step, w.Detail = nil, audit.StepHeader, "not an age file: no age-encryption.org/v1 line"
			}
			if o.lie.witness != nil {
				o.lie.witness(run, w)
			}
			signed, err := w.Sign(reportS)
			if err != nil {
				tb.Fatal(err)
			}
			b.Witness[c.index] = signed
			run.witnessByBidderName[c.bidder] = c.index
			appendTender(entry(tb, "offer-failed", "tender", tenderID, "bidder", c.bidder,
				"sha256", hex.EncodeToString(c.sha[:]), "report", hexSum(signed), "fault", audit.FaultFile,
				"time", canon.FormatTime(w.Time)))
			outcome, digest = audit.OutcomeFailed, sha256.Sum256(signed)
			failed++
		} else {
			sha := c.sha
			if o.lie.openSuperseded && k == 0 {
				sha = run.replaced[0].sha
			}
			appendTender(entry(tb, "offer-opened", "tender", tenderID, "bidder", c.bidder,
				"sha256", hex.EncodeToString(sha[:]), "plaintext", hex.EncodeToString(digest[:]),
				"time", canon.FormatTime(opening.Add(10*time.Minute))))
			opened++
		}
		report.Offers = append(report.Offers, audit.OpenedOffer{Index: c.index, Bidder: c.bidder, SHA256: c.sha,
			Size: int64(len(c.file)), Outcome: outcome, Digest: digest})
	}
	if o.lie.report != nil {
		o.lie.report(run, report)
	}
	run.opening = report
	if b.OpeningReport, err = report.Sign(reportS); err != nil {
		tb.Fatal(err)
	}
	appendTender(entry(tb, "opening-report", "tender", tenderID, "report", hexSum(b.OpeningReport),
		"opened", strconv.Itoa(opened), "failed", strconv.Itoa(failed), "time", canon.FormatTime(report.Time)))
	appendTender(entry(tb, "result-announced", "tender", tenderID, "winner", "bidder-0000",
		"result", hexSum([]byte("hasil")), "time", canon.FormatTime(opening.Add(48*time.Hour))))
	if run.final, err = l.Checkpoint(ctx); err != nil {
		tb.Fatal(err)
	}
	b.Checkpoints = []audit.SignedCheckpoint{{Signed: run.final}}
	if run.closing != nil {
		b.Checkpoints = append(b.Checkpoints, audit.SignedCheckpoint{Signed: run.closing})
	}
	if o.seal {
		fsys := fstest.MapFS{}
		for i, f := range run.sealedFiles {
			fsys[strconv.FormatInt(i, 10)+".age"] = &fstest.MapFile{Data: f}
		}
		b.Sealed = fsys
	}
	if err := b.Prove(ctx, l); err != nil {
		tb.Fatal(err)
	}
	run.bundle = b
	return run
}

func strconvI(i int64) string { return strconv.FormatInt(i, 10) }
