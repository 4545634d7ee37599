package sealer_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/segel-lpse/segel/sealer"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// ChaCha20-Poly1305 is not key-committing: whoever chooses two keys can
// make one ciphertext that opens under both (the partitioning-oracle
// construction of Len, Grubbs and Ristenpart). These tests make such a
// sealed share, to show why offer-v2.md §4 adds a key commitment: without
// it, a member colluding with the bidder could send either of two member
// keys and pick which share the server gets.

var (
	p1305  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 130), big.NewInt(5))
	two128 = new(big.Int).Lsh(big.NewInt(1), 128)
	clamp  = new(big.Int).SetBytes([]byte{0x0f, 0xff, 0xff, 0xfc, 0x0f, 0xff, 0xff, 0xfc, 0x0f, 0xff, 0xff, 0xfc, 0x0f, 0xff, 0xff, 0xff})
)

func le(b []byte) *big.Int {
	be := slices.Clone(b)
	slices.Reverse(be)
	return new(big.Int).SetBytes(be)
}

// polyKey returns Poly1305's r (clamped) and s for a ChaCha20-Poly1305 key
// and the all-zero nonce (RFC 8439 §2.6).
func polyKey(key []byte) (r, s *big.Int) {
	c, err := chacha20.NewUnauthenticatedCipher(key, make([]byte, 12))
	if err != nil {
		panic(err)
	}
	block := make([]byte, 64)
	c.XORKeyStream(block, block)
	r = new(big.Int).And(le(block[:16]), clamp)
	return r, le(block[16:32])
}

// polyAcc is Poly1305's accumulator over the AEAD's MAC input for aad and
// a one-block ciphertext c: pad16(aad) ‖ c ‖ le64(len aad) ‖ le64(16).
func polyAcc(r *big.Int, aad []byte, c *big.Int) *big.Int {
	var blocks []*big.Int
	for i := 0; i < len(aad); i += 16 {
		b := make([]byte, 16)
		copy(b, aad[i:])
		blocks = append(blocks, le(b))
	}
	blocks = append(blocks, c)
	lens := make([]byte, 16)
	n := uint64(len(aad))
	for i := range 8 {
		lens[i] = byte(n >> (8 * i))
	}
	lens[8] = 16
	blocks = append(blocks, le(lens))
	acc := new(big.Int)
	for _, b := range blocks {
		acc.Add(acc, b).Add(acc, two128).Mul(acc, r).Mod(acc, p1305)
	}
	return acc
}

func tag(r, s *big.Int, aad []byte, c *big.Int) *big.Int {
	t := polyAcc(r, aad, c)
	return t.Add(t, s).Mod(t, two128)
}

func leBytes(x *big.Int) []byte {
	b := x.FillBytes(make([]byte, 16))
	slices.Reverse(b)
	return b
}

// twoKeyCiphertext returns a 32-byte ChaCha20-Poly1305 ciphertext (16
// bytes and a tag) under the all-zero nonce that opens, with aad, under
// both keyA and keyB, or nil if this pair of keys gives no solution (try
// other keys).
func twoKeyCiphertext(keyA, keyB, aad []byte) []byte {
	ra, sa := polyKey(keyA)
	rb, sb := polyKey(keyB)
	zero := new(big.Int)
	// acc(c) = acc(0) + c·r² (mod p): c is followed by one block.
	xa, xb := polyAcc(ra, aad, zero), polyAcc(rb, aad, zero)
	d := new(big.Int).Sub(sb, sa)
	d.Mod(d, two128)
	num := new(big.Int).Sub(xb, xa)
	num.Add(num, d).Mod(num, p1305)
	den := new(big.Int).Sub(new(big.Int).Mul(ra, ra), new(big.Int).Mul(rb, rb))
	den.Mod(den, p1305)
	if den.Sign() == 0 {
		return nil
	}
	c := num.Mul(num, new(big.Int).ModInverse(den, p1305)).Mod(num, p1305)
	if c.Cmp(two128) >= 0 {
		return nil
	}
	t := tag(ra, sa, aad, c)
	if t.Cmp(tag(rb, sb, aad, c)) != 0 {
		return nil
	}
	return append(leBytes(c), leBytes(t)...)
}

// TestKeyCommitment: a bidder makes member 1's sealed share open under
// two member keys, to two different shares. Both open by the AEAD alone,
// which is the attack; the server takes only the member key the
// commitment names.
func TestKeyCommitment(t *testing.T) {
	w := newWorld(t, 2, 3)
	file := w.seal(t, []byte("penawaran"))
	f := split(t, file)
	aad := f.specAAD(1)
	var mA, mB, sealed []byte
	for tries := 0; sealed == nil; tries++ {
		if tries == 200 {
			t.Fatal("no two-key ciphertext in 200 tries")
		}
		mA, mB = make([]byte, 16), make([]byte, 16)
		rand.Read(mA)
		rand.Read(mB)
		keyA, _ := specShareKeys(mA, 1)
		keyB, _ := specShareKeys(mB, 1)
		sealed = twoKeyCiphertext(keyA, keyB, aad)
	}
	keyA, commitA := specShareKeys(mA, 1)
	keyB, _ := specShareKeys(mB, 1)
	aeadA, _ := chacha20poly1305.New(keyA)
	aeadB, _ := chacha20poly1305.New(keyB)
	shareA, errA := aeadA.Open(nil, make([]byte, 12), sealed, aad)
	shareB, errB := aeadB.Open(nil, make([]byte, 12), sealed, aad)
	if errA != nil || errB != nil || bytes.Equal(shareA, shareB) {
		t.Fatalf("the crafted ciphertext should open under both keys to different shares: %v, %v", errA, errB)
	}

	// The bidder's file: member 1's slot holds the two-key ciphertext and
	// the commitment to mA.
	w1 := f.wrapOf(1)
	copy(w1[v2Enc+v2KeyBox:], commitA)
	copy(w1[v2Enc+v2KeyBox+v2Commit:], sealed)
	h := w.inspect(t, f.bytes())
	var cA, cB sealer.Contribution
	cA.Header, cA.Member, cB.Header, cB.Member = h.Digest, 1, h.Digest, 1
	copy(cA.Key[:], mA)
	copy(cB.Key[:], mB)
	if err := sealer.CheckContribution(h, cA); err != nil {
		t.Fatalf("the committed member key: %v", err)
	}
	if err := sealer.CheckContribution(h, cB); !errors.Is(err, sealer.ErrBadContribution) {
		t.Fatalf("the other key, which the AEAD alone accepts: %v, want ErrBadContribution", err)
	}
}
