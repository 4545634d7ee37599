package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
)

// AuditLog returns the storage of the audit log called name. Several lpsed
// instances may append to one log: Append locks the log's size row, so
// exactly one of two appenders at the same size wins and the other gets
// auditlog.ErrConflict.
func (p *Postgres) AuditLog(name string) auditlog.Storage {
	return &pgLog{p: p, name: name}
}

type pgLog struct {
	p    *Postgres
	name string
}

func (l *pgLog) Size(ctx context.Context) (int64, error) {
	if err := checkKey(l.name); err != nil {
		return 0, fmt.Errorf("vault: audit log name: %w", err)
	}
	var size int64
	err := l.p.pool.QueryRow(ctx, `SELECT size FROM log_sizes WHERE log = $1`, l.name).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("vault: audit log %s: size: %w", l.name, err)
	}
	return size, nil
}

func (l *pgLog) Append(ctx context.Context, n int64, entries [][]byte, hashes []tlog.Hash) error {
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
	return pgx.BeginFunc(ctx, l.p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO log_sizes (log, size) VALUES ($1, 0) ON CONFLICT (log) DO NOTHING`, l.name); err != nil {
			return fmt.Errorf("vault: audit log %s: %w", l.name, err)
		}
		var size int64
		if err := tx.QueryRow(ctx, `SELECT size FROM log_sizes WHERE log = $1 FOR UPDATE`, l.name).Scan(&size); err != nil {
			return fmt.Errorf("vault: audit log %s: size: %w", l.name, err)
		}
		if size != n {
			return conflict(l.name, n, size)
		}
		// One statement per table whatever the batch size: the arrays
		// are unnested server-side, numbered from 1 by WITH ORDINALITY.
		if _, err := tx.Exec(ctx, `INSERT INTO log_entries (log, idx, data)
			SELECT $1, $2 + o - 1, d FROM unnest($3::bytea[]) WITH ORDINALITY AS t(d, o)`, l.name, n, data); err != nil {
			return fmt.Errorf("vault: audit log %s: storing entries: %w", l.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO log_hashes (log, idx, hash)
			SELECT $1, $2 + o - 1, h FROM unnest($3::bytea[]) WITH ORDINALITY AS t(h, o)`, l.name, tlog.StoredHashIndex(0, n), hs); err != nil {
			return fmt.Errorf("vault: audit log %s: storing hashes: %w", l.name, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE log_sizes SET size = $2 WHERE log = $1`, l.name, n+int64(len(entries))); err != nil {
			return fmt.Errorf("vault: audit log %s: storing size: %w", l.name, err)
		}
		return nil
	})
}

func (l *pgLog) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if err := checkIndexes(l.name, indexes); err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		return []tlog.Hash{}, nil
	}
	rows, err := l.p.pool.Query(ctx, `SELECT idx, hash FROM log_hashes WHERE log = $1 AND idx = ANY($2)`, l.name, indexes)
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

func (l *pgLog) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	if err := checkRange(l.name, start, end); err != nil {
		return nil, err
	}
	rows, err := l.p.pool.Query(ctx, `SELECT idx, data FROM log_entries
		WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`, l.name, start, end)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vault: audit log %s: reading entries: %w", l.name, err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("vault: audit log %s: entry %d is not stored: %w", l.name, start+int64(len(out)), ErrNotFound)
	}
	return out, nil
}

func (l *pgLog) PutCheckpoint(ctx context.Context, size int64, signed []byte) error {
	if err := checkCheckpoint(l.name, size, signed); err != nil {
		return err
	}
	tag, err := l.p.pool.Exec(ctx, `INSERT INTO log_checkpoints (log, size, signed) VALUES ($1, $2, $3)
		ON CONFLICT (log, size) DO NOTHING`, l.name, size, nonNil(signed))
	if err != nil {
		return fmt.Errorf("vault: audit log %s: storing checkpoint: %w", l.name, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Stored checkpoints are never changed, so this read is stable.
	var old []byte
	if err := l.p.pool.QueryRow(ctx, `SELECT signed FROM log_checkpoints WHERE log = $1 AND size = $2`, l.name, size).Scan(&old); err != nil {
		return fmt.Errorf("vault: audit log %s: checkpoint: %w", l.name, err)
	}
	if !bytes.Equal(old, signed) {
		return fmt.Errorf("vault: audit log %s: a different checkpoint for size %d is stored: %w", l.name, size, auditlog.ErrConflict)
	}
	return nil
}

func (l *pgLog) Checkpoint(ctx context.Context, size int64) ([]byte, error) {
	if err := checkKey(l.name); err != nil {
		return nil, fmt.Errorf("vault: audit log name: %w", err)
	}
	var signed []byte
	var err error
	if size < 0 {
		err = l.p.pool.QueryRow(ctx, `SELECT signed FROM log_checkpoints WHERE log = $1 ORDER BY size DESC LIMIT 1`, l.name).Scan(&signed)
	} else {
		err = l.p.pool.QueryRow(ctx, `SELECT signed FROM log_checkpoints WHERE log = $1 AND size = $2`, l.name, size).Scan(&signed)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("vault: audit log %s: no checkpoint for size %d: %w", l.name, size, auditlog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: audit log %s: checkpoint: %w", l.name, err)
	}
	return nonNil(signed), nil
}
