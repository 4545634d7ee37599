package vault

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

// AuditLog returns the storage of the audit log called name in the embedded
// database. Appends are durable when they return (synchronous=FULL).
func (e *Embedded) AuditLog(name string) auditlog.Storage {
	return &sqliteLog{e: e, name: name}
}

type sqliteLog struct {
	e    *Embedded
	name string
}

func (l *sqliteLog) Size(ctx context.Context) (int64, error) {
	if err := checkKey(l.name); err != nil {
		return 0, fmt.Errorf("vault: audit log name: %w", err)
	}
	return sqliteLogSize(ctx, l.e.reader, l.name)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func sqliteLogSize(ctx context.Context, q queryRower, log string) (int64, error) {
	var size int64
	err := q.QueryRowContext(ctx, `SELECT size FROM log_sizes WHERE log = ?`, log).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("vault: audit log %s: size: %w", log, err)
	}
	return size, nil
}

func (l *sqliteLog) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
	if err := checkAppend(l.name, n, entries, hashes); err != nil {
		return err
	}
	tx, err := l.e.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("vault: audit log %s: begin: %w", l.name, err)
	}
	defer tx.Rollback()
	size, err := sqliteLogSize(ctx, tx, l.name)
	if err != nil {
		return err
	}
	if size != n {
		return conflict(l.name, n, size)
	}
	if err := sqliteInsertAll(ctx, tx, `INSERT INTO log_entries (log, idx, data) VALUES (?, ?, ?)`, l.name, n, len(entries), func(i int) []byte { return nonNil(entries[i]) }); err != nil {
		return fmt.Errorf("vault: audit log %s: storing entries: %w", l.name, err)
	}
	base := tlog.StoredHashIndex(0, n)
	if err := sqliteInsertAll(ctx, tx, `INSERT INTO log_hashes (log, idx, hash) VALUES (?, ?, ?)`, l.name, base, len(hashes), func(i int) []byte { return hashes[i][:] }); err != nil {
		return fmt.Errorf("vault: audit log %s: storing hashes: %w", l.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO log_sizes (log, size) VALUES (?, ?)
		ON CONFLICT (log) DO UPDATE SET size = excluded.size`, l.name, n+int64(len(entries))); err != nil {
		return fmt.Errorf("vault: audit log %s: storing size: %w", l.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("vault: audit log %s: commit: %w", l.name, err)
	}
	return nil
}

func sqliteInsertAll(ctx context.Context, tx *sql.Tx, query, log string, first int64, count int, value func(int) []byte) error {
	if count == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range count {
		if _, err := stmt.ExecContext(ctx, log, first+int64(i), value(i)); err != nil {
			return err
		}
	}
	return nil
}

func (l *sqliteLog) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if err := checkIndexes(l.name, indexes); err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		return []tlog.Hash{}, nil
	}
	list, _ := json.Marshal(indexes)
	rows, err := l.e.reader.QueryContext(ctx, `SELECT idx, hash FROM log_hashes
		WHERE log = ? AND idx IN (SELECT value FROM json_each(?))`, l.name, string(list))
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

func (l *sqliteLog) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	if err := checkRange(l.name, start, end); err != nil {
		return nil, err
	}
	rows, err := l.e.reader.QueryContext(ctx, `SELECT idx, data FROM log_entries
		WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx`, l.name, start, end)
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

func (l *sqliteLog) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	if err := checkCheckpoint(l.name, size, signed); err != nil {
		return err
	}
	tx, err := l.e.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("vault: audit log %s: begin: %w", l.name, err)
	}
	defer tx.Rollback()
	var old []byte
	err = tx.QueryRowContext(ctx, `SELECT signed FROM log_checkpoints WHERE log = ? AND size = ?`, l.name, size).Scan(&old)
	switch {
	case err == nil && bytes.Equal(old, signed):
		return nil
	case err == nil:
		return fmt.Errorf("vault: audit log %s: a different checkpoint for size %d is stored: %w", l.name, size, auditlog.ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("vault: audit log %s: checkpoint: %w", l.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO log_checkpoints (log, size, signed) VALUES (?, ?, ?)`, l.name, size, nonNil(signed)); err != nil {
		return fmt.Errorf("vault: audit log %s: storing checkpoint: %w", l.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("vault: audit log %s: commit: %w", l.name, err)
	}
	return nil
}

func (l *sqliteLog) Checkpoint(ctx context.Context, size int64) ([]byte, error) {
	if err := checkKey(l.name); err != nil {
		return nil, fmt.Errorf("vault: audit log name: %w", err)
	}
	var signed []byte
	var err error
	if size < 0 {
		err = l.e.reader.QueryRowContext(ctx, `SELECT signed FROM log_checkpoints WHERE log = ? ORDER BY size DESC LIMIT 1`, l.name).Scan(&signed)
	} else {
		err = l.e.reader.QueryRowContext(ctx, `SELECT signed FROM log_checkpoints WHERE log = ? AND size = ?`, l.name, size).Scan(&signed)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("vault: audit log %s: no checkpoint for size %d: %w", l.name, size, auditlog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: audit log %s: checkpoint: %w", l.name, err)
	}
	return nonNil(signed), nil
}
