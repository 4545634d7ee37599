package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/segel-lpse/segel/sealer"
)

// sizes draws n plaintext sizes from a log-normal distribution with the
// given median and sigma (of ln size), capped at maxSize, from a PRNG seeded
// with seed and stream: the same arguments give the same sizes.
func sizes(seed, stream uint64, n int, median Size, sigma float64, maxSize Size) []int64 {
	r := rand.New(rand.NewPCG(seed, stream))
	out := make([]int64, n)
	for i := range out {
		s := float64(median) * math.Exp(sigma*r.NormFloat64())
		out[i] = int64(min(max(s, 1), float64(maxSize)))
	}
	return out
}

// plaintext fills a document of n bytes from a PRNG seeded by the offer's
// coordinates. The bytes are random, as compressed PDFs and archives are.
func plaintext(buf []byte, n int64, seed uint64, tenderIdx, offerIdx int) []byte {
	var key [32]byte
	copy(key[:], []byte("segel-bench-plaintext-key-000000"))
	for i := range 8 {
		key[i] ^= byte(seed >> (8 * i))
	}
	key[8], key[9], key[10], key[11] = byte(tenderIdx), byte(tenderIdx>>8), byte(tenderIdx>>16), byte(tenderIdx>>24)
	key[12], key[13], key[14], key[15] = byte(offerIdx), byte(offerIdx>>8), byte(offerIdx>>16), byte(offerIdx>>24)
	buf = buf[:0]
	if int64(cap(buf)) < n {
		buf = make([]byte, 0, n)
	}
	buf = buf[:n]
	rand.NewChaCha8(key).Read(buf)
	return buf
}

// sealed is one offer sealed by its bidder before the measured phase.
type sealed struct {
	SHA256 [32]byte
	Size   int64
}

// sealTo seals doc to target into dst (reset first) and returns its digest.
func sealTo(dst *bytes.Buffer, doc []byte, target sealer.Target) (sealed, error) {
	dst.Reset()
	if _, err := sealer.Seal(dst, bytes.NewReader(doc), target); err != nil {
		return sealed{}, err
	}
	return sealed{SHA256: sha256.Sum256(dst.Bytes()), Size: int64(dst.Len())}, nil
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
