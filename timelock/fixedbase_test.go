package timelock

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/cloudflare/circl/ecc/bls12381"
)

// TestMulG2Generator checks the table-based k·G2 against circl's
// ScalarMult for edge scalars (every digit zero, every digit 15, the
// group order minus one) and random ones.
func TestMulG2Generator(t *testing.T) {
	var scalars []*bls12381.Scalar
	for _, v := range []uint64{0, 1, 2, 15, 16, 17, 255, 1 << 63} {
		k := new(bls12381.Scalar)
		k.SetUint64(v)
		scalars = append(scalars, k)
	}
	minusOne := new(bls12381.Scalar)
	minusOne.SetOne()
	minusOne.Neg()
	scalars = append(scalars, minusOne)
	allF := new(bls12381.Scalar)
	allF.SetBytes(bytes.Repeat([]byte{0xff}, 32)) // reduced mod r
	scalars = append(scalars, allF)
	for range 200 {
		k := new(bls12381.Scalar)
		if err := k.Random(rand.Reader); err != nil {
			t.Fatal(err)
		}
		scalars = append(scalars, k)
	}
	for _, k := range scalars {
		want := new(bls12381.G2)
		want.ScalarMult(k, bls12381.G2Generator())
		got := mulG2Generator(k)
		if !got.IsEqual(want) || !bytes.Equal(got.BytesCompressed(), want.BytesCompressed()) {
			t.Fatalf("mulG2Generator(%v) = %x, ScalarMult gives %x", k, got.BytesCompressed(), want.BytesCompressed())
		}
	}
}

// BenchmarkMulG2Generator compares the FO check's r·G2 through the
// table with circl's ScalarMult, measured in the same run.
func BenchmarkMulG2Generator(b *testing.B) {
	k := new(bls12381.Scalar)
	if err := k.Random(rand.Reader); err != nil {
		b.Fatal(err)
	}
	g2Table() // built once per process, not per offer
	b.Run("circl-ScalarMult", func(b *testing.B) {
		for b.Loop() {
			new(bls12381.G2).ScalarMult(k, bls12381.G2Generator())
		}
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			mulG2Generator(k)
		}
	})
}
