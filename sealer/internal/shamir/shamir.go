// Package shamir is Shamir's secret sharing of byte strings, byte by byte
// over GF(2⁸) with the AES polynomial x⁸ + x⁴ + x³ + x + 1, as sealed
// offers of format version 2 share the committee half of their file key
// (doc/spec/offer-v2.md §4).
//
// Share i of a secret is the value at x = i (1 ≤ i ≤ 255) of one random
// polynomial per byte whose constant term is that byte. Any k shares give
// the secret back; k − 1 shares are independent of it.
//
// The arithmetic is constant-time: multiplication is shift-and-mask, with
// no table lookup and no branch indexed by a secret, and inversion (needed
// only for the public x coordinates) is a fixed chain of multiplications.
package shamir

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
)

// mul returns a·b in GF(2⁸), in constant time.
func mul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= -(b & 1) & a // a if b's low bit is set, else 0
		b >>= 1
		carry := -(a >> 7) // 0xff if a's high bit is set
		a = a<<1 ^ 0x1b&carry
	}
	return p
}

// inv returns a⁻¹ = a²⁵⁴ in GF(2⁸) (and 0 for 0), by a fixed chain of
// squarings and multiplications: 254 = 0b11111110.
func inv(a byte) byte {
	a2 := mul(a, a)  // a^2
	r := a2          // a^2
	p := mul(a2, a2) // a^4
	for range 6 {    // a^4, a^8, …, a^128
		r = mul(r, p) // a^(2+4+…)
		p = mul(p, p)
	}
	return r // a^(2+4+8+16+32+64+128) = a^254
}

// Split returns n shares of secret, any k of which recover it: shares[i-1]
// is the share at x = i. The polynomials' coefficients come fresh from
// crypto/rand and are erased before Split returns.
func Split(secret []byte, k, n int) ([][]byte, error) {
	if err := checkKN(k, n); err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, errors.New("shamir: empty secret")
	}
	// coeffs[d][j] is the coefficient of x^d in byte j's polynomial.
	coeffs := make([][]byte, k)
	coeffs[0] = secret
	for d := 1; d < k; d++ {
		coeffs[d] = make([]byte, len(secret))
		rand.Read(coeffs[d]) // never fails (crypto/rand, Go 1.24)
	}
	shares := make([][]byte, n)
	for i := range shares {
		x := byte(i + 1)
		s := make([]byte, len(secret))
		// Horner: ((a_{k-1}·x + a_{k-2})·x + …)·x + a_0.
		for j := range s {
			var y byte
			for d := k - 1; d >= 0; d-- {
				y = mul(y, x) ^ coeffs[d][j]
			}
			s[j] = y
		}
		shares[i] = s
	}
	for d := 1; d < k; d++ {
		clear(coeffs[d])
	}
	return shares, nil
}

func checkKN(k, n int) error {
	if k < 1 || n < k || n > 255 {
		return fmt.Errorf("shamir: need 1 ≤ k ≤ n ≤ 255, got k = %d, n = %d", k, n)
	}
	return nil
}

// Interpolate returns the value at x = at of the polynomials of degree
// len(xs) − 1 through the points (xs[m], shares[m]): at 0 the secret, at
// another x the share a consistent sharing would hold there. The x
// coordinates must be distinct and non-zero, the shares of equal length.
// The Lagrange coefficients depend only on the public x coordinates; the
// shares enter only through constant-time multiplications.
func Interpolate(xs []byte, shares [][]byte, at byte) ([]byte, error) {
	if len(xs) == 0 || len(xs) != len(shares) {
		return nil, fmt.Errorf("shamir: %d x coordinates for %d shares", len(xs), len(shares))
	}
	size := len(shares[0])
	for m, x := range xs {
		if x == 0 {
			return nil, errors.New("shamir: a share at x = 0")
		}
		for _, other := range xs[:m] {
			if other == x {
				return nil, fmt.Errorf("shamir: two shares at x = %d", x)
			}
		}
		if len(shares[m]) != size || size == 0 {
			return nil, errors.New("shamir: shares of different or zero lengths")
		}
	}
	out := make([]byte, size)
	for m, xm := range xs {
		// L_m(at) = Π_{o≠m} (at − x_o) / (x_m − x_o); − is ⊕ in GF(2⁸).
		num, den := byte(1), byte(1)
		for o, xo := range xs {
			if o != m {
				num = mul(num, at^xo)
				den = mul(den, xm^xo)
			}
		}
		l := mul(num, inv(den))
		for j := range out {
			out[j] ^= mul(l, shares[m][j])
		}
	}
	return out, nil
}

// Combine returns the secret from exactly k shares at the distinct
// non-zero xs: Interpolate at 0. Fewer shares than the sharing's k give a
// value independent of the secret; Combine cannot tell, so callers count.
func Combine(xs []byte, shares [][]byte) ([]byte, error) {
	return Interpolate(xs, shares, 0)
}

// Consistent reports whether every extra share lies on the polynomials
// through the base shares: whether all of them come from one sharing of
// degree len(baseX) − 1. The comparison is constant-time per share.
func Consistent(baseX []byte, base [][]byte, extraX []byte, extra [][]byte) (bool, error) {
	if len(extraX) != len(extra) {
		return false, fmt.Errorf("shamir: %d x coordinates for %d shares", len(extraX), len(extra))
	}
	ok := true
	for e, x := range extraX {
		for _, b := range baseX {
			if b == x {
				return false, fmt.Errorf("shamir: extra share at x = %d is also a base share", x)
			}
		}
		want, err := Interpolate(baseX, base, x)
		if err != nil {
			return false, err
		}
		if len(extra[e]) != len(want) || subtle.ConstantTimeCompare(want, extra[e]) != 1 {
			ok = false
		}
	}
	return ok, nil
}
