package timelock

import (
	"sync"

	"github.com/cloudflare/circl/ecc/bls12381"
)

// The FO check of decrypt computes r·G2 for the generator G2 once per
// offer: with circl's generic ScalarMult (256 doublings, 64 additions) it
// was a quarter of an offer's opening. With the generator fixed, a table
// of its multiples turns it into at most 64 additions and no doublings.
//
// mulG2Generator is variable-time in r: it indexes the table by r's
// digits and skips zero digits. It is for decrypt only, after the round:
// r is determined by σ and M, which anyone holding the round's public
// beacon signature can compute from the same ciphertext, so timing
// reveals nothing that is not already public. Sealing keeps circl's
// constant-time ScalarMult: there r is secret until the round.

const (
	baseWindow  = 4                   // bits per digit
	baseDigits  = 256 / baseWindow    // digits of a 32-byte scalar
	baseEntries = 1 << baseWindow     // multiples per digit position
	scalarBytes = bls12381.ScalarSize // MarshalBinary's big-endian length
)

// g2Table[i][d] = d·16^i·G2.
var g2Table = sync.OnceValue(func() *[baseDigits][baseEntries]bls12381.G2 {
	t := new([baseDigits][baseEntries]bls12381.G2)
	base := *bls12381.G2Generator()
	for i := range t {
		t[i][0].SetIdentity()
		for d := 1; d < baseEntries; d++ {
			t[i][d].Add(&t[i][d-1], &base)
		}
		next := t[i][baseEntries-1]
		next.Add(&next, &base) // 16·base
		base = next
	}
	return t
})

// mulG2Generator returns k·G2. Variable-time in k: see above.
func mulG2Generator(k *bls12381.Scalar) *bls12381.G2 {
	b, _ := k.MarshalBinary() // 32 bytes, big-endian, as circl's own scalarMult reads it
	t := g2Table()
	q := new(bls12381.G2)
	q.SetIdentity()
	for i := range baseDigits {
		by := b[scalarBytes-1-i/2]
		d := by & 0xf
		if i%2 == 1 {
			d = by >> 4
		}
		if d != 0 {
			q.Add(q, &t[i][d])
		}
	}
	return q
}
