package timelock

import (
	"errors"
	"fmt"
	"strconv"

	"filippo.io/age"
)

// StanzaType is the age stanza type drand's tlock defines:
//
//	-> tlock <round> <chain hash hex>
//	base64(U ‖ V ‖ W)
const StanzaType = "tlock"

// Recipient time-locks age file keys to one round of a pinned chain. It
// writes exactly drand's stanza, so drand's tle opens its files.
type Recipient struct {
	key *roundKey
}

var _ age.Recipient = (*Recipient)(nil)

// NewRecipient returns a Recipient for round of c. H1 of the round's
// identity is computed once here, so a Recipient should be reused for
// every file locked to the same round.
func NewRecipient(c Chain, round uint64) (*Recipient, error) {
	if c.IsZero() {
		return nil, errors.New("timelock: no chain given")
	}
	if round == 0 {
		return nil, errors.New("timelock: round 0 does not exist; rounds start at 1")
	}
	return &Recipient{key: newRoundKey(c.c, round)}, nil
}

// Chain returns the chain the recipient locks to.
func (r *Recipient) Chain() Chain { return Chain{r.key.chain} }

// Round returns the round the recipient locks to.
func (r *Recipient) Round() uint64 { return r.key.round }

// Wrap implements age.Recipient.
func (r *Recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	ct, err := r.key.encrypt(fileKey)
	if err != nil {
		return nil, err
	}
	return []*age.Stanza{{
		Type: StanzaType,
		Args: []string{strconv.FormatUint(r.key.round, 10), Chain{r.key.chain}.HashHex()},
		Body: ct.bytes(),
	}}, nil
}

// Identity opens files time-locked to one round of a pinned chain, with
// that round's beacon signature.
type Identity struct {
	chain *chain
	round uint64
	sig   roundSignature // verified, parsed once for every file opened
}

var _ age.Identity = (*Identity)(nil)

// NewIdentity returns an Identity for round of c after verifying that
// signature is the chain's beacon signature for the round (ErrBadSignature
// otherwise).
func NewIdentity(c Chain, round uint64, signature []byte) (*Identity, error) {
	if c.IsZero() {
		return nil, errors.New("timelock: no chain given")
	}
	sig, err := c.c.verifySignature(round, signature)
	if err != nil {
		return nil, err
	}
	return &Identity{chain: c.c, round: round, sig: sig}, nil
}

// Unwrap implements age.Identity. It skips stanzas of other types (such
// as grease). A tlock stanza for another chain or round does not match: if
// no stanza matches, the error wraps ErrWrongChain or ErrWrongRound as
// well as age.ErrIncorrectIdentity. A matching stanza that is malformed or
// does not decrypt is a hard error.
func (i *Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var mismatch error
	for _, s := range stanzas {
		if s.Type != StanzaType || len(s.Args) != 2 {
			continue
		}
		round, ct, err := parseStanza(i.chain, s)
		switch {
		case errors.Is(err, ErrWrongChain):
			mismatch = err
			continue
		case err != nil:
			return nil, err
		case round != i.round:
			mismatch = fmt.Errorf("%w: stanza is for round %d, identity for round %d", ErrWrongRound, round, i.round)
			continue
		}
		key, err := decrypt(i.chain, i.sig, ct)
		if err != nil {
			return nil, err
		}
		return key, nil
	}
	if mismatch != nil {
		return nil, fmt.Errorf("%w (%w)", mismatch, age.ErrIncorrectIdentity)
	}
	return nil, age.ErrIncorrectIdentity
}

// ParseStanza checks, without any secret, that s is a well-formed tlock
// stanza for the pinned chain c and returns its round. It is the check a
// server runs when a file is submitted: canonical decimal round, the
// pinned chain hash (ErrWrongChain otherwise), a body of exactly
// U ‖ V ‖ W, and U a valid compressed point of the key group's
// prime-order subgroup.
func ParseStanza(c Chain, s *age.Stanza) (round uint64, err error) {
	if c.IsZero() {
		return 0, errors.New("timelock: no chain given")
	}
	if s.Type != StanzaType {
		return 0, fmt.Errorf("%w: type %q, want %q", ErrMalformed, s.Type, StanzaType)
	}
	round, _, err = parseStanza(c.c, s)
	return round, err
}

// parseStanza checks a tlock stanza and returns its round and ciphertext.
func parseStanza(c *chain, s *age.Stanza) (uint64, *ciphertext, error) {
	if len(s.Args) != 2 {
		return 0, nil, fmt.Errorf("%w: %d arguments, want 2 (round, chain hash)", ErrMalformed, len(s.Args))
	}
	round, err := ParseRound(s.Args[0])
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if h := s.Args[1]; h != (Chain{c}).HashHex() {
		return 0, nil, fmt.Errorf("%w: stanza names chain %.64q, pinned chain is %s", ErrWrongChain, h, Chain{c})
	}
	if want := c.pointSize() + 2*fileKeySize; len(s.Body) != want {
		return 0, nil, fmt.Errorf("%w: body is %d bytes, want %d", ErrMalformed, len(s.Body), want)
	}
	ct := splitBody(c, s.Body)
	if err := c.parseU(ct); err != nil {
		return 0, nil, fmt.Errorf("%w: U: %v", ErrMalformed, err)
	}
	return round, ct, nil
}

// ParseRound parses a round number in canonical decimal: digits only, no
// sign, no leading zero, not zero, at most 2^64−1.
func ParseRound(s string) (uint64, error) {
	if s == "" || len(s) > 20 {
		return 0, fmt.Errorf("round %.24q is not a decimal number", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("round %.24q is not a decimal number", s)
		}
	}
	if s[0] == '0' {
		return 0, fmt.Errorf("round %q is zero or has a leading zero", s)
	}
	r, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("round %q is out of range", s)
	}
	return r, nil
}

// splitBody splits a body whose length parseStanza checked.
func splitBody(c *chain, body []byte) *ciphertext {
	n := c.pointSize()
	ct := &ciphertext{U: body[:n]}
	copy(ct.V[:], body[n:n+fileKeySize])
	copy(ct.W[:], body[n+fileKeySize:])
	return ct
}
