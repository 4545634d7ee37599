package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier runs statements on a pool or in a transaction of either
// backend, so that the code running them is written once. A query that
// finds no row makes Scan return an error matching sql.ErrNoRows (pgx's
// ErrNoRows matches it too).
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	queryRow(ctx context.Context, query string, args ...any) rowScanner
	query(ctx context.Context, query string, args ...any) (rows, error)
	// script runs a migration file, which may hold several statements.
	script(ctx context.Context, sql string) error
}

// isNoRows reports the error of a query that found no row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

type rowScanner interface {
	Scan(dest ...any) error
}

// rows is the part of *sql.Rows and pgx.Rows the shared code uses.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// stmtCache holds statements prepared on a database/sql pool; the pool
// prepares each on a connection at its first use there and reuses it.
// SQLite (modernc, compiled from C to Go) otherwise parses every statement
// anew, which was 7% of lpsed's CPU in a deadline rush, much of it on the
// single writer's connection. Only the constant statements of a dialect
// go through it, so it stays small.
//
// Statements run inside transactions are prepared when the backend opens
// (prepare): preparing one on the pool while a transaction holds a
// connection could wait for that very connection (the writer has one).
// A statement not prepared then runs unprepared in a transaction, and is
// prepared at its first use on the pool outside one.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // query → *sql.Stmt
}

// prepare prepares queries on c's pool now.
func (c *stmtCache) prepare(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := c.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.m.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("vault: preparing statement: %w", err)
	}
	if old, loaded := c.m.LoadOrStore(query, s); loaded {
		s.Close()
		return old.(*sql.Stmt), nil
	}
	return s, nil
}

func (c *stmtCache) close() {
	c.m.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

// sqlDB runs prepared statements on a database/sql pool (SQLite).
type sqlDB struct{ c *stmtCache }

func (q sqlDB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := q.c.get(ctx, query)
	if err != nil {
		return 0, err
	}
	return affected(s.ExecContext(ctx, args...))
}

func (q sqlDB) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	s, err := q.c.get(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return s.QueryRowContext(ctx, args...)
}

func (q sqlDB) query(ctx context.Context, query string, args ...any) (rows, error) {
	s, err := q.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	r, err := s.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (q sqlDB) script(ctx context.Context, sql string) error {
	_, err := q.c.db.ExecContext(ctx, sql)
	return err
}

// sqlTxQ runs the pool's prepared statements in one database/sql
// transaction.
type sqlTxQ struct {
	tx *sql.Tx
	c  *stmtCache
}

// stmt returns the prepared statement of query bound to q's transaction,
// or nil if it was not prepared at open.
func (q sqlTxQ) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := q.c.m.Load(query); ok {
		return q.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	return nil
}

func (q sqlTxQ) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if s := q.stmt(ctx, query); s != nil {
		return affected(s.ExecContext(ctx, args...))
	}
	return affected(q.tx.ExecContext(ctx, query, args...))
}

func (q sqlTxQ) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	if s := q.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

func (q sqlTxQ) query(ctx context.Context, query string, args ...any) (rows, error) {
	var r *sql.Rows
	var err error
	if s := q.stmt(ctx, query); s != nil {
		r, err = s.QueryContext(ctx, args...)
	} else {
		r, err = q.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (q sqlTxQ) script(ctx context.Context, sql string) error {
	_, err := q.tx.ExecContext(ctx, sql)
	return err
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sqlRows drops the error of Close, which Err reports.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// pgQ runs statements through pgx on a pool or a transaction (PostgreSQL);
// pgx prepares and caches each statement per connection itself.
type pgQ struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (q pgQ) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q pgQ) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return q.q.QueryRow(ctx, query, args...)
}

func (q pgQ) query(ctx context.Context, query string, args ...any) (rows, error) {
	return q.q.Query(ctx, query, args...)
}

func (q pgQ) script(ctx context.Context, sql string) error {
	// The simple protocol runs several statements in one call.
	_, err := q.q.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

// failQ fails every statement with err: the writes of a read-only backend.
type failQ struct{ err error }

func (q failQ) exec(context.Context, string, ...any) (int64, error) { return 0, q.err }
func (q failQ) queryRow(context.Context, string, ...any) rowScanner { return errRow(q) }
func (q failQ) query(context.Context, string, ...any) (rows, error) { return nil, q.err }
func (q failQ) script(context.Context, string) error                { return q.err }
