package sealer

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"github.com/segel-lpse/segel/timelock"
)

// Identity opens sealed offers of one opening round: it holds the round's
// verified beacon signature and the committee's key.
type Identity struct {
	chain     timelock.Chain
	round     uint64
	tlock     *timelock.Identity
	committee *age.HybridIdentity
	keyID     string
}

var _ age.Identity = (*Identity)(nil)

// NewIdentity verifies signature as c's beacon signature for round
// (timelock.ErrBadSignature otherwise) and returns the identity that opens
// offers sealed to that round and to committee's key.
func NewIdentity(c timelock.Chain, round uint64, signature []byte, committee *age.HybridIdentity) (*Identity, error) {
	if committee == nil {
		return nil, errors.New("sealer: no committee identity given")
	}
	tl, err := timelock.NewIdentity(c, round, signature)
	if err != nil {
		return nil, err
	}
	return &Identity{chain: c, round: round, tlock: tl, committee: committee, keyID: computeKeyID(committee.Recipient())}, nil
}

// Unwrap implements age.Identity. A stanza for another round, chain or
// committee does not match (the error wraps timelock.ErrWrongRound,
// timelock.ErrWrongChain or ErrWrongCommittee, and age.ErrIncorrectIdentity);
// a matching stanza that is malformed or does not decrypt is a hard error
// wrapping ErrMalformed: the file, not the identity, is at fault.
func (i *Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var mismatch error
	for _, s := range stanzas {
		if s.Type != StanzaType {
			continue
		}
		h, err := parseStanza(i.chain, s, false)
		switch {
		case errors.Is(err, timelock.ErrWrongChain):
			mismatch = err
			continue
		case err != nil:
			return nil, stepError(StepInspect, err)
		case h.Round != i.round:
			mismatch = fmt.Errorf("%w: offer opens at round %d, identity holds round %d", timelock.ErrWrongRound, h.Round, i.round)
			continue
		case h.CommitteeKeyID != i.keyID:
			mismatch = fmt.Errorf("%w: offer is for key %s, identity is key %s", ErrWrongCommittee, h.CommitteeKeyID, i.keyID)
			continue
		}
		tl, hybrid := split(s.Args, s.Body)
		timeHalf, err := i.tlock.Unwrap([]*age.Stanza{tl})
		if err != nil {
			return nil, stepError(StepTimeLockHalf, fmt.Errorf("time-lock half does not decrypt: %w", err))
		}
		committeeHalf, err := i.committee.Unwrap([]*age.Stanza{hybrid})
		if err != nil {
			return nil, stepError(StepCommitteeHalf, fmt.Errorf("committee half does not decrypt with key %s: %w", i.keyID, err))
		}
		fileKey := make([]byte, fileKeySize)
		subtle.XORBytes(fileKey, timeHalf, committeeHalf)
		return fileKey, nil
	}
	if mismatch != nil {
		return nil, fmt.Errorf("%w (%w)", mismatch, age.ErrIncorrectIdentity)
	}
	return nil, age.ErrIncorrectIdentity
}

// Open returns the plaintext of the sealed offer read from src. It checks
// the header against committee's key first (ErrWrongCommittee), then asks
// b for the opening round's signature (an error wrapping
// timelock.ErrTooEarly before the round), then decrypts as a stream. A
// payload that was altered fails when read, with age's authentication
// error.
func Open(ctx context.Context, src io.Reader, b timelock.Beacon, committee *age.HybridIdentity) (io.Reader, error) {
	if committee == nil {
		return nil, errors.New("sealer: no committee identity given")
	}
	stanzas, file, err := timelock.ReadStanzas(src)
	if err != nil {
		return nil, stepError(StepHeader, err)
	}
	if len(stanzas) != 1 {
		return nil, stepError(StepInspect, fmt.Errorf("header has %d recipient stanzas, a sealed offer has exactly 1", len(stanzas)))
	}
	h, err := parseStanza(b.Chain(), stanzas[0], true)
	if errors.Is(err, timelock.ErrWrongChain) {
		return nil, err
	} else if err != nil {
		return nil, stepError(StepInspect, err)
	}
	if id := computeKeyID(committee.Recipient()); h.CommitteeKeyID != id {
		return nil, fmt.Errorf("%w: offer is for key %s, the key given is %s", ErrWrongCommittee, h.CommitteeKeyID, id)
	}
	sig, err := b.Signature(ctx, h.Round)
	if err != nil {
		return nil, err
	}
	id, err := NewIdentity(b.Chain(), h.Round, sig, committee)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(file, id)
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			return nil, err
		}
		// After the stanza, age checks the header MAC, then reads the
		// payload nonce.
		step := StepHeaderMAC
		if strings.Contains(err.Error(), "nonce") {
			step = StepPayload
		}
		return nil, stepError(step, err)
	}
	return payloadReader{r}, nil
}

// payloadReader names read errors of the decrypted payload as StepPayload.
// An error of the underlying source (a storage failure, say) may surface
// here too: callers that must tell the two apart watch their source.
type payloadReader struct{ r io.Reader }

func (p payloadReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		err = stepError(StepPayload, err)
	}
	return n, err
}
