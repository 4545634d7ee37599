package main

// Logical export and import of a PostgreSQL vault with COPY (FORMAT binary)
// through pgx, so that backups need no pg_dump on the machine.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgTables lists the base tables of the current schema, by name.
func pgTables(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func pgSequences(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT sequence_name FROM information_schema.sequences
		WHERE sequence_schema = current_schema() ORDER BY sequence_name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// postgres backs up a PostgreSQL vault: every table of the current schema
// with COPY, inside one REPEATABLE READ, READ ONLY transaction, so the
// tables, the log state and the sequences are one consistent snapshot while
// servers keep writing. Each table is staged in a temporary file next to
// the archive (a tar entry needs its size first), never in memory.
func (b *backup) postgres(ctx context.Context, dsn string) (*header, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.Background())
	tables, err := pgTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, t := range []string{"schema_migrations", "records", "log_sizes", "log_checkpoints"} {
		if !slices.Contains(tables, t) {
			return nil, fmt.Errorf("not a Segel vault database: no table %s", t)
		}
	}
	h := &header{Format: backupFormat, Kind: kindPostgres, Created: time.Now().UTC().Truncate(time.Second), Sequences: map[string]int64{}}
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&h.Schema); err != nil {
		return nil, err
	}
	h.Log, err = readLogState(func(q string, dst ...any) error { return tx.QueryRow(ctx, q, "main").Scan(dst...) })
	if err != nil {
		return nil, err
	}
	seqs, err := pgSequences(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, s := range seqs {
		var last int64
		var called bool
		if err := tx.QueryRow(ctx, "SELECT last_value, is_called FROM "+pgx.Identifier{s}.Sanitize()).Scan(&last, &called); err != nil {
			return nil, err
		}
		if called {
			h.Sequences[s] = last
		}
	}
	return h, b.write(h, func(a *archiveWriter) error {
		for _, t := range tables {
			name := "postgres/" + t + ".copy"
			if !tableName.MatchString(name) {
				return fmt.Errorf("table name %q cannot be archived", t)
			}
			if err := copyTable(ctx, tx, a, t, name, filepath.Dir(b.to)); err != nil {
				return err
			}
		}
		return nil
	})
}

func copyTable(ctx context.Context, tx pgx.Tx, a *archiveWriter, table, name, tmpDir string) error {
	f, err := os.CreateTemp(tmpDir, ".segel-copy-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sql := "COPY " + pgx.Identifier{table}.Sanitize() + " TO STDOUT (FORMAT binary)"
	if _, err := tx.Conn().PgConn().CopyTo(ctx, f, sql); err != nil {
		return fmt.Errorf("exporting table %s: %w", table, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = a.add(name, size, f)
	return err
}

// pgEmpty fails unless the database named by dsn has no tables in its
// current schema: restore never mixes a backup with other data.
func pgEmpty(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	tables, err := pgTables(ctx, conn)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return fmt.Errorf("the target database is not empty (it has tables %s): restore only into a new, empty database", strings.Join(tables, ", "))
	}
	return nil
}

// pgLoader loads table files into a database that holds the empty schema,
// in one transaction committed only after the whole archive checked out.
type pgLoader struct {
	conn   *pgx.Conn
	tx     pgx.Tx
	tables []string
}

func newPGLoader(ctx context.Context, dsn string, schema int64) (*pgLoader, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	l := &pgLoader{conn: conn}
	var have int64
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		l.close()
		return nil, err
	}
	if have != schema {
		l.close()
		return nil, fmt.Errorf("the backup has vault schema %d but this lpsed creates schema %d: restore with the lpsed release that made the backup, then upgrade", schema, have)
	}
	if l.tables, err = pgTables(ctx, conn); err != nil {
		l.close()
		return nil, err
	}
	if l.tx, err = conn.Begin(ctx); err != nil {
		l.close()
		return nil, err
	}
	// The backup's own migration rows replace those just written.
	if _, err := l.tx.Exec(ctx, "DELETE FROM schema_migrations"); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *pgLoader) load(ctx context.Context, name string, r io.Reader) error {
	table := strings.TrimSuffix(strings.TrimPrefix(name, "postgres/"), ".copy")
	if !slices.Contains(l.tables, table) {
		return fmt.Errorf("the archive has table %s, which this lpsed's schema lacks", table)
	}
	sql := "COPY " + pgx.Identifier{table}.Sanitize() + " FROM STDIN (FORMAT binary)"
	if _, err := l.tx.Conn().PgConn().CopyFrom(ctx, r, sql); err != nil {
		return fmt.Errorf("loading table %s: %w", table, err)
	}
	return nil
}

func (l *pgLoader) commit(ctx context.Context, seqs map[string]int64) error {
	for s, v := range seqs {
		if _, err := l.tx.Exec(ctx, "SELECT setval($1::regclass, $2, true)", pgx.Identifier{s}.Sanitize(), v); err != nil {
			return fmt.Errorf("setting sequence %s: %w", s, err)
		}
	}
	return l.tx.Commit(ctx)
}

func (l *pgLoader) close() {
	if l.tx != nil {
		l.tx.Rollback(context.Background())
	}
	l.conn.Close(context.Background())
}
