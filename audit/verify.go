package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"

	"golang.org/x/mod/sumdb/note"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"
)

// A Result summarises a verified bundle, for display.
type Result struct {
	Tender      string
	Round       uint64 // the opening round
	Offers      int    // offers current at closing
	Opened      int
	Failed      int
	Withheld    int    // v2: File II files not opened, their bidders having failed File I
	Method      string // v2: single-file, two-file or two-stage; empty for a v1 tender
	Superseded  int    // submissions replaced before closing
	Entries     int    // log entries of the tender
	Checkpoints int    // signed checkpoints, all consistent
	TreeSize    int64  // size of the final checkpoint
	Receipts    int
	Sealed      int // sealed files checked
	// Unpinned names the keys ("log", "receipt", "report", "chain") that the
	// caller did not pin and that were taken from the bundle's keys.txt. If it
	// is not empty, the bundle is only shown to be consistent with itself.
	Unpinned []string
}

// Verify checks bundle b against the trusted keys, following
// doc/spec/audit-bundle.md §4, and returns what it proved. Keys not pinned
// in trusted are taken from b.Keys and listed in Result.Unpinned. The first
// failed check is returned as an *Error naming the file and the check.
//
// Verify reads nothing but b (and b.Sealed, streamed): it needs no network.
func Verify(b *Bundle, trusted Trusted) (*Result, error) {
	v := verifier{b: b, res: &Result{Tender: b.Tender}}
	for _, step := range []func() error{v.version, func() error { return v.keys(trusted) }, v.checkpoints, v.entries} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	// A v2 tender (doc/spec/opening.md §10) has its own replay and checks.
	steps := []func() error{v.replay, v.receipts, v.openingReport, v.witness, v.beacon, v.derived, v.sealed}
	if len(v.parsed) > 0 && isV2(v.b.Entries, v.parsed) {
		steps = []func() error{v.replayV2, v.receipts, v.openingReportsV2, v.witnessV2, v.beaconV2, v.derived, v.sealedV2}
	} else if v.b.OpeningReport2 != nil {
		return nil, fail(fileReport2, "opening-report", ErrUnknownFile, "a tender sealed to one committee key has one opening report")
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return v.res, nil
}

type verifier struct {
	b   *Bundle
	res *Result

	logKey, receiptKey, reportKey note.Verifier
	chain                         string

	final     auditlog.Checkpoint
	bySize    map[int64]auditlog.Checkpoint
	parsed    []auditlog.Entry
	log       *tenderLog
	logV2     *tenderLogV2
	received  map[int64]auditlog.Entry // every offer-received (file-received) entry, by index
	witnesses map[int64]*WitnessReport
}

func (v *verifier) version() error {
	if err := canon.KindID.Check(v.b.Tender); err != nil {
		return fail(fileBundle, "version", ErrMalformed, "tender: %v", err)
	}
	return nil
}

// keys picks every key from trusted, or else from the bundle.
func (v *verifier) keys(trusted Trusted) error {
	claimed := v.b.Keys
	if claimed == nil {
		claimed = &Trusted{}
	}
	pick := func(name string, pinned, own note.Verifier) (note.Verifier, error) {
		switch {
		case pinned != nil && own != nil && (pinned.Name() != own.Name() || pinned.KeyHash() != own.KeyHash()):
			return nil, fail(fileKeys, "keys", ErrMismatch, "the bundle's %s key %s+%08x is not the pinned key %s+%08x",
				name, own.Name(), own.KeyHash(), pinned.Name(), pinned.KeyHash())
		case pinned != nil:
			return pinned, nil
		case own != nil:
			v.res.Unpinned = append(v.res.Unpinned, name)
			return own, nil
		}
		return nil, fail(fileKeys, "keys", ErrMissingFile, "no %s key, pinned or in the bundle", name)
	}
	var err error
	if v.logKey, err = pick("log", trusted.Log, claimed.Log); err != nil {
		return err
	}
	if v.receiptKey, err = pick("receipt", trusted.Receipt, claimed.Receipt); err != nil {
		return err
	}
	if v.reportKey, err = pick("report", trusted.Report, claimed.Report); err != nil {
		return err
	}
	switch {
	case trusted.Chain != "" && claimed.Chain != "" && trusted.Chain != claimed.Chain:
		return fail(fileKeys, "keys", ErrMismatch, "the bundle's chain %s is not the pinned chain %s", claimed.Chain, trusted.Chain)
	case trusted.Chain != "":
		v.chain = trusted.Chain
	case claimed.Chain != "":
		v.chain = claimed.Chain
		v.res.Unpinned = append(v.res.Unpinned, "chain")
	default:
		return fail(fileKeys, "keys", ErrMissingFile, "no chain hash, pinned or in the bundle")
	}
	if v.b.Chain.IsZero() || v.b.Chain.HashHex() != v.chain {
		return fail(fileChain, "keys", ErrMismatch, "chain.json is not the chain %s", v.chain)
	}
	return nil
}

// checkpoints verifies every checkpoint and the consistency of successive ones.
func (v *verifier) checkpoints() error {
	cps := v.b.Checkpoints
	if len(cps) == 0 {
		return fail("checkpoints/", "checkpoint", ErrMissingFile, "no checkpoint")
	}
	v.bySize = make(map[int64]auditlog.Checkpoint, len(cps))
	var prev auditlog.Checkpoint
	for i, sc := range cps {
		file := fmt.Sprintf("checkpoints/%d.txt", sc.Size)
		c, err := auditlog.VerifyCheckpoint(sc.Signed, v.logKey)
		if err != nil {
			return &Error{File: file, Check: "checkpoint", Err: wrapLog(err)}
		}
		if c.Size != sc.Size {
			return fail(file, "checkpoint", ErrMismatch, "checkpoint of size %d", c.Size)
		}
		if i > 0 {
			cfile := fmt.Sprintf("consistency/%d-%d.txt", prev.Size, c.Size)
			if c.Size <= prev.Size {
				return fail(file, "checkpoint", ErrMismatch, "tree sizes must strictly increase")
			}
			if err := auditlog.CheckConsistency(prev, c, sc.Consistency); err != nil {
				return &Error{File: cfile, Check: "consistency", Err: wrapLog(err)}
			}
		}
		v.bySize[c.Size] = c
		prev = c
	}
	v.final = prev
	v.res.Checkpoints, v.res.TreeSize = len(cps), prev.Size
	return nil
}

// wrapLog re-wraps an auditlog error with this package's sentinel.
func wrapLog(err error) error {
	switch {
	case errors.Is(err, auditlog.ErrSignature):
		return fmt.Errorf("%w: %v", ErrSignature, err)
	case errors.Is(err, auditlog.ErrInvalidProof):
		return fmt.Errorf("%w: %v", ErrProof, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

// entries parses every entry and checks its inclusion in the final checkpoint.
func (v *verifier) entries() error {
	v.parsed = make([]auditlog.Entry, len(v.b.Entries))
	for k, le := range v.b.Entries {
		file := fmt.Sprintf("entries/%d.txt", le.Index)
		if k > 0 && le.Index <= v.b.Entries[k-1].Index {
			return fail(file, "inclusion", ErrMismatch, "entries must be in strictly increasing index order")
		}
		e, err := auditlog.ParseEntry(le.Data)
		if err != nil {
			return &Error{File: file, Check: "inclusion", Err: wrapLog(err)}
		}
		if e.Value("tender") != v.b.Tender {
			return fail(file, "inclusion", ErrMismatch, "%s entry is not of tender %s", e.Type, v.b.Tender)
		}
		if err := auditlog.CheckInclusion(le.Data, le.Index, v.final, le.Inclusion); err != nil {
			return fail(file, "inclusion", ErrProof, "inclusion/%d.txt does not prove it is entry %d of checkpoints/%d.txt: %v",
				le.Index, le.Index, v.final.Size, err)
		}
		v.parsed[k] = e
	}
	v.res.Entries = len(v.b.Entries)
	return nil
}

// beacon checks the beacon signature the log says was used.
func (v *verifier) beacon() error {
	t := v.log
	if err := v.b.Chain.VerifySignature(t.round, t.signature); err != nil {
		return fail(fmt.Sprintf("entries/%d.txt", t.beaconIndex), "beacon", ErrSignature,
			"the signature is not the chain's signature of round %d: %v", t.round, err)
	}
	return nil
}

// replay replays the tender and checks the closing checkpoint.
func (v *verifier) replay() error {
	t, err := replay(v.b.Entries, v.parsed, v.b.Chain)
	if err != nil {
		return err
	}
	v.log, v.received = t, t.received
	closing := false
	for n := range v.bySize {
		closing = closing || t.closedIndex < n && n <= t.beaconIndex
	}
	if !closing {
		return fail("checkpoints/", "replay", ErrMissingFile,
			"no checkpoint fixes the offers before the beacon signature was used (none of size %d to %d)", t.closedIndex+1, t.beaconIndex)
	}
	v.res.Round = t.round
	v.res.Offers = len(t.current)
	v.res.Opened, v.res.Failed = int(t.opened), int(t.failed)
	for _, subs := range t.subs {
		v.res.Superseded += len(subs) - 1
	}
	return nil
}

// receipts verifies the proof file of every offer-received entry.
func (v *verifier) receipts() error {
	keys := auditlog.Keys{Log: v.logKey, Receipt: v.receiptKey}
	byIndex := make(map[int64][]byte, len(v.b.Entries))
	for _, le := range v.b.Entries {
		byIndex[le.Index] = le.Data
	}
	for _, i := range slices.Sorted(maps.Keys(v.received)) {
		file := fmt.Sprintf("receipts/%d.txt", i)
		pf, ok := v.b.Receipts[i]
		if !ok {
			return fail(file, "receipt", ErrMissingFile, "%s entry %d has no receipt", v.received[i].Type, i)
		}
		r, c, err := auditlog.VerifyProofFile(pf, keys)
		if err != nil {
			return &Error{File: file, Check: "receipt", Err: wrapLog(err)}
		}
		if r.Index != i {
			return fail(file, "receipt", ErrMismatch, "receipt of entry %d (bidder %s), not of entry %d", r.Index, r.Bidder, i)
		}
		want, err := r.Entry().Marshal()
		if err != nil || !bytes.Equal(want, byIndex[i]) {
			return fail(file, "receipt", ErrMismatch, "receipt does not match entries/%d.txt", i)
		}
		if have, ok := v.bySize[c.Size]; !ok || have.Hash != c.Hash {
			return fail(file, "receipt", ErrMismatch, "its checkpoint of size %d is not one of checkpoints/", c.Size)
		}
	}
	for i := range v.b.Receipts {
		if _, ok := v.received[i]; !ok {
			return fail(fmt.Sprintf("receipts/%d.txt", i), "receipt", ErrUnknownFile, "no offer-received or file-received entry %d in the bundle", i)
		}
	}
	v.res.Receipts = len(v.received)
	return nil
}

// openingReport checks the signed opening report against the log.
func (v *verifier) openingReport() error {
	bad := func(sentinel error, format string, args ...any) error {
		return fail(fileReport, "opening-report", sentinel, format, args...)
	}
	r, err := VerifyOpeningReport(v.b.OpeningReport, v.reportKey)
	if err != nil {
		return &Error{File: fileReport, Check: "opening-report", Err: err}
	}
	t := v.log
	if sum := sha256.Sum256(v.b.OpeningReport); hex.EncodeToString(sum[:]) != t.reportDigest {
		return bad(ErrMismatch, "SHA-256 %x is not the report %s of opening-report entry %d", sum, t.reportDigest, t.reportIndex)
	}
	if r.Tender != v.b.Tender || r.Chain != t.chain || r.Round != t.round || !bytes.Equal(r.Signature, t.signature) {
		return bad(ErrMismatch, "tender, chain, round or signature differ from beacon-signature-used entry %d", t.beaconIndex)
	}
	if len(r.Offers) != len(t.current) {
		return bad(ErrMismatch, "%d offers listed, the log has %d current offers", len(r.Offers), len(t.current))
	}
	for k, o := range r.Offers {
		c := t.current[k]
		if o.Index != c.index || o.Bidder != c.bidder || hexString(o.SHA256) != c.sha256 || o.Size != c.size {
			return bad(ErrMismatch, "offer %d lists %s %x at entry %d; the log's current offer is %s %s at entry %d",
				k+1, o.Bidder, o.SHA256, o.Index, c.bidder, c.sha256, c.index)
		}
		if o.Outcome != c.outcome || hexString(o.Digest) != c.digest {
			return bad(ErrMismatch, "offer of %s is %s %x; the log says %s %s", o.Bidder, o.Outcome, o.Digest, c.outcome, c.digest)
		}
	}
	return nil
}

// witness checks the witness report of every failed offer.
func (v *verifier) witness() error {
	v.witnesses = make(map[int64]*WitnessReport)
	for _, o := range v.log.current {
		if o.outcome != OutcomeFailed {
			continue
		}
		file := fmt.Sprintf("witness/%d.txt", o.index)
		signed, ok := v.b.Witness[o.index]
		if !ok {
			return fail(file, "witness", ErrMissingFile, "failed offer %s of %s has no witness report", o.sha256, o.bidder)
		}
		if sum := sha256.Sum256(signed); hex.EncodeToString(sum[:]) != o.digest {
			return fail(file, "witness", ErrMismatch, "SHA-256 %x is not the report %s of the offer-failed entry", sum, o.digest)
		}
		w, err := VerifyWitnessReport(signed, v.reportKey)
		if err != nil {
			return &Error{File: file, Check: "witness", Err: err}
		}
		if w.Tender != v.b.Tender || w.Bidder != o.bidder || hexString(w.SHA256) != o.sha256 || w.Size != o.size || w.Index != o.index {
			return fail(file, "witness", ErrMismatch, "report of %s %x at entry %d, not of the failed offer %s %s at entry %d",
				w.Bidder, w.SHA256, w.Index, o.bidder, o.sha256, o.index)
		}
		if w.Fault != o.fault {
			return fail(file, "witness", ErrMismatch, "fault %s, the offer-failed entry says %s", w.Fault, o.fault)
		}
		v.witnesses[o.index] = w
	}
	for i := range v.b.Witness {
		if _, ok := v.witnesses[i]; !ok {
			return fail(fmt.Sprintf("witness/%d.txt", i), "witness", ErrUnknownFile, "no failed offer at entry %d", i)
		}
	}
	return nil
}

// derived compares the derived files ReadDir read with what b implies.
func (v *verifier) derived() error {
	if v.b.derived == nil {
		return nil
	}
	offers, err := offersFile(v.b.Entries)
	if err != nil {
		return fail(fileOffers, "derived", ErrMalformed, "%v", err)
	}
	beacon, err := beaconFile(v.b.Entries)
	if err != nil {
		return fail(fileBeacon, "derived", ErrMalformed, "%v", err)
	}
	for name, want := range map[string][]byte{fileOffers: offers, fileBeacon: beacon, fileReadme: readme(v.b.Tender)} {
		if !bytes.Equal(v.b.derived[name], want) {
			return fail(name, "derived", ErrMismatch, "not what the log and the signed files say")
		}
	}
	return nil
}

// sealed checks every sealed file present: digest, size and header.
func (v *verifier) sealed() error {
	if v.b.Sealed == nil {
		return nil
	}
	des, err := fs.ReadDir(v.b.Sealed, ".")
	if err != nil {
		return fail("sealed/", "sealed", ErrMalformed, "%v", err)
	}
	for _, de := range des {
		file := "sealed/" + de.Name()
		i, ok := indexName(de.Name(), sealedExt)
		e, received := v.log.received[i]
		if !ok || !received {
			return fail(file, "sealed", ErrUnknownFile, "not named after an offer-received entry")
		}
		sum, size, inspectErr, err := v.readSealed(de.Name())
		if err != nil {
			return fail(file, "sealed", ErrMalformed, "%v", err)
		}
		if hex.EncodeToString(sum) != e.Value("sha256") || strconv.FormatInt(size, 10) != e.Value("size") {
			return fail(file, "sealed", ErrMismatch, "SHA-256 %x and size %d differ from offer-received entry %d", sum, size, i)
		}
		w := v.witnesses[i]
		broken := w != nil && w.Fault == FaultFile && (w.Step == StepHeader || w.Step == StepInspect)
		switch {
		case inspectErr != nil && !broken:
			return fail(file, "sealed", ErrMismatch, "the header does not pass inspection, and no witness report says so: %v", inspectErr)
		case inspectErr == nil && broken:
			return fail(file, "sealed", ErrMismatch, "the header passes inspection, but witness/%d.txt says step %s failed", i, w.Step)
		}
		v.res.Sealed++
	}
	return nil
}

// readSealed hashes a sealed file in one pass while inspecting its header
// against the tender's round, chain and committee key.
func (v *verifier) readSealed(name string) (sum []byte, size int64, inspectErr, err error) {
	f, err := v.b.Sealed.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	defer f.Close()
	h := sha256.New()
	n := &counter{w: h}
	r := io.TeeReader(f, n)
	hdr, inspectErr := sealer.Inspect(r, v.b.Chain)
	if inspectErr == nil && (hdr.Round != v.log.round || hdr.ChainHash != v.log.chain || hdr.CommitteeKeyID != v.log.committeeKey) {
		inspectErr = fmt.Errorf("sealed to round %d, chain %s, committee key %s; the tender's are %d, %s, %s",
			hdr.Round, hdr.ChainHash, hdr.CommitteeKeyID, v.log.round, v.log.chain, v.log.committeeKey)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, 0, nil, err
	}
	// The tee has seen every byte once: what Inspect read and the rest.
	return h.Sum(nil), n.n, inspectErr, nil
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}
