package sealer

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

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
			return nil, stepError(StepInspect, nil, err)
		}
		if err := i.mismatch(h); err != nil {
			mismatch = err
			continue
		}
		return i.fileKey(s, nil)
	}
	if mismatch != nil {
		return nil, fmt.Errorf("%w (%w)", mismatch, age.ErrIncorrectIdentity)
	}
	return nil, age.ErrIncorrectIdentity
}

// mismatch says how h is for another round or committee key than i, or
// returns nil.
func (i *Identity) mismatch(h *Header) error {
	switch {
	case h.Round != i.round:
		return fmt.Errorf("%w: offer opens at round %d, identity holds round %d", timelock.ErrWrongRound, h.Round, i.round)
	case h.CommitteeKeyID != i.keyID:
		return fmt.Errorf("%w: offer is for key %s, identity is key %s", ErrWrongCommittee, h.CommitteeKeyID, i.keyID)
	}
	return nil
}

// fileKey recovers the file key from a well-formed stanza for i's round
// and committee key; types are the header's stanza types, for an
// OpenError.
func (i *Identity) fileKey(s *age.Stanza, types []string) ([]byte, error) {
	tl, hybrid := split(s.Args, s.Body)
	timeHalf, err := i.tlock.Unwrap([]*age.Stanza{tl})
	if err != nil {
		// Inspect's last check, of the point, is made only now: it is
		// also the first thing timelock's Unwrap checks, and making it
		// before would cost every good file a second subgroup check.
		if _, perr := parseStanza(i.chain, s, true); perr != nil {
			return nil, stepError(StepInspect, types, perr)
		}
		return nil, stepError(StepTimeLockHalf, types, fmt.Errorf("time-lock half does not decrypt: %w", err))
	}
	committeeHalf, err := i.committee.Unwrap([]*age.Stanza{hybrid})
	if err != nil {
		return nil, stepError(StepCommitteeHalf, types, fmt.Errorf("committee half does not decrypt with key %s: %w", i.keyID, err))
	}
	fileKey := make([]byte, fileKeySize)
	subtle.XORBytes(fileKey, timeHalf, committeeHalf)
	return fileKey, nil
}

// Open returns the plaintext of the sealed offer read from src. It checks
// the header as Inspect does and against committee's key
// (ErrWrongCommittee), then asks b for the opening round's signature (an
// error wrapping timelock.ErrTooEarly before the round), then decrypts as
// a stream. A file at fault fails with an *OpenError naming the step; a
// payload that was altered or cut fails when read, at StepPayload.
func Open(ctx context.Context, src io.Reader, b timelock.Beacon, committee *age.HybridIdentity) (io.Reader, error) {
	if committee == nil {
		return nil, errors.New("sealer: no committee identity given")
	}
	o, err := readOffer(src, b.Chain(), false)
	if err != nil {
		return nil, err
	}
	if err := v1Only(o.header); err != nil {
		return nil, &OpenError{Step: StepInspect, Fault: FaultFile, Stanzas: o.types, Err: err}
	}
	if id := computeKeyID(committee.Recipient()); o.header.CommitteeKeyID != id {
		return nil, fmt.Errorf("%w: offer is for key %s, the key given is %s", ErrWrongCommittee, o.header.CommitteeKeyID, id)
	}
	sig, err := b.Signature(ctx, o.header.Round)
	if err != nil {
		return nil, err
	}
	id, err := NewIdentity(b.Chain(), o.header.Round, sig, committee)
	if err != nil {
		return nil, err
	}
	return id.decrypt(o)
}

// Open returns the plaintext of the sealed offer read from src, opened
// with i: the steps of the package-level Open, with i's round and key. It
// is how the engine opens a tender's offers, i being the tender's opening
// identity. Every error is an *OpenError naming the step at which the
// file fails (or a read error of src surfaced there: callers that must
// tell the two apart watch their source); an offer sealed to another
// round, chain or committee key than i's fails at StepInspect, with an
// error that also wraps ErrMismatch, as Target.Check refuses it.
func (i *Identity) Open(src io.Reader) (io.Reader, error) {
	o, err := readOffer(src, i.chain, false)
	var oe *OpenError
	switch {
	case errors.As(err, &oe):
		return nil, err
	case err != nil: // another chain
		return nil, &OpenError{Step: StepInspect, Fault: FaultFile, Err: fmt.Errorf("%w: %w", ErrMismatch, err)}
	}
	if err := v1Only(o.header); err != nil {
		return nil, &OpenError{Step: StepInspect, Fault: FaultFile, Stanzas: o.types, Err: err}
	}
	if err := i.mismatch(o.header); err != nil {
		return nil, &OpenError{Step: StepInspect, Fault: FaultFile, Stanzas: o.types, Err: fmt.Errorf("%w: %w", ErrMismatch, err)}
	}
	return i.decrypt(o)
}

// decrypt opens o, whose header passed Inspect's checks and is for i's
// round and committee key.
func (i *Identity) decrypt(o *offerFile) (io.Reader, error) {
	fileKey, err := i.fileKey(o.stanza, o.types)
	if err != nil {
		return nil, err
	}
	r, err := decryptWith(o, fileKey)
	if err != nil {
		return nil, err
	}
	return payloadReader{r, o.types}, nil
}

// decryptWith opens o with its file key. The header MAC is checked on its
// own first, so that a file ending right after a good header fails at
// StepPayload and only a wrong MAC at StepHeaderMAC.
func decryptWith(o *offerFile, fileKey []byte) (io.Reader, error) {
	key := age.NewInjectedFileKeyIdentity(fileKey)
	if _, err := age.DecryptHeader(o.raw, key); err != nil {
		return nil, stepError(StepHeaderMAC, o.types, err)
	}
	// The header checked, age fails only reading the payload's nonce.
	r, err := age.Decrypt(o.file, key)
	if err != nil {
		return nil, stepError(StepPayload, o.types, fmt.Errorf("the file ends before its payload: %w", err))
	}
	return r, nil
}

// payloadReader names read errors of the decrypted payload as StepPayload.
// An error of the underlying source (a storage failure, say) may surface
// here too: callers that must tell the two apart watch their source.
type payloadReader struct {
	r     io.Reader
	types []string
}

func (p payloadReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		err = stepError(StepPayload, p.types, err)
	}
	return n, err
}

// v1Only refuses a version 2 header on version 1's paths, which hold one
// committee key: version 1 readers refuse version 2 by type.
func v1Only(h *Header) error {
	if h.Version == 1 {
		return nil
	}
	return fmt.Errorf("%w: stanza type %s, want %s: a version 2 offer opens with its committee members' contributions (Opener), not with one committee key",
		ErrMismatch, StanzaTypeV2, StanzaType)
}
