package timelock

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bls12381 "github.com/cloudflare/circl/ecc/bls12381"
)

// Scheme identifiers, as drand names them in its /info document
// (drand/drand crypto/schemes.go). Only unchained schemes can time-lock:
// in a chained scheme the signed message includes the previous signature,
// which nobody knows in advance.
const (
	// SchemeQuicknet is the RFC 9380 compliant scheme used by quicknet:
	// public key on G2, signatures (and so identities) on G1.
	SchemeQuicknet = "bls-unchained-g1-rfc9380"
	// SchemeFastnet is quicknet's layout with the G2 hash-to-curve DST
	// used on G1 (deprecated by drand). Supported for reading old files.
	SchemeFastnet = "bls-unchained-on-g1"
	// SchemePedersenUnchained has the public key on G1 and signatures on G2
	// (drand's testnet-unchained-3s, the first tlock network).
	SchemePedersenUnchained = "pedersen-bls-unchained"
)

// Domain separation tags for H1, the hash of a round's identity to a curve
// point (RFC 9380, expand_message_xmd with SHA-256, random oracle).
const (
	dstG1 = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
	dstG2 = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"
)

// maxInfoSize caps a drand /info document. Real ones are under 1 KiB.
const maxInfoSize = 16 << 10

// Chain is a drand beacon network pinned by its parameters: the scheme, the
// group public key, the genesis time and period, and the chain hash that
// commits to all of them. A Chain is immutable and safe to copy and share.
//
// The chain hash found inside a ciphertext never selects the Chain: callers
// pin one, and files for any other chain are refused with ErrWrongChain.
type Chain struct {
	c *chain
}

type chain struct {
	scheme      string
	publicKey   []byte // compressed point: G2 for quicknet/fastnet, G1 for pedersen
	genesis     int64  // unix seconds
	period      time.Duration
	genesisSeed []byte
	beaconID    string
	hash        [32]byte

	// Parsed forms, fixed at construction.
	keyOnG2 bool
	pkG1    *bls12381.G1
	pkG2    *bls12381.G2
	dst     []byte
}

// Quicknet is drand's League of Entropy quicknet (3 s period, RFC 9380
// scheme), the default network of drand's tle. Its parameters are pinned
// here and checked against its chain hash when the package is tested.
var Quicknet = mustChain(NewChain(ChainParams{
	Scheme:      SchemeQuicknet,
	PublicKey:   mustHex("83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"),
	Genesis:     time.Unix(1692803367, 0),
	Period:      3 * time.Second,
	GenesisSeed: mustHex("f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e"),
	BeaconID:    "quicknet",
}))

// QuicknetHash is quicknet's chain hash, the value tle writes in its stanzas.
const QuicknetHash = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"

// ChainParams are the parameters of a beacon network, as published in its
// drand /info document.
type ChainParams struct {
	Scheme      string
	PublicKey   []byte // compressed group public key
	Genesis     time.Time
	Period      time.Duration // a whole number of seconds, as drand requires
	GenesisSeed []byte
	BeaconID    string // "" or "default" for the default beacon
}

// NewChain validates p and computes its chain hash.
func NewChain(p ChainParams) (Chain, error) {
	if p.BeaconID == "default" {
		p.BeaconID = "" // drand's name for the unnamed beacon; hashed alike
	}
	c := &chain{
		scheme:      p.Scheme,
		publicKey:   bytes.Clone(p.PublicKey),
		genesis:     p.Genesis.Unix(),
		period:      p.Period,
		genesisSeed: bytes.Clone(p.GenesisSeed),
		beaconID:    p.BeaconID,
	}
	if p.Period < time.Second || p.Period%time.Second != 0 || p.Period > 24*time.Hour {
		return Chain{}, fmt.Errorf("timelock: chain period %v is not a whole number of seconds between 1s and 24h", p.Period)
	}
	if p.Genesis.Unix() <= 0 || p.Genesis.Nanosecond() != 0 {
		return Chain{}, fmt.Errorf("timelock: chain genesis %v is not a positive whole unix second", p.Genesis)
	}
	switch p.Scheme {
	case SchemeQuicknet:
		c.keyOnG2, c.dst = true, []byte(dstG1)
	case SchemeFastnet:
		c.keyOnG2, c.dst = true, []byte(dstG2) // drand's non-compliant DST, kept for compatibility
	case SchemePedersenUnchained:
		c.keyOnG2, c.dst = false, []byte(dstG2)
	case "pedersen-bls-chained":
		return Chain{}, fmt.Errorf("timelock: scheme %q is chained and cannot be used for timelock encryption", p.Scheme)
	default:
		return Chain{}, fmt.Errorf("timelock: unsupported scheme %q (want %s, %s or %s)", p.Scheme, SchemeQuicknet, SchemeFastnet, SchemePedersenUnchained)
	}
	var err error
	if c.keyOnG2 {
		c.pkG2, err = parseG2(c.publicKey)
	} else {
		c.pkG1, err = parseG1(c.publicKey)
	}
	if err != nil {
		return Chain{}, fmt.Errorf("timelock: chain public key: %w", err)
	}
	c.hash = p.hash()
	return Chain{c}, nil
}

// hash is drand's Info.Hash (drand/drand common/chain/info.go): the
// scheme is not hashed, and neither is the beacon id "" or "default".
func (p ChainParams) hash() [32]byte {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, uint32(p.Period/time.Second))
	binary.Write(h, binary.BigEndian, uint64(p.Genesis.Unix()))
	h.Write(p.PublicKey)
	h.Write(p.GenesisSeed)
	if p.BeaconID != "" && p.BeaconID != "default" {
		h.Write([]byte(p.BeaconID))
	}
	return [32]byte(h.Sum(nil))
}

// infoJSON is drand's chain info document in the two forms drand's HTTP
// relays serve (drand/http-relay grpc.JsonInfoV1 and JsonInfoV2):
//
//   - v1, at /info and /{chainhash}/info: hash, groupHash (the genesis
//     seed), schemeID and metadata.beaconID;
//   - v2, at /v2/chains/{chainhash}/info and /v2/beacons/{id}/info:
//     chain_hash, genesis_seed, scheme and beacon_id.
//
// MarshalInfo writes v1, field for field in the relays' order.
type infoJSON struct {
	PublicKey   string    `json:"public_key"`
	Period      int64     `json:"period"`
	GenesisTime int64     `json:"genesis_time"`
	Hash        string    `json:"hash,omitempty"`
	GroupHash   string    `json:"groupHash,omitempty"`
	SchemeID    string    `json:"schemeID,omitempty"`
	Metadata    *metaJSON `json:"metadata,omitempty"`

	ChainHash   string `json:"chain_hash,omitempty"`
	GenesisSeed string `json:"genesis_seed,omitempty"`
	Scheme      string `json:"scheme,omitempty"`
	BeaconID    string `json:"beacon_id,omitempty"`
}

type metaJSON struct {
	BeaconID string `json:"beaconID"`
}

// infoSource says where a good chain info document comes from, for errors.
const infoSource = "a drand relay's /info or /v2/chains/HASH/info, lpsed's /v1/chain, or segel beacon info"

// ParseChainInfo parses a drand chain info document, in either form the
// drand relays serve (v1 from /info, v2 from /v2/chains/{hash}/info), or
// as MarshalInfo writes it. The chain hash is recomputed from the
// parameters and must equal the hash the document states, so a document
// cannot claim one chain's hash for another chain's key.
func ParseChainInfo(drandInfoJSON []byte) (Chain, error) {
	if len(drandInfoJSON) > maxInfoSize {
		return Chain{}, fmt.Errorf("timelock: chain info is %d bytes, more than the %d allowed", len(drandInfoJSON), maxInfoSize)
	}
	var info infoJSON
	if err := json.Unmarshal(drandInfoJSON, &info); err != nil {
		return Chain{}, fmt.Errorf("timelock: chain info is not a drand chain info JSON document (get one from %s): %w", infoSource, err)
	}
	var beaconID string
	if info.Metadata != nil {
		beaconID = info.Metadata.BeaconID
	}
	// Each field has a v1 and a v2 name; a document may use either, but
	// not both with different values.
	hash, err1 := either("hash", info.Hash, "chain_hash", info.ChainHash)
	seedHex, err2 := either("groupHash", info.GroupHash, "genesis_seed", info.GenesisSeed)
	scheme, err3 := either("schemeID", info.SchemeID, "scheme", info.Scheme)
	beaconID, err4 := either("metadata.beaconID", beaconID, "beacon_id", info.BeaconID)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Chain{}, err
	}
	switch {
	case hash == "":
		return Chain{}, fmt.Errorf("timelock: chain info has no chain hash (\"hash\", or \"chain_hash\" in v2): get one from %s", infoSource)
	case seedHex == "":
		return Chain{}, fmt.Errorf("timelock: chain info has no genesis seed (\"groupHash\", or \"genesis_seed\" in v2): get one from %s", infoSource)
	case scheme == "":
		return Chain{}, fmt.Errorf("timelock: chain info has no scheme (\"schemeID\", or \"scheme\" in v2): get one from %s", infoSource)
	}
	if info.Period < 1 || info.Period > 86400 {
		return Chain{}, fmt.Errorf("timelock: chain info period %d is not between 1 and 86400 seconds", info.Period)
	}
	pk, err := hex.DecodeString(info.PublicKey)
	if err != nil {
		return Chain{}, fmt.Errorf("timelock: chain info public_key is not hex: %w", err)
	}
	seed, err := hex.DecodeString(seedHex)
	if err != nil {
		return Chain{}, fmt.Errorf("timelock: chain info genesis seed is not hex: %w", err)
	}
	p := ChainParams{
		Scheme:      scheme,
		PublicKey:   pk,
		Genesis:     time.Unix(info.GenesisTime, 0),
		Period:      time.Duration(info.Period) * time.Second,
		GenesisSeed: seed,
		BeaconID:    beaconID,
	}
	// The hash first: a document that is not what it claims to be is
	// refused as such, before any judgement of its scheme.
	if h := p.hash(); hash != hex.EncodeToString(h[:]) {
		return Chain{}, fmt.Errorf("timelock: chain info states chain hash %.64q but its parameters hash to %x: the document is altered or mixes two chains", hash, h)
	}
	return NewChain(p)
}

// either returns the value of a field that has a v1 and a v2 name.
func either(name1, v1, name2, v2 string) (string, error) {
	if v1 != "" && v2 != "" && v1 != v2 {
		return "", fmt.Errorf("timelock: chain info states %s %.70q and %s %.70q, which differ", name1, v1, name2, v2)
	}
	if v1 != "" {
		return v1, nil
	}
	return v2, nil
}

// MarshalInfo returns the chain's drand chain info document in the v1
// form, byte for byte as drand's relays serve it at /info.
func (c Chain) MarshalInfo() []byte {
	beaconID := c.c.beaconID
	if beaconID == "" {
		beaconID = "default"
	}
	info := infoJSON{
		PublicKey:   hex.EncodeToString(c.c.publicKey),
		Period:      int64(c.c.period / time.Second),
		GenesisTime: c.c.genesis,
		Hash:        c.HashHex(),
		GroupHash:   hex.EncodeToString(c.c.genesisSeed),
		SchemeID:    c.c.scheme,
		Metadata:    &metaJSON{BeaconID: beaconID},
	}
	b, _ := json.Marshal(info)
	return b
}

// IsZero reports whether c is the zero Chain, which pins nothing.
func (c Chain) IsZero() bool { return c.c == nil }

// Scheme returns the drand scheme identifier.
func (c Chain) Scheme() string { return c.c.scheme }

// PublicKey returns a copy of the compressed group public key.
func (c Chain) PublicKey() []byte { return bytes.Clone(c.c.publicKey) }

// Genesis returns the time of round 1.
func (c Chain) Genesis() time.Time { return time.Unix(c.c.genesis, 0).UTC() }

// Period returns the time between rounds.
func (c Chain) Period() time.Duration { return c.c.period }

// BeaconID returns the beacon's name in the drand group ("" for default).
func (c Chain) BeaconID() string { return c.c.beaconID }

// Hash returns the chain hash.
func (c Chain) Hash() [32]byte { return c.c.hash }

// HashHex returns the chain hash as lowercase hex, as it appears in stanzas.
func (c Chain) HashHex() string { return hex.EncodeToString(c.c.hash[:]) }

// Equal reports whether c and d pin the same chain.
func (c Chain) Equal(d Chain) bool {
	if c.c == nil || d.c == nil {
		return c.c == d.c
	}
	return c.c.hash == d.c.hash && c.c.scheme == d.c.scheme
}

// String returns the beacon id and chain hash, for messages.
func (c Chain) String() string {
	if c.c == nil {
		return "<no chain>"
	}
	name := c.c.beaconID
	if name == "" {
		name = "default"
	}
	return name + " (" + c.HashHex()[:16] + "…)"
}

// RoundAt returns the first round published at or after t: the round to
// time-lock to so that nothing opens before t. Note that drand's tle uses
// the last round at or before t instead, which can open up to one period
// early; see doc/spec/timelock.md.
//
//	RoundAt(t) = 1                                    if t ≤ genesis
//	           = ceil((t − genesis) / period) + 1     otherwise
func (c Chain) RoundAt(t time.Time) uint64 {
	g := time.Unix(c.c.genesis, 0)
	if !t.After(g) {
		return 1
	}
	d := t.Sub(g)
	p := c.c.period
	return uint64((d+p-1)/p) + 1
}

// CurrentRound returns the latest round published at or before t, exactly
// drand's CurrentRound (which is 1 before genesis too). This is what drand's
// tle locks to for a target time; Segel uses RoundAt.
func (c Chain) CurrentRound(t time.Time) uint64 {
	g := time.Unix(c.c.genesis, 0)
	if t.Before(g) {
		return 1
	}
	return uint64(t.Sub(g)/c.c.period) + 1
}

// TimeOf returns the time at which round is published:
// genesis + (round − 1)·period, and genesis for round 0.
func (c Chain) TimeOf(round uint64) time.Time {
	if round == 0 {
		round = 1
	}
	return time.Unix(c.c.genesis+int64(round-1)*int64(c.c.period/time.Second), 0).UTC()
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func mustChain(c Chain, err error) Chain {
	if err != nil {
		panic(err)
	}
	return c
}
