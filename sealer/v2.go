package sealer

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/sealer/internal/shamir"
	"github.com/segel-lpse/segel/timelock"
	"golang.org/x/crypto/chacha20poly1305"
)

// StanzaTypeV2 is the type of a version 2 sealed offer's single stanza
// (doc/spec/offer-v2.md):
//
//	-> segel-offer/v2 <round> <chain> <committee> <threshold> <length> <tender> <bidder> <file>
//	base64(U ‖ V ‖ W ‖ W₁ ‖ … ‖ Wₙ)
//
// U ‖ V ‖ W is drand's tlock IBE ciphertext of the first half of the file
// key; Wᵢ holds member i's Shamir share of the second half, sealed under a
// fresh member key that age's mlkem768x25519 recipient wraps to member i.
const StanzaTypeV2 = "segel-offer/v2"

const (
	memberKeySize = 16                                               // mᵢ, wrapped as an age file key
	commitSize    = 32                                               // commitᵢ, HKDF's second half
	sealSize      = fileKeySize + 16                                 // sᵢ under ChaCha20-Poly1305
	wrapSize      = hpkeEncSize + hpkeCTSize + commitSize + sealSize // Wᵢ, 1,216 bytes
	v2Args        = 8

	// maxLength caps the length argument, so that a file's size stays
	// far from overflowing an int64.
	maxLength = 1 << 62

	// shareLabel is HKDF's info for member i's share keys, followed by i
	// in decimal.
	shareLabel = "segel-offer/v2 share "
)

// payloadSize returns the size of age's payload for a document of length
// bytes: a 16-byte nonce, then 64 KiB chunks with a 16-byte tag each, an
// empty document being one empty chunk.
func payloadSize(length int64) int64 {
	chunks := max(1, (length+64<<10-1)/(64<<10))
	return 16 + length + 16*chunks
}

// recipientV2 is the composite age.Recipient of format version 2: the
// time lock AND any k of the committee's members.
type recipientV2 struct {
	target Target
	tlock  *timelock.Recipient
	length int64
}

func (r *recipientV2) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	s, _, err := r.WrapWithLabels(fileKey)
	return s, err
}

// WrapWithLabels splits the file key K into K₁, uniformly random and
// time-locked to the round, and K₂ = K ⊕ K₁, Shamir-shared among the
// members (offer-v2.md §4). Before returning, it opens every member's
// share with the member key it made and recombines them: a body that
// would not open with honest contributions never leaves the sealer. The
// random label stops age from accepting any other recipient alongside.
func (r *recipientV2) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	if len(fileKey) != fileKeySize {
		return nil, nil, fmt.Errorf("sealer: file key is %d bytes, want %d", len(fileKey), fileKeySize)
	}
	c := r.target.Members
	members := c.members
	k1 := make([]byte, fileKeySize)
	rand.Read(k1)
	k2 := make([]byte, fileKeySize)
	subtle.XORBytes(k2, fileKey, k1)
	defer clear(k1)
	defer clear(k2)

	ts, err := r.tlock.Wrap(k1)
	if err != nil {
		return nil, nil, err
	}
	if len(ts) != 1 || len(ts[0].Body) != ibeSize {
		return nil, nil, errors.New("sealer: unexpected stanza from the time-lock recipient")
	}
	shares, err := shamir.Split(k2, c.k, len(members))
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		for _, s := range shares {
			clear(s)
		}
	}()
	s := &age.Stanza{
		Type: StanzaTypeV2,
		Args: []string{
			strconv.FormatUint(r.target.Round, 10),
			r.target.Chain.HashHex(),
			c.id,
			strconv.Itoa(c.k),
			strconv.FormatInt(r.length, 10),
			r.target.Tender,
			r.target.Bidder,
			strconv.Itoa(r.target.File),
		},
		Body: make([]byte, 0, ibeSize+wrapSize*len(members)),
	}
	s.Body = append(s.Body, ts[0].Body...)
	keys := make([][]byte, len(members))
	defer func() {
		for _, m := range keys {
			clear(m)
		}
	}()
	for i, member := range members {
		keys[i] = make([]byte, memberKeySize)
		rand.Read(keys[i])
		hs, err := member.Wrap(keys[i])
		if err != nil {
			return nil, nil, fmt.Errorf("sealer: wrapping member %d's key: %w", i+1, err)
		}
		if len(hs) != 1 || hs[0].Type != hybridStanzaType || len(hs[0].Args) != 1 || len(hs[0].Body) != hpkeCTSize {
			return nil, nil, errors.New("sealer: unexpected stanza from age's hybrid recipient")
		}
		enc, err := base64.RawStdEncoding.Strict().DecodeString(hs[0].Args[0])
		if err != nil || len(enc) != hpkeEncSize {
			return nil, nil, errors.New("sealer: unexpected encapsulation from age's hybrid recipient")
		}
		s.Body = append(s.Body, enc...)
		s.Body = append(s.Body, hs[0].Body...)
		key, commit := shareKeys(keys[i], i+1)
		s.Body = append(s.Body, commit...)
		aead, _ := chacha20poly1305.New(key)
		clear(key)
		s.Body = aead.Seal(s.Body, zeroNonce[:], shares[i], shareAAD(s, i+1))
	}
	if err := selfCheck(s, keys, k2, c.k); err != nil {
		return nil, nil, err
	}
	label := make([]byte, 16)
	rand.Read(label)
	return []*age.Stanza{s}, []string{"segel-offer-alone-" + hex.EncodeToString(label)}, nil
}

// selfCheck opens every member's share of s with the member key made for
// it, and checks that the k lowest recombine to k2 and the others agree.
func selfCheck(s *age.Stanza, keys [][]byte, k2 []byte, k int) error {
	xs := make([]byte, len(keys))
	shares := make([][]byte, len(keys))
	for i, m := range keys {
		share, err := openShare(s, i+1, m)
		if err != nil {
			return fmt.Errorf("sealer: self-check: member %d's share does not open: %w", i+1, err)
		}
		xs[i], shares[i] = byte(i+1), share
	}
	got, err := shamir.Combine(xs[:k], shares[:k])
	if err == nil && subtle.ConstantTimeCompare(got, k2) != 1 {
		err = errors.New("the shares do not recombine to the committee half")
	}
	if err == nil {
		var ok bool
		if ok, err = shamir.Consistent(xs[:k], shares[:k], xs[k:], shares[k:]); err == nil && !ok {
			err = errors.New("the shares are not consistent")
		}
	}
	clear(got)
	for _, sh := range shares {
		clear(sh)
	}
	if err != nil {
		return fmt.Errorf("sealer: self-check: %w", err)
	}
	return nil
}

var zeroNonce [chacha20poly1305.NonceSize]byte

// shareKeys derives member i's share key and key commitment from a member
// key m: HKDF-SHA256(m, no salt, "segel-offer/v2 share <i>"), 64 bytes.
func shareKeys(m []byte, i int) (key, commit []byte) {
	okm, err := hkdf.Key(sha256.New, m, nil, shareLabel+strconv.Itoa(i), chacha20poly1305.KeySize+commitSize)
	if err != nil {
		panic("sealer: HKDF: " + err.Error()) // only for lengths over 255·32
	}
	return okm[:chacha20poly1305.KeySize], okm[chacha20poly1305.KeySize:]
}

// shareAAD returns member i's associated data: the stanza line's text
// after "-> ", LF, the IBE ciphertext, and i as one byte.
func shareAAD(s *age.Stanza, i int) []byte {
	var b bytes.Buffer
	b.WriteString(s.Type)
	for _, a := range s.Args {
		b.WriteString(" " + a)
	}
	b.WriteByte('\n')
	b.Write(s.Body[:ibeSize])
	b.WriteByte(byte(i))
	return b.Bytes()
}

// memberWrap returns member i's Wᵢ in a body whose length was checked.
func memberWrap(body []byte, i int) []byte {
	off := ibeSize + (i-1)*wrapSize
	return body[off : off+wrapSize]
}

// hybridStanza reassembles age's mlkem768x25519 stanza of member i's key
// wrap, for HybridIdentity.Unwrap.
func hybridStanza(body []byte, i int) *age.Stanza {
	w := memberWrap(body, i)
	return &age.Stanza{
		Type: hybridStanzaType,
		Args: []string{base64.RawStdEncoding.EncodeToString(w[:hpkeEncSize])},
		Body: w[hpkeEncSize : hpkeEncSize+hpkeCTSize],
	}
}

var errShareCommit = errors.New("the member key does not match the share's key commitment")

// openShare opens member i's sealed share in a well-formed v2 stanza with
// the member key m: the commitment must match (in constant time) and the
// AEAD must open.
func openShare(s *age.Stanza, i int, m []byte) ([]byte, error) {
	if len(m) != memberKeySize {
		return nil, fmt.Errorf("member key is %d bytes, want %d", len(m), memberKeySize)
	}
	w := memberWrap(s.Body, i)
	commit, sealed := w[hpkeEncSize+hpkeCTSize:hpkeEncSize+hpkeCTSize+commitSize], w[hpkeEncSize+hpkeCTSize+commitSize:]
	key, want := shareKeys(m, i)
	defer clear(key)
	if subtle.ConstantTimeCompare(commit, want) != 1 {
		return nil, errShareCommit
	}
	aead, _ := chacha20poly1305.New(key)
	share, err := aead.Open(nil, zeroNonce[:], sealed, shareAAD(s, i))
	if err != nil {
		return nil, errors.New("the sealed share fails authentication")
	}
	return share, nil
}

// parseV2 checks a version 2 stanza's structure (offer-v2.md §7, but for
// the size, which needs the whole file). With points, it also checks the
// time-lock ciphertext's point, as parseStanza does for version 1.
func parseV2(c timelock.Chain, s *age.Stanza, points bool) (*Header, error) {
	if len(s.Args) != v2Args {
		return nil, fmt.Errorf("%w: stanza has %d arguments, want %d (round, chain hash, committee id, threshold, length, tender, bidder, file)", ErrMalformed, len(s.Args), v2Args)
	}
	a := s.Args
	round, err := timelock.ParseRound(a[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if a[1] != c.HashHex() {
		return nil, fmt.Errorf("%w: stanza names chain %.64q, pinned chain is %s", timelock.ErrWrongChain, a[1], c)
	}
	h := &Header{Version: 2, Round: round, ChainHash: a[1], CommitteeKeyID: a[2], Tender: a[5], Bidder: a[6], stanza: s}
	k, errK := canon.ParseUint(a[3])
	length, errL := canon.ParseUint(a[4])
	switch {
	case !isKeyID(a[2]):
		return nil, fmt.Errorf("%w: committee id %.40q is not 16 lowercase hex digits", ErrMalformed, a[2])
	case errK != nil || k < 1 || k > MaxMembers:
		return nil, fmt.Errorf("%w: threshold %.20q is not a canonical decimal from 1 to %d", ErrMalformed, a[3], MaxMembers)
	case errL != nil || length > maxLength:
		return nil, fmt.Errorf("%w: length %.24q is not a canonical decimal up to 2^62", ErrMalformed, a[4])
	case !canon.IsTenderID(a[5]):
		return nil, fmt.Errorf("%w: tender %.70q is not a tender id (1–64 letters, digits, '.', '_', '-')", ErrMalformed, a[5])
	case !canon.IsID(a[6]):
		return nil, fmt.Errorf("%w: bidder %.70q is not a user id (1–64 letters, digits, '.', '_', '/', '-')", ErrMalformed, a[6])
	case a[7] != "1" && a[7] != "2":
		return nil, fmt.Errorf("%w: file part %.20q is neither 1 (File I, or the only file) nor 2 (File II)", ErrMalformed, a[7])
	}
	h.Threshold, h.Length, h.File = int(k), length, int(a[7][0]-'0')
	n := (len(s.Body) - ibeSize) / wrapSize
	if len(s.Body) < ibeSize+wrapSize || (len(s.Body)-ibeSize)%wrapSize != 0 || n > MaxMembers {
		return nil, fmt.Errorf("%w: stanza body is %d bytes, want 128 + 1216·n for 1 to %d members", ErrMalformed, len(s.Body), MaxMembers)
	}
	h.Members = n
	if h.Threshold > n {
		return nil, fmt.Errorf("%w: threshold %d is more than the body's %d members", ErrMalformed, h.Threshold, n)
	}
	seen := make(map[string]int, n)
	for i := 1; i <= n; i++ {
		enc := string(memberWrap(s.Body, i)[:hpkeEncSize])
		if j, dup := seen[enc]; dup {
			return nil, fmt.Errorf("%w: members %d and %d have the same key encapsulation", ErrMalformed, j, i)
		}
		seen[enc] = i
	}
	if points {
		if _, err := timelock.ParseStanza(c, ibeStanza(s)); errors.Is(err, timelock.ErrWrongChain) {
			return nil, err
		} else if err != nil {
			return nil, fmt.Errorf("%w: time-lock part: %v", ErrMalformed, err)
		}
	}
	return h, nil
}

// ibeStanza returns the tlock stanza of a v2 stanza's time-locked half.
func ibeStanza(s *age.Stanza) *age.Stanza {
	return &age.Stanza{Type: timelock.StanzaType, Args: []string{s.Args[0], s.Args[1]}, Body: s.Body[:ibeSize]}
}

// sizeError says how a file's size differs from what its header commits
// to, in words a bidder can act on.
func sizeError(got, want int64) error {
	if got < want {
		return fmt.Errorf("%w: the file is %d bytes but its header says %d: it was cut short (%d bytes missing), in upload or in copy; upload the bidder's original file again, or seal the document again",
			ErrMalformed, got, want, want-got)
	}
	return fmt.Errorf("%w: the file is %d bytes but its header says %d: it has %d bytes after its end, added in upload or in copy; upload the original file again",
		ErrMalformed, got, want, got-want)
}

func fileName(f int) string {
	switch f {
	case 1:
		return "File I"
	case 2:
		return "File II"
	}
	return "file " + strconv.Itoa(f)
}
