package vault

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tink-crypto/tink-go/v2/aead/subtle"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// KEKSize is the length of a key-encryption key in bytes (AES-256).
const KEKSize = 32

// maxKEKFile caps what LoadKEKFile reads: an encoded KEK plus whitespace.
const maxKEKFile = 1024

// KEK is a key-encryption key: the one secret a deployment keeps outside the
// vault (a key file or an environment variable read by main). Every other
// secret is stored wrapped under it.
//
// The KEK is used directly as an AES-256-GCM key through tink's
// aead/subtle.AESGCM (random 12-byte nonce, 16-byte tag, no prefix). It is
// raw material supplied by the operator, so there is nothing to wrap a tink
// keyset for it under; using tink's own AEAD primitive keeps tink's
// keyset.WriteWithAssociatedData envelope format for everything below it.
type KEK struct {
	aead tink.AEAD
}

// ParseKEK parses a key-encryption key encoded as 64 hexadecimal digits or as
// 44 characters of padded standard base64 (what GenerateKEK returns).
// Surrounding whitespace is ignored, so a file with a trailing newline works.
func ParseKEK(s string) (*KEK, error) {
	s = strings.TrimSpace(s)
	var key []byte
	var err error
	switch len(s) {
	case hex.EncodedLen(KEKSize):
		key, err = hex.DecodeString(s)
	case base64.StdEncoding.EncodedLen(KEKSize):
		key, err = base64.StdEncoding.Strict().DecodeString(s)
	default:
		return nil, fmt.Errorf("vault: key-encryption key must be %d bytes written as %d hex digits or %d base64 characters, got %d characters (generate one with GenerateKEK)",
			KEKSize, hex.EncodedLen(KEKSize), base64.StdEncoding.EncodedLen(KEKSize), len(s))
	}
	if err != nil || len(key) != KEKSize {
		return nil, fmt.Errorf("vault: key-encryption key is not valid hex or base64 for %d bytes", KEKSize)
	}
	return newKEK(key)
}

// LoadKEKFile reads a key-encryption key from a file in the format ParseKEK
// accepts. Keep the file readable only by the lpsed user, on other media
// than the backups.
func LoadKEKFile(path string) (*KEK, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vault: reading key-encryption key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKEKFile+1))
	if err != nil {
		return nil, fmt.Errorf("vault: reading key-encryption key %s: %w", path, err)
	}
	if len(b) > maxKEKFile {
		return nil, fmt.Errorf("vault: key-encryption key file %s is larger than %d bytes", path, maxKEKFile)
	}
	k, err := ParseKEK(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// GenerateKEK returns a new random key-encryption key, base64-encoded, for
// an operator to store in a key file or a secret manager.
func GenerateKEK() string {
	key := make([]byte, KEKSize)
	rand.Read(key) // never fails (crypto/rand since Go 1.24)
	return base64.StdEncoding.EncodeToString(key)
}

func newKEK(key []byte) (*KEK, error) {
	a, err := subtle.NewAESGCM(key)
	if err != nil {
		return nil, fmt.Errorf("vault: key-encryption key: %w", err)
	}
	return &KEK{aead: a}, nil
}

// wrongKEKError reports a KEK that does not open the deployment's KEK check
// value: nothing was read with it, nothing changed. It wraps ErrCorrupt, the
// sentinel for secrets that do not decrypt, but says what to do rather than
// "corrupt", which reads like data loss.
type wrongKEKError struct {
	what string // the KEK in question; "the KEK" if empty
}

func (e wrongKEKError) Error() string {
	what := e.what
	if what == "" {
		what = "the KEK"
	}
	return "vault: " + what + " does not unwrap this deployment's keys: wrong KEK? (the data is intact; give the KEK the deployment was created with)"
}

func (e wrongKEKError) Unwrap() error { return ErrCorrupt }

// errWrongKEK is reported when stored secrets do not decrypt.
var errWrongKEK = errors.New("does not decrypt under this key-encryption key (wrong KEK, or the record was altered)")
