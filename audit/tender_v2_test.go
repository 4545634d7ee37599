package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"filippo.io/age"
	"github.com/segel-lpse/segel/audit"
	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
	"github.com/segel-lpse/segel/timelock"
)

// This file drives a real auditlog.Log, real v2 files sealed to a 3-of-5
// committee, real members' contributions, real openings and a real
// beacon through a whole two-file tender, as package tender does, and
// collects its audit bundle. Its lies make the engine misbehave while it
// still signs and logs everything consistently, so that each check of
// doc/spec/opening.md §10 has a bundle that it, and only it, refuses.

// v2Lies are the ways the simulated engine misbehaves.
type v2Lies struct {
	threshold       int  // the committee's k, if not 3 (a minority breaks the majority rule)
	swapMembers     bool // log two committee members out of their keys' order
	round2Early     bool // File II sealed and opened at the round before RoundAt(its opening)
	noCheckpoint    bool // no checkpoint between the closing and File I's beacon signature
	lateFile        bool // a file received after the deadline
	noSuperseded    bool // a File I replaced without file-superseded
	fewApprovals    bool // the evaluation fixed with k−1 approvals
	skipBidder      bool // the evaluation leaves out one bidder of File I
	passFailedFile  bool // the bidder whose File I did not open passes
	reasonsAfter    bool // a bidder-evaluated entry's reasons changed after the digest was computed
	openFailedPrice bool // the File II of a bidder who failed is opened
	withholdPassed  bool // the File II of a bidder who passed is withheld
	fileIIEarly     bool // File II's beacon signature used before the evaluation is fixed
	phantomMember   bool // the report lists a contributor whose batch is not logged
	witnessAnswers  bool // the witness report's answers disagree with the report's contributors
	wrongHeader     bool // a file-received entry names another header than the file's
	wrongPart       bool // a File I accepted as a File II

	twoStage       bool // not a lie: a two-stage tender, stage 2 announced after the evaluation
	stageTwoFailed bool // (two-stage) a stage 2 file taken from a bidder who failed stage 1
}

// v2Run is a simulated v2 tender and its bundle.
type v2Run struct {
	trusted *audit.Trusted
	bundle  *audit.Bundle
}

func runTwoFile(tb testing.TB, lie v2Lies) *v2Run {
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
	deadline, opening1, opening2 := base.Add(time.Hour), base.Add(2*time.Hour), base.Add(3*time.Hour)
	method, deadline2 := "two-file", deadline
	if lie.twoStage { // stage 2 is announced after the evaluation, at opening1 + 2h
		method, deadline2, opening2 = "two-stage", base.Add(5*time.Hour), base.Add(5*time.Hour+30*time.Minute)
	}
	key, _ := timelock.GenerateLocalKey()
	beacon, err := timelock.NewLocalBeacon(timelock.LocalConfig{Key: key, Genesis: base.Add(-time.Hour), Period: time.Second,
		Now: func() time.Time { return opening2.Add(time.Hour) }})
	if err != nil {
		tb.Fatal(err)
	}
	chain := beacon.Chain()
	r1, r2 := chain.RoundAt(opening1), chain.RoundAt(opening2)
	if lie.round2Early {
		r2--
	}
	trusted, err := audit.NewTrusted(logV, receiptV, reportV, chain.HashHex())
	if err != nil {
		tb.Fatal(err)
	}
	// The committee: five members' own keys, k of them.
	k := 3
	if lie.threshold != 0 {
		k = lie.threshold
	}
	keys := map[string]*age.HybridIdentity{}
	var recipients []*age.HybridRecipient
	for i := 1; i <= 5; i++ {
		id, _ := age.GenerateHybridIdentity()
		keys["pokja-"+strconv.Itoa(i)] = id
		recipients = append(recipients, id.Recipient())
	}
	committee, err := sealer.NewCommittee(k, recipients)
	if err != nil {
		tb.Fatal(err)
	}
	users := make([]string, 5) // users[i-1] is member i
	for u, id := range keys {
		users[committee.Index(id.Recipient())-1] = u
	}
	text, _ := committee.MarshalText()

	b := &audit.Bundle{Tender: tenderID, Keys: trusted, Chain: chain, Receipts: map[int64][]byte{}, Witness: map[int64][]byte{}}
	sealedFiles := fstest.MapFS{}
	log := func(e []byte) int64 {
		idx, err := l.Append(ctx, e)
		if err != nil {
			tb.Fatal(err)
		}
		b.Entries = append(b.Entries, audit.LogEntry{Index: idx[0], Data: e})
		return idx[0]
	}
	logAll := func(es ...[]byte) int64 { // one append
		idx, err := l.Append(ctx, es...)
		if err != nil {
			tb.Fatal(err)
		}
		for k, e := range es {
			b.Entries = append(b.Entries, audit.LogEntry{Index: idx[k], Data: e})
		}
		return idx[0]
	}
	at := canon.FormatTime
	other := func() { l.Append(ctx, entry(tb, "user-approved", "user", "u-9", "by", "staff-1", "time", at(base))) }

	// The announcement's append.
	announcement := [][]byte{
		entry(tb, "tender-announced", "tender", tenderID, "document", hexSum([]byte("rks")), "deadline", at(deadline),
			"opening", at(opening1), "round", strconv.FormatUint(r1, 10), "chain", chain.HashHex(), "committee-key", committee.ID(),
			"time", at(base)),
		entry(tb, "tender-committee", "tender", tenderID, "method", method, "committee", hexSum(text),
			"threshold", strconv.Itoa(k), "members", "5", "time", at(base)),
	}
	order := []int{1, 2, 3, 4, 5}
	if lie.swapMembers {
		order[0], order[1] = 2, 1
	}
	for pos, m := range order {
		announcement = append(announcement, entry(tb, "committee-member", "tender", tenderID, "member", strconv.Itoa(pos+1),
			"user", users[m-1], "recipient", recipients[slices.IndexFunc(recipients, func(r *age.HybridRecipient) bool {
				return committee.Index(r) == m
			})].String(), "time", at(base)))
	}
	if !lie.twoStage {
		announcement = append(announcement, entry(tb, "file-ii-scheduled", "tender", tenderID, "opening", at(opening2),
			"round", strconv.FormatUint(r2, 10), "chain", chain.HashHex(), "time", at(base)))
	}
	other()
	logAll(announcement...)

	// Files: four bidders, two parts each.
	type sealedFile struct {
		bidder    string
		file      int
		data      []byte
		header    [32]byte
		index     int64
		plaintext []byte
	}
	seal := func(bidder string, file int, doc string, sealedAs int) *sealedFile {
		round := r1
		if sealedAs == 2 {
			round = r2
		}
		var buf bytes.Buffer
		s, err := sealer.Seal(&buf, bytes.NewReader([]byte(doc)), sealer.Target{Chain: chain, Round: round, Members: committee,
			Tender: tenderID, Bidder: bidder, File: sealedAs})
		if err != nil {
			tb.Fatal(err)
		}
		return &sealedFile{bidder: bidder, file: file, data: buf.Bytes(), header: s.Header.Digest, plaintext: []byte(doc)}
	}
	receive := func(f *sealedFile, when time.Time) {
		sum := sha256.Sum256(f.data)
		r := auditlog.Receipt{Origin: origin, Tender: tenderID, Bidder: f.bidder, File: f.file, SHA256: sum,
			Size: int64(len(f.data)), Header: f.header, Received: when}
		if lie.wrongHeader && f.bidder == "bidder-0002" && f.file == 1 {
			r.Header[0] ^= 1
		}
		e, err := r.Entry().Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		r.Index = log(e)
		signed, err := auditlog.SignReceipt(r, receiptS)
		if err != nil {
			tb.Fatal(err)
		}
		if b.Receipts[r.Index], err = l.ProofFile(ctx, signed); err != nil {
			tb.Fatal(err)
		}
		sealedFiles[strconv.FormatInt(r.Index, 10)+".age"] = &fstest.MapFile{Data: f.data}
		f.index = r.Index
	}
	current := map[[2]int]*sealedFile{}
	var bidders []string
	for i := range 4 {
		bidder := fmt.Sprintf("bidder-%04d", i)
		bidders = append(bidders, bidder)
		when := base.Add(time.Duration(i+1) * time.Minute)
		for file := 1; file <= 2; file++ {
			if lie.twoStage && file == 2 {
				break // stage 2 comes after the evaluation
			}
			sealedAs := file
			if lie.wrongPart && i == 2 && file == 2 {
				sealedAs = 1
			}
			f := seal(bidder, file, fmt.Sprintf("file %d of %s", file, bidder), sealedAs)
			if i == 3 && file == 1 { // damaged after sealing: fails at the payload
				f.data[len(f.data)-2] ^= 1
			}
			if lie.lateFile && i == 1 && file == 2 {
				when = deadline.Add(time.Second)
			}
			receive(f, when)
			current[[2]int{i, file}] = f
		}
		if i == 0 { // a new File I replaces the first
			old := current[[2]int{0, 1}]
			f := seal(bidder, 1, "file 1 of "+bidder+", revised", 1)
			receive(f, when.Add(time.Minute))
			if !lie.noSuperseded {
				log(entry(tb, "file-superseded", "tender", tenderID, "bidder", bidder, "file", "1", "sha256", hexSum(old.data),
					"by", hexSum(f.data), "time", at(when.Add(time.Minute))))
			}
			current[[2]int{0, 1}] = f
		}
	}
	closed := [][]byte{entry(tb, "file-closed", "tender", tenderID, "file", "1", "offers", "4", "time", at(deadline.Add(time.Minute)))}
	if !lie.twoStage {
		closed = append(closed, entry(tb, "file-closed", "tender", tenderID, "file", "2", "offers", "4", "time", at(deadline.Add(time.Minute))))
	}
	logAll(closed...)
	cps := []audit.SignedCheckpoint{}
	checkpoint := func() {
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		cps = append(cps, audit.SignedCheckpoint{Signed: cp})
	}
	if !lie.noCheckpoint {
		checkpoint()
	}

	// Opening a part: its beacon signature, batches, the opening, one
	// append of the outcomes and the report.
	passed := map[string]bool{}
	open := func(file int, round uint64, opening time.Time, members []string, withheld func(bidder string) bool) []byte {
		sig, err := beacon.Signature(ctx, round)
		if err != nil {
			tb.Fatal(err)
		}
		log(entry(tb, "beacon-signature-used", "tender", tenderID, "chain", chain.HashHex(), "round", strconv.FormatUint(round, 10),
			"signature", hex.EncodeToString(sig), "time", at(opening)))
		opener, err := sealer.NewOpener(chain, round, sig)
		if err != nil {
			tb.Fatal(err)
		}
		contributions := map[int64][]sealer.Contribution{}
		participants := members
		for _, u := range members {
			answers := map[int64]string{}
			for i := range bidders {
				f := current[[2]int{i, file}]
				if f == nil || withheld(f.bidder) {
					continue
				}
				h, err := sealer.Inspect(bytes.NewReader(f.data[:len(f.data)]), chain)
				if err != nil {
					tb.Fatal(err)
				}
				c, err := sealer.Contribute(h, committee, keys[u])
				if err != nil {
					tb.Fatal(err)
				}
				contributions[f.index] = append(contributions[f.index], c)
				answers[f.index] = audit.AnswerContributed
			}
			list := audit.AnswerList(answers)
			m := committee.Index(keys[u].Recipient())
			if lie.phantomMember && file == 1 && u == members[len(members)-1] {
				continue // the batch is never logged, its contributions used all the same
			}
			log(entry(tb, "contributions-received", "tender", tenderID, "file", strconv.Itoa(file), "member", strconv.Itoa(m),
				"user", u, "contributed", strconv.Itoa(len(answers)), "claimed", "0", "refused", "0",
				"list", hex.EncodeToString(list[:]), "time", at(opening.Add(time.Minute))))
		}
		report := &audit.OpeningReport{Tender: tenderID, File: file, Chain: chain.HashHex(), Round: round, Signature: sig,
			Committee: committee.ID(), Threshold: k, Members: 5, Time: opening.Add(time.Hour)}
		var outcomes [][]byte
		counts := map[string]int{}
		for i := range bidders {
			f := current[[2]int{i, file}]
			if f == nil {
				continue
			}
			sum := sha256.Sum256(f.data)
			line := audit.OpenedOffer{Index: f.index, Bidder: f.bidder, SHA256: sum, Size: int64(len(f.data))}
			kv := []string{"tender", tenderID, "bidder", f.bidder, "file", strconv.Itoa(file), "sha256", hex.EncodeToString(sum[:])}
			if withheld(f.bidder) {
				line.Outcome = audit.OutcomeWithheld
				outcomes = append(outcomes, entry(tb, "file-withheld", append(kv, "time", at(opening.Add(time.Hour)))...))
			} else {
				target := sealer.Target{Chain: chain, Round: round, Members: committee, Tender: tenderID, Bidder: f.bidder, File: file}
				if lie.wrongPart && f.bidder == "bidder-0002" && file == 2 {
					target.File, target.Round = 1, r1
					opener, _ = sealer.NewOpener(chain, r1, func() []byte { s, _ := beacon.Signature(ctx, r1); return s }())
				}
				pt, tally, err := opener.Open(bytes.NewReader(f.data), int64(len(f.data)), target, contributions[f.index])
				var doc []byte
				if err == nil {
					doc, err = io.ReadAll(pt)
				}
				if lie.wrongPart && f.bidder == "bidder-0002" && file == 2 {
					opener, _ = sealer.NewOpener(chain, round, sig)
				}
				line.Contributors = tally.Authenticated
				if err == nil {
					line.Outcome, line.Digest = audit.OutcomeOpened, sha256.Sum256(doc)
					outcomes = append(outcomes, entry(tb, "file-opened", append(kv, "plaintext", hex.EncodeToString(line.Digest[:]),
						"time", at(opening.Add(time.Hour)))...))
				} else {
					oe := err.(*sealer.OpenError)
					w := &audit.WitnessReport{Tender: tenderID, Bidder: f.bidder, File: file, SHA256: sum, Size: line.Size,
						Index: f.index, Stanzas: oe.Stanzas, Step: oe.Step, Fault: oe.Fault, Detail: "the payload does not authenticate",
						Time: opening.Add(time.Hour), Witnesses: slices.Sorted(slices.Values(participants))}
					for m := 1; m <= 5; m++ {
						a := audit.AnswerAbsent
						if slices.Contains(tally.Authenticated, m) {
							a = audit.AnswerContributed
						}
						w.Members = append(w.Members, audit.MemberAnswer{Member: m, User: users[m-1], Answer: a})
					}
					if lie.witnessAnswers {
						for i := range w.Members {
							if w.Members[i].Answer == audit.AnswerAbsent {
								w.Members[i].Answer = audit.AnswerClaimedKey
								break
							}
						}
						for i := range w.Members {
							if w.Members[i].Answer == audit.AnswerContributed {
								w.Members[i].Answer = audit.AnswerAbsent
								break
							}
						}
					}
					signed, err := w.Sign(reportS)
					if err != nil {
						tb.Fatal(err)
					}
					b.Witness[f.index] = signed
					line.Outcome, line.Digest = audit.OutcomeFailed, sha256.Sum256(signed)
					outcomes = append(outcomes, entry(tb, "file-failed", append(kv, "report", hexSum(signed), "fault", oe.Fault,
						"time", at(opening.Add(time.Hour)))...))
				}
			}
			counts[line.Outcome]++
			report.Offers = append(report.Offers, line)
		}
		signed, err := report.Sign(reportS)
		if err != nil {
			tb.Fatal(err)
		}
		outcomes = append(outcomes, entry(tb, "file-opening-report", "tender", tenderID, "file", strconv.Itoa(file), "report", hexSum(signed),
			"opened", strconv.Itoa(counts[audit.OutcomeOpened]), "failed", strconv.Itoa(counts[audit.OutcomeFailed]),
			"withheld", strconv.Itoa(counts[audit.OutcomeWithheld]), "time", at(opening.Add(time.Hour))))
		logAll(outcomes...)
		return signed
	}
	members := []string{"pokja-1", "pokja-2", "pokja-3", "pokja-4"} // pokja-5 is absent
	b.OpeningReport = open(1, r1, opening1, members, func(string) bool { return false })

	// The evaluation: bidder-0001 fails; bidder-0003, whose File I did not
	// open, fails too.
	evaluate := func() {
		ev := &audit.Evaluation{Tender: tenderID}
		for i, bidder := range bidders {
			if lie.skipBidder && i == 2 {
				continue
			}
			pass := i == 0 || i == 2 || lie.passFailedFile && i == 3
			passed[bidder] = pass
			ev.Bidders = append(ev.Bidders, audit.EvaluatedBidder{Bidder: bidder, Passed: pass, Reasons: sha256.Sum256([]byte("alasan " + bidder))})
		}
		doc, err := ev.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		digest := hexSum(doc)
		approvers := members[:k]
		if lie.fewApprovals {
			approvers = approvers[:k-1]
		}
		for _, u := range approvers[:len(approvers)-1] {
			log(entry(tb, "evaluation-approved", "tender", tenderID, "evaluation", digest, "by", u, "time", at(opening1.Add(2*time.Hour))))
		}
		fixing := [][]byte{entry(tb, "evaluation-approved", "tender", tenderID, "evaluation", digest, "by", approvers[len(approvers)-1],
			"time", at(opening1.Add(2*time.Hour)))}
		var np int
		for _, l := range ev.Bidders {
			reasons := l.Reasons
			if lie.reasonsAfter && l.Bidder == "bidder-0001" {
				reasons[0] ^= 1
			}
			fixing = append(fixing, entry(tb, "bidder-evaluated", "tender", tenderID, "bidder", l.Bidder, "result", l.Result(),
				"reasons", hex.EncodeToString(reasons[:]), "time", at(opening1.Add(2*time.Hour))))
			if l.Passed {
				np++
			}
		}
		fixing = append(fixing, entry(tb, "evaluation-fixed", "tender", tenderID, "evaluation", digest, "passed", strconv.Itoa(np),
			"failed", strconv.Itoa(len(ev.Bidders)-np), "time", at(opening1.Add(2*time.Hour))))
		logAll(fixing...)
	}
	withheld := func(bidder string) bool {
		if lie.openFailedPrice && bidder == "bidder-0001" {
			return false
		}
		if lie.withholdPassed && bidder == "bidder-0000" {
			return true
		}
		return !passed[bidder]
	}
	if lie.twoStage {
		evaluate()
		announced := opening1.Add(2*time.Hour + 10*time.Minute)
		log(entry(tb, "stage-two-announced", "tender", tenderID, "deadline", at(deadline2), "opening", at(opening2),
			"round", strconv.FormatUint(r2, 10), "chain", chain.HashHex(), "time", at(announced)))
		n := 0
		for i, bidder := range bidders {
			if !passed[bidder] && !(lie.stageTwoFailed && i == 1) {
				continue
			}
			f := seal(bidder, 2, "stage 2 of "+bidder, 2)
			receive(f, announced.Add(time.Duration(i+1)*time.Minute))
			current[[2]int{i, 2}] = f
			n++
		}
		log(entry(tb, "file-closed", "tender", tenderID, "file", "2", "offers", strconv.Itoa(n), "time", at(deadline2.Add(time.Minute))))
		checkpoint()
		b.OpeningReport2 = open(2, r2, opening2, members[:3], func(string) bool { return false })
	} else if lie.fileIIEarly { // File II opened first, then the evaluation fixed
		for i, bidder := range bidders {
			passed[bidder] = i == 0 || i == 2
		}
		b.OpeningReport2 = open(2, r2, opening2, members[:3], withheld)
		evaluate()
	} else {
		evaluate()
		b.OpeningReport2 = open(2, r2, opening2, members[:3], withheld)
	}
	log(entry(tb, "result-announced", "tender", tenderID, "winner", "bidder-0000", "result", hexSum([]byte("hasil")),
		"time", at(opening2.Add(48*time.Hour))))
	checkpoint()
	b.Checkpoints = cps
	b.Sealed = sealedFiles
	if err := b.Prove(ctx, l); err != nil {
		tb.Fatal(err)
	}
	return &v2Run{trusted: trusted, bundle: b}
}

// TestVerifyTwoFile verifies the bundle of a two-file tender whose
// committee has one member absent, one File I superseded and one failing
// at opening, and one bidder failing the evaluation, whose File II is
// withheld; and read back from a directory.
func TestVerifyTwoFile(t *testing.T) {
	run := runTwoFile(t, v2Lies{})
	res, err := audit.Verify(run.bundle, *run.trusted)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "two-file" || res.Offers != 4 || res.Opened != 5 || res.Failed != 1 || res.Withheld != 2 || res.Superseded != 1 ||
		res.Receipts != 9 || res.Sealed != 9 {
		t.Errorf("Verify = %+v", res)
	}
	dir := t.TempDir()
	if err := run.bundle.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	read, err := audit.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(read, *run.trusted); err != nil {
		t.Fatalf("the bundle read back: %v", err)
	}
}

// TestVerifyTwoStage verifies a two-stage tender's bundle, and refuses one
// whose stage 2 took a file from a bidder who failed stage 1 (check 3,
// parts).
func TestVerifyTwoStage(t *testing.T) {
	run := runTwoFile(t, v2Lies{twoStage: true})
	res, err := audit.Verify(run.bundle, *run.trusted)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "two-stage" || res.Opened != 5 || res.Failed != 1 || res.Withheld != 0 {
		t.Errorf("Verify = %+v", res)
	}
	run = runTwoFile(t, v2Lies{twoStage: true, stageTwoFailed: true})
	_, err = audit.Verify(run.bundle, *run.trusted)
	var ae *audit.Error
	if !errors.As(err, &ae) || ae.Check != "parts" {
		t.Errorf("Verify of a stage 2 file from a failed bidder: %v; want check parts to refuse it", err)
	}
}

// TestTamperTwoFile runs the engine's lies, each signed and logged
// consistently, and checks that each check of doc/spec/opening.md §10 —
// and only it — refuses its lie.
func TestTamperTwoFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lie   v2Lies
		check string
	}{
		{"a minority threshold", v2Lies{threshold: 2}, "committee"},
		{"members out of their keys' order", v2Lies{swapMembers: true}, "committee"},
		{"File II's round before its opening's", v2Lies{round2Early: true}, "rounds"},
		{"no checkpoint before the beacon", v2Lies{noCheckpoint: true}, "rounds"},
		{"a file after the deadline", v2Lies{lateFile: true}, "time"},
		{"a File I replaced without file-superseded", v2Lies{noSuperseded: true}, "parts"},
		{"an evaluation fixed by k−1", v2Lies{fewApprovals: true}, "evaluation"},
		{"an evaluation without a bidder", v2Lies{skipBidder: true}, "evaluation"},
		{"a bidder whose File I failed passes", v2Lies{passFailedFile: true}, "evaluation"},
		{"an evaluation that does not rebuild", v2Lies{reasonsAfter: true}, "evaluation"},
		{"a failed bidder's price opened", v2Lies{openFailedPrice: true}, "file-ii"},
		{"a passed bidder's price withheld", v2Lies{withholdPassed: true}, "file-ii"},
		{"File II before the evaluation", v2Lies{fileIIEarly: true}, "file-ii"},
		{"a contributor without a batch", v2Lies{phantomMember: true}, "contributors"},
		{"a witness report's answers", v2Lies{witnessAnswers: true}, "contributors"},
		{"a file-received entry's header", v2Lies{wrongHeader: true}, "sealed"},
		{"a File I accepted as File II", v2Lies{wrongPart: true}, "sealed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runTwoFile(t, tc.lie)
			_, err := audit.Verify(run.bundle, *run.trusted)
			var ae *audit.Error
			if !errors.As(err, &ae) || ae.Check != tc.check {
				t.Errorf("Verify: %v; want check %q to refuse it", err, tc.check)
			}
		})
	}
}
