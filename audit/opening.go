package audit

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer"

	"golang.org/x/mod/sumdb/note"
)

// openingHeader is the first line of a version 1 opening report
// (doc/spec/reports.md §3), openingHeaderV2 of version 2 (§6), one per file
// part of a v2 tender.
const (
	openingHeader   = "segel-opening-report/v1\n"
	openingHeaderV2 = "segel-opening-report/v2\n"
)

// MaxOpeningReportSize is the largest signed opening report accepted, in bytes.
const MaxOpeningReportSize = 8 << 20

// Outcomes of an offer in an opening report.
const (
	OutcomeOpened = "opened"
	OutcomeFailed = "failed"
	// OutcomeWithheld is version 2's File II of a bidder who did not pass
	// the File I evaluation: not opened (opening.md §6).
	OutcomeWithheld = "withheld"
)

// An OpeningReport is the berita acara pembukaan of one tender:
// the beacon signature used and the outcome of every offer
// (doc/spec/reports.md §3).
//
// A report with a File is version 2 (reports.md §6): one per file part of
// a v2 tender, naming the committee, with each file's contributors.
type OpeningReport struct {
	Tender    string
	File      int       // version 2: the file part, 1 or 2; 0 in version 1
	Chain     string    // beacon chain hash, lowercase hex
	Round     uint64    // the tender's (version 2: the part's) opening round
	Signature []byte    // the chain's signature of Round
	Committee string    // version 2: the committee id, 16 lowercase hex digits
	Threshold int       // version 2: k
	Members   int       // version 2: n
	Time      time.Time // when the ceremony ended; encoded in UTC
	Offers    []OpenedOffer
}

// An OpenedOffer is one offer line of an opening report.
type OpenedOffer struct {
	Index   int64    // log index of the offer's offer-received (file-received) entry
	Bidder  string   // bidder id
	SHA256  [32]byte // digest of the sealed file
	Size    int64    // size of the sealed file
	Outcome string   // OutcomeOpened, OutcomeFailed or (version 2, File II) OutcomeWithheld
	// Digest is the SHA-256 of the plaintext (opened) or of the signed
	// witness report (failed); zero when withheld.
	Digest [32]byte
	// Contributors are version 2's members whose contributions
	// authenticated, ascending; on an opened line the first k were
	// combined. None when withheld.
	Contributors []int
}

// Marshal returns the canonical text of r, or an error wrapping ErrMalformed
// if r is not a valid report.
func (r *OpeningReport) Marshal() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: opening report: %v", ErrMalformed, err)
	}
	var b strings.Builder
	if r.File == 0 {
		b.WriteString(openingHeader)
		fmt.Fprintf(&b, "tender: %s\nchain: %s\nround: %d\nsignature: %x\n", r.Tender, r.Chain, r.Round, r.Signature)
	} else {
		b.WriteString(openingHeaderV2)
		fmt.Fprintf(&b, "tender: %s\nfile: %d\nchain: %s\nround: %d\nsignature: %x\ncommittee: %s\nthreshold: %d\nmembers: %d\n",
			r.Tender, r.File, r.Chain, r.Round, r.Signature, r.Committee, r.Threshold, r.Members)
	}
	fmt.Fprintf(&b, "time: %s\noffers: %d\n", canon.FormatTime(r.Time), len(r.Offers))
	for _, o := range r.Offers {
		fmt.Fprintf(&b, "offer: %d %s %x %d %s", o.Index, o.Bidder, o.SHA256[:], o.Size, o.Outcome)
		if o.Outcome != OutcomeWithheld {
			fmt.Fprintf(&b, " %x", o.Digest[:])
		}
		if r.File != 0 && o.Outcome != OutcomeWithheld {
			b.WriteString(" " + contributorList(o.Contributors))
		}
		b.WriteString("\n")
	}
	if b.Len() > MaxOpeningReportSize {
		return nil, fmt.Errorf("%w: opening report is %d bytes, more than %d", ErrMalformed, b.Len(), MaxOpeningReportSize)
	}
	return []byte(b.String()), nil
}

// Sign returns r as a note signed with the report key s.
func (r *OpeningReport) Sign(s note.Signer) ([]byte, error) {
	text, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: string(text)}, s)
	if err != nil {
		return nil, fmt.Errorf("audit: signing opening report: %v", err)
	}
	if len(signed) > MaxOpeningReportSize {
		return nil, fmt.Errorf("%w: signed opening report is %d bytes, more than %d", ErrMalformed, len(signed), MaxOpeningReportSize)
	}
	return signed, nil
}

// VerifyOpeningReport verifies a signed opening report against the pinned
// report key and returns it. Errors wrap ErrMalformed or ErrSignature.
func VerifyOpeningReport(signed []byte, reportKey note.Verifier) (*OpeningReport, error) {
	text, err := canon.OpenNote(signed, MaxOpeningReportSize, reportKey, ErrSignature, ErrMalformed)
	if err != nil {
		return nil, fmt.Errorf("opening report: %w", err)
	}
	return ParseOpeningReport([]byte(text))
}

// ParseOpeningReport parses the canonical text of an opening report (the
// signed note's text, without signatures). It does not verify anything.
// Errors wrap ErrMalformed.
func ParseOpeningReport(text []byte) (*OpeningReport, error) {
	r, err := parseOpening(text)
	if err != nil {
		return nil, fmt.Errorf("%w: opening report: %v", ErrMalformed, err)
	}
	return r, nil
}

func parseOpening(text []byte) (*OpeningReport, error) {
	if len(text) > MaxOpeningReportSize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(text), MaxOpeningReportSize)
	}
	rest, v1 := strings.CutPrefix(string(text), openingHeader)
	if !v1 {
		var v2 bool
		if rest, v2 = strings.CutPrefix(string(text), openingHeaderV2); !v2 {
			return nil, fmt.Errorf("first line is not %q or %q", strings.TrimSpace(openingHeader), strings.TrimSpace(openingHeaderV2))
		}
	}
	l := canon.Lines{Text: rest}
	r := new(OpeningReport)
	var err error
	var v string
	if r.Tender, err = l.Next("tender"); err != nil {
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
	if r.Chain, err = l.Next("chain"); err != nil {
		return nil, err
	}
	if v, err = l.Next("round"); err != nil {
		return nil, err
	}
	round, err := canon.ParseUint(v)
	if err != nil {
		return nil, fmt.Errorf("round: %v", err)
	}
	r.Round = uint64(round)
	if v, err = l.Next("signature"); err != nil {
		return nil, err
	}
	if r.Signature, err = canon.ParseHex(v); err != nil {
		return nil, fmt.Errorf("signature: %v", err)
	}
	if !v1 {
		if r.Committee, err = l.Next("committee"); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			key string
			n   *int
		}{{"threshold", &r.Threshold}, {"members", &r.Members}} {
			if v, err = l.Next(f.key); err != nil {
				return nil, err
			}
			n, err := canon.ParseUint(v)
			if err != nil || n > sealer.MaxMembers {
				return nil, fmt.Errorf("%s %.20q is not a canonical decimal up to %d", f.key, v, sealer.MaxMembers)
			}
			*f.n = int(n)
		}
	}
	if v, err = l.Next("time"); err != nil {
		return nil, err
	}
	if r.Time, err = canon.ParseTime(v); err != nil {
		return nil, err
	}
	if v, err = l.Next("offers"); err != nil {
		return nil, err
	}
	n, err := canon.ParseUint(v)
	if err != nil {
		return nil, fmt.Errorf("offers: %v", err)
	}
	// Each offer line is at least 150 bytes (version 2: 80, withheld): a
	// count larger than the text could hold is refused before allocating
	// for it.
	if minLine := map[bool]int64{true: 150, false: 80}[v1]; n > int64(len(l.Text))/minLine {
		return nil, fmt.Errorf("offers: %d lines announced, the text is too short", n)
	}
	r.Offers = make([]OpenedOffer, 0, n)
	for range n {
		if v, err = l.Next("offer"); err != nil {
			return nil, err
		}
		o, err := parseOfferLine(v, !v1)
		if err != nil {
			return nil, err
		}
		r.Offers = append(r.Offers, o)
	}
	if err := l.End(); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

func parseOfferLine(v string, v2 bool) (OpenedOffer, error) {
	var o OpenedOffer
	f := strings.Split(v, " ")
	switch {
	case v2 && len(f) == 5 && f[4] == OutcomeWithheld:
	case v2 && len(f) == 7:
		var err error
		if o.Contributors, err = parseContributors(f[6]); err != nil {
			return o, fmt.Errorf("offer line %.100q: %v", v, err)
		}
		f = f[:6]
	case !v2 && len(f) == 6:
	default:
		return o, fmt.Errorf("offer line %.100q: want 6 fields (version 2: 7, or 5 when withheld)", v)
	}
	var err error
	if o.Index, err = canon.ParseUint(f[0]); err != nil {
		return o, fmt.Errorf("offer index: %v", err)
	}
	o.Bidder = f[1]
	if o.SHA256, err = canon.ParseSHA256(f[2]); err != nil {
		return o, fmt.Errorf("offer: %v", err)
	}
	if o.Size, err = canon.ParseUint(f[3]); err != nil {
		return o, fmt.Errorf("offer size: %v", err)
	}
	o.Outcome = f[4]
	if len(f) == 5 {
		return o, nil
	}
	if o.Digest, err = canon.ParseSHA256(f[5]); err != nil {
		return o, fmt.Errorf("offer: %v", err)
	}
	return o, nil
}

// contributorList is the contributors field of a version 2 offer line:
// "1,2,4", or "-" for none.
func contributorList(ms []int) string {
	if len(ms) == 0 {
		return "-"
	}
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = strconv.Itoa(m)
	}
	return strings.Join(s, ",")
}

// parseContributors parses contributorList's form; check validates it.
func parseContributors(v string) ([]int, error) {
	if v == "-" {
		return nil, nil
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := canon.ParseUint(s)
		if err != nil || n < 1 || n > sealer.MaxMembers || len(out) == sealer.MaxMembers {
			return nil, fmt.Errorf("contributors %.100q: members 1 to %d, separated by commas, or -", v, sealer.MaxMembers)
		}
		out = append(out, int(n))
	}
	return out, nil
}

// check validates every field of r.
func (r *OpeningReport) check() error {
	if err := canon.KindID.Check(r.Tender); err != nil {
		return fmt.Errorf("tender: %v", err)
	}
	if err := canon.KindSHA256.Check(r.Chain); err != nil {
		return fmt.Errorf("chain: %v", err)
	}
	if r.Round > 1<<63-1 {
		return fmt.Errorf("round out of range")
	}
	if len(r.Signature) == 0 || 2*len(r.Signature) > canon.MaxHex {
		return fmt.Errorf("signature must be 1 to %d bytes", canon.MaxHex/2)
	}
	if y := r.Time.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time out of range")
	}
	if r.File != 0 {
		if err := r.checkV2(); err != nil {
			return err
		}
	}
	bidders := make(map[string]bool, len(r.Offers))
	for i, o := range r.Offers {
		if err := canon.KindID.Check(o.Bidder); err != nil {
			return fmt.Errorf("offer bidder: %v", err)
		}
		if o.Index < 0 || o.Size < 0 {
			return fmt.Errorf("offer index and size must not be negative")
		}
		if o.Outcome != OutcomeOpened && o.Outcome != OutcomeFailed && (r.File != 2 || o.Outcome != OutcomeWithheld) {
			return fmt.Errorf("offer outcome %q must be opened or failed (or withheld, in File II's report)", o.Outcome)
		}
		if r.File == 0 && len(o.Contributors) > 0 {
			return fmt.Errorf("a version 1 report has no contributors")
		}
		if i > 0 && r.Offers[i-1].Index >= o.Index {
			return fmt.Errorf("offers must be in strictly ascending index order")
		}
		if bidders[o.Bidder] {
			return fmt.Errorf("bidder %s has two offers", o.Bidder)
		}
		bidders[o.Bidder] = true
	}
	return nil
}

// checkV2 checks what version 2 adds (reports.md §6): the committee, and
// each line's contributors.
func (r *OpeningReport) checkV2() error {
	switch {
	case r.File != 1 && r.File != 2:
		return fmt.Errorf("file %d is not 1 or 2", r.File)
	case len(r.Committee) != 16 || !canon.IsLowerHex(r.Committee):
		return fmt.Errorf("committee %.40q is not 16 lowercase hex digits", r.Committee)
	case r.Members < 1 || r.Members > sealer.MaxMembers || r.Threshold < 1 || r.Threshold > r.Members:
		return fmt.Errorf("a committee of %d with threshold %d is not 1 ≤ k ≤ n ≤ %d", r.Members, r.Threshold, sealer.MaxMembers)
	}
	for _, o := range r.Offers {
		if o.Outcome == OutcomeWithheld {
			if len(o.Contributors) > 0 || o.Digest != [32]byte{} {
				return fmt.Errorf("the withheld file of %s has contributors or a digest", o.Bidder)
			}
			continue
		}
		for i, m := range o.Contributors {
			if m < 1 || m > r.Members || i > 0 && o.Contributors[i-1] >= m {
				return fmt.Errorf("contributors of %s must be members 1 to %d, strictly ascending", o.Bidder, r.Members)
			}
		}
		if o.Outcome == OutcomeOpened && len(o.Contributors) < r.Threshold {
			return fmt.Errorf("the file of %s opened with %d contributors, fewer than the threshold %d", o.Bidder, len(o.Contributors), r.Threshold)
		}
	}
	return nil
}
