package sealer

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
)

// A Contribution is what a committee member sends for one version 2
// offer (doc/spec/offer-v2.md §6): its member key for that offer, which
// opens its share of that offer and nothing else. It never holds, or
// reveals, the member's own key.
type Contribution struct {
	Header [32]byte // SHA-256 of the offer's age header (Header.Digest): which offer it is for
	Member int      // the member's position in the committee, from 1
	Key    [memberKeySize]byte
}

// maxContributionText is the longest text form of a contribution: 64 hex
// digits, a space, one or two digits, a space, 22 base64 characters.
const maxContributionText = 64 + 1 + 2 + 1 + 22

// MarshalText returns c's text form, one line without its LF:
// "<header digest hex> <member> <key, unpadded standard base64>".
func (c Contribution) MarshalText() ([]byte, error) {
	if c.Member < 1 || c.Member > MaxMembers {
		return nil, fmt.Errorf("sealer: contribution of member %d; members are 1 to %d", c.Member, MaxMembers)
	}
	b := make([]byte, 0, maxContributionText)
	b = hex.AppendEncode(b, c.Header[:])
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(c.Member), 10)
	b = append(b, ' ')
	return base64.RawStdEncoding.AppendEncode(b, c.Key[:]), nil
}

// UnmarshalText parses a contribution's text form, and only its canonical
// form: lowercase hex, a canonical decimal from 1 to MaxMembers, base64
// without padding and with zero trailing bits.
func (c *Contribution) UnmarshalText(text []byte) error {
	bad := func(what string) error {
		return fmt.Errorf("sealer: contribution is not \"<header sha256, 64 lowercase hex> <member, 1–%d> <member key, 22 base64 characters>\": %s", MaxMembers, what)
	}
	if len(text) > maxContributionText {
		return bad(fmt.Sprintf("%d bytes, at most %d", len(text), maxContributionText))
	}
	f := bytes.Split(text, []byte(" "))
	if len(f) != 3 {
		return bad(fmt.Sprintf("%d fields", len(f)))
	}
	if len(f[0]) != 64 || !canon.IsLowerHex(string(f[0])) {
		return bad("header digest")
	}
	i, err := canon.ParseUint(string(f[1]))
	if err != nil || i < 1 || i > MaxMembers {
		return bad("member")
	}
	// Exactly 22 characters: the decoder skips CR and LF.
	key, err := base64.RawStdEncoding.Strict().DecodeString(string(f[2]))
	if err != nil || len(f[2]) != 22 || len(key) != memberKeySize {
		return bad("member key")
	}
	var out Contribution
	hex.Decode(out.Header[:], f[0])
	out.Member = int(i)
	copy(out.Key[:], key)
	*c = out
	return nil
}

// Contribute computes member's contribution to the version 2 offer whose
// header is h, sealed to committee c: the member tool's side of the
// opening (doc/spec/opening.md §5.2). The caller has checked h against
// the offer's target with Target.Check, and against the log.
//
// If member's wrap in the offer does not unwrap with its key, or what it
// unwraps does not open its sealed share, Contribute returns a *WrapError
// (ErrWrapDoesNotOpen): the member sends that claim, never a contribution
// the server would find bad. It fails with ErrNotMember if member is not
// on c, and wraps ErrWrongCommittee if h is sealed to another committee.
func Contribute(h *Header, c *Committee, member *age.HybridIdentity) (Contribution, error) {
	if err := checkV2(h); err != nil {
		return Contribution{}, err
	}
	switch {
	case c == nil || member == nil:
		return Contribution{}, errors.New("sealer: Contribute needs the committee and the member's key")
	case h.CommitteeKeyID != c.id || h.Threshold != c.k || h.Members != len(c.members):
		return Contribution{}, fmt.Errorf("%w: the offer is sealed to committee %s (%d of %d), not to %s",
			ErrWrongCommittee, h.CommitteeKeyID, h.Threshold, h.Members, c)
	}
	i := c.Index(member.Recipient())
	if i == 0 {
		return Contribution{}, fmt.Errorf("%w: key %s is not one of the %d members of %s", ErrNotMember, computeKeyID(member.Recipient()), len(c.members), c)
	}
	m, err := member.Unwrap([]*age.Stanza{hybridStanza(h.stanza.Body, i)})
	if err != nil {
		return Contribution{}, &WrapError{Member: i, Err: err}
	}
	defer clear(m)
	share, err := openShare(h.stanza, i, m)
	if err != nil {
		return Contribution{}, &WrapError{Member: i, Share: true, Err: err}
	}
	clear(share)
	out := Contribution{Header: h.Digest, Member: i}
	copy(out.Key[:], m)
	return out, nil
}

// CheckContribution authenticates a contribution to the version 2 offer
// whose header is h, as the server does when a member sends it: the
// contribution must be for this header (ErrOtherOffer otherwise: nobody's
// fault), and its key must open the member's share (ErrBadContribution
// otherwise: the member's fault). It needs no secret but the contribution,
// and not the round's signature.
func CheckContribution(h *Header, c Contribution) error {
	_, err := authenticate(h, c)
	return err
}

// authenticate is CheckContribution returning the share.
func authenticate(h *Header, c Contribution) ([]byte, error) {
	if err := checkV2(h); err != nil {
		return nil, err
	}
	if c.Member < 1 || c.Member > h.Members {
		return nil, fmt.Errorf("%w: it names member %d, the offer's committee has %d", ErrBadContribution, c.Member, h.Members)
	}
	if subtle.ConstantTimeCompare(c.Header[:], h.Digest[:]) != 1 {
		return nil, fmt.Errorf("%w: member %d's contribution was computed from header %x…, this offer's header is %x…",
			ErrOtherOffer, c.Member, c.Header[:8], h.Digest[:8])
	}
	share, err := openShare(h.stanza, c.Member, c.Key[:])
	if err != nil {
		return nil, fmt.Errorf("%w: member %d's key: %v", ErrBadContribution, c.Member, err)
	}
	return share, nil
}

func checkV2(h *Header) error {
	switch {
	case h == nil || h.stanza == nil:
		return errors.New("sealer: no header of a sealed offer given (use the one Inspect returns)")
	case h.Version != 2:
		return fmt.Errorf("sealer: this is a %s offer: it opens with the committee's single key, not with members' contributions", StanzaType)
	}
	return nil
}
