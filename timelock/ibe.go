package timelock

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	bls12381 "github.com/cloudflare/circl/ecc/bls12381"
)

// This file is Boneh–Franklin FullIdent IBE with the Fujisaki–Okamoto
// transform exactly as drand/kyber encrypt/ibe implements it
// (EncryptCCAonG1/G2, DecryptCCAonG1/G2), specified in doc/spec/timelock.md.
// The identity of a round is SHA-256 of the round as a big-endian uint64;
// the round's beacon signature is the IBE private key for it.

// Labels of the IBE hash functions, as in kyber.
const (
	labelH2 = "IBE-H2"
	labelH3 = "IBE-H3"
	labelH4 = "IBE-H4"
)

// fileKeySize is the size of the message IBE carries: an age file key.
const fileKeySize = 16

var errDecrypt = errors.New("timelock: ciphertext does not decrypt with this round's signature")

// ciphertext is (U, V, W): U a compressed point of the public-key group,
// V and W fileKeySize bytes each.
type ciphertext struct {
	U    []byte
	V, W [fileKeySize]byte

	// U parsed (by parseU), so that a stanza checked once is not parsed
	// again, with its subgroup check, to decrypt it.
	uG1 *bls12381.G1
	uG2 *bls12381.G2
}

func (ct *ciphertext) bytes() []byte {
	b := make([]byte, 0, len(ct.U)+2*fileKeySize)
	b = append(b, ct.U...)
	b = append(b, ct.V[:]...)
	return append(b, ct.W[:]...)
}

// roundIdentity returns ID(round) = SHA-256(BE64(round)), the message a
// drand beacon signs and the IBE identity of the round.
func roundIdentity(round uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], round)
	h := sha256.Sum256(b[:])
	return h[:]
}

// roundKey holds what encrypting to one round needs, computed once:
// Q_id = H1(ID(round)) in the signature group.
type roundKey struct {
	chain *chain
	round uint64
	qG1   *bls12381.G1 // quicknet, fastnet
	qG2   *bls12381.G2 // pedersen-bls-unchained
}

func newRoundKey(c *chain, round uint64) *roundKey {
	k := &roundKey{chain: c, round: round}
	id := roundIdentity(round)
	if c.keyOnG2 {
		k.qG1 = new(bls12381.G1)
		k.qG1.Hash(id, c.dst)
	} else {
		k.qG2 = new(bls12381.G2)
		k.qG2.Hash(id, c.dst)
	}
	return k
}

// encrypt is kyber's EncryptCCAonG2 (or G1). Instead of G_id^r in Gt it
// computes the equal e(r·Q_id, pk): a scalar multiplication in G1 and one
// pairing are cheaper with circl than a pairing and a Gt exponentiation.
func (k *roundKey) encrypt(msg []byte) (*ciphertext, error) {
	if len(msg) != fileKeySize {
		return nil, fmt.Errorf("timelock: can only lock %d-byte file keys, got %d bytes", fileKeySize, len(msg))
	}
	var sigma [fileKeySize]byte
	if _, err := rand.Read(sigma[:]); err != nil {
		return nil, err
	}
	r := h3(sigma[:], msg)
	ct := new(ciphertext)
	var gid *bls12381.Gt
	if k.chain.keyOnG2 {
		u := new(bls12381.G2)
		u.ScalarMult(r, bls12381.G2Generator())
		ct.U = u.BytesCompressed()
		rq := new(bls12381.G1)
		rq.ScalarMult(r, k.qG1)
		gid = bls12381.Pair(rq, k.chain.pkG2)
	} else {
		u := new(bls12381.G1)
		u.ScalarMult(r, bls12381.G1Generator())
		ct.U = u.BytesCompressed()
		rq := new(bls12381.G2)
		rq.ScalarMult(r, k.qG2)
		gid = bls12381.Pair(k.chain.pkG1, rq)
	}
	h := h2(gid)
	subtle.XORBytes(ct.V[:], sigma[:], h[:fileKeySize])
	h4s := h4(sigma[:])
	subtle.XORBytes(ct.W[:], msg, h4s[:fileKeySize])
	return ct, nil
}

// decrypt is kyber's DecryptCCAonG2 (or G1). sig must be a verified beacon
// signature for the round; U must have been parsed strictly.
func decrypt(c *chain, sig roundSignature, ct *ciphertext) ([]byte, error) {
	var gid *bls12381.Gt
	if c.keyOnG2 {
		if ct.uG2 == nil {
			if err := c.parseU(ct); err != nil {
				return nil, fmt.Errorf("timelock: ciphertext U: %w", err)
			}
		}
		gid = bls12381.Pair(sig.g1, ct.uG2)
	} else {
		if ct.uG1 == nil {
			if err := c.parseU(ct); err != nil {
				return nil, fmt.Errorf("timelock: ciphertext U: %w", err)
			}
		}
		gid = bls12381.Pair(ct.uG1, sig.g2)
	}
	h := h2(gid)
	var sigma, msg [fileKeySize]byte
	subtle.XORBytes(sigma[:], ct.V[:], h[:fileKeySize])
	h4s := h4(sigma[:])
	subtle.XORBytes(msg[:], ct.W[:], h4s[:fileKeySize])

	// The FO check: U must be r·P for the r that σ and M determine. It
	// rejects every ciphertext not made by an honest encryption of M,
	// including one whose V or W was changed.
	r := h3(sigma[:], msg[:])
	var rP []byte
	if c.keyOnG2 {
		rP = mulG2Generator(r).BytesCompressed() // fixedbase.go
	} else {
		p := new(bls12381.G1)
		p.ScalarMult(r, bls12381.G1Generator())
		rP = p.BytesCompressed()
	}
	if subtle.ConstantTimeCompare(rP, ct.U) != 1 {
		return nil, errDecrypt
	}
	return msg[:], nil
}

// h2 is SHA-256("IBE-H2" ‖ Gt) over the 576-byte Gt encoding (circl's
// MarshalBinary, byte-identical to kilic's and kyber's).
func h2(x *bls12381.Gt) [32]byte {
	b, err := x.MarshalBinary()
	if err != nil {
		panic("timelock: Gt encoding failed: " + err.Error()) // cannot happen for a pairing output
	}
	h := sha256.New()
	h.Write([]byte(labelH2))
	h.Write(b)
	return [32]byte(h.Sum(nil))
}

// h3 maps (σ, M) to a scalar by rejection sampling, as kyber does:
// h = SHA-256("IBE-H3" ‖ σ ‖ M); for i = 1, 2, …: c = SHA-256(LE16(i) ‖ h),
// c[0] >>= 1, accept c (big-endian) if c < r. Never reduced modulo r.
func h3(sigma, msg []byte) *bls12381.Scalar {
	h := sha256.New()
	h.Write([]byte(labelH3))
	h.Write(sigma)
	h.Write(msg)
	seed := h.Sum(nil)
	for i := uint16(1); i != 0; i++ {
		var ctr [2]byte
		binary.LittleEndian.PutUint16(ctr[:], i)
		c := sha256.Sum256(append(ctr[:], seed...))
		c[0] >>= 1
		s := new(bls12381.Scalar)
		if s.UnmarshalBinary(c[:]) == nil { // errors exactly when c ≥ r
			return s
		}
	}
	panic("timelock: H3 found no scalar in 65535 tries") // probability ≈ 2^-150000
}

// h4 is SHA-256("IBE-H4" ‖ σ).
func h4(sigma []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(labelH4))
	h.Write(sigma)
	return [32]byte(h.Sum(nil))
}
