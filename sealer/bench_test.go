package sealer

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
	bls12381 "github.com/cloudflare/circl/ecc/bls12381"
)

// Figures are ratios to baselines measured in the same run:
//
//	go test -run '^$' -bench . -benchtime 20x ./sealer
//
// Targets (issue 3): seal and open of 64 MiB ≤ 1.15× age's own
// encrypt/decrypt with one HybridRecipient; the fixed per-offer cost of
// opening within 2.5× one bare circl pairing.
func BenchmarkDocument(b *testing.B) {
	f := newFixture(b)
	sig := f.signature(b)
	id, err := NewIdentity(f.beacon.Chain(), 100, sig, f.committee)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{1 << 20, 64 << 20} {
		doc := make([]byte, size)
		rand.Read(doc)
		var ageFile, offer bytes.Buffer
		w, _ := age.Encrypt(&ageFile, f.committee.Recipient())
		w.Write(doc)
		w.Close()
		if _, err := Seal(&offer, bytes.NewReader(doc), f.target); err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%dMiB", size>>20)
		b.Run("age-hybrid-encrypt-"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				w, _ := age.Encrypt(io.Discard, f.committee.Recipient())
				w.Write(doc)
				w.Close()
			}
		})
		b.Run("seal-"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := Seal(io.Discard, bytes.NewReader(doc), f.target); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("age-hybrid-decrypt-"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				r, err := age.Decrypt(bytes.NewReader(ageFile.Bytes()), f.committee)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, r)
			}
		})
		b.Run("open-"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				r, err := age.Decrypt(bytes.NewReader(offer.Bytes()), id)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, r)
			}
		})
	}
}

// BenchmarkPerOffer isolates the fixed cost of one offer (an empty
// document): sealing (IBE wrap, HPKE wrap, self-check) and opening with an
// already verified signature (IBE unwrap, HPKE unwrap), next to one pairing.
func BenchmarkPerOffer(b *testing.B) {
	f := newFixture(b)
	sig := f.signature(b)
	id, err := NewIdentity(f.beacon.Chain(), 100, sig, f.committee)
	if err != nil {
		b.Fatal(err)
	}
	var offer bytes.Buffer
	if _, err := Seal(&offer, bytes.NewReader(nil), f.target); err != nil {
		b.Fatal(err)
	}
	b.Run("pairing", func(b *testing.B) {
		p, q := bls12381.G1Generator(), bls12381.G2Generator()
		for b.Loop() {
			bls12381.Pair(p, q)
		}
	})
	b.Run("seal-empty", func(b *testing.B) {
		for b.Loop() {
			if _, err := Seal(io.Discard, bytes.NewReader(nil), f.target); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-empty", func(b *testing.B) {
		for b.Loop() {
			r, err := age.Decrypt(bytes.NewReader(offer.Bytes()), id)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, r)
		}
	})
	// The engine's path: Inspect's checks, then the same decryption.
	b.Run("identity-open-empty", func(b *testing.B) {
		for b.Loop() {
			r, err := id.Open(bytes.NewReader(offer.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, r)
		}
	})
	b.Run("inspect", func(b *testing.B) {
		for b.Loop() {
			if _, err := Inspect(bytes.NewReader(offer.Bytes()), f.target.Chain); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func (f *fixture) signature(t testing.TB) []byte {
	t.Helper()
	*f.clock = f.beacon.Chain().TimeOf(100)
	sig, err := f.beacon.Signature(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}
