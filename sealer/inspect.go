package sealer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

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
// after it) and checks, without any secret, what the header alone
// shows (doc/spec/offer.md, "Checks without secrets"):
//
//   - it is an age v1 header that parses, in age's canonical encoding,
//     MAC line included (its form, not its value);
//   - it has exactly one stanza, of type StanzaType, with three canonical
//     arguments: a round, c's chain hash and a committee key id of 16
//     lowercase hex digits;
//   - the stanza body has the exact length of a quicknet IBE ciphertext
//     and an ML-KEM-768 + X25519 wrap, and the IBE ciphertext's point is on
//     the curve and in the prime-order subgroup.
//
// Failures wrap ErrMalformed (or timelock.ErrWrongChain) and say which
// check failed. Whether the round and key id are the tender's is for
// Target.Check.
//
// Inspect cannot check what only the secrets can: that the time-lock half
// decrypts with the round's signature (the beacon has not published it),
// that the committee half decrypts with the committee's key (only the
// committee holds it), that the body was sealed to the round and key the
// arguments name (they are plain text a bidder can rewrite), the header
// MAC (keyed by the file key the halves make), and anything about the
// payload: that it is there, whole and authentic (its chunks are
// authenticated with the same file key). An offer that passes Inspect may
// still fail when opened, at StepTimeLockHalf, StepCommitteeHalf,
// StepHeaderMAC or StepPayload. Open and Identity.Open run the same checks
// (the point's only when the time-lock half fails), so an offer Inspect
// refuses fails to open at StepHeader or StepInspect, and one that Inspect
// and Target.Check accept fails, if at all, later.
func Inspect(r io.Reader, c timelock.Chain) (*Header, error) {
	o, err := readOffer(r, c, true)
	var oe *OpenError
	switch {
	case errors.As(err, &oe) && errors.Is(oe.Err, ErrMalformed):
		return nil, oe.Err
	case oe != nil:
		return nil, fmt.Errorf("%w: %v", ErrMalformed, oe.Err)
	case err != nil:
		return nil, err
	}
	return o.header, nil
}

// truncatedHeader reports whether ExtractHeader failed with err because
// the file, which began as an age file, ended before its header did.
func truncatedHeader(seen []byte, err error) bool {
	const intro = "age-encryption.org/v1\n"
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false
	}
	if len(seen) < len(intro) {
		return len(seen) > 0 && strings.HasPrefix(intro, string(seen))
	}
	return strings.HasPrefix(string(seen), intro)
}

// offerFile is a sealed offer whose header passed Inspect's checks.
type offerFile struct {
	header *Header
	stanza *age.Stanza
	types  []string  // the header's stanza types, for an OpenError
	raw    []byte    // the age header, as age encodes it
	file   io.Reader // the whole file again, from its first byte
}

// readOffer reads the age header of a sealed offer from src and runs
// Inspect's checks against c, but for the time-lock point's unless
// points: opening leaves that to Identity.fileKey, where it costs nothing
// for a good file. It fails with an OpenError at StepHeader or
// StepInspect, or with an error wrapping timelock.ErrWrongChain.
func readOffer(src io.Reader, c timelock.Chain, points bool) (*offerFile, error) {
	var seen bytes.Buffer
	raw, err := age.ExtractHeader(io.TeeReader(src, &seen))
	if err != nil && truncatedHeader(seen.Bytes(), err) {
		return nil, stepError(StepHeader, nil, fmt.Errorf("the file is truncated: it ends inside the header (%d bytes)", seen.Len()))
	} else if err != nil {
		return nil, stepError(StepHeader, nil, fmt.Errorf("not an age file: %w", err))
	}
	stanzas, _, err := timelock.ReadStanzas(bytes.NewReader(raw))
	if err != nil {
		return nil, stepError(StepHeader, nil, err)
	}
	o := &offerFile{raw: raw, file: io.MultiReader(&seen, src)}
	for _, s := range stanzas {
		o.types = append(o.types, s.Type)
	}
	if len(stanzas) != 1 {
		return nil, stepError(StepInspect, o.types, fmt.Errorf("header has %d recipient stanzas, a sealed offer has exactly 1", len(stanzas)))
	}
	o.header, err = parseStanza(c, stanzas[0], points)
	if errors.Is(err, timelock.ErrWrongChain) {
		return nil, err
	} else if err != nil {
		return nil, stepError(StepInspect, o.types, err)
	}
	o.stanza = stanzas[0]
	return o, nil
}

// parseStanza checks an offer stanza's structure. With points, it also
// checks the time-lock ciphertext's point (a subgroup check, costly);
// opening skips that, as timelock's Unwrap checks it anyway, and makes it
// only to name the step when the time-lock half fails.
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
