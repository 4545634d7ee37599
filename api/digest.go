package api

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// A Digest is a SHA-256, on the wire as 64 lowercase hex digits: of a
// sealed offer, a tender document, a text the server keeps (a question, a
// notice, a result), a signed report. The zero Digest is "none": a field
// that holds one is absent.
type Digest [32]byte

// ErrDigest is the error of ParseDigest and of decoding a Digest.
var ErrDigest = errors.New("not a SHA-256 as 64 lowercase hex digits")

// ParseDigest parses the wire form of a digest: exactly 64 lowercase hex
// digits. Upper case is refused, so that one digest has one spelling (in
// a path, a cache key or a comparison).
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != 2*len(d) {
		return d, fmt.Errorf("%.70q is %w (it has %d characters)", s, ErrDigest, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return d, fmt.Errorf("%.70q is %w (%q at %d)", s, ErrDigest, c, i)
		}
	}
	hex.Decode(d[:], []byte(s))
	return d, nil
}

func (Digest) about() string {
	return "A SHA-256, as 64 lowercase hex digits: of a sealed offer, a document or a text the server keeps, a signed report."
}

// String returns d in lowercase hex.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the zero digest, which stands for none.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText returns d in lowercase hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses lowercase hex, as ParseDigest.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
