package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

var errShortRead = errors.New("auditlog: storage returned the wrong number of hashes")

// NewMemoryStorage returns a Storage that keeps everything in memory, for
// tests, examples and benchmarks. It is safe for concurrent use.
func NewMemoryStorage() Storage {
	return &memoryStorage{checkpoints: make(map[int64][]byte)}
}

type memoryStorage struct {
	mu          sync.RWMutex
	entries     [][]byte
	hashes      []tlog.Hash
	checkpoints map[int64][]byte
	latest      int64 // size of the largest checkpoint, if any
}

func (m *memoryStorage) Size(ctx context.Context) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.entries)), nil
}

func (m *memoryStorage) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if size := int64(len(m.entries)); n != size {
		return fmt.Errorf("auditlog: append at %d, storage holds %d entries: %w", n, size, ErrConflict)
	}
	end := n + int64(len(entries))
	if want := tlog.StoredHashCount(end) - tlog.StoredHashCount(n); int64(len(hashes)) != want {
		return fmt.Errorf("auditlog: append of %d entries at %d with %d hashes, want %d", len(entries), n, len(hashes), want)
	}
	for _, e := range entries {
		m.entries = append(m.entries, bytes.Clone(e))
	}
	m.hashes = append(m.hashes, hashes...)
	return nil
}

func (m *memoryStorage) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("auditlog: hash %d of %d: %w", x, len(m.hashes), ErrNotFound)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memoryStorage) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if start < 0 || start > end || end > int64(len(m.entries)) {
		return nil, fmt.Errorf("auditlog: entries [%d, %d) of %d: %w", start, end, len(m.entries), ErrNotFound)
	}
	out := make([][]byte, 0, end-start)
	for _, e := range m.entries[start:end] {
		out = append(out, bytes.Clone(e))
	}
	return out, nil
}

func (m *memoryStorage) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	if size < 0 {
		return fmt.Errorf("auditlog: checkpoint size %d", size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.checkpoints[size]; ok {
		if !bytes.Equal(old, signed) {
			return fmt.Errorf("auditlog: different checkpoint for size %d: %w", size, ErrConflict)
		}
		return nil
	}
	m.checkpoints[size] = bytes.Clone(signed)
	if len(m.checkpoints) == 1 || size > m.latest {
		m.latest = size
	}
	return nil
}

func (m *memoryStorage) Checkpoint(ctx context.Context, size int64) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if size < 0 {
		if len(m.checkpoints) == 0 {
			return nil, fmt.Errorf("auditlog: no checkpoint: %w", ErrNotFound)
		}
		size = m.latest
	}
	c, ok := m.checkpoints[size]
	if !ok {
		return nil, fmt.Errorf("auditlog: no checkpoint for size %d: %w", size, ErrNotFound)
	}
	return bytes.Clone(c), nil
}
