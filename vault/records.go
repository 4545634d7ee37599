package vault

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// Limits on records. Records are small (JSON a domain package marshals);
// documents belong in [Blobs].
const (
	MaxTableName  = 63      // bytes in a table name
	MaxKeySize    = 1024    // bytes in a key
	MaxRecordSize = 1 << 20 // bytes in a value
)

// Records is a transactional key-value store of small records in tables named
// by the caller.
type Records interface {
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot. Writes inside fn fail.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a serializable read-write transaction and commits it
	// if fn returns nil; any error from fn rolls everything back and is
	// returned unchanged. When the backend reports a serialization conflict,
	// Update rolls back and calls fn again, so fn must not have effects
	// outside the Tx (or they must be safe to repeat).
	Update(ctx context.Context, fn func(Tx) error) error
	// Batch is Update for many small concurrent writers: calls that arrive
	// while a transaction is committing are run together in the next one
	// (group commit), so N concurrent calls cost about one commit, not N.
	// fn may therefore run more than once, and in a transaction with other
	// callers' functions; its writes take effect only if Batch returns nil.
	// If fn returns an error, the others are committed without it and fn
	// runs again alone; that run's error is returned. fn must not call
	// Update or Batch (the transaction it is in may be the only writer).
	Batch(ctx context.Context, fn func(Tx) error) error
}

// Tx is the view of [Records] inside one transaction. It is valid only until
// the function it was passed to returns, and must not be used concurrently.
type Tx interface {
	// Get returns the value stored under table and key, or ErrNotFound.
	Get(table, key string) ([]byte, error)
	// Put stores value under table and key, replacing any previous value.
	Put(table, key string, value []byte) error
	// Insert stores value under table and key, or returns ErrExists if the
	// key is present. Use it for uniqueness constraints (an NPWP, an email).
	Insert(table, key string, value []byte) error
	// Delete removes table and key. Deleting an absent key is not an error.
	Delete(table, key string) error
	// Scan calls fn for every key in table that starts with prefix, in
	// ascending byte order of the keys, and stops at the first error fn
	// returns. fn may call other Tx methods; writes made during the scan
	// may or may not be seen by it.
	Scan(table, prefix string, fn func(key string, value []byte) error) error
}

// checkTable enforces table names of 1 to MaxTableName bytes of [a-z0-9_],
// starting with a letter, so that they are safe in any backend and in paths.
func checkTable(table string) error {
	if table == "" || len(table) > MaxTableName {
		return fmt.Errorf("vault: table name %q must be 1 to %d bytes", table, MaxTableName)
	}
	for i := 0; i < len(table); i++ {
		c := table[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return fmt.Errorf("vault: table name %q: use a lowercase letter followed by [a-z0-9_]", table)
		}
	}
	return nil
}

// checkKey enforces keys of 1 to MaxKeySize bytes of valid UTF-8 without NUL,
// which every backend stores and orders bytewise.
func checkKey(key string) error {
	if key == "" || len(key) > MaxKeySize {
		return fmt.Errorf("vault: key must be 1 to %d bytes, got %d", MaxKeySize, len(key))
	}
	return checkPrefix(key)
}

func checkPrefix(prefix string) error {
	if len(prefix) > MaxKeySize {
		return fmt.Errorf("vault: key prefix longer than %d bytes", MaxKeySize)
	}
	if !utf8.ValidString(prefix) {
		return fmt.Errorf("vault: key %q is not valid UTF-8", prefix)
	}
	for i := 0; i < len(prefix); i++ {
		if prefix[i] == 0 {
			return fmt.Errorf("vault: key %q contains a NUL byte", prefix)
		}
	}
	return nil
}

func checkRecord(table, key string, value []byte) error {
	if err := checkTable(table); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) > MaxRecordSize {
		return fmt.Errorf("vault: record %s/%s is %d bytes, limit %d: %w", table, key, len(value), MaxRecordSize, ErrTooLarge)
	}
	return nil
}

// nonNil turns a nil value into an empty one: SQL drivers store nil as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// scanPage is how many rows a Scan reads per query. Paging keeps memory
// bounded and frees the connection so fn can call other Tx methods.
const scanPage = 256

// errReadOnly is returned by writes inside View.
var errReadOnly = fmt.Errorf("%w: write inside View: use Update", ErrReadOnly)
