package shamir

import (
	"bytes"
	"crypto/rand"
	"testing"
)

// refMul is GF(2⁸) multiplication the textbook way (with branches), to
// check the constant-time mul against.
func refMul(a, b byte) byte {
	var p uint16
	for i := range 8 {
		if b&(1<<i) != 0 {
			p ^= uint16(a) << i
		}
	}
	for i := 15; i >= 8; i-- {
		if p&(1<<i) != 0 {
			p ^= 0x11b << (i - 8)
		}
	}
	return byte(p)
}

func TestMulInv(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			if got, want := mul(byte(a), byte(b)), refMul(byte(a), byte(b)); got != want {
				t.Fatalf("mul(%#x, %#x) = %#x, want %#x", a, b, got, want)
			}
		}
		if a == 0 {
			if inv(0) != 0 {
				t.Fatalf("inv(0) = %#x, want 0", inv(0))
			}
			continue
		}
		if got := mul(byte(a), inv(byte(a))); got != 1 {
			t.Fatalf("%#x · inv(%#x) = %#x, want 1", a, a, got)
		}
	}
	// The AES field's known values: {53}·{CA} = {01}, {57}·{83} = {C1}.
	if mul(0x53, 0xca) != 1 || mul(0x57, 0x83) != 0xc1 {
		t.Fatal("mul disagrees with FIPS 197's examples")
	}
}

// subsets calls f with every k-subset of 1..n, ascending.
func subsets(n, k int, f func([]byte)) {
	var rec func(start int, cur []byte)
	rec = func(start int, cur []byte) {
		if len(cur) == k {
			f(cur)
			return
		}
		for x := start; x <= n; x++ {
			rec(x+1, append(cur, byte(x)))
		}
	}
	rec(1, nil)
}

func pick(shares [][]byte, xs []byte) [][]byte {
	var out [][]byte
	for _, x := range xs {
		out = append(out, shares[x-1])
	}
	return out
}

func TestAnyKSharesRecover(t *testing.T) {
	for _, kn := range [][2]int{{1, 1}, {1, 3}, {2, 2}, {2, 3}, {3, 5}, {5, 5}, {4, 7}, {8, 15}} {
		k, n := kn[0], kn[1]
		secret := make([]byte, 16)
		rand.Read(secret)
		shares, err := Split(secret, k, n)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		subsets(n, k, func(xs []byte) {
			count++
			got, err := Combine(xs, pick(shares, xs))
			if err != nil {
				t.Fatalf("%d-of-%d, shares %v: %v", k, n, xs, err)
			}
			if !bytes.Equal(got, secret) {
				t.Fatalf("%d-of-%d, shares %v: combined %x, want %x", k, n, xs, got, secret)
			}
			// And k+1 or more are consistent.
			if k < n {
				extra := byte(1)
				for bytes.IndexByte(xs, extra) >= 0 {
					extra++
				}
				ok, err := Consistent(xs, pick(shares, xs), []byte{extra}, [][]byte{shares[extra-1]})
				if err != nil || !ok {
					t.Fatalf("%d-of-%d: share %d not consistent with %v: %v", k, n, extra, xs, err)
				}
			}
		})
		if k == 1 {
			for i, s := range shares {
				if !bytes.Equal(s, secret) {
					t.Fatalf("1-of-%d: share %d = %x, want the secret", n, i+1, s)
				}
			}
		}
		t.Logf("%d-of-%d: %d subsets", k, n, count)
	}
	// The largest sharing a committee makes, a sample of subsets.
	secret := make([]byte, 16)
	rand.Read(secret)
	shares, err := Split(secret, 17, 32)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		perm := make([]byte, 32)
		for i := range perm {
			perm[i] = byte(i + 1)
		}
		for i := len(perm) - 1; i > 0; i-- {
			var b [1]byte
			rand.Read(b[:])
			j := int(b[0]) % (i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		xs := perm[:17]
		got, err := Combine(xs, pick(shares, xs))
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("17-of-32, shares %v: %x, %v", xs, got, err)
		}
	}
}

// TestKMinusOneRevealNothing checks, exactly rather than statistically,
// that k − 1 shares say nothing about the secret: with the k − 1 shares
// fixed, each of the 256 values the missing k-th share's byte could take
// completes them to a different secret byte, so every secret is
// consistent with what k − 1 members hold, once each.
func TestKMinusOneRevealNothing(t *testing.T) {
	for _, kn := range [][2]int{{2, 2}, {2, 3}, {3, 5}, {5, 5}, {8, 15}, {17, 32}} {
		k, n := kn[0], kn[1]
		secret := make([]byte, 16)
		rand.Read(secret)
		shares, err := Split(secret, k, n)
		if err != nil {
			t.Fatal(err)
		}
		// The first k − 1 members pool their shares; member k's is missing.
		xs := make([]byte, k)
		for i := range xs {
			xs[i] = byte(i + 1)
		}
		known := pick(shares, xs[:k-1])
		for j := range secret {
			seen := make(map[byte]byte) // secret byte → the missing share's byte
			for v := range 256 {
				missing := bytes.Clone(shares[k-1])
				missing[j] = byte(v)
				got, err := Combine(xs, append(append([][]byte{}, known...), missing))
				if err != nil {
					t.Fatal(err)
				}
				if prev, dup := seen[got[j]]; dup {
					t.Fatalf("%d-of-%d, byte %d: missing-share values %#x and %#x give the same secret %#x", k, n, j, prev, v, got[j])
				}
				seen[got[j]] = byte(v)
			}
			if len(seen) != 256 {
				t.Fatalf("%d-of-%d, byte %d: %d secrets reachable, want 256", k, n, j, len(seen))
			}
		}
	}
}

func TestFreshCoefficients(t *testing.T) {
	secret := bytes.Repeat([]byte{0x42}, 16)
	a, _ := Split(secret, 2, 3)
	b, _ := Split(secret, 2, 3)
	if bytes.Equal(a[0], b[0]) {
		t.Fatal("two sharings of one secret gave the same share")
	}
	if !bytes.Equal(secret, bytes.Repeat([]byte{0x42}, 16)) {
		t.Fatal("Split changed the secret")
	}
}

func TestConsistentDetectsOffPolynomial(t *testing.T) {
	secret := make([]byte, 16)
	rand.Read(secret)
	shares, _ := Split(secret, 3, 5)
	for j := range 16 {
		bad := bytes.Clone(shares[4])
		bad[j] ^= 0x80
		ok, err := Consistent([]byte{1, 2, 3}, shares[:3], []byte{4, 5}, [][]byte{shares[3], bad})
		if err != nil || ok {
			t.Fatalf("byte %d of share 5 changed: consistent = %v, %v", j, ok, err)
		}
	}
}

func TestLimits(t *testing.T) {
	s := make([]byte, 16)
	for _, kn := range [][2]int{{0, 1}, {2, 1}, {1, 256}, {-1, 3}} {
		if _, err := Split(s, kn[0], kn[1]); err == nil {
			t.Errorf("Split with k = %d, n = %d accepted", kn[0], kn[1])
		}
	}
	if sh, err := Split(s, 255, 255); err != nil || len(sh) != 255 {
		t.Errorf("Split 255-of-255: %d shares, %v", len(sh), err)
	}
	if _, err := Split(nil, 1, 1); err == nil {
		t.Error("Split of an empty secret accepted")
	}
	one := [][]byte{{1}, {2}}
	for name, xs := range map[string][]byte{"zero x": {0, 1}, "same x": {3, 3}, "count": {1}} {
		if _, err := Combine(xs, one); err == nil {
			t.Errorf("Combine with %s accepted", name)
		}
	}
	if _, err := Combine([]byte{1, 2}, [][]byte{{1}, {2, 3}}); err == nil {
		t.Error("Combine of shares of different lengths accepted")
	}
	if _, err := Consistent([]byte{1, 2}, one, []byte{2}, [][]byte{{5}}); err == nil {
		t.Error("Consistent with an extra share at a base x accepted")
	}
}
