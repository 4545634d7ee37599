package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/segel-lpse/segel/vault/internal/archive"
)

// Snapshot implements [Backend]: an archive of kind postgres
// (doc/spec/backup.md §5.2), every base table of the current schema copied
// with COPY (FORMAT binary) in one REPEATABLE READ, READ ONLY transaction,
// so tables, log state and sequences are one snapshot while servers keep
// writing. Each table is staged in a file in TempDir (a tar entry needs
// its size first), never held in memory.
func (p *Postgres) Snapshot(ctx context.Context, w io.Writer) (*Manifest, error) {
	conn, err := p.read.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("vault: snapshot: %w", err)
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("vault: snapshot: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	m := &Manifest{Kind: archive.KindPostgres, Created: time.Now().UTC().Truncate(time.Second)}
	q := pgQ{tx}
	if err := describe(ctx, q, postgresDialect, m); err != nil {
		return nil, err
	}
	if err := q.queryRow(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM blobs`).Scan(&m.Blobs, &m.BlobBytes); err != nil {
		return nil, fmt.Errorf("vault: snapshot: counting blobs: %w", err)
	}
	tables, err := pgNames(ctx, q, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	h := newHeader(archive.KindPostgres, m)
	if h.Sequences, err = pgSequences(ctx, q); err != nil {
		return nil, err
	}
	a, err := archive.NewWriter(w, h)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if err := p.archiveTable(ctx, tx, a, t); err != nil {
			return nil, err
		}
	}
	if m.Files, m.Bytes, err = a.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

// pgNames returns the one text column of query's rows.
func pgNames(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("vault: listing the schema: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("vault: listing the schema: %w", err)
		}
		names = append(names, s)
	}
	return names, rows.Err()
}

// pgSequences returns the last value of every sequence of the schema that
// has been used; nil if none has.
func pgSequences(ctx context.Context, q querier) (map[string]int64, error) {
	names, err := pgNames(ctx, q, `SELECT sequence_name FROM information_schema.sequences
		WHERE sequence_schema = current_schema() ORDER BY sequence_name`)
	if err != nil {
		return nil, err
	}
	var seqs map[string]int64
	for _, s := range names {
		if !archive.SequenceName.MatchString(s) {
			return nil, fmt.Errorf("vault: sequence name %q cannot be archived", s)
		}
		var last int64
		var called bool
		if err := q.queryRow(ctx, `SELECT last_value, is_called FROM `+pgx.Identifier{s}.Sanitize()).Scan(&last, &called); err != nil {
			return nil, fmt.Errorf("vault: sequence %s: %w", s, err)
		}
		if called {
			if seqs == nil {
				seqs = map[string]int64{}
			}
			seqs[s] = last
		}
	}
	return seqs, nil
}

func (p *Postgres) archiveTable(ctx context.Context, tx pgx.Tx, a *archive.Writer, table string) error {
	name, err := archive.TableName(table)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(p.tempDir, ".segel-copy-*")
	if err != nil {
		return fmt.Errorf("vault: staging table %s: %w", table, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	copySQL := "COPY " + pgx.Identifier{table}.Sanitize() + " TO STDOUT (FORMAT binary)"
	if _, err := tx.Conn().PgConn().CopyTo(ctx, f, copySQL); err != nil {
		return fmt.Errorf("vault: exporting table %s: %w", table, err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("vault: staging table %s: %w", table, err)
	}
	_, err = a.Add(name, size, f)
	return err
}

// RestorePostgres restores the archive read from r (doc/spec/backup.md) into
// the database of cfg.DSN, whose current schema must have no table, and
// returns the vault opened on it with the archive's manifest. It creates
// the schema, which must be the archive's, loads the tables in one
// transaction committed only once r was read to its end and every rule of
// the format held, and verifies the restored vault from its own storage:
// blobs, audit logs, the header's log. Then, if check is not nil, it calls
// it with the restored vault: the caller's own verification.
//
// If anything fails, the restore is undone: the tables and sequences it
// created are dropped. An archive that breaks the format fails with
// archive.ErrBad, storage that does not verify with ErrCorrupt.
func RestorePostgres(ctx context.Context, cfg PostgresConfig, r io.Reader, check func(context.Context, Backend, *Manifest) error) (*Postgres, *Manifest, error) {
	return restorePostgres(ctx, cfg, r, check)
}

func restorePostgres(ctx context.Context, cfg PostgresConfig, r io.Reader, check func(context.Context, Backend, *Manifest) error) (_ *Postgres, _ *Manifest, err error) {
	if cfg.ReadOnly {
		return nil, nil, errors.New("vault: RestorePostgres writes: PostgresConfig.ReadOnly must be false")
	}
	p, err := connectPostgres(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	// Undoing a failed restore drops every table and sequence: there must
	// be none to begin with.
	names, err := pgNames(ctx, p.sql.read, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
		UNION SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema() ORDER BY 1`)
	if err == nil && len(names) > 0 {
		err = fmt.Errorf("vault: the target database is not empty (it has tables or sequences %s): restore only into a new, empty database", strings.Join(names, ", "))
	}
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	var l *pgLoader
	defer func() {
		if l != nil {
			l.close()
		}
		if err != nil {
			if l != nil {
				p.dropAll(context.WithoutCancel(ctx))
			}
			p.Close()
		}
	}()
	ar := archive.Reader{
		Kind: archive.KindPostgres,
		Begin: func(h *archive.Header) (err error) {
			l, err = p.newLoader(ctx, h.Schema)
			return err
		},
		File: func(name string, r io.Reader) error { return l.load(ctx, name, r) },
	}
	h, err := ar.Read(r)
	if err != nil {
		return nil, nil, err
	}
	if err := l.commit(ctx, h.Sequences); err != nil {
		return nil, nil, err
	}
	m := &Manifest{Kind: archive.KindPostgres, Created: h.Created, Files: ar.Files, Bytes: ar.Bytes}
	if err := verifyRestored(ctx, p, &p.sql, p.listBlobs, h, m); err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(ctx, p, m); err != nil {
			return nil, nil, err
		}
	}
	return p, m, nil
}

// pgLoader loads table files into the new, empty schema, in one
// transaction.
type pgLoader struct {
	conn      *pgxpool.Conn
	tx        pgx.Tx
	tables    []string
	committed bool
}

// newLoader creates the schema, checks that it is the archive's, and
// begins the loading transaction.
func (p *Postgres) newLoader(ctx context.Context, schema int) (*pgLoader, error) {
	l := &pgLoader{}
	if err := p.inTx(ctx, func(q querier) error { return migrate(ctx, q, postgresDialect) }); err != nil {
		return l, err
	}
	known, err := latestSchema(postgresDialect)
	if err != nil {
		return l, err
	}
	if schema != known {
		return l, fmt.Errorf("vault: the archive has vault schema %d but this release creates schema %d: restore it with the release that wrote it, then upgrade", schema, known)
	}
	if l.tables, err = pgNames(ctx, p.sql.read, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`); err != nil {
		return l, err
	}
	if l.conn, err = p.pool.Acquire(ctx); err != nil {
		return l, fmt.Errorf("vault: restore: %w", err)
	}
	if l.tx, err = l.conn.Begin(ctx); err != nil {
		return l, fmt.Errorf("vault: restore: %w", err)
	}
	// The archive brings its own migration rows.
	if _, err := l.tx.Exec(ctx, `DELETE FROM schema_migrations`); err != nil {
		return l, fmt.Errorf("vault: restore: %w", err)
	}
	return l, nil
}

func (l *pgLoader) load(ctx context.Context, name string, r io.Reader) error {
	table, _ := archive.Table(name) // the reader checked the name
	if !slices.Contains(l.tables, table) {
		return fmt.Errorf("%w: the archive has table %s, which this release's schema lacks", archive.ErrBad, table)
	}
	copySQL := "COPY " + pgx.Identifier{table}.Sanitize() + " FROM STDIN (FORMAT binary)"
	if _, err := l.tx.Conn().PgConn().CopyFrom(ctx, r, copySQL); err != nil {
		// Data exceptions and integrity violations: the archive's bytes
		// are wrong, not the database.
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23")) {
			return fmt.Errorf("%w: table %s does not load: %v", archive.ErrBad, table, err)
		}
		return fmt.Errorf("vault: loading table %s: %w", table, err)
	}
	return nil
}

func (l *pgLoader) commit(ctx context.Context, seqs map[string]int64) error {
	for s, v := range seqs {
		if _, err := l.tx.Exec(ctx, `SELECT setval($1::regclass, $2, true)`, pgx.Identifier{s}.Sanitize(), v); err != nil {
			return fmt.Errorf("vault: restore: setting sequence %s: %w", s, err)
		}
	}
	if err := l.tx.Commit(ctx); err != nil {
		return fmt.Errorf("vault: restore: commit: %w", err)
	}
	l.committed = true
	return nil
}

func (l *pgLoader) close() {
	if l.tx != nil && !l.committed {
		l.tx.Rollback(context.Background())
	}
	if l.conn != nil {
		l.conn.Release()
	}
}

// dropAll drops every table and sequence of the current schema: undoing a
// restore into a database that had none.
func (p *Postgres) dropAll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	q := pgQ{p.pool}
	for _, kind := range []struct{ list, drop string }{
		{`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`, "TABLE"},
		{`SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()`, "SEQUENCE"},
	} {
		names, err := pgNames(ctx, q, kind.list)
		if err != nil || len(names) == 0 {
			continue
		}
		ids := make([]string, len(names))
		for i, n := range names {
			ids[i] = pgx.Identifier{n}.Sanitize()
		}
		q.exec(ctx, "DROP "+kind.drop+" IF EXISTS "+strings.Join(ids, ", ")+" CASCADE")
	}
}

// listBlobs calls fn for every stored blob, in digest order.
func (p *Postgres) listBlobs(ctx context.Context, fn func([32]byte) error) error {
	rows, err := p.read.Query(ctx, `SELECT digest FROM blobs ORDER BY digest`)
	if err != nil {
		return fmt.Errorf("vault: listing blobs: %w", err)
	}
	// Read them all first: fn opens each blob on the same pool.
	digests, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([32]byte, error) {
		var b []byte
		var d [32]byte
		if err := row.Scan(&b); err != nil {
			return d, err
		}
		if len(b) != len(d) {
			return d, fmt.Errorf("blob digest of %d bytes: %w", len(b), ErrCorrupt)
		}
		copy(d[:], b)
		return d, nil
	})
	if err != nil {
		return fmt.Errorf("vault: listing blobs: %w", err)
	}
	for _, d := range digests {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
