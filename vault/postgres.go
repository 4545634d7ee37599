package vault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/segel-lpse/segel/auditlog"
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
	// ReadOnly connects without migrating the schema, in read-only
	// sessions (default_transaction_read_only): a role that may only read
	// the tables suffices, as for a backup. Every write fails with
	// ErrReadOnly.
	ReadOnly bool
	// TempDir is where Snapshot stages each table's copy, one at a time;
	// empty means os.TempDir().
	TempDir string
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
	sql         sqlStore
	name        string // for String
	tempDir     string
	// readOnly, if not nil, is the error of every write.
	readOnly error
}

var _ Backend = (*Postgres)(nil)

// OpenPostgres connects to cfg.DSN and brings the schema up to date. With
// cfg.ReadOnly it only reads (see [PostgresConfig]).
func OpenPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	p, err := connectPostgres(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ReadOnly {
		err = checkSchema(ctx, p.sql.read, postgresDialect, p.name)
	} else {
		err = p.inTx(ctx, func(q querier) error { return migrate(ctx, q, postgresDialect) })
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// connectPostgres opens the pools of cfg, touching no table.
func connectPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
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
	c := pc.ConnConfig
	name := fmt.Sprintf("postgres %s@%s/%s", c.User, net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), c.Database)
	if cfg.ReadOnly {
		// The server refuses writes too, whatever a bug here would try.
		c.RuntimeParams["default_transaction_read_only"] = "on"
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
	p := &Postgres{pool: pool, read: read, maxAttempts: cfg.MaxAttempts, name: name, tempDir: cfg.TempDir}
	p.batch.update = p.Update
	p.batch.committers = batchCommitters
	p.sql = sqlStore{d: postgresDialect, read: pgQ{pool}, write: pgQ{pool}, inTx: p.inTx}
	if cfg.ReadOnly {
		p.readOnly = fmt.Errorf("%w: %s was opened ReadOnly", ErrReadOnly, name)
		p.sql.write = failQ{p.readOnly}
	}
	return p, nil
}

// String names the backend and its database, without password, for logs.
func (p *Postgres) String() string { return p.name }

// Close closes the connection pool.
func (p *Postgres) Close() error {
	p.pool.Close()
	p.read.Close()
	return nil
}

// View implements [Records] with a REPEATABLE READ, READ ONLY transaction:
// one snapshot, no serialization failures.
func (p *Postgres) View(ctx context.Context, fn func(Tx) error) error {
	tx, err := p.read.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("vault: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(&sqlTx{ctx: ctx, q: pgQ{tx}, d: postgresDialect, readOnly: true}); err != nil {
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
	if p.readOnly != nil {
		return p.readOnly
	}
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return fmt.Errorf("vault: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := fn(&sqlTx{ctx: ctx, q: pgQ{tx}, d: postgresDialect}); err != nil {
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

// inTx runs fn in a transaction (READ COMMITTED: callers lock what they
// read and write) and commits it if fn returns nil.
func (p *Postgres) inTx(ctx context.Context, fn func(querier) error) error {
	if p.readOnly != nil {
		return p.readOnly
	}
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(pgQ{tx}) })
}

// AuditLog returns the storage of the audit log called name. Several lpsed
// instances may append to one log: Append locks the log's size row, so
// exactly one of two appenders at the same size wins and the other gets
// auditlog.ErrConflict.
func (p *Postgres) AuditLog(name string) auditlog.Storage {
	return p.sql.auditLog(name)
}
