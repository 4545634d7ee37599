package vault

import (
	"errors"

	"github.com/segel-lpse/segel/vault/internal/archive"
)

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
	// ErrReadOnly reports a write to a backend opened read-only, or inside
	// View.
	ErrReadOnly = errors.New("vault: read-only")
	// ErrBadArchive reports a backup archive that breaks
	// doc/spec/backup.md: damaged, incomplete, or not an archive. A
	// restore that fails with it has written nothing that stays; another
	// copy of the archive may restore.
	ErrBadArchive = archive.ErrBad
)
