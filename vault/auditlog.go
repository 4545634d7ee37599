package vault

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault/internal/archive"
)

// maxCheckpointSize caps a stored signed checkpoint, and so the one a
// backup header holds.
const maxCheckpointSize = archive.MaxCheckpoint

// checkAppend validates the arguments of auditlog.Storage.Append that do not
// depend on what is stored.
func checkAppend(log string, n int64, entries [][]byte, hashes []tlog.Hash) error {
	if err := checkKey(log); err != nil {
		return fmt.Errorf("vault: audit log name: %w", err)
	}
	if n < 0 {
		return fmt.Errorf("vault: audit log %s: append at negative index %d", log, n)
	}
	want := tlog.StoredHashCount(n+int64(len(entries))) - tlog.StoredHashCount(n)
	if int64(len(hashes)) != want {
		return fmt.Errorf("vault: audit log %s: appending %d entries at %d takes %d hashes, got %d", log, len(entries), n, want, len(hashes))
	}
	for i, e := range entries {
		if len(e) > auditlog.MaxEntrySize {
			return fmt.Errorf("vault: audit log %s: entry %d is %d bytes, limit %d: %w", log, n+int64(i), len(e), auditlog.MaxEntrySize, ErrTooLarge)
		}
	}
	return nil
}

func checkRange(log string, start, end int64) error {
	if err := checkKey(log); err != nil {
		return fmt.Errorf("vault: audit log name: %w", err)
	}
	if start < 0 || end < start {
		return fmt.Errorf("vault: audit log %s: bad entry range [%d, %d)", log, start, end)
	}
	return nil
}

func checkIndexes(log string, indexes []int64) error {
	if err := checkKey(log); err != nil {
		return fmt.Errorf("vault: audit log name: %w", err)
	}
	for _, x := range indexes {
		if x < 0 {
			return fmt.Errorf("vault: audit log %s: negative hash index %d", log, x)
		}
	}
	return nil
}

func checkCheckpoint(log string, size int64, signed []byte) error {
	if err := checkKey(log); err != nil {
		return fmt.Errorf("vault: audit log name: %w", err)
	}
	if size < 0 {
		return fmt.Errorf("vault: audit log %s: checkpoint for negative size %d", log, size)
	}
	if len(signed) > maxCheckpointSize {
		return fmt.Errorf("vault: audit log %s: checkpoint of %d bytes, limit %d: %w", log, len(signed), maxCheckpointSize, ErrTooLarge)
	}
	return nil
}

// hashesInOrder returns the hashes for indexes (which may repeat and be in
// any order) from what a query found, or an error naming a missing one.
func hashesInOrder(log string, indexes []int64, found map[int64]tlog.Hash) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := found[x]
		if !ok {
			return nil, fmt.Errorf("vault: audit log %s: hash %d is not stored: %w", log, x, ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

func conflict(log string, n, size int64) error {
	return fmt.Errorf("vault: audit log %s: append at %d but the log has %d entries: %w", log, n, size, auditlog.ErrConflict)
}
