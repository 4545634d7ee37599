package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
)

// openingHeader is the first line of a version 1 opening report
// (doc/spec/reports.md §3).
const openingHeader = "segel-opening-report/v1\n"

// MaxOpeningReportSize is the largest signed opening report accepted, in bytes.
const MaxOpeningReportSize = 8 << 20

// Outcomes of an offer in an opening report.
const (
	OutcomeOpened = "opened"
	OutcomeFailed = "failed"
)

// An OpeningReport is the berita acara pembukaan of one tender:
// the beacon signature used and the outcome of every offer
// (doc/spec/reports.md §3).
type OpeningReport struct {
	Tender    string
	Chain     string    // beacon chain hash, lowercase hex
	Round     uint64    // the tender's opening round
	Signature []byte    // the chain's signature of Round
	Time      time.Time // when the ceremony ended; encoded in UTC
	Offers    []OpenedOffer
}

// An OpenedOffer is one offer line of an opening report.
type OpenedOffer struct {
	Index   int64    // log index of the offer's offer-received entry
	Bidder  string   // bidder id
	SHA256  [32]byte // digest of the sealed file
	Size    int64    // size of the sealed file
	Outcome string   // OutcomeOpened or OutcomeFailed
	// Digest is the SHA-256 of the plaintext (opened) or of the signed
	// witness report (failed).
	Digest [32]byte
}

// Marshal returns the canonical text of r, or an error wrapping ErrMalformed
// if r is not a valid report.
func (r *OpeningReport) Marshal() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: opening report: %v", ErrMalformed, err)
	}
	var b strings.Builder
	b.WriteString(openingHeader)
	fmt.Fprintf(&b, "tender: %s\nchain: %s\nround: %d\nsignature: %x\ntime: %s\noffers: %d\n",
		r.Tender, r.Chain, r.Round, r.Signature, canon.FormatTime(r.Time), len(r.Offers))
	for _, o := range r.Offers {
		fmt.Fprintf(&b, "offer: %d %s %x %d %s %x\n", o.Index, o.Bidder, o.SHA256[:], o.Size, o.Outcome, o.Digest[:])
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
	rest, ok := strings.CutPrefix(string(text), openingHeader)
	if !ok {
		return nil, fmt.Errorf("first line is not %q", strings.TrimSpace(openingHeader))
	}
	l := canon.Lines{Text: rest}
	r := new(OpeningReport)
	var err error
	var v string
	if r.Tender, err = l.Next("tender"); err != nil {
		return nil, err
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
	// Each offer line is at least 150 bytes: a count larger than the text
	// could hold is refused before allocating for it.
	if n > int64(len(l.Text))/150 {
		return nil, fmt.Errorf("offers: %d lines announced, the text is too short", n)
	}
	r.Offers = make([]OpenedOffer, 0, n)
	for range n {
		if v, err = l.Next("offer"); err != nil {
			return nil, err
		}
		o, err := parseOfferLine(v)
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

func parseOfferLine(v string) (OpenedOffer, error) {
	var o OpenedOffer
	f := strings.Split(v, " ")
	if len(f) != 6 {
		return o, fmt.Errorf("offer line %q: want 6 fields", v)
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
	if o.Digest, err = canon.ParseSHA256(f[5]); err != nil {
		return o, fmt.Errorf("offer: %v", err)
	}
	return o, nil
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
	bidders := make(map[string]bool, len(r.Offers))
	for i, o := range r.Offers {
		if err := canon.KindID.Check(o.Bidder); err != nil {
			return fmt.Errorf("offer bidder: %v", err)
		}
		if o.Index < 0 || o.Size < 0 {
			return fmt.Errorf("offer index and size must not be negative")
		}
		if o.Outcome != OutcomeOpened && o.Outcome != OutcomeFailed {
			return fmt.Errorf("offer outcome %q must be opened or failed", o.Outcome)
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
