package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"

	"github.com/segel-lpse/segel/sealer"
)

// The checks of a v2 tender's bundle (doc/spec/opening.md §10), after the
// checks every bundle passes (version, keys, checkpoints, inclusion).

// replayV2 replays the v2 tender and checks, for each part, that a
// checkpoint fixed its files before its beacon signature was used.
func (v *verifier) replayV2() error {
	t, err := replayV2(v.b.Entries, v.parsed, v.b.Chain)
	if err != nil {
		return err
	}
	v.logV2, v.received = t, t.received
	v.res.Method = t.method
	for f := 1; f <= 2; f++ {
		p := t.parts[f]
		if p == nil {
			continue
		}
		closing := false
		for n := range v.bySize {
			closing = closing || p.closedIndex < n && n <= p.beaconIndex
		}
		if !closing {
			return fail("checkpoints/", "rounds", ErrMissingFile,
				"no checkpoint fixes file %d's files before its beacon signature was used (none of size %d to %d)", f, p.closedIndex+1, p.beaconIndex)
		}
		for _, o := range p.current {
			switch o.outcome {
			case OutcomeOpened:
				v.res.Opened++
			case OutcomeFailed:
				v.res.Failed++
			case OutcomeWithheld:
				v.res.Withheld++
			}
		}
		for _, subs := range p.subs {
			v.res.Superseded += len(subs) - 1
		}
	}
	v.res.Round = t.parts[1].round
	v.res.Offers = len(t.parts[1].current)
	return nil
}

// openingReportsV2 checks each part's signed version 2 opening report
// against the log, and its contributors (check 6).
func (v *verifier) openingReportsV2() error {
	t := v.logV2
	for f := 1; f <= 2; f++ {
		file, signed := fileReport, v.b.OpeningReport
		if f == 2 {
			file, signed = fileReport2, v.b.OpeningReport2
		}
		p := t.parts[f]
		if p == nil {
			if signed != nil {
				return fail(file, "opening-report", ErrUnknownFile, "the tender has no file %d", f)
			}
			continue
		}
		if signed == nil {
			return fail(file, "opening-report", ErrMissingFile, "file %d's opening report is missing", f)
		}
		if err := v.openingReportV2(file, signed, p); err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) openingReportV2(file string, signed []byte, p *part) error {
	bad := func(check, format string, args ...any) error {
		return fail(file, check, ErrMismatch, format, args...)
	}
	t := v.logV2
	r, err := VerifyOpeningReport(signed, v.reportKey)
	if err != nil {
		return &Error{File: file, Check: "opening-report", Err: err}
	}
	if sum := sha256.Sum256(signed); hex.EncodeToString(sum[:]) != p.reportDigest {
		return bad("opening-report", "SHA-256 %x is not the report %s of file-opening-report entry %d", sum, p.reportDigest, p.reportIndex)
	}
	switch {
	case r.File != p.file || r.Tender != v.b.Tender:
		return bad("opening-report", "the report of file %d of tender %s, not of file %d", r.File, r.Tender, p.file)
	case r.Chain != t.chain || r.Round != p.round || !bytes.Equal(r.Signature, p.signature):
		return bad("opening-report", "chain, round or signature differ from beacon-signature-used entry %d", p.beaconIndex)
	case r.Committee != t.committeeID || r.Threshold != t.k || r.Members != len(t.users):
		return bad("committee", "committee %s (%d of %d), the log's is %s (%d of %d)", r.Committee, r.Threshold, r.Members,
			t.committeeID, t.k, len(t.users))
	case len(r.Offers) != len(p.current):
		return bad("opening-report", "%d files listed, the log has %d current files %d", len(r.Offers), len(p.current), p.file)
	}
	for k, o := range r.Offers {
		c := p.current[k]
		if o.Index != c.index || o.Bidder != c.bidder || hexString(o.SHA256) != c.sha256 || o.Size != c.size {
			return bad("opening-report", "line %d lists %s %x at entry %d; the log's current file is %s %s at entry %d",
				k+1, o.Bidder, o.SHA256, o.Index, c.bidder, c.sha256, c.index)
		}
		if o.Outcome != c.outcome || o.Outcome != OutcomeWithheld && hexString(o.Digest) != c.digest {
			return bad("opening-report", "the file of %s is %s %x; the log says %s %s", o.Bidder, o.Outcome, o.Digest, c.outcome, c.digest)
		}
		for _, m := range o.Contributors {
			if at, ok := p.contributed[m]; !ok || at > p.reportIndex {
				return bad("contributors", "member %d (%s) is listed as a contributor to %s's file, but the log has no batch of it for file %d before the report",
					m, t.users[m-1], o.Bidder, p.file)
			}
		}
	}
	return nil
}

// witnessV2 checks the version 2 witness report of every failed file
// (check 6: its members' answers agree with the report's contributors,
// and its step with the threshold).
func (v *verifier) witnessV2() error {
	t := v.logV2
	v.witnesses = make(map[int64]*WitnessReport)
	for f := 1; f <= 2; f++ {
		p := t.parts[f]
		if p == nil {
			continue
		}
		signedReport := v.b.OpeningReport
		if f == 2 {
			signedReport = v.b.OpeningReport2
		}
		r, _ := VerifyOpeningReport(signedReport, v.reportKey) // checked by openingReportsV2
		for k, o := range p.current {
			if o.outcome != OutcomeFailed {
				continue
			}
			file := fmt.Sprintf("witness/%d.txt", o.index)
			bad := func(format string, args ...any) error { return fail(file, "witness", ErrMismatch, format, args...) }
			signed, ok := v.b.Witness[o.index]
			if !ok {
				return fail(file, "witness", ErrMissingFile, "failed file %s of %s has no witness report", o.sha256, o.bidder)
			}
			if sum := sha256.Sum256(signed); hex.EncodeToString(sum[:]) != o.digest {
				return bad("SHA-256 %x is not the report %s of the file-failed entry", sum, o.digest)
			}
			w, err := VerifyWitnessReport(signed, v.reportKey)
			if err != nil {
				return &Error{File: file, Check: "witness", Err: err}
			}
			switch {
			case w.Tender != v.b.Tender || w.Bidder != o.bidder || w.File != f || hexString(w.SHA256) != o.sha256 || w.Size != o.size || w.Index != o.index:
				return bad("report of file %d of %s %x at entry %d, not of the failed file %d of %s %s at entry %d",
					w.File, w.Bidder, w.SHA256, w.Index, f, o.bidder, o.sha256, o.index)
			case w.Fault != o.fault:
				return bad("fault %s, the file-failed entry says %s", w.Fault, o.fault)
			}
			if err := t.checkAnswers(w, r.Offers[k].Contributors); err != nil {
				return fail(file, "contributors", ErrMismatch, "%v", err)
			}
			for _, u := range w.Witnesses {
				if !slices.Contains(t.users, u) {
					return bad("witness %s is not on the committee", u)
				}
			}
			v.witnesses[o.index] = w
		}
	}
	for i := range v.b.Witness {
		if _, ok := v.witnesses[i]; !ok {
			return fail(fmt.Sprintf("witness/%d.txt", i), "witness", ErrUnknownFile, "no failed file at entry %d", i)
		}
	}
	return nil
}

// checkAnswers checks a witness report's member lines against the
// committee and the report line's contributors (opening.md §10.6).
func (t *tenderLogV2) checkAnswers(w *WitnessReport, contributors []int) error {
	if len(w.Members) == 0 {
		if len(contributors) > 0 {
			return fmt.Errorf("the report lists contributors %v for a file that failed at step %s, before any counted", contributors, w.Step)
		}
		return nil
	}
	if len(w.Members) != len(t.users) {
		return fmt.Errorf("%d member lines, the committee has %d members", len(w.Members), len(t.users))
	}
	var contributed []int
	for _, m := range w.Members {
		if m.User != t.users[m.Member-1] {
			return fmt.Errorf("member %d is %s, not %s", m.Member, m.User, t.users[m.Member-1])
		}
		if m.Answer == AnswerContributed {
			contributed = append(contributed, m.Member)
		}
	}
	if !slices.Equal(contributed, contributors) {
		return fmt.Errorf("the witness report's contributed members %v are not the opening report's contributors %v", contributed, contributors)
	}
	if (w.Step == StepContribution || w.Step == StepContributions) && len(contributed) >= t.k {
		return fmt.Errorf("step %s with %d contributions, not fewer than the threshold %d", w.Step, len(contributed), t.k)
	}
	return nil
}

// beaconV2 checks each part's beacon signature against the chain.
func (v *verifier) beaconV2() error {
	for f := 1; f <= 2; f++ {
		p := v.logV2.parts[f]
		if p == nil {
			continue
		}
		if err := v.b.Chain.VerifySignature(p.round, p.signature); err != nil {
			return fail(fmt.Sprintf("entries/%d.txt", p.beaconIndex), "beacon", ErrSignature,
				"the signature is not the chain's signature of round %d (file %d): %v", p.round, f, err)
		}
	}
	return nil
}

// sealedV2 checks every sealed file present (check 7): digest and size,
// Inspect with its size, its part's target, and its header's SHA-256 the
// file-received entry's.
func (v *verifier) sealedV2() error {
	if v.b.Sealed == nil {
		return nil
	}
	des, err := fs.ReadDir(v.b.Sealed, ".")
	if err != nil {
		return fail("sealed/", "sealed", ErrMalformed, "%v", err)
	}
	t := v.logV2
	for _, de := range des {
		file := "sealed/" + de.Name()
		i, ok := indexName(de.Name(), sealedExt)
		e, received := v.received[i]
		if !ok || !received {
			return fail(file, "sealed", ErrUnknownFile, "not named after a file-received entry")
		}
		f, _ := strconv.Atoi(e.Value("file"))
		target := sealer.Target{Chain: v.b.Chain, Round: t.parts[f].round, Members: t.committee, Tender: v.b.Tender,
			Bidder: e.Value("bidder"), File: f}
		sum, size, inspectErr, err := v.readSealedV2(de.Name(), target, e.Value("header"))
		if err != nil {
			return fail(file, "sealed", ErrMalformed, "%v", err)
		}
		if hex.EncodeToString(sum) != e.Value("sha256") || strconv.FormatInt(size, 10) != e.Value("size") {
			return fail(file, "sealed", ErrMismatch, "SHA-256 %x and size %d differ from file-received entry %d", sum, size, i)
		}
		w := v.witnesses[i]
		broken := w != nil && w.Fault == FaultFile && (w.Step == StepHeader || w.Step == StepInspect)
		switch {
		case inspectErr != nil && !broken:
			return fail(file, "sealed", ErrMismatch, "the file does not pass inspection, and no witness report says so: %v", inspectErr)
		case inspectErr == nil && broken:
			return fail(file, "sealed", ErrMismatch, "the file passes inspection, but witness/%d.txt says step %s failed", i, w.Step)
		}
		v.res.Sealed++
	}
	return nil
}

// readSealedV2 hashes a sealed file in one pass while inspecting its
// header against target, with the file's size, and against the header
// digest logged.
func (v *verifier) readSealedV2(name string, target sealer.Target, header string) (sum []byte, size int64, inspectErr, err error) {
	f, err := v.b.Sealed.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	defer f.Close()
	h := sha256.New()
	n := &counter{w: h}
	r := io.TeeReader(f, n)
	hdr, inspectErr := sealer.Inspect(r, v.b.Chain)
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, 0, nil, err
	}
	if inspectErr == nil {
		inspectErr = hdr.CheckSize(n.n)
	}
	if inspectErr == nil {
		inspectErr = target.Check(hdr)
	}
	if inspectErr == nil && hex.EncodeToString(hdr.Digest[:]) != header {
		inspectErr = fmt.Errorf("its header's SHA-256 %x is not the file-received entry's %s", hdr.Digest, header)
	}
	return h.Sum(nil), n.n, inspectErr, nil
}
