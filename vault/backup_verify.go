package vault

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"

	"github.com/segel-lpse/segel/vault/internal/archive"
)

// describe fills m with what q (a snapshot's transaction, or a restored
// vault's pool) stores: the schema version, the number of records, and
// the state of every audit log.
func describe(ctx context.Context, q querier, d *dialect, m *Manifest) error {
	if err := q.queryRow(ctx, d.schemaVersion).Scan(&m.Schema); err != nil {
		return fmt.Errorf("vault: not a vault database (schema_migrations): %w", err)
	}
	if err := q.queryRow(ctx, d.countRecords).Scan(&m.Records); err != nil {
		return fmt.Errorf("vault: counting records: %w", err)
	}
	rows, err := q.query(ctx, d.listLogs)
	if err != nil {
		return fmt.Errorf("vault: listing audit logs: %w", err)
	}
	m.Logs = nil
	for rows.Next() {
		var l LogState
		if err := rows.Scan(&l.Name, &l.Size); err != nil {
			rows.Close()
			return fmt.Errorf("vault: listing audit logs: %w", err)
		}
		m.Logs = append(m.Logs, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("vault: listing audit logs: %w", err)
	}
	for i := range m.Logs {
		l := &m.Logs[i]
		err := q.queryRow(ctx, d.lastCheckpoint, l.Name).Scan(&l.Checkpoint)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("vault: audit log %s: checkpoint: %w", l.Name, err)
		}
		if len(l.Checkpoint) == 0 {
			l.Checkpoint = nil
		}
	}
	return nil
}

// verifyRestored checks a restored vault from its own storage
// (doc/spec/backup.md §6, step 5) and fills m: every blob that blobs
// lists reads back whole and rehashes; every audit log's entries hash to
// the tree stored for them, with no stray rows; the log the header
// records has its size and latest checkpoint.
func verifyRestored(ctx context.Context, b Backend, s *sqlStore, blobs func(context.Context, func([32]byte) error) error, h *archive.Header, m *Manifest) error {
	if err := describe(ctx, s.read, s.d, m); err != nil {
		return err
	}
	for _, l := range m.Logs {
		if err := verifyLogRows(ctx, s, l); err != nil {
			return err
		}
		if err := verifyLog(ctx, b.AuditLog(l.Name), l.Name, l.Size); err != nil {
			return err
		}
	}
	got := m.Log(h.Log.Name)
	if got.Size != h.Log.Size {
		return fmt.Errorf("vault: the restored audit log %s has %d entries; the archive recorded %d: %w", got.Name, got.Size, h.Log.Size, ErrCorrupt)
	}
	if !bytes.Equal(got.Checkpoint, []byte(h.Log.Checkpoint)) {
		return fmt.Errorf("vault: the restored audit log %s's latest checkpoint differs from the one the archive recorded: %w", got.Name, ErrCorrupt)
	}
	m.Blobs, m.BlobBytes = 0, 0
	return blobs(ctx, func(d [32]byte) error {
		n, err := readBlobThrough(ctx, b, d)
		if err != nil {
			return err
		}
		m.Blobs++
		m.BlobBytes += n
		return nil
	})
}

// readBlobThrough reads the blob d to its end through the vault, which
// rehashes it, and returns its size.
func readBlobThrough(ctx context.Context, b Blobs, d [32]byte) (int64, error) {
	rc, err := b.Open(ctx, d)
	if err != nil {
		return 0, fmt.Errorf("vault: restored blob %x: %w", d[:], err)
	}
	n, err := io.Copy(io.Discard, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("vault: restored blob %x: %w", d[:], err)
	}
	return n, nil
}

// verifyLogRows checks that log l has exactly the entry and hash rows its
// size calls for, and no checkpoint for a larger size.
func verifyLogRows(ctx context.Context, s *sqlStore, l LogState) error {
	var entries, hashes, maxCheckpoint int64
	if err := s.read.queryRow(ctx, s.d.logCounts, l.Name).Scan(&entries, &hashes, &maxCheckpoint); err != nil {
		return fmt.Errorf("vault: audit log %s: %w", l.Name, err)
	}
	switch {
	case entries != l.Size:
		return fmt.Errorf("vault: audit log %s has %d entries stored for a size of %d: %w", l.Name, entries, l.Size, ErrCorrupt)
	case hashes != tlog.StoredHashCount(l.Size):
		return fmt.Errorf("vault: audit log %s has %d tree hashes stored for a size of %d, want %d: %w", l.Name, hashes, l.Size, tlog.StoredHashCount(l.Size), ErrCorrupt)
	case maxCheckpoint > l.Size:
		return fmt.Errorf("vault: audit log %s has a checkpoint for size %d but %d entries: %w", l.Name, maxCheckpoint, l.Size, ErrCorrupt)
	}
	return nil
}

// verifyBatch is how many entries verifyLog reads at once.
const verifyBatch = 1024

// verifyLog checks that the first size entries of a log hash to the tree
// hashes stored for them: for each entry n, in order, tlog.StoredHashes
// computes the hashes entry n adds from its bytes and the stored hashes of
// the subtrees before it, which are checked already, and they must equal
// the stored ones. So every stored hash, and the tree hash of every size
// that tlog.TreeHash computes from them, is the RFC 6962 hash of the
// entries.
func verifyLog(ctx context.Context, st auditlog.Storage, name string, size int64) error {
	stored := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var missing []int64
		for i, x := range indexes {
			h, ok := stored[x]
			if !ok {
				missing = append(missing, x)
			}
			out[i] = h
		}
		if len(missing) == 0 {
			return out, nil
		}
		// Hashes of subtrees before the current batch, checked earlier.
		hs, err := st.ReadHashes(ctx, missing)
		if err != nil {
			return nil, err
		}
		for i, x := range missing {
			stored[x] = hs[i]
		}
		for i, x := range indexes {
			out[i] = stored[x]
		}
		return out, nil
	})
	for start := int64(0); start < size; start += verifyBatch {
		end := min(start+verifyBatch, size)
		entries, err := st.ReadEntries(ctx, start, end)
		if err != nil {
			return err
		}
		lo, hi := tlog.StoredHashIndex(0, start), tlog.StoredHashCount(end)
		indexes := make([]int64, hi-lo)
		for i := range indexes {
			indexes[i] = lo + int64(i)
		}
		hs, err := st.ReadHashes(ctx, indexes)
		if err != nil {
			return err
		}
		clear(stored)
		for i, h := range hs {
			stored[lo+int64(i)] = h
		}
		for n := start; n < end; n++ {
			want, err := tlog.StoredHashes(n, entries[n-start], reader)
			if err != nil {
				return fmt.Errorf("vault: audit log %s: entry %d: %w", name, n, err)
			}
			base := tlog.StoredHashIndex(0, n)
			for i, h := range want {
				if stored[base+int64(i)] != h {
					return fmt.Errorf("vault: audit log %s: entry %d does not hash to the tree stored for it (hash %d): %w", name, n, base+int64(i), ErrCorrupt)
				}
			}
		}
	}
	return nil
}
