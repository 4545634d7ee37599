package auditlog

import (
	"context"

	"golang.org/x/mod/sumdb/tlog"
)

// Storage is the durable state of one log. Implementations must make Append
// atomic and durable before returning. The conformance suite in
// auditlog/auditlogtest checks an implementation against this contract.
//
// Implementations must be safe for concurrent use.
type Storage interface {
	// Size returns the number of entries stored.
	Size(ctx context.Context) (int64, error)
	// Append stores entries at indexes n, n+1, … and the tree hashes they add
	// (hashes[i] is stored at storage index tlog.StoredHashIndex(0, n)+i), atomically.
	// It returns an error wrapping ErrConflict if Size() != n.
	Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error
	// ReadHashes returns the stored hashes at the given storage indexes.
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// ReadEntries returns entries [start, end).
	ReadEntries(ctx context.Context, start, end int64) ([][]byte, error)
	// PutCheckpoint stores a signed checkpoint for tree size `size` (idempotent for identical bytes).
	PutCheckpoint(ctx context.Context, size int64, signed []byte) error
	// Checkpoint returns the stored checkpoint for size, or the latest when size < 0; ErrNotFound if none.
	Checkpoint(ctx context.Context, size int64) ([]byte, error)
}

// storageHashReader adapts s to tlog.HashReader for the duration of one call.
func storageHashReader(ctx context.Context, s Storage) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hashes, err := s.ReadHashes(ctx, indexes)
		if err == nil && len(hashes) != len(indexes) {
			err = errShortRead
		}
		return hashes, err
	})
}
