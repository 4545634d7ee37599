package sealer

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
)

// Header is what the header of a sealed offer states, read without any
// secret.
type Header struct {
	Round          uint64 // opening round of the beacon chain
	ChainHash      string // the pinned chain's hash, lowercase hex
	CommitteeKeyID string // KeyID of the committee key
}

// Inspect reads the age header of a sealed offer from r (and nothing
// after it) and checks its structure against the pinned chain c: exactly
// one stanza, of type StanzaType, canonical arguments, c's chain hash,
// an exact body length, and a time-lock ciphertext whose point is on the
// curve and in the prime-order subgroup. Failures wrap ErrMalformed (or
// timelock.ErrWrongChain) and say which check failed.
//
// Inspect cannot check the parts only secrets can (the committee's wrap,
// the header MAC); those are checked when the offer is opened.
func Inspect(r io.Reader, c timelock.Chain) (*Header, error) {
	stanzas, _, err := timelock.ReadStanzas(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(stanzas) != 1 {
		return nil, fmt.Errorf("%w: header has %d recipient stanzas, a sealed offer has exactly 1", ErrMalformed, len(stanzas))
	}
	return parseStanza(c, stanzas[0], true)
}

// parseStanza checks an offer stanza's structure. With points, it also
// checks the time-lock ciphertext's point (a subgroup check, costly);
// Identity.Unwrap skips that, as timelock's Unwrap checks it anyway.
func parseStanza(c timelock.Chain, s *age.Stanza, points bool) (*Header, error) {
	switch {
	case s.Type == timelock.StanzaType:
		return nil, fmt.Errorf("%w: this is a plain tlock file (time lock only, no committee key); seal the offer with `segel seal`", ErrMalformed)
	case s.Type != StanzaType:
		return nil, fmt.Errorf("%w: stanza type %.40q, want %q", ErrMalformed, s.Type, StanzaType)
	case len(s.Args) != 3:
		return nil, fmt.Errorf("%w: stanza has %d arguments, want 3 (round, chain hash, committee key id)", ErrMalformed, len(s.Args))
	case !isKeyID(s.Args[2]):
		return nil, fmt.Errorf("%w: committee key id %.40q is not 16 lowercase hex digits", ErrMalformed, s.Args[2])
	case len(s.Body) != bodySize:
		return nil, fmt.Errorf("%w: stanza body is %d bytes, want %d", ErrMalformed, len(s.Body), bodySize)
	}
	if !points {
		round, err := timelock.ParseRound(s.Args[0])
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if s.Args[1] != c.HashHex() {
			return nil, fmt.Errorf("%w: stanza names chain %.64q, pinned chain is %s", timelock.ErrWrongChain, s.Args[1], c)
		}
		return &Header{Round: round, ChainHash: s.Args[1], CommitteeKeyID: s.Args[2]}, nil
	}
	tl, _ := split(s.Args, s.Body)
	round, err := timelock.ParseStanza(c, tl)
	if errors.Is(err, timelock.ErrWrongChain) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%w: time-lock part: %v", ErrMalformed, err)
	}
	return &Header{Round: round, ChainHash: s.Args[1], CommitteeKeyID: s.Args[2]}, nil
}

func isKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Check reports whether h is sealed to t: the same round, chain and
// committee key. The error wraps ErrMismatch and names what differs, in
// words a bidder can act on (reseal to the tender's published target).
func (t Target) Check(h *Header) error {
	if err := t.check(); err != nil {
		return err
	}
	switch {
	case h.ChainHash != t.Chain.HashHex():
		return fmt.Errorf("%w: sealed to beacon chain %s…, the tender uses %s", ErrMismatch, h.ChainHash[:16], t.Chain)
	case h.Round != t.Round:
		return fmt.Errorf("%w: sealed to round %d (%s), the tender opens at round %d (%s)", ErrMismatch,
			h.Round, t.Chain.TimeOf(h.Round).Format("2006-01-02 15:04:05Z"), t.Round, t.Chain.TimeOf(t.Round).Format("2006-01-02 15:04:05Z"))
	case h.CommitteeKeyID != KeyID(t.Committee):
		return fmt.Errorf("%w: sealed to committee key %s, the tender's committee key is %s", ErrMismatch, h.CommitteeKeyID, KeyID(t.Committee))
	}
	return nil
}
