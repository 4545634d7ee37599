package vault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresConfig configures [OpenPostgres].
type PostgresConfig struct {
	// DSN is a PostgreSQL connection string, URL or key=value form, as
	// accepted by pgx (for example
	// "postgres://segel@db.example:5432/segel?sslmode=verify-full").
	DSN string
	// MaxConns caps the connection pool; 0 keeps pgx's default
	// (the larger of 4 and the number of CPUs).
	MaxConns int
	// MaxAttempts caps how often Update runs its function when PostgreSQL
	// reports serialization conflicts; 0 means 100.
	MaxAttempts int
}

// Postgres is the backend for deployments where several stateless lpsed
// instances share one PostgreSQL (15 or later) database: records in one
// table, blobs in chunked rows, schema applied by embedded migrations. The
// schema is specified in doc/spec/vault.md.
type Postgres struct {
	pool *pgxpool.Pool // writes: Update, Batch, Put, the audit log
	// read serves View and blob reads. A Put fed by another blob's reader
	// (an opening storing plaintexts as it decrypts) holds a pool
	// connection while it waits for chunk reads; were those from the same
	// pool, as many such Puts as connections would wait forever.
	read        *pgxpool.Pool
	maxAttempts int
	batch       batcher
}

var _ Backend = (*Postgres)(nil)

// migrationLockKey is the pg_advisory_xact_lock key that serialises schema
// migrations between lpsed instances starting at the same time. It is the
// first 8 bytes of SHA-256("segel vault migrations") read big-endian.
const migrationLockKey int64 = 0x2b5e_7a41_6c0d_9f13

// OpenPostgres connects to cfg.DSN and brings the schema up to date.
func OpenPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("vault: parsing PostgreSQL DSN: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = int32(cfg.MaxConns)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 100
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("vault: connecting to PostgreSQL: %w", err)
	}
	read, err := pgxpool.NewWithConfig(ctx, pc.Copy())
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("vault: connecting to PostgreSQL: %w", err)
	}
	p := &Postgres{pool: pool, read: read, maxAttempts: cfg.MaxAttempts}
	p.batch.update = p.Update
	p.batch.committers = batchCommitters
	if err := p.migrate(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the connection pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	p.read.Close()
	return nil
}

// migrate applies the embedded migrations that are missing, all in one
// transaction holding an advisory lock, so concurrent starts neither race
// nor leave a half-applied schema.
func (p *Postgres) migrate(ctx context.Context) error {
	ms, err := migrations("postgres")
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("vault: migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("vault: migrating: %w", err)
		}
		for _, m := range ms {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return fmt.Errorf("vault: migrating: %w", err)
			}
			if done {
				continue
			}
			// Simple protocol: a migration file may hold several statements.
			if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("vault: applying migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("vault: migrating: %w", err)
			}
		}
		return nil
	})
}

// View implements [Records] with a REPEATABLE READ, READ ONLY transaction:
// one snapshot, no serialization failures.
func (p *Postgres) View(ctx context.Context, fn func(Tx) error) error {
	tx, err := p.read.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("vault: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(&pgTx{ctx: ctx, tx: tx, readOnly: true}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("vault: commit: %w", err)
	}
	return nil
}

// Update implements [Records] with a SERIALIZABLE transaction. On a
// serialization failure (40001) or deadlock (40P01), whether reported by a
// statement inside fn or by the commit, it rolls back, waits a jittered,
// growing delay and runs fn again, up to MaxAttempts times.
func (p *Postgres) Update(ctx context.Context, fn func(Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = p.updateOnce(ctx, fn)
		if err == nil || !retryable(err) || attempt >= p.maxAttempts {
			return err
		}
		// Up to 1ms, 2ms, 4ms … capped at 64ms, uniformly jittered so
		// that conflicting writers spread out.
		d := time.Millisecond << min(attempt-1, 6)
		t := time.NewTimer(rand.N(d) + time.Microsecond*50)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("vault: update retry: %w (after %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// batchCommitters is how many batch transactions run at once on
// PostgreSQL: each statement is a round trip, so one committer would
// leave the server idle between them.
const batchCommitters = 4

// Batch implements [Records]: serializable transactions, each retried as
// a whole on a conflict, for the calls queued while the previous ones
// committed.
func (p *Postgres) Batch(ctx context.Context, fn func(Tx) error) error {
	return p.batch.batch(ctx, fn)
}

func (p *Postgres) updateOnce(ctx context.Context, fn func(Tx) error) error {
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return fmt.Errorf("vault: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(&pgTx{ctx: ctx, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("vault: commit: %w", err)
	}
	return nil
}

// retryable reports a PostgreSQL error after which the whole transaction
// may succeed if run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01"
}

// pgTx implements Tx on one PostgreSQL transaction.
type pgTx struct {
	ctx      context.Context
	tx       pgx.Tx
	readOnly bool
}

func (t *pgTx) Get(table, key string) ([]byte, error) {
	if err := checkTable(table); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	var v []byte
	err := t.tx.QueryRow(t.ctx, `SELECT value FROM records WHERE tbl = $1 AND key = $2`, table, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("vault: record %s/%s: %w", table, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: get %s/%s: %w", table, key, err)
	}
	return nonNil(v), nil
}

func (t *pgTx) Put(table, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkRecord(table, key, value); err != nil {
		return err
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value`, table, key, nonNil(value))
	if err != nil {
		return fmt.Errorf("vault: put %s/%s: %w", table, key, err)
	}
	return nil
}

func (t *pgTx) Insert(table, key string, value []byte) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkRecord(table, key, value); err != nil {
		return err
	}
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (tbl, key) DO NOTHING`, table, key, nonNil(value))
	if err != nil {
		return fmt.Errorf("vault: insert %s/%s: %w", table, key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("vault: insert %s/%s: %w", table, key, ErrExists)
	}
	return nil
}

func (t *pgTx) Delete(table, key string) error {
	if t.readOnly {
		return errReadOnly
	}
	if err := checkTable(table); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if _, err := t.tx.Exec(t.ctx, `DELETE FROM records WHERE tbl = $1 AND key = $2`, table, key); err != nil {
		return fmt.Errorf("vault: delete %s/%s: %w", table, key, err)
	}
	return nil
}

func (t *pgTx) Scan(table, prefix string, fn func(key string, value []byte) error) error {
	if err := checkTable(table); err != nil {
		return err
	}
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	// Keyset pagination, as in the SQLite backend. A connection can run
	// only one query at a time, so each page is read in full before fn runs.
	after, first := prefix, true
	for {
		op := ">"
		if first {
			op = ">="
		}
		rows, err := t.tx.Query(t.ctx, `SELECT key, value FROM records
			WHERE tbl = $1 AND key `+op+` $2 AND starts_with(key, $3)
			ORDER BY key LIMIT $4`, table, after, prefix, scanPage)
		if err != nil {
			return fmt.Errorf("vault: scan %s/%s: %w", table, prefix, err)
		}
		var page []keyValue
		for rows.Next() {
			var kv keyValue
			if err := rows.Scan(&kv.key, &kv.value); err != nil {
				rows.Close()
				return fmt.Errorf("vault: scan %s/%s: %w", table, prefix, err)
			}
			kv.value = nonNil(kv.value)
			page = append(page, kv)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("vault: scan %s/%s: %w", table, prefix, err)
		}
		for _, kv := range page {
			if err := fn(kv.key, kv.value); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		after, first = page[len(page)-1].key, false
	}
}
