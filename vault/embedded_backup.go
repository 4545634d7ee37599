package vault

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/segel-lpse/segel/vault/internal/archive"
)

// Snapshot implements [Backend]: an archive of kind embedded
// (doc/spec/backup.md §5.1). The database is copied first, with VACUUM
// INTO, into a file in TempDir: one read transaction, while the owner of
// the directory keeps writing. The blob files are archived after it,
// each rehashed on the way; every blob the copy refers to was durable
// before the copy began.
func (e *Embedded) Snapshot(ctx context.Context, w io.Writer) (*Manifest, error) {
	m := &Manifest{Kind: archive.KindEmbedded, Created: time.Now().UTC().Truncate(time.Second)}
	f, err := os.CreateTemp(e.tempDir, ".segel-snapshot-*.db")
	if err != nil {
		return nil, fmt.Errorf("vault: staging the database copy: %w", err)
	}
	copyPath := f.Name()
	f.Close() // VACUUM INTO writes into an empty file
	defer os.Remove(copyPath)
	if err := e.copyDatabase(ctx, copyPath); err != nil {
		return nil, err
	}
	if err := describeCopy(ctx, copyPath, m); err != nil {
		return nil, err
	}
	a, err := archive.NewWriter(w, newHeader(archive.KindEmbedded, m))
	if err != nil {
		return nil, err
	}
	if err := archiveFile(a, archive.DBName, copyPath); err != nil {
		return nil, err
	}
	if err := e.archiveBlobs(ctx, a, m); err != nil {
		return nil, err
	}
	if m.Files, m.Bytes, err = a.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

// copyDatabase copies vault.db to path on a connection of its own: VACUUM
// INTO writes, which the readers (query_only) may not.
func (e *Embedded) copyDatabase(ctx context.Context, path string) error {
	src := filepath.Join(e.dir, embeddedDBName)
	db, err := sql.Open("sqlite", sqliteDSN(src, url.Values{"_busy_timeout": {"10000"}}))
	if err != nil {
		return fmt.Errorf("vault: opening %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("vault: copying %s: %w", src, err)
	}
	return db.Close()
}

// describeCopy checks the database copy at path with SQLite's quick_check
// and describes it in m.
func describeCopy(ctx context.Context, path string, m *Manifest) error {
	db, err := sql.Open("sqlite", sqliteDSN(path, url.Values{"mode": {"ro"}}))
	if err != nil {
		return fmt.Errorf("vault: opening the database copy: %w", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		return fmt.Errorf("vault: the database copy fails SQLite's quick_check: %q %v: %w", check, err, ErrCorrupt)
	}
	c := &stmtCache{db: db}
	defer c.close()
	return describe(ctx, sqlDB{c}, sqliteDialect, m)
}

func archiveFile(a *archive.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("vault: archiving %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("vault: archiving %s: %w", name, err)
	}
	_, err = a.Add(name, st.Size(), f)
	return err
}

// archiveBlobs archives every blob file, checking that each still hashes
// to its name, and counts them in m.
func (e *Embedded) archiveBlobs(ctx context.Context, a *archive.Writer, m *Manifest) error {
	return e.walkBlobs(ctx, func(d [32]byte, path string) error {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since listed: a chunk of an abandoned upload
		} else if err != nil {
			return fmt.Errorf("vault: archiving blob: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return fmt.Errorf("vault: archiving blob: %w", err)
		}
		got, err := a.Add(archive.BlobName(d), st.Size(), ctxReader{ctx, f})
		if err != nil {
			return err
		}
		if got != d {
			return fmt.Errorf("vault: blob file %s hashes to %x, not to its name: the data directory is damaged; restore it from an earlier backup: %w", path, got[:], ErrCorrupt)
		}
		m.Blobs++
		m.BlobBytes += st.Size()
		return nil
	}, func(path string) { m.Skipped = append(m.Skipped, path) })
}

// walkBlobs calls fn for every blob file under Dir/blobs, in name order,
// and other for every other file there; staging files (blobs/tmp) are
// neither.
func (e *Embedded) walkBlobs(ctx context.Context, fn func(d [32]byte, path string) error, other func(path string)) error {
	return filepath.WalkDir(e.blobs, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("vault: listing blobs: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(e.dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if de.IsDir() {
			if rel == "blobs/tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		// The layout of blobs/ is the archive's (doc/spec/vault.md).
		d, ok := archive.BlobDigest(rel)
		if !ok || !de.Type().IsRegular() {
			other(path)
			return nil
		}
		return fn(d, path)
	})
}

// RestoreEmbedded restores the archive read from r (doc/spec/backup.md) into
// cfg.Dir, which must be a new or empty directory, and returns the vault
// opened on it with the archive's manifest. It reads r to its end, checks
// every rule of the format, opens the restored vault (migrating an older
// schema) and verifies it from its own storage: blobs, audit logs, the
// header's log. Then, if check is not nil, it calls it with the restored
// vault: the caller's own verification.
//
// If anything fails, the restore is undone: the directory is removed if
// RestoreEmbedded created it, emptied otherwise. An archive that breaks
// the format fails with archive.ErrBad, storage that does not verify with
// ErrCorrupt.
func RestoreEmbedded(ctx context.Context, cfg EmbeddedConfig, r io.Reader, check func(context.Context, Backend, *Manifest) error) (*Embedded, *Manifest, error) {
	return restoreEmbedded(ctx, cfg, r, check)
}

func restoreEmbedded(ctx context.Context, cfg EmbeddedConfig, r io.Reader, check func(context.Context, Backend, *Manifest) error) (_ *Embedded, _ *Manifest, err error) {
	if cfg.ReadOnly {
		return nil, nil, errors.New("vault: RestoreEmbedded writes: EmbeddedConfig.ReadOnly must be false")
	}
	dir, err := embeddedDir(&cfg)
	if err != nil {
		return nil, nil, err
	}
	created, err := emptyDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var lock *os.File
	var e *Embedded
	defer func() {
		if err == nil {
			return
		}
		if e != nil {
			e.Close() // unlocks
		} else if lock != nil {
			lock.Close()
		}
		if created {
			os.RemoveAll(dir)
		} else {
			clearDir(dir)
		}
	}()
	if lock, err = lockDir(dir); err != nil {
		return nil, nil, err
	}
	known, err := latestSchema(sqliteDialect)
	if err != nil {
		return nil, nil, err
	}
	ar := archive.Reader{
		Kind: archive.KindEmbedded,
		Begin: func(h *archive.Header) error {
			if h.Schema > known {
				return fmt.Errorf("vault: the archive has vault schema %d, newer than this release's %d: restore it with a newer release", h.Schema, known)
			}
			return nil
		},
		File: func(name string, r io.Reader) error {
			return writeNewFile(filepath.Join(dir, filepath.FromSlash(name)), ctxReader{ctx, r})
		},
	}
	h, err := ar.Read(r)
	if err != nil {
		return nil, nil, err
	}
	// The new names are durable once their directories are synced.
	subdirs, _ := filepath.Glob(filepath.Join(dir, "blobs", "[0-9a-f][0-9a-f]"))
	for _, d := range append(subdirs, filepath.Join(dir, "blobs"), dir) {
		if err := syncDir(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
	}
	if e, err = openEmbedded(ctx, cfg, dir); err != nil {
		return nil, nil, err
	}
	e.lock = lock
	m := &Manifest{Kind: archive.KindEmbedded, Created: h.Created, Files: ar.Files, Bytes: ar.Bytes}
	listBlobs := func(ctx context.Context, fn func([32]byte) error) error {
		return e.walkBlobs(ctx, func(d [32]byte, _ string) error { return fn(d) }, func(string) {})
	}
	if err := verifyRestored(ctx, e, &e.sql, listBlobs, h, m); err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(ctx, e, m); err != nil {
			return nil, nil, err
		}
	}
	return e, m, nil
}

// emptyDir makes sure dir is a new or empty directory and reports whether
// it created it.
func emptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("vault: creating %s: %w", dir, err)
		}
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("vault: restore target: %w", err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("vault: %s is not empty: restore only into a new or empty directory", dir)
	}
	return false, nil
}

func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// writeNewFile writes a new file, and its directories, from r and syncs it.
func writeNewFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("vault: restoring: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("vault: restoring: %w", err)
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vault: restoring %s: %w", path, err)
	}
	return nil
}
