package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"

	"golang.org/x/mod/sumdb/note"
)

// witnessHeader is the first line of a version 1 witness report
// (doc/spec/reports.md §2), witnessHeaderV2 of version 2 (§5), for a v2
// tender's file.
const (
	witnessHeader   = "segel-witness-report/v1\n"
	witnessHeaderV2 = "segel-witness-report/v2\n"
)

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

// Steps of opening a v2 tender's file that version 1 does not have
// (doc/spec/reports.md §5): sealer's steps of Opener.Open.
const (
	StepContribution  = sealer.StepContribution  // fewer than k contributions authenticated, some failed
	StepContributions = sealer.StepContributions // fewer than k contributions authenticated, none failed
	StepShares        = sealer.StepShares        // an authenticated share is off the polynomial
)

var steps = []string{StepMissing, StepStorageRead, StepHeader, StepInspect,
	StepTimeLockHalf, StepCommitteeHalf, StepHeaderMAC, StepPayload}

// stepsV2 are a version 2 witness report's steps, in the order the engine
// runs them; the ones from StepTimeLockHalf on are reached after the
// header passed inspection, and their reports list every member's answer.
var stepsV2 = []string{StepMissing, StepStorageRead, StepHeader, StepInspect,
	StepTimeLockHalf, StepContribution, StepContributions, StepShares, StepHeaderMAC, StepPayload}

// Faults: who is to blame for an offer that did not open.
const (
	FaultFile      = "file"                // the file as sealed by the bidder
	FaultSystem    = "system"              // storage, the beacon or the engine
	FaultMember    = sealer.FaultMember    // version 2: members whose contributions failed authentication
	FaultCommittee = sealer.FaultCommittee // version 2: too few members contributed
)

// Answers of a committee member for one file (reports.md §5, entries.md
// §5 contributions-received).
const (
	AnswerContributed  = "contributed"   // its contribution authenticated
	AnswerRefused      = "refused"       // its contribution failed authentication
	AnswerClaimedKey   = "claimed-key"   // its tool says its key wrap does not unwrap
	AnswerClaimedShare = "claimed-share" // its tool says its share does not open
	AnswerAbsent       = "absent"        // none of these
)

var answers = []string{AnswerContributed, AnswerRefused, AnswerClaimedKey, AnswerClaimedShare, AnswerAbsent}

// AnswerList returns the SHA-256 of the list of a member's batch of
// answers (entries.md §5, contributions-received): one line
// "<index> <answer>" LF per file, by ascending log index of its
// file-received entry. The server logs it; the member's tool computes it
// from what it sent and compares.
func AnswerList(answers map[int64]string) [32]byte {
	var b strings.Builder
	for _, index := range slices.Sorted(maps.Keys(answers)) {
		b.WriteString(strconv.FormatInt(index, 10) + " " + answers[index] + "\n")
	}
	return sha256.Sum256([]byte(b.String()))
}

// A MemberAnswer is one member line of a version 2 witness report.
type MemberAnswer struct {
	Member int    // the member's position in the committee, from 1
	User   string // its account
	Answer string // one of the Answer constants
}

// A WitnessReport is the berita acara kesaksian of one offer that could not
// be opened (regulation art. 16.2), doc/spec/reports.md §2.
//
// A report with a File is version 2 (reports.md §5), for a file of a v2
// tender: it names the part, may blame a member or the committee, and
// lists every member's answer.
type WitnessReport struct {
	Tender  string
	Bidder  string
	File    int      // version 2: the file part, 1 or 2; 0 in version 1
	SHA256  [32]byte // digest of the sealed file as received
	Size    int64    // its size in bytes
	Index   int64    // log index of its offer-received (file-received) entry
	Stanzas []string // stanza types of its age header, in file order; nil if unreadable
	Step    string   // the step that failed, one of the Step constants
	Fault   string   // FaultFile or FaultSystem (version 2: FaultMember, FaultCommittee too)
	// Members are version 2's answers of the committee's n members, member
	// i at Members[i-1], when the step is StepTimeLockHalf or later; else
	// none.
	Members   []MemberAnswer
	Detail    string    // what happened, in words; no personal data
	Time      time.Time // encoded in UTC
	Witnesses []string  // committee member ids present (version 2: who took part), strictly ascending
}

// Marshal returns the canonical text of r, or an error wrapping ErrMalformed
// if r is not a valid report.
func (r *WitnessReport) Marshal() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: witness report: %v", ErrMalformed, err)
	}
	var b strings.Builder
	if r.File == 0 {
		b.WriteString(witnessHeader)
		fmt.Fprintf(&b, "tender: %s\nbidder: %s\n", r.Tender, r.Bidder)
	} else {
		b.WriteString(witnessHeaderV2)
		fmt.Fprintf(&b, "tender: %s\nbidder: %s\nfile: %d\n", r.Tender, r.Bidder, r.File)
	}
	fmt.Fprintf(&b, "sha256: %x\nsize: %d\nindex: %d\n", r.SHA256[:], r.Size, r.Index)
	for _, s := range r.Stanzas {
		fmt.Fprintf(&b, "stanza: %s\n", s)
	}
	fmt.Fprintf(&b, "step: %s\nfault: %s\n", r.Step, r.Fault)
	for _, m := range r.Members {
		fmt.Fprintf(&b, "member: %d %s %s\n", m.Member, m.User, m.Answer)
	}
	fmt.Fprintf(&b, "detail: %s\ntime: %s\n", r.Detail, canon.FormatTime(r.Time))
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
	rest, v1 := strings.CutPrefix(string(text), witnessHeader)
	if !v1 {
		var v2 bool
		if rest, v2 = strings.CutPrefix(string(text), witnessHeaderV2); !v2 {
			return nil, fmt.Errorf("first line is not %q or %q", strings.TrimSpace(witnessHeader), strings.TrimSpace(witnessHeaderV2))
		}
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
	if !v1 {
		if v, err = l.Next("file"); err != nil {
			return nil, err
		}
		if r.File, err = parseFile(v); err != nil {
			return nil, err
		}
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
	for !v1 && l.Peek("member") && len(r.Members) <= sealer.MaxMembers {
		v, _ = l.Next("member")
		m, err := parseMemberAnswer(v)
		if err != nil {
			return nil, err
		}
		r.Members = append(r.Members, m)
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
	if r.File != 0 {
		if err := r.checkV2(); err != nil {
			return err
		}
	} else {
		if !slices.Contains(steps, r.Step) {
			return fmt.Errorf("unknown step %q", r.Step)
		}
		if err := canon.KindFault.Check(r.Fault); err != nil {
			return fmt.Errorf("%v, not %.20q", err, r.Fault)
		}
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

// checkV2 checks what version 2 adds: the file part, the steps and faults
// of a v2 file, and the member lines (reports.md §5).
func (r *WitnessReport) checkV2() error {
	if r.File != 1 && r.File != 2 {
		return fmt.Errorf("file %d is not 1 or 2", r.File)
	}
	step := slices.Index(stepsV2, r.Step)
	if step < 0 {
		return fmt.Errorf("unknown step %q", r.Step)
	}
	switch r.Fault {
	case FaultFile, FaultSystem, FaultMember, FaultCommittee:
	default:
		return fmt.Errorf("fault must be file, system, member or committee, not %.20q", r.Fault)
	}
	// The step that failed says whose fault it can be (opening.md §7).
	switch {
	case r.Step == StepContribution && r.Fault != FaultMember, r.Fault == FaultMember && r.Step != StepContribution:
		return fmt.Errorf("fault member goes with step %s, and only it", StepContribution)
	case r.Step == StepContributions && r.Fault != FaultCommittee, r.Fault == FaultCommittee && r.Step != StepContributions:
		return fmt.Errorf("fault committee goes with step %s, and only it", StepContributions)
	}
	inspected := step >= slices.Index(stepsV2, StepTimeLockHalf)
	switch {
	case inspected && len(r.Members) == 0:
		return fmt.Errorf("step %s is reached after the header passed inspection: every member's answer is listed", r.Step)
	case !inspected && len(r.Members) > 0:
		return fmt.Errorf("step %s is before the members' answers count: no member lines", r.Step)
	case len(r.Members) > sealer.MaxMembers:
		return fmt.Errorf("more than %d member lines", sealer.MaxMembers)
	}
	refused := 0
	for i, m := range r.Members {
		if m.Member != i+1 {
			return fmt.Errorf("member line %d names member %d; members are listed 1 to n in order", i+1, m.Member)
		}
		if err := canon.KindID.Check(m.User); err != nil {
			return fmt.Errorf("member %d: %v", m.Member, err)
		}
		if !slices.Contains(answers, m.Answer) {
			return fmt.Errorf("member %d: unknown answer %.20q", m.Member, m.Answer)
		}
		if m.Answer == AnswerRefused {
			refused++
		}
	}
	switch {
	case r.Step == StepContribution && refused == 0:
		return fmt.Errorf("step %s names the members whose contributions failed: none is refused", r.Step)
	case r.Step == StepContributions && refused > 0:
		return fmt.Errorf("step %s is for too few contributions with none refused; a refused one is step %s", r.Step, StepContribution)
	}
	return nil
}

// parseMemberAnswer parses "<i> <user> <answer>".
func parseMemberAnswer(v string) (MemberAnswer, error) {
	f := strings.Split(v, " ")
	if len(f) != 3 {
		return MemberAnswer{}, fmt.Errorf("member line %.80q: want \"<i> <user> <answer>\"", v)
	}
	i, err := canon.ParseUint(f[0])
	if err != nil || i < 1 || i > sealer.MaxMembers {
		return MemberAnswer{}, fmt.Errorf("member line %.80q: member is not 1 to %d", v, sealer.MaxMembers)
	}
	return MemberAnswer{Member: int(i), User: f[1], Answer: f[2]}, nil
}

// parseFile parses a file part: 1 or 2.
func parseFile(v string) (int, error) {
	if v != "1" && v != "2" {
		return 0, fmt.Errorf("file %.20q is not 1 or 2", v)
	}
	return int(v[0] - '0'), nil
}
