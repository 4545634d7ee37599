package sealer

import (
	"bytes"
	"crypto/sha256"
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
	Version        int    // the format: 1 (offer.md) or 2 (offer-v2.md)
	Round          uint64 // opening round of the beacon chain
	ChainHash      string // the pinned chain's hash, lowercase hex
	CommitteeKeyID string // version 1: KeyID of the committee key; version 2: the committee's ID

	// Digest is SHA-256 of the age header, from its first byte through
	// the LF of its "---" line: what the log's file-received entry and a
	// member's contribution name (doc/spec/opening.md §5).
	Digest [32]byte

	// Version 2 only.
	Threshold int    // k
	Members   int    // n, from the body's length
	Length    int64  // the document's length in bytes
	Size      int64  // the whole file's size, which the header commits to
	Tender    string // the tender id the offer is sealed for
	Bidder    string // the bidder's user id
	File      int    // the file part: 1 (File I, or the only file) or 2 (File II)

	stanza *age.Stanza // the offer's stanza, for contributions
}

// CheckSize reports whether a file of size bytes has the size h commits
// to. A version 2 file cut short, or with bytes after its end, fails with
// an error wrapping ErrMalformed that names both sizes and says what to
// do. Version 1 headers commit to no size: CheckSize returns nil.
//
// Inspect calls it when it can measure its reader; a server that reads an
// upload as a stream calls it with the size it stored, before accepting
// the file.
func (h *Header) CheckSize(size int64) error {
	if h.Version != 2 || size == h.Size {
		return nil
	}
	return sizeError(size, h.Size)
}

// Inspect reads the age header of a sealed offer from r (and nothing
// after it) and checks, without any secret, what the header alone
// shows (doc/spec/offer.md, "Checks without secrets"; offer-v2.md §7):
//
//   - it is an age v1 header that parses, in age's canonical encoding,
//     MAC line included (its form, not its value);
//   - it has exactly one stanza, of type StanzaType or StanzaTypeV2, with
//     canonical arguments: a round, c's chain hash and a committee key id
//     of 16 lowercase hex digits (version 2: also a threshold, the
//     document's length, a tender id, a bidder id and a file part);
//   - the stanza body has the exact length of a quicknet IBE ciphertext
//     and an ML-KEM-768 + X25519 wrap (version 2: n members' wraps, no two
//     with the same encapsulation), and the IBE ciphertext's point is on
//     the curve and in the prime-order subgroup;
//   - version 2: the file has the size its header commits to, if r can
//     tell it (r is an io.Seeker: a file, a bytes.Reader); Inspect puts
//     r back where it was. Otherwise the caller checks the size it
//     stored with Header.CheckSize.
//
// Failures wrap ErrMalformed (or timelock.ErrWrongChain) and say which
// check failed. Whether the header names the tender's round, committee
// and (version 2) tender, bidder and file part is for Target.Check.
//
// Inspect cannot check what only the secrets can: that the time-lock half
// decrypts with the round's signature (the beacon has not published it),
// that the committee half decrypts with the committee's key (only the
// committee holds it; version 2: that members' wraps open, only each
// member holds its key), that the body was sealed to the round and key the
// arguments name (they are plain text a bidder can rewrite), the header
// MAC (keyed by the file key the halves make), and the payload's
// authenticity (its chunks are authenticated with the same file key; for
// version 1, not even its length). An offer that passes Inspect may still
// fail when opened, at a later step. Open, Identity.Open and Opener.Open
// run the same checks (the point's only when the time-lock half fails),
// so an offer Inspect refuses fails to open at StepHeader or StepInspect,
// and one that Inspect and Target.Check accept fails, if at all, later.
func Inspect(r io.Reader, c timelock.Chain) (*Header, error) {
	seeker, start := measurable(r)
	h, err := inspectHeader(r, c)
	if err != nil {
		return nil, err
	}
	if seeker != nil && h.Version == 2 {
		size, err := sizeOf(seeker, start)
		if err != nil {
			return nil, fmt.Errorf("sealer: measuring the file: %w", err)
		}
		if err := h.CheckSize(size); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// inspectHeader is Inspect without the size check.
func inspectHeader(r io.Reader, c timelock.Chain) (*Header, error) {
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

// measurable returns r as an io.Seeker and its position, if it is one that
// can tell its position (a pipe cannot).
func measurable(r io.Reader) (io.Seeker, int64) {
	s, ok := r.(io.Seeker)
	if !ok {
		return nil, 0
	}
	pos, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0
	}
	return s, pos
}

// sizeOf returns the size of the file that began at start in s, and puts
// s back where it was.
func sizeOf(s io.Seeker, start int64) (int64, error) {
	pos, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	end, err := s.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := s.Seek(pos, io.SeekStart); err != nil {
		return 0, err
	}
	return end - start, nil
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
	raw    []byte    // the age header, as in the file
	file   io.Reader // the whole file again, from its first byte
}

// readOffer reads the age header of a sealed offer from src and runs
// Inspect's checks against c, but for the time-lock point's unless
// points (opening leaves that to the time-lock unwrap, where it costs
// nothing for a good file) and the size (which needs the whole file). It
// fails with an OpenError at StepHeader or StepInspect, or with an error
// wrapping timelock.ErrWrongChain.
func readOffer(src io.Reader, c timelock.Chain, points bool) (*offerFile, error) {
	var seen bytes.Buffer
	raw, err := age.ExtractHeader(io.TeeReader(src, &seen))
	if err != nil && truncatedHeader(seen.Bytes(), err) {
		return nil, stepError(StepHeader, nil, fmt.Errorf("the file is truncated: it ends inside the header (%d bytes)", seen.Len()))
	} else if err != nil {
		return nil, stepError(StepHeader, nil, fmt.Errorf("not an age file: %w", err))
	}
	if !bytes.HasPrefix(seen.Bytes(), raw) {
		// age's parser is strict, so its encoding of the header is the
		// file's; Digest and Size rely on that.
		return nil, stepError(StepHeader, nil, errors.New("the age header is not in age's canonical encoding"))
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
	o.header.Digest = sha256.Sum256(raw)
	if o.header.Version == 2 {
		o.header.Size = int64(len(raw)) + payloadSize(o.header.Length)
	}
	return o, nil
}

// parseStanza checks an offer stanza's structure, of either version.
// With points, it also checks the time-lock ciphertext's point (a
// subgroup check, costly); opening skips that, as timelock's Unwrap checks
// it anyway, and makes it only to name the step when the time-lock half
// fails.
func parseStanza(c timelock.Chain, s *age.Stanza, points bool) (*Header, error) {
	switch {
	case s.Type == timelock.StanzaType:
		return nil, fmt.Errorf("%w: this is a plain tlock file (time lock only, no committee key); seal the offer with `segel seal`", ErrMalformed)
	case s.Type == StanzaTypeV2:
		return parseV2(c, s, points)
	case s.Type != StanzaType:
		return nil, fmt.Errorf("%w: stanza type %.40q, want %q or %q", ErrMalformed, s.Type, StanzaTypeV2, StanzaType)
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
		return &Header{Version: 1, Round: round, ChainHash: s.Args[1], CommitteeKeyID: s.Args[2], stanza: s}, nil
	}
	tl, _ := split(s.Args, s.Body)
	round, err := timelock.ParseStanza(c, tl)
	if errors.Is(err, timelock.ErrWrongChain) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("%w: time-lock part: %v", ErrMalformed, err)
	}
	return &Header{Version: 1, Round: round, ChainHash: s.Args[1], CommitteeKeyID: s.Args[2], stanza: s}, nil
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
// committee (version 2: the same committee id, threshold and number of
// members, and for t's tender, bidder and file part), in the format t's
// committee calls for. The error wraps ErrMismatch and names what
// differs, in words a bidder can act on (reseal to the tender's published
// target, or upload the file to the right place).
func (t Target) Check(h *Header) error {
	if err := t.check(); err != nil {
		return err
	}
	v2 := t.Members != nil
	switch {
	case h.ChainHash != t.Chain.HashHex():
		return fmt.Errorf("%w: sealed to beacon chain %s…, the tender uses %s", ErrMismatch, h.ChainHash[:16], t.Chain)
	case v2 && h.Version != 2:
		return fmt.Errorf("%w: sealed in format version 1, to a single committee key; the tender's committee is %d of %d members (format version 2): seal the offer again with the tender's committee",
			ErrMismatch, t.Members.k, len(t.Members.members))
	case !v2 && h.Version != 1:
		return fmt.Errorf("%w: sealed in format version 2, to a committee of members; the tender's committee is a single key (format version 1): seal the offer again with the tender's committee key", ErrMismatch)
	// Version 2: which tender, bidder and part a file is for first, so
	// that a File I uploaded as File II is named so, not as the other
	// round that follows from it.
	case v2 && h.Tender != t.Tender:
		return fmt.Errorf("%w: sealed for tender %s, this is tender %s", ErrMismatch, h.Tender, t.Tender)
	case v2 && h.Bidder != t.Bidder:
		return fmt.Errorf("%w: sealed for bidder %s, not %s: each bidder seals its own offer", ErrMismatch, h.Bidder, t.Bidder)
	case v2 && h.File != t.File:
		return fmt.Errorf("%w: sealed as %s, this is the %s upload", ErrMismatch, fileName(h.File), fileName(t.File))
	case h.Round != t.Round:
		return fmt.Errorf("%w: sealed to round %d (%s), the tender opens at round %d (%s)", ErrMismatch,
			h.Round, t.Chain.TimeOf(h.Round).Format("2006-01-02 15:04:05Z"), t.Round, t.Chain.TimeOf(t.Round).Format("2006-01-02 15:04:05Z"))
	case !v2 && h.CommitteeKeyID != KeyID(t.Committee):
		return fmt.Errorf("%w: sealed to committee key %s, the tender's committee key is %s", ErrMismatch, h.CommitteeKeyID, KeyID(t.Committee))
	case v2 && (h.CommitteeKeyID != t.Members.id || h.Threshold != t.Members.k || h.Members != len(t.Members.members)):
		return fmt.Errorf("%w: sealed to committee %s (%d of %d), the tender's is %s", ErrMismatch,
			h.CommitteeKeyID, h.Threshold, h.Members, t.Members)
	}
	return nil
}
