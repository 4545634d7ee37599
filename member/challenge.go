package member

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// The key challenge of doc/spec/opening.md §2.1: the proof that a member
// holds the secret key of the recipient it registers. Both sides of the
// format are here, so that the registry that asks and the tool that
// answers cannot drift.

// KeyChallengeSize is the size of the secret a key challenge encrypts.
const KeyChallengeSize = 16

// MaxKeyChallengeSize caps a key challenge file: an armored age file with
// one ML-KEM-768 + X25519 stanza and 16 bytes of payload is about 2.2 KB;
// the cap leaves room for age to change.
const MaxKeyChallengeSize = 8 << 10

// NewKeyChallenge returns a key challenge for recipient: an armored age
// file of a fresh random secret, and the secret. The registry keeps the
// secret's digest and gives the file to the member's tool.
func NewKeyChallenge(recipient *age.HybridRecipient) (file, secret []byte, err error) {
	secret = make([]byte, KeyChallengeSize)
	rand.Read(secret)
	var b bytes.Buffer
	aw := armor.NewWriter(&b)
	w, err := age.Encrypt(aw, recipient)
	if err != nil {
		return nil, nil, fmt.Errorf("member: key challenge: %w", err)
	}
	if _, err := w.Write(secret); err != nil {
		return nil, nil, fmt.Errorf("member: key challenge: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("member: key challenge: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, nil, fmt.Errorf("member: key challenge: %w", err)
	}
	return b.Bytes(), secret, nil
}

// AnswerKeyChallenge is the member's tool's side of a key registration: it
// decrypts the challenge file with the member's key and returns the
// answer the registry expects. The key never leaves the tool. It fails if
// the file is not a key challenge (too large, not armored age, not 16
// bytes inside) or does not decrypt with the key.
func AnswerKeyChallenge(file []byte, key *age.HybridIdentity) ([]byte, error) {
	if len(file) > MaxKeyChallengeSize {
		return nil, fmt.Errorf("member: key challenge is %d bytes, more than %d", len(file), MaxKeyChallengeSize)
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(file)), key)
	if err != nil {
		return nil, fmt.Errorf("member: key challenge does not decrypt with this key: %w", err)
	}
	secret, err := io.ReadAll(io.LimitReader(r, KeyChallengeSize+1))
	if err != nil {
		return nil, fmt.Errorf("member: key challenge: %w", err)
	}
	if len(secret) != KeyChallengeSize {
		return nil, fmt.Errorf("member: key challenge holds %d bytes, not %d", len(secret), KeyChallengeSize)
	}
	return secret, nil
}
