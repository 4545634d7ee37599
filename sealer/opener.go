package sealer

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/segel-lpse/segel/sealer/internal/shamir"
	"github.com/segel-lpse/segel/timelock"
)

// An Opener opens version 2 offers of one round on the server, which
// completes the opening (doc/spec/opening.md §5.3): it holds the round's
// verified beacon signature, and takes each offer's contributions from the
// committee's members. It holds no committee key: there is none.
type Opener struct {
	chain timelock.Chain
	round uint64
	tlock *timelock.Identity
}

// NewOpener verifies signature as c's beacon signature for round
// (timelock.ErrBadSignature otherwise) and returns the opener of version 2
// offers of that round.
func NewOpener(c timelock.Chain, round uint64, signature []byte) (*Opener, error) {
	tl, err := timelock.NewIdentity(c, round, signature)
	if err != nil {
		return nil, err
	}
	return &Opener{chain: c, round: round, tlock: tl}, nil
}

// A Tally is what became of the contributions given for one offer.
type Tally struct {
	Threshold     int   // k
	Authenticated []int // members whose contributions authenticated, ascending; the first k are combined
	Refused       []int // members whose contributions failed authentication, ascending: their fault
}

// Open returns the plaintext of the version 2 offer of size bytes read
// from src, sealed to t, opened with the members' contributions cs. t's
// round is the opener's; its Tender, Bidder and File are the offer's.
//
// The steps (offer-v2.md §8): the header as Inspect checks it, with the
// size, and against t (StepHeader, StepInspect); the time-lock half
// (StepTimeLockHalf); at least k authenticated contributions
// (StepContribution, FaultMember, if some failed authentication, else
// StepContributions, FaultCommittee); the shares of the k lowest-indexed
// authenticated members combined, every other authenticated share on
// their polynomial (StepShares); the header MAC (StepHeaderMAC); the
// payload, which must be the header's length (StepPayload, when read).
// A failure is an *OpenError naming the step and the fault.
//
// The Tally is returned whenever the header passed inspection, the offer
// opened or not, so that a member's failed contribution is recorded even
// when k others opened the offer. Contributions that cannot be for this
// offer — another header (ErrOtherOffer), a member out of range or named
// twice — are the caller's mistake, not an OpenError: the server checks
// each with CheckContribution when it arrives.
func (o *Opener) Open(src io.Reader, size int64, t Target, cs []Contribution) (io.Reader, *Tally, error) {
	if t.Members == nil {
		return nil, nil, errors.New("sealer: Opener opens offers sealed to a committee of members (Target.Members)")
	}
	if t.Round != o.round || t.Chain.HashHex() != o.chain.HashHex() {
		return nil, nil, fmt.Errorf("sealer: the opener holds round %d of chain %s, the target is round %d of %s", o.round, o.chain, t.Round, t.Chain)
	}
	f, err := readOffer(src, o.chain, false)
	var oe *OpenError
	switch {
	case errors.As(err, &oe):
		return nil, nil, err
	case err != nil: // another chain
		return nil, nil, &OpenError{Step: StepInspect, Fault: FaultFile, Err: fmt.Errorf("%w: %w", ErrMismatch, err)}
	}
	h := f.header
	err = h.CheckSize(size)
	if err == nil {
		err = t.Check(h)
	}
	if err != nil {
		return nil, nil, &OpenError{Step: StepInspect, Fault: FaultFile, Stanzas: f.types, Err: err}
	}

	tally, shares, err := o.tally(h, cs)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		for _, s := range shares {
			clear(s)
		}
	}()
	k1, err := o.tlock.Unwrap([]*age.Stanza{ibeStanza(f.stanza)})
	if err != nil {
		// Inspect's check of the point is made only now, as for version 1.
		if _, perr := parseV2(o.chain, f.stanza, true); perr != nil {
			return nil, nil, stepError(StepInspect, f.types, perr)
		}
		return nil, tally, stepError(StepTimeLockHalf, f.types, fmt.Errorf("time-lock half does not decrypt: %w", err))
	}
	defer clear(k1)
	if err := tally.enough(f.types); err != nil {
		return nil, tally, err
	}
	k2, err := combine(tally, shares, h.Threshold)
	if err != nil {
		return nil, tally, stepError(StepShares, f.types, err)
	}
	fileKey := make([]byte, fileKeySize)
	subtle.XORBytes(fileKey, k1, k2)
	clear(k2)
	r, err := decryptWith(f, fileKey)
	if err != nil {
		return nil, tally, err
	}
	return &lengthReader{r: r, want: h.Length, types: f.types}, tally, nil
}

// tally authenticates the contributions: the Tally and the authenticated
// shares, indexed like Tally.Authenticated.
func (o *Opener) tally(h *Header, cs []Contribution) (*Tally, [][]byte, error) {
	t := &Tally{Threshold: h.Threshold}
	byMember := make(map[int][]byte)
	seen := make(map[int]bool)
	for _, c := range cs {
		if seen[c.Member] {
			return nil, nil, fmt.Errorf("sealer: two contributions of member %d for one offer", c.Member)
		}
		seen[c.Member] = true
		share, err := authenticate(h, c)
		switch {
		case err == nil:
			t.Authenticated = append(t.Authenticated, c.Member)
			byMember[c.Member] = share
		case errors.Is(err, ErrBadContribution) && c.Member >= 1 && c.Member <= h.Members:
			t.Refused = append(t.Refused, c.Member)
		default:
			return nil, nil, err
		}
	}
	slices.Sort(t.Authenticated)
	slices.Sort(t.Refused)
	shares := make([][]byte, len(t.Authenticated))
	for i, m := range t.Authenticated {
		shares[i] = byMember[m]
	}
	return t, shares, nil
}

// enough fails with an OpenError if fewer than k contributions
// authenticated, blaming the members whose contributions failed, if any,
// else the committee.
func (t *Tally) enough(types []string) error {
	if len(t.Authenticated) >= t.Threshold {
		return nil
	}
	msg := fmt.Sprintf("%d of the %d contributions needed authenticated (%s)", len(t.Authenticated), t.Threshold, members(t.Authenticated))
	if len(t.Refused) == 0 {
		return &OpenError{Step: StepContributions, Fault: FaultCommittee, Stanzas: types, Err: fmt.Errorf("%w: %s", ErrContributions, msg)}
	}
	return &OpenError{Step: StepContribution, Fault: FaultMember, Stanzas: types,
		Err: fmt.Errorf("%w: %s; the contributions of %s failed authentication", ErrContributions, msg, members(t.Refused))}
}

func members(ms []int) string {
	if len(ms) == 0 {
		return "no member"
	}
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = strconv.Itoa(m)
	}
	if len(ms) == 1 {
		return "member " + s[0]
	}
	return "members " + strings.Join(s, ", ")
}

// combine recovers K₂ from the k lowest-indexed authenticated shares and
// checks that the others lie on their polynomial.
func combine(t *Tally, shares [][]byte, k int) ([]byte, error) {
	xs := make([]byte, len(t.Authenticated))
	for i, m := range t.Authenticated {
		xs[i] = byte(m)
	}
	ok, err := shamir.Consistent(xs[:k], shares[:k], xs[k:], shares[k:])
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the authenticated shares of %s are not all on one polynomial of degree %d: the bidder's shares are inconsistent", members(t.Authenticated), k-1)
	}
	return shamir.Combine(xs[:k], shares[:k])
}

// lengthReader names read errors as StepPayload, and checks that the
// document has the length its header states.
type lengthReader struct {
	r     io.Reader
	want  int64
	n     int64
	types []string
}

func (l *lengthReader) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	l.n += int64(n)
	switch {
	case l.n > l.want:
		return n, stepError(StepPayload, l.types, fmt.Errorf("the document is longer than the %d bytes its header states", l.want))
	case err == io.EOF && l.n != l.want:
		return n, stepError(StepPayload, l.types, fmt.Errorf("the document is %d bytes, its header states %d", l.n, l.want))
	case err != nil && err != io.EOF:
		err = stepError(StepPayload, l.types, err)
	}
	return n, err
}
