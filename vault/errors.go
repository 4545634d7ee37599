package vault

import "errors"

// Sentinel errors that callers branch on. Backends wrap them with context, so
// test with errors.Is.
var (
	// ErrNotFound reports a record, blob or secret that does not exist.
	ErrNotFound = errors.New("vault: not found")
	// ErrExists reports an Insert of a key that is already present.
	ErrExists = errors.New("vault: already exists")
	// ErrTooLarge reports a blob or record larger than its limit. Nothing was
	// stored.
	ErrTooLarge = errors.New("vault: too large")
	// ErrCorrupt reports stored bytes that no longer hash to their digest, or a
	// wrapped secret that does not decrypt under the key-encryption key.
	ErrCorrupt = errors.New("vault: corrupt")
)
