package vault

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

// sqlStore is what the code shared by the SQL backends needs of one: its
// dialect and where to run statements.
type sqlStore struct {
	d *dialect
	// read runs audit-log reads; write runs single statements that write.
	read, write querier
	// inTx runs fn in a read-write transaction and commits it if fn
	// returns nil.
	inTx func(ctx context.Context, fn func(querier) error) error
}

// sqlLog implements auditlog.Storage for one log of a SQL backend. Append
// runs in one transaction that reads the log's size row (locked FOR UPDATE
// on PostgreSQL, where several lpsed instances may append: exactly one of
// two appenders at the same size wins, and the other gets
// auditlog.ErrConflict; SQLite has one writer), inserts the entries and
// hashes and sets the new size.
type sqlLog struct {
	s    *sqlStore
	name string
}

func (s *sqlStore) auditLog(name string) auditlog.Storage {
	return &sqlLog{s: s, name: name}
}

func (l *sqlLog) Size(ctx context.Context) (int64, error) {
	if err := checkKey(l.name); err != nil {
		return 0, fmt.Errorf("vault: audit log name: %w", err)
	}
	return l.size(ctx, l.s.read, l.s.d.logSize)
}

func (l *sqlLog) size(ctx context.Context, q querier, query string) (int64, error) {
	var size int64
	err := q.queryRow(ctx, query, l.name).Scan(&size)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("vault: audit log %s: size: %w", l.name, err)
	}
	return size, nil
}

func (l *sqlLog) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
	if err := checkAppend(l.name, n, entries, hashes); err != nil {
		return err
	}
	data := make([][]byte, len(entries))
	for i, e := range entries {
		data[i] = nonNil(e)
	}
	hs := make([][]byte, len(hashes))
	for i := range hashes {
		hs[i] = hashes[i][:]
	}
	d := l.s.d
	return l.s.inTx(ctx, func(q querier) error {
		if _, err := q.exec(ctx, d.ensureLogSize, l.name); err != nil {
			return fmt.Errorf("vault: audit log %s: %w", l.name, err)
		}
		size, err := l.size(ctx, q, d.logSizeForAppend)
		if err != nil {
			return err
		}
		if size != n {
			return conflict(l.name, n, size)
		}
		if len(entries) == 0 {
			return nil
		}
		if _, err := q.exec(ctx, d.insertEntries, l.name, n, d.bytesList(data)); err != nil {
			return fmt.Errorf("vault: audit log %s: storing entries: %w", l.name, err)
		}
		if _, err := q.exec(ctx, d.insertHashes, l.name, tlog.StoredHashIndex(0, n), d.bytesList(hs)); err != nil {
			return fmt.Errorf("vault: audit log %s: storing hashes: %w", l.name, err)
		}
		if _, err := q.exec(ctx, d.setLogSize, l.name, n+int64(len(entries))); err != nil {
			return fmt.Errorf("vault: audit log %s: storing size: %w", l.name, err)
		}
		return nil
	})
}

func (l *sqlLog) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if err := checkIndexes(l.name, indexes); err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		return []tlog.Hash{}, nil
	}
	rows, err := l.s.read.query(ctx, l.s.d.readHashes, l.name, l.s.d.int64List(indexes))
	if err != nil {
		return nil, fmt.Errorf("vault: audit log %s: reading hashes: %w", l.name, err)
	}
	defer rows.Close()
	found := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return nil, fmt.Errorf("vault: audit log %s: reading hashes: %w", l.name, err)
		}
		if len(h) != len(tlog.Hash{}) {
			return nil, fmt.Errorf("vault: audit log %s: hash %d has %d bytes: %w", l.name, x, len(h), ErrCorrupt)
		}
		found[x] = tlog.Hash(h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vault: audit log %s: reading hashes: %w", l.name, err)
	}
	return hashesInOrder(l.name, indexes, found)
}

func (l *sqlLog) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	if err := checkRange(l.name, start, end); err != nil {
		return nil, err
	}
	rows, err := l.s.read.query(ctx, l.s.d.readEntries, l.name, start, end)
	if err != nil {
		return nil, fmt.Errorf("vault: audit log %s: reading entries: %w", l.name, err)
	}
	defer rows.Close()
	out := make([][]byte, 0, end-start)
	for rows.Next() {
		var x int64
		var data []byte
		if err := rows.Scan(&x, &data); err != nil {
			return nil, fmt.Errorf("vault: audit log %s: reading entries: %w", l.name, err)
		}
		if x != start+int64(len(out)) {
			break
		}
		out = append(out, nonNil(data))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vault: audit log %s: reading entries: %w", l.name, err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("vault: audit log %s: entry %d is not stored: %w", l.name, start+int64(len(out)), ErrNotFound)
	}
	return out, nil
}

// PutCheckpoint inserts the checkpoint unless one is stored for its size;
// stored checkpoints are never changed, so a second read of that one is
// stable.
func (l *sqlLog) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	if err := checkCheckpoint(l.name, size, signed); err != nil {
		return err
	}
	n, err := l.s.write.exec(ctx, l.s.d.insertCheckpoint, l.name, size, nonNil(signed))
	if err != nil {
		return fmt.Errorf("vault: audit log %s: storing checkpoint: %w", l.name, err)
	}
	if n == 1 {
		return nil
	}
	var old []byte
	if err := l.s.write.queryRow(ctx, l.s.d.checkpointAt, l.name, size).Scan(&old); err != nil {
		return fmt.Errorf("vault: audit log %s: checkpoint: %w", l.name, err)
	}
	if !bytes.Equal(old, signed) {
		return fmt.Errorf("vault: audit log %s: a different checkpoint for size %d is stored: %w", l.name, size, auditlog.ErrConflict)
	}
	return nil
}

func (l *sqlLog) Checkpoint(ctx context.Context, size int64) ([]byte, error) {
	if err := checkKey(l.name); err != nil {
		return nil, fmt.Errorf("vault: audit log name: %w", err)
	}
	var signed []byte
	var err error
	if size < 0 {
		err = l.s.read.queryRow(ctx, l.s.d.lastCheckpoint, l.name).Scan(&signed)
	} else {
		err = l.s.read.queryRow(ctx, l.s.d.checkpointAt, l.name, size).Scan(&signed)
	}
	if isNoRows(err) {
		return nil, fmt.Errorf("vault: audit log %s: no checkpoint for size %d: %w", l.name, size, auditlog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: audit log %s: checkpoint: %w", l.name, err)
	}
	return nonNil(signed), nil
}
