package timelock

import (
	"bytes"
	"errors"
	"fmt"

	bls12381 "github.com/cloudflare/circl/ecc/bls12381"
)

// Point encodings are the ZCash compressed form only, as kyber and kilic
// require: the compression flag set, not the point at infinity, on the
// curve, in the prime-order subgroup, and canonical (re-encoding gives the
// same bytes). circl alone would also accept uncompressed forms and the
// point at infinity.

var errInfinity = errors.New("point at infinity")

func checkCompressed(b []byte, size int) error {
	if len(b) != size {
		return fmt.Errorf("compressed point is %d bytes, want %d", len(b), size)
	}
	if b[0]&0x80 == 0 {
		return errors.New("point encoding lacks the compression flag")
	}
	if b[0]&0x40 != 0 {
		return errInfinity
	}
	return nil
}

func parseG1(b []byte) (*bls12381.G1, error) {
	if err := checkCompressed(b, bls12381.G1SizeCompressed); err != nil {
		return nil, fmt.Errorf("G1: %w", err)
	}
	p := new(bls12381.G1)
	if err := p.SetBytes(b); err != nil {
		return nil, fmt.Errorf("G1: %w", err)
	}
	if p.IsIdentity() {
		return nil, fmt.Errorf("G1: %w", errInfinity)
	}
	if !bytes.Equal(p.BytesCompressed(), b) {
		return nil, errors.New("G1: non-canonical encoding")
	}
	return p, nil
}

func parseG2(b []byte) (*bls12381.G2, error) {
	if err := checkCompressed(b, bls12381.G2SizeCompressed); err != nil {
		return nil, fmt.Errorf("G2: %w", err)
	}
	p := new(bls12381.G2)
	if err := p.SetBytes(b); err != nil {
		return nil, fmt.Errorf("G2: %w", err)
	}
	if p.IsIdentity() {
		return nil, fmt.Errorf("G2: %w", errInfinity)
	}
	if !bytes.Equal(p.BytesCompressed(), b) {
		return nil, errors.New("G2: non-canonical encoding")
	}
	return p, nil
}

// pointSize is the size of U and of the public key of the chain's key group.
func (c *chain) pointSize() int {
	if c.keyOnG2 {
		return bls12381.G2SizeCompressed
	}
	return bls12381.G1SizeCompressed
}

// parseU strictly parses a ciphertext's U, in the key group, into ct.
func (c *chain) parseU(ct *ciphertext) error {
	var err error
	if c.keyOnG2 {
		ct.uG2, err = parseG2(ct.U)
	} else {
		ct.uG1, err = parseG1(ct.U)
	}
	return err
}

// roundSignature is a beacon's round signature, parsed: on G1 for keys on
// G2 (quicknet), on G2 for keys on G1.
type roundSignature struct {
	g1 *bls12381.G1
	g2 *bls12381.G2
}

// verifySignature checks the BLS equation e(sig, g2) == e(H1(ID(round)), pk)
// (or its mirror for keys on G1), drand's VerifyBeacon, and returns the
// parsed signature. It is written with circl's pairing directly rather
// than circl/sign/bls because fastnet's hash-to-curve DST is not the one
// sign/bls uses.
func (c *chain) verifySignature(round uint64, sig []byte) (roundSignature, error) {
	id := roundIdentity(round)
	var rs roundSignature
	var ok bool
	if c.keyOnG2 {
		s, err := parseG1(sig)
		if err != nil {
			return rs, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		q := new(bls12381.G1)
		q.Hash(id, c.dst)
		// e(sig, g2) · e(q, pk)^-1 == 1
		ok = bls12381.ProdPairFrac(
			[]*bls12381.G1{s, q},
			[]*bls12381.G2{bls12381.G2Generator(), c.pkG2},
			[]int{1, -1}).IsIdentity()
		rs.g1 = s
	} else {
		s, err := parseG2(sig)
		if err != nil {
			return rs, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		q := new(bls12381.G2)
		q.Hash(id, c.dst)
		ok = bls12381.ProdPairFrac(
			[]*bls12381.G1{bls12381.G1Generator(), c.pkG1},
			[]*bls12381.G2{s, q},
			[]int{1, -1}).IsIdentity()
		rs.g2 = s
	}
	if !ok {
		return roundSignature{}, fmt.Errorf("%w: not %s's signature of round %d", ErrBadSignature, Chain{c}, round)
	}
	return rs, nil
}
