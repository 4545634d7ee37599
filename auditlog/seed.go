package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// SeedSize is the size of the secret from which KeyFromSeed derives a key.
const SeedSize = ed25519.SeedSize

// KeyFromSeed returns the signed-note Ed25519 key pair named name whose
// private key is seed, in note's encodings. A deployment keeps the 32-byte
// seed in its vault (encrypted under its key-encryption key) rather than
// the key strings.
func KeyFromSeed(name string, seed []byte) (skey, vkey string, err error) {
	if len(seed) != SeedSize {
		return "", "", fmt.Errorf("auditlog: key seed is %d bytes, want %d", len(seed), SeedSize)
	}
	if err := checkOrigin(name); err != nil {
		return "", "", fmt.Errorf("auditlog: key name: %v", err)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	// sumdb/note: key hash = first 4 bytes of SHA-256(name ‖ "\n" ‖ alg ‖ key),
	// algorithm byte 1 for Ed25519.
	const algEd25519 = 1
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algEd25519})
	h.Write(pub)
	hash := binary.BigEndian.Uint32(h.Sum(nil))
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, seed...)))
	vkey = fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, pub...)))
	// Round-trip through note's own parsers, so a mistake here cannot
	// produce a key that signs what it does not verify.
	s, err := note.NewSigner(skey)
	if err != nil {
		return "", "", fmt.Errorf("auditlog: derived signer key: %v", err)
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		return "", "", err
	}
	if s.KeyHash() != v.KeyHash() || s.Name() != v.Name() {
		return "", "", fmt.Errorf("auditlog: derived keys do not match")
	}
	return skey, vkey, nil
}
