package auditlog

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"

	"golang.org/x/mod/sumdb/note"
)

// GenerateKey returns a new Ed25519 signed-note key pair named name, as
// note.GenerateKey does, with randomness from crypto/rand. The signer key skey
// must be kept secret; the verifier key vkey is what auditors pin.
//
// A log's key must be named after its origin; a receipt key must have a
// different name.
func GenerateKey(name string) (skey, vkey string, err error) {
	if err := checkOrigin(name); err != nil {
		return "", "", fmt.Errorf("auditlog: key name: %v", err)
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("auditlog: generating key: %v", err)
	}
	return skey, vkey, nil
}

// NewVerifier parses a verifier key as note.NewVerifier does, but accepts
// only its canonical encoding (lowercase hex key ID, canonical base64), so
// that a pinned key string has exactly one spelling. Errors wrap ErrMalformed.
func NewVerifier(vkey string) (note.Verifier, error) {
	// The base64 key may itself contain '+'; the name and hash may not.
	name, rest, _ := strings.Cut(vkey, "+")
	hash, key, _ := strings.Cut(rest, "+")
	if len(hash) != 8 || !canon.IsLowerHex(hash) || !canon.IsCanonicalBase64(key) {
		return nil, fmt.Errorf("%w: verifier key is not name+hash+key in canonical form", ErrMalformed)
	}
	if err := checkOrigin(name); err != nil {
		return nil, fmt.Errorf("%w: verifier key name: %v", ErrMalformed, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier key: %v", ErrMalformed, err)
	}
	return v, nil
}
