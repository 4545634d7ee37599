package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go (no cgo)

	"github.com/segel-lpse/segel/auditlog"
)

// EmbeddedConfig configures [OpenEmbedded].
type EmbeddedConfig struct {
	// Dir is the data directory. It is created if missing. It holds
	// vault.db (SQLite, WAL mode) and blobs/.
	Dir string
	// Readers is the size of the read-only connection pool used by View
	// and blob metadata; 0 means 16. Writes always go through a single
	// connection, SQLite's own model.
	Readers int
	// SyncEachBlob makes every Put fsync its own file and directory.
	// By default, where the system can report a failed flush of a whole
	// file system (Linux 5.8 and later, syncfs(2)), concurrent Puts share
	// flushes of the file system holding Dir instead: two per round of
	// Puts, not two per blob (a third less time per Put in
	// BenchmarkBlobPutConcurrent). Set it when other programs write much
	// to that file system: a shared flush waits for their data too.
	SyncEachBlob bool
	// ReadOnly opens Dir for reading beside the process that has it open
	// (a running lpsed): without locking it, migrating its schema or
	// clearing its staging files. Dir must hold a vault. Every write fails
	// with ErrReadOnly. A backup opens the vault so to take a Snapshot.
	ReadOnly bool
	// TempDir is where Snapshot stages its copy of the database, as large
	// as vault.db; empty means os.TempDir().
	TempDir string
}

// Embedded is the default backend: SQLite (modernc.org/sqlite, pure Go) in
// WAL mode for records and logs, and one file per blob under Dir/blobs. The
// layout is specified in doc/spec/vault.md. One process at a time opens a
// directory: OpenEmbedded locks it until Close, unless it opens it
// ReadOnly.
type Embedded struct {
	dir     string
	tempDir string
	// readOnly, if not nil, is the error of every write.
	readOnly error
	writer   *sql.DB // exactly one connection: SQLite has one writer
	reader   *sql.DB // read-only pool
	blobs    string  // Dir/blobs
	batch    batcher
	// Statements prepared on the writer and on the readers.
	writes, reads *stmtCache
	sql           sqlStore
	// anonymous says that Put stages blobs in unnamed files (O_TMPFILE).
	anonymous bool
	// fsSync flushes the blob file system (through fsRoot) for many Puts
	// at once; nil where unavailable or not wanted (each Put then fsyncs
	// its own file and directory).
	fsSync *groupSync
	fsRoot *os.File
	// lock is Dir/vault.lock, flock'd until Close; nil where unsupported.
	lock *os.File
}

var _ Backend = (*Embedded)(nil)

const (
	embeddedDBName = "vault.db"
	lockName       = "vault.lock"
)

// OpenEmbedded opens (creating if needed) the embedded backend in cfg.Dir and
// brings its schema up to date. It locks the directory against other
// openers, in this process or another, until Close; while it is locked,
// OpenEmbedded fails at once, with an error naming the directory and the
// holder's pid. With cfg.ReadOnly it only reads (see [EmbeddedConfig]).
func OpenEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	dir, err := embeddedDir(&cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ReadOnly {
		return openEmbeddedReadOnly(ctx, cfg, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: creating data directory: %w", err)
	}
	// Before anything else touches the directory.
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	e, err := openEmbedded(ctx, cfg, dir)
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		return nil, err
	}
	e.lock = lock
	return e, nil
}

// embeddedDir checks cfg, sets its defaults and returns its directory,
// made absolute.
func embeddedDir(cfg *EmbeddedConfig) (string, error) {
	if cfg.Dir == "" {
		return "", errors.New("vault: EmbeddedConfig.Dir is empty")
	}
	if cfg.Readers <= 0 {
		cfg.Readers = 16
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return "", fmt.Errorf("vault: data directory: %w", err)
	}
	return dir, nil
}

// openEmbedded is OpenEmbedded once dir is locked.
func openEmbedded(ctx context.Context, cfg EmbeddedConfig, dir string) (*Embedded, error) {
	var err error
	for _, d := range []string{filepath.Join(dir, "blobs"), filepath.Join(dir, "blobs", "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("vault: creating data directory: %w", err)
		}
	}
	if err := syncDir(filepath.Join(dir, "blobs")); err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	// Leftovers of Puts interrupted by a crash are never referenced.
	if err := clearTemp(filepath.Join(dir, "blobs", "tmp")); err != nil {
		return nil, err
	}

	dbPath := filepath.Join(dir, embeddedDBName)
	// synchronous=FULL: a commit is fsync'd to the WAL before it returns, so
	// an acknowledged Update survives power loss (NORMAL would not).
	// _txlock=immediate: BEGIN takes the write lock at once, so a
	// read-then-write transaction can never fail with SQLITE_BUSY halfway.
	common := url.Values{}
	common.Add("_busy_timeout", "10000")
	common.Add("_journal_mode", "WAL")
	common.Add("_synchronous", "FULL")
	common.Add("_foreign_keys", "1")
	w := url.Values{}
	for k, v := range common {
		w[k] = v
	}
	w.Set("_txlock", "immediate")
	r := url.Values{}
	for k, v := range common {
		r[k] = v
	}
	r.Set("_query_only", "1")

	e := &Embedded{dir: dir, tempDir: cfg.TempDir, blobs: filepath.Join(dir, "blobs")}
	e.anonymous = probeAnonymous(filepath.Join(e.blobs, "tmp"))
	if !cfg.SyncEachBlob {
		if e.fsRoot, err = openSyncFS(e.blobs); err != nil {
			return nil, err
		}
		if e.fsRoot != nil {
			root := e.fsRoot
			e.fsSync = &groupSync{do: func() error { return syncFS(root) }}
		}
	}
	e.batch.update, e.batch.committers = e.Update, 1
	if e.writer, err = sql.Open("sqlite", sqliteDSN(dbPath, w)); err != nil {
		e.closeFSRoot()
		return nil, fmt.Errorf("vault: opening %s: %w", dbPath, err)
	}
	e.writer.SetMaxOpenConns(1)
	e.writer.SetMaxIdleConns(1)
	e.writer.SetConnMaxLifetime(0)
	e.writer.SetConnMaxIdleTime(0)
	e.writes = &stmtCache{db: e.writer}
	// The schema must exist before readers open with query_only.
	if err := e.inTx(ctx, func(q querier) error { return migrate(ctx, q, sqliteDialect) }); err != nil {
		e.writes.close()
		e.writer.Close()
		e.closeFSRoot()
		return nil, err
	}
	if e.reader, err = sql.Open("sqlite", sqliteDSN(dbPath, r)); err != nil {
		e.writer.Close()
		e.closeFSRoot()
		return nil, fmt.Errorf("vault: opening %s: %w", dbPath, err)
	}
	e.reader.SetMaxOpenConns(cfg.Readers)
	e.reader.SetMaxIdleConns(cfg.Readers)
	if err := e.reader.PingContext(ctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("vault: opening %s: %w", dbPath, err)
	}
	e.reads = &stmtCache{db: e.reader}
	e.sql = sqlStore{d: sqliteDialect, read: sqlDB{e.reads}, write: sqlDB{e.writes}, inTx: e.inTx}
	if err := e.prepare(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// prepare prepares the statements that run in transactions: the readers'
// in View, the writer's in Update, Batch and audit-log appends.
func (e *Embedded) prepare(ctx context.Context) error {
	d := sqliteDialect
	err := e.reads.prepare(ctx, d.getRecord, d.scanFirst, d.scanNext)
	if err == nil {
		err = e.writes.prepare(ctx, d.getRecord, d.putRecord, d.insertRecord, d.deleteRecord, d.scanFirst, d.scanNext,
			d.ensureLogSize, d.logSizeForAppend, d.insertEntries, d.insertHashes, d.setLogSize)
	}
	return err
}

// openEmbeddedReadOnly opens the vault in dir for reading only: the
// readers' pool, and no writer.
func openEmbeddedReadOnly(ctx context.Context, cfg EmbeddedConfig, dir string) (*Embedded, error) {
	dbPath := filepath.Join(dir, embeddedDBName)
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("vault: no embedded vault in %s: %w", dir, err)
	}
	e := &Embedded{dir: dir, tempDir: cfg.TempDir, blobs: filepath.Join(dir, "blobs")}
	e.readOnly = fmt.Errorf("%w: %s was opened ReadOnly", ErrReadOnly, dir)
	e.batch.update, e.batch.committers = e.Update, 1
	// The owner set WAL mode; setting nothing here, the readers write
	// nothing but SQLite's shared-memory index.
	q := url.Values{}
	q.Add("_busy_timeout", "10000")
	q.Add("_query_only", "1")
	var err error
	if e.reader, err = sql.Open("sqlite", sqliteDSN(dbPath, q)); err != nil {
		return nil, fmt.Errorf("vault: opening %s: %w", dbPath, err)
	}
	e.reader.SetMaxOpenConns(cfg.Readers)
	e.reader.SetMaxIdleConns(cfg.Readers)
	e.reads = &stmtCache{db: e.reader}
	e.sql = sqlStore{d: sqliteDialect, read: sqlDB{e.reads}, write: failQ{e.readOnly}, inTx: e.inTx}
	if err := checkSchema(ctx, e.sql.read, sqliteDialect, dbPath); err != nil {
		e.Close()
		return nil, err
	}
	if err := e.reads.prepare(ctx, sqliteDialect.getRecord, sqliteDialect.scanFirst, sqliteDialect.scanNext); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// String names the backend and its directory, for logs.
func (e *Embedded) String() string { return "embedded " + e.dir }

func sqliteDSN(path string, q url.Values) string {
	// url.Values.Encode sorts the keys; the driver applies them in its own
	// documented order regardless.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database connections, then unlocks the directory.
// Blobs need no closing.
func (e *Embedded) Close() error {
	var errs []error
	if e.reads != nil {
		e.reads.close()
	}
	if e.writes != nil {
		e.writes.close()
	}
	if e.reader != nil {
		errs = append(errs, e.reader.Close())
	}
	if e.writer != nil {
		// Closing the last connection checkpoints the WAL into vault.db.
		errs = append(errs, e.writer.Close())
	}
	e.closeFSRoot()
	if e.lock != nil {
		errs = append(errs, e.lock.Close()) // closing drops the flock
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vault: closing %s: %w", e.dir, err)
	}
	return nil
}

func (e *Embedded) closeFSRoot() {
	if e.fsRoot != nil {
		e.fsRoot.Close() // read-only: nothing to report
	}
}

// View implements [Records].
func (e *Embedded) View(ctx context.Context, fn func(Tx) error) error {
	tx, err := e.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("vault: begin: %w", err)
	}
	defer tx.Rollback()
	// A deferred SQLite transaction takes its snapshot at the first read;
	// the reads inside fn all see that one snapshot.
	if err := fn(&sqlTx{ctx: ctx, q: sqlTxQ{tx, e.reads}, d: sqliteDialect, readOnly: true}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("vault: commit: %w", err)
	}
	return nil
}

// Update implements [Records]. SQLite runs one writer at a time, so
// transactions are serial and never need to be retried.
func (e *Embedded) Update(ctx context.Context, fn func(Tx) error) error {
	return e.inTx(ctx, func(q querier) error {
		return fn(&sqlTx{ctx: ctx, q: q, d: sqliteDialect})
	})
}

// inTx runs fn in a write transaction on the writer and commits it if fn
// returns nil.
func (e *Embedded) inTx(ctx context.Context, fn func(querier) error) error {
	if e.readOnly != nil {
		return e.readOnly
	}
	tx, err := e.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("vault: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(sqlTxQ{tx, e.writes}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("vault: commit: %w", err)
	}
	return nil
}

// Batch implements [Records]: one SQLite write transaction (one WAL
// fsync) for every call queued behind the single writer.
func (e *Embedded) Batch(ctx context.Context, fn func(Tx) error) error {
	return e.batch.batch(ctx, fn)
}

// AuditLog returns the storage of the audit log called name in the embedded
// database. Appends are durable when they return (synchronous=FULL).
func (e *Embedded) AuditLog(name string) auditlog.Storage {
	return e.sql.auditLog(name)
}

// clearTemp removes files left in the blob staging directory by Puts that a
// crash interrupted. Only files untouched for an hour go, so a Put in flight
// in another process that shares the directory is never disturbed.
func clearTemp(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("vault: reading %s: %w", dir, err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !strings.HasPrefix(e.Name(), "put-") || time.Since(info.ModTime()) < time.Hour {
			continue
		}
		{
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("vault: removing stale %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}
