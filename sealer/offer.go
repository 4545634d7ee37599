package sealer

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"weak"

	"filippo.io/age"
	"github.com/segel-lpse/segel/internal/canon"
	"github.com/segel-lpse/segel/timelock"
)

// StanzaType is the type of a sealed offer's single age stanza:
//
//	-> segel-offer/v1 <round> <chain hash hex> <committee key id>
//	base64(U ‖ V ‖ W ‖ enc ‖ ct)
//
// U ‖ V ‖ W is drand's tlock IBE ciphertext of the first half of the file
// key; enc ‖ ct is age's mlkem768x25519 (HPKE) wrap of the second half.
const StanzaType = "segel-offer/v1"

const (
	fileKeySize = 16
	ibeSize     = 96 + 2*fileKeySize // quicknet layout: U on G2, V, W
	hpkeEncSize = 1088 + 32          // ML-KEM-768 ciphertext ‖ X25519 share
	hpkeCTSize  = fileKeySize + 16   // ChaCha20-Poly1305 of the half key
	bodySize    = ibeSize + hpkeEncSize + hpkeCTSize

	// hybridStanzaType is age's stanza for HybridRecipient.
	hybridStanzaType = "mlkem768x25519"
)

// Target is what an offer is sealed to: a tender's opening round on a
// pinned beacon chain, and its committee, in one of two formats.
//
// With Committee, a single hybrid key, the offer is sealed in format
// version 1 (doc/spec/offer.md), and Tender, Bidder and File stay empty.
// With Members, a k-of-n committee of members' own keys, it is sealed in
// format version 2 (doc/spec/offer-v2.md), for Tender, Bidder and File.
// Exactly one of Committee and Members is set.
type Target struct {
	Chain     timelock.Chain
	Round     uint64
	Committee *age.HybridRecipient

	// Version 2.
	Members *Committee
	Tender  string // the tender id (1–64 letters, digits, '.', '_', '-')
	Bidder  string // the bidder's user id (1–64 letters, digits, '.', '_', '/', '-')
	File    int    // the file part: 1 (File I, or the only file) or 2 (File II)
}

// KeyID returns the committee key id of r: the first 8 bytes of SHA-256
// of its "age1pq1…" string, as 16 lowercase hex digits. It names the key
// in stanzas and tender records without repeating 2 KB of key.
//
// Ids are remembered for as long as their recipient is reachable: the
// bech32 encoding of a 1,200-byte key cost 2.5% of a server's CPU in a
// deadline rush, where every offer is checked against its tender's
// (cached) key.
func KeyID(r *age.HybridRecipient) string {
	wp := weak.Make(r)
	if id, ok := keyIDs.Load(wp); ok {
		return id.(string)
	}
	id := computeKeyID(r)
	if _, loaded := keyIDs.LoadOrStore(wp, id); !loaded {
		runtime.AddCleanup(r, func(wp weak.Pointer[age.HybridRecipient]) { keyIDs.Delete(wp) }, wp)
	}
	return id
}

// computeKeyID is KeyID without the memo, for a recipient used once (such
// as a fresh HybridIdentity.Recipient(), which age allocates per call).
func computeKeyID(r *age.HybridRecipient) string { return keyIDOf(r.String()) }

// keyIDs maps a weak pointer to a recipient to its KeyID. A
// HybridRecipient has only unexported fields and no method that changes
// it, so an id does not go stale (short of overwriting *r with another
// recipient, which nothing here does); a cleanup drops the entry once the
// recipient is collected.
var keyIDs sync.Map

func (t Target) check() error {
	switch {
	case t.Chain.IsZero():
		return errors.New("sealer: target has no beacon chain")
	case t.Chain.Scheme() != timelock.SchemeQuicknet:
		// The stanza's body layout is fixed to keys on G2; quicknet's
		// scheme is the only one new offers are sealed with.
		return fmt.Errorf("sealer: offers are sealed only to %s chains, not %s", timelock.SchemeQuicknet, t.Chain.Scheme())
	case t.Round == 0:
		return errors.New("sealer: target has no opening round")
	case t.Committee != nil && t.Members != nil:
		return errors.New("sealer: target has both a committee key (format version 1) and a committee of members (version 2); give one")
	case t.Committee == nil && t.Members == nil:
		return errors.New("sealer: target has no committee key")
	case t.Committee != nil && (t.Tender != "" || t.Bidder != "" || t.File != 0):
		return errors.New("sealer: a tender, bidder and file part are sealed only with a committee of members (format version 2)")
	case t.Members == nil:
		return nil
	case !canon.IsTenderID(t.Tender):
		return fmt.Errorf("sealer: target's tender %.70q is not a tender id (1–64 letters, digits, '.', '_', '-', the first a letter or digit)", t.Tender)
	case !canon.IsID(t.Bidder):
		return fmt.Errorf("sealer: target's bidder %.70q is not a user id (1–64 letters, digits, '.', '_', '/', '-', the first a letter or digit)", t.Bidder)
	case t.File != 1 && t.File != 2:
		return fmt.Errorf("sealer: target's file part is %d, want 1 (File I, or the only file) or 2 (File II)", t.File)
	}
	return nil
}

// recipient is the composite age.Recipient: time AND committee.
type recipient struct {
	target Target
	tlock  *timelock.Recipient
}

func newRecipient(t Target) (*recipient, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	tl, err := timelock.NewRecipient(t.Chain, t.Round)
	if err != nil {
		return nil, err
	}
	return &recipient{target: t, tlock: tl}, nil
}

func (r *recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	s, _, err := r.WrapWithLabels(fileKey)
	return s, err
}

// WrapWithLabels splits the file key into two XOR shares, so that either
// share alone is uniformly random and says nothing about the key, and
// wraps one share to the round and the other to the committee. The
// random label stops age from accepting any other recipient alongside:
// a second recipient would be a way in that skips the time lock or the
// committee.
func (r *recipient) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	if len(fileKey) != fileKeySize {
		return nil, nil, fmt.Errorf("sealer: file key is %d bytes, want %d", len(fileKey), fileKeySize)
	}
	timeHalf := make([]byte, fileKeySize)
	if _, err := rand.Read(timeHalf); err != nil {
		return nil, nil, err
	}
	committeeHalf := make([]byte, fileKeySize)
	subtle.XORBytes(committeeHalf, fileKey, timeHalf)

	ts, err := r.tlock.Wrap(timeHalf)
	if err != nil {
		return nil, nil, err
	}
	hs, err := r.target.Committee.Wrap(committeeHalf)
	if err != nil {
		return nil, nil, err
	}
	if len(ts) != 1 || len(hs) != 1 || hs[0].Type != hybridStanzaType || len(hs[0].Args) != 1 {
		return nil, nil, errors.New("sealer: unexpected stanzas from the underlying recipients")
	}
	enc, err := base64.RawStdEncoding.Strict().DecodeString(hs[0].Args[0])
	if err != nil {
		return nil, nil, err
	}
	body := make([]byte, 0, bodySize)
	body = append(body, ts[0].Body...)
	body = append(body, enc...)
	body = append(body, hs[0].Body...)
	if len(body) != bodySize {
		return nil, nil, fmt.Errorf("sealer: stanza body is %d bytes, want %d", len(body), bodySize)
	}
	label := make([]byte, 16)
	rand.Read(label)
	return []*age.Stanza{{
		Type: StanzaType,
		Args: []string{
			strconv.FormatUint(r.target.Round, 10),
			r.target.Chain.HashHex(),
			KeyID(r.target.Committee),
		},
		Body: body,
	}}, []string{"segel-offer-alone-" + hex.EncodeToString(label)}, nil
}

// split returns the two underlying stanzas of a composite body whose
// length was checked: a tlock stanza and an mlkem768x25519 stanza.
func split(args []string, body []byte) (tl, hybrid *age.Stanza) {
	tl = &age.Stanza{Type: timelock.StanzaType, Args: []string{args[0], args[1]}, Body: body[:ibeSize]}
	hybrid = &age.Stanza{
		Type: hybridStanzaType,
		Args: []string{base64.RawStdEncoding.EncodeToString(body[ibeSize : ibeSize+hpkeEncSize])},
		Body: body[ibeSize+hpkeEncSize:],
	}
	return tl, hybrid
}
