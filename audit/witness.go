package audit

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"

	"golang.org/x/mod/sumdb/note"
)

// witnessHeader is the first line of a version 1 witness report
// (doc/spec/reports.md §2).
const witnessHeader = "segel-witness-report/v1\n"

// MaxWitnessReportSize is the largest signed witness report accepted, in bytes.
const MaxWitnessReportSize = 16 << 10

const (
	maxStanzas   = 32
	maxStanzaLen = 128
	maxWitnesses = 32
)

// Steps of opening an offer, in the order the engine runs them; a witness
// report names the one that failed (doc/spec/reports.md §2). The steps
// of the file itself are package sealer's, which names them in its
// OpenError; Verify checks that a sealed file fails Inspect exactly when
// its witness report says StepHeader or StepInspect.
const (
	StepMissing       = "missing"                // a committed offer's file never arrived
	StepStorageRead   = "storage-read"           // the stored blob could not be read or differs from the receipt
	StepHeader        = sealer.StepHeader        // the age header does not parse
	StepInspect       = sealer.StepInspect       // sealer.Inspect refuses the header or its target
	StepTimeLockHalf  = sealer.StepTimeLockHalf  // the IBE half does not decrypt with the round's signature
	StepCommitteeHalf = sealer.StepCommitteeHalf // the committee half does not decrypt
	StepHeaderMAC     = sealer.StepHeaderMAC     // the header MAC does not verify
	StepPayload       = sealer.StepPayload       // the file ends before its payload, or the payload fails authentication
)

var steps = []string{StepMissing, StepStorageRead, StepHeader, StepInspect,
	StepTimeLockHalf, StepCommitteeHalf, StepHeaderMAC, StepPayload}

// Faults: who is to blame for an offer that did not open.
const (
	FaultFile   = "file"   // the file as sealed by the bidder
	FaultSystem = "system" // storage, the beacon or the engine
)

// A WitnessReport is the berita acara kesaksian of one offer that could not
// be opened (regulation art. 16.2), doc/spec/reports.md §2.
type WitnessReport struct {
	Tender    string
	Bidder    string
	SHA256    [32]byte  // digest of the sealed file as received
	Size      int64     // its size in bytes
	Index     int64     // log index of its offer-received entry
	Stanzas   []string  // stanza types of its age header, in file order; nil if unreadable
	Step      string    // the step that failed, one of the Step constants
	Fault     string    // FaultFile or FaultSystem
	Detail    string    // what happened, in words; no personal data
	Time      time.Time // encoded in UTC
	Witnesses []string  // committee member ids present, strictly ascending
}

// Marshal returns the canonical text of r, or an error wrapping ErrMalformed
// if r is not a valid report.
func (r *WitnessReport) Marshal() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: witness report: %v", ErrMalformed, err)
	}
	var b strings.Builder
	b.WriteString(witnessHeader)
	fmt.Fprintf(&b, "tender: %s\nbidder: %s\nsha256: %x\nsize: %d\nindex: %d\n",
		r.Tender, r.Bidder, r.SHA256[:], r.Size, r.Index)
	for _, s := range r.Stanzas {
		fmt.Fprintf(&b, "stanza: %s\n", s)
	}
	fmt.Fprintf(&b, "step: %s\nfault: %s\ndetail: %s\ntime: %s\n", r.Step, r.Fault, r.Detail, canon.FormatTime(r.Time))
	for _, w := range r.Witnesses {
		fmt.Fprintf(&b, "witness: %s\n", w)
	}
	if b.Len() > MaxWitnessReportSize {
		return nil, fmt.Errorf("%w: witness report is %d bytes, more than %d", ErrMalformed, b.Len(), MaxWitnessReportSize)
	}
	return []byte(b.String()), nil
}

// Sign returns r as a note signed with the report key s.
func (r *WitnessReport) Sign(s note.Signer) ([]byte, error) {
	text, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: string(text)}, s)
	if err != nil {
		return nil, fmt.Errorf("audit: signing witness report: %v", err)
	}
	if len(signed) > MaxWitnessReportSize {
		return nil, fmt.Errorf("%w: signed witness report is %d bytes, more than %d", ErrMalformed, len(signed), MaxWitnessReportSize)
	}
	return signed, nil
}

// VerifyWitnessReport verifies a signed witness report against the pinned
// report key and returns it. Errors wrap ErrMalformed or ErrSignature.
func VerifyWitnessReport(signed []byte, reportKey note.Verifier) (*WitnessReport, error) {
	text, err := canon.OpenNote(signed, MaxWitnessReportSize, reportKey, ErrSignature, ErrMalformed)
	if err != nil {
		return nil, fmt.Errorf("witness report: %w", err)
	}
	return ParseWitnessReport([]byte(text))
}

// ParseWitnessReport parses the canonical text of a witness report (the
// signed note's text, without signatures). It does not verify anything.
// Errors wrap ErrMalformed.
func ParseWitnessReport(text []byte) (*WitnessReport, error) {
	r, err := parseWitness(text)
	if err != nil {
		return nil, fmt.Errorf("%w: witness report: %v", ErrMalformed, err)
	}
	return r, nil
}

func parseWitness(text []byte) (*WitnessReport, error) {
	if len(text) > MaxWitnessReportSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(text), MaxWitnessReportSize)
	}
	rest, ok := strings.CutPrefix(string(text), witnessHeader)
	if !ok {
		return nil, fmt.Errorf("first line is not %q", strings.TrimSpace(witnessHeader))
	}
	l := canon.Lines{Text: rest}
	r := new(WitnessReport)
	var err error
	var v string
	if r.Tender, err = l.Next("tender"); err != nil {
		return nil, err
	}
	if r.Bidder, err = l.Next("bidder"); err != nil {
		return nil, err
	}
	if v, err = l.Next("sha256"); err != nil {
		return nil, err
	}
	if r.SHA256, err = canon.ParseSHA256(v); err != nil {
		return nil, err
	}
	if v, err = l.Next("size"); err != nil {
		return nil, err
	}
	if r.Size, err = canon.ParseUint(v); err != nil {
		return nil, fmt.Errorf("size: %v", err)
	}
	if v, err = l.Next("index"); err != nil {
		return nil, err
	}
	if r.Index, err = canon.ParseUint(v); err != nil {
		return nil, fmt.Errorf("index: %v", err)
	}
	for l.Peek("stanza") && len(r.Stanzas) <= maxStanzas {
		v, _ = l.Next("stanza")
		r.Stanzas = append(r.Stanzas, v)
	}
	if r.Step, err = l.Next("step"); err != nil {
		return nil, err
	}
	if r.Fault, err = l.Next("fault"); err != nil {
		return nil, err
	}
	if r.Detail, err = l.Next("detail"); err != nil {
		return nil, err
	}
	if v, err = l.Next("time"); err != nil {
		return nil, err
	}
	if r.Time, err = canon.ParseTime(v); err != nil {
		return nil, err
	}
	for l.Peek("witness") && len(r.Witnesses) <= maxWitnesses {
		v, _ = l.Next("witness")
		r.Witnesses = append(r.Witnesses, v)
	}
	if err := l.End(); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// check validates every field of r.
func (r *WitnessReport) check() error {
	if err := canon.KindID.Check(r.Tender); err != nil {
		return fmt.Errorf("tender: %v", err)
	}
	if err := canon.KindID.Check(r.Bidder); err != nil {
		return fmt.Errorf("bidder: %v", err)
	}
	if r.Size < 0 || r.Index < 0 {
		return fmt.Errorf("size and index must not be negative")
	}
	if len(r.Stanzas) > maxStanzas {
		return fmt.Errorf("more than %d stanza lines", maxStanzas)
	}
	for _, s := range r.Stanzas {
		if len(s) == 0 || len(s) > maxStanzaLen || strings.IndexFunc(s, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
			return fmt.Errorf("stanza type %q must be 1 to %d bytes of printable ASCII", s, maxStanzaLen)
		}
	}
	if !slices.Contains(steps, r.Step) {
		return fmt.Errorf("unknown step %q", r.Step)
	}
	if err := canon.KindFault.Check(r.Fault); err != nil {
		return fmt.Errorf("%v, not %.20q", err, r.Fault)
	}
	if err := canon.KindText.Check(r.Detail); err != nil {
		return fmt.Errorf("detail: %v", err)
	}
	if y := r.Time.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time out of range")
	}
	if len(r.Witnesses) == 0 || len(r.Witnesses) > maxWitnesses {
		return fmt.Errorf("1 to %d witness lines required", maxWitnesses)
	}
	for i, w := range r.Witnesses {
		if err := canon.KindID.Check(w); err != nil {
			return fmt.Errorf("witness: %v", err)
		}
		if i > 0 && r.Witnesses[i-1] >= w {
			return fmt.Errorf("witnesses must be strictly ascending")
		}
	}
	return nil
}

func hexString(h [32]byte) string { return hex.EncodeToString(h[:]) }
