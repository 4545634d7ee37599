package vault_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

func TestEmbedded(t *testing.T) {
	vaulttest.TestBackend(t, embeddedStore)
}

// TestEmbeddedNamedStaging runs the blob suite with Put staging blobs in
// named temporary files, the path where O_TMPFILE is not available.
func TestEmbeddedNamedStaging(t *testing.T) {
	if runtime.GOOS == "linux" && !vault.StagesAnonymous(defaultEmbedded(t)) {
		t.Errorf("on Linux, Put should stage blobs in unnamed files")
	}
	vaulttest.TestBlobs(t, func(t *testing.T) vaulttest.Store {
		s := embeddedStore(t)
		open := s.Open
		s.Open = func() vault.Backend {
			b := open()
			vault.StageNamed(b.(*vault.Embedded))
			return b
		}
		return s
	})
}

// TestEmbeddedSyncEachBlob runs the blob suite with every Put fsyncing
// its own file and directory, the path taken where syncfs(2) cannot
// report errors or when an operator asks for it.
func TestEmbeddedSyncEachBlob(t *testing.T) {
	b := defaultEmbedded(t)
	if got, want := vault.SyncsFileSystem(b), vault.CanSyncFS(t.TempDir()); got != want {
		t.Errorf("by default Puts share file-system flushes: %v; this system can report their failures: %v", got, want)
	}
	vaulttest.TestBlobs(t, func(t *testing.T) vaulttest.Store {
		s := embeddedStoreConfig(t, vault.EmbeddedConfig{SyncEachBlob: true})
		open := s.Open
		s.Open = func() vault.Backend {
			b := open()
			if vault.SyncsFileSystem(b.(*vault.Embedded)) {
				t.Errorf("SyncEachBlob: Puts still share file-system flushes")
			}
			return b
		}
		return s
	})
}

// defaultEmbedded opens an embedded backend with the default
// configuration, closed when the test ends.
func defaultEmbedded(t *testing.T) *vault.Embedded {
	t.Helper()
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestPostgres(t *testing.T) {
	vaulttest.PostgresDSN(t) // skip (or fail) early and loudly without a server
	vaulttest.TestBackend(t, postgresStore)
}

func embeddedStore(t *testing.T) vaulttest.Store {
	return embeddedStoreConfig(t, vault.EmbeddedConfig{})
}

// embeddedStoreConfig is embeddedStore with cfg (its Dir is set here).
func embeddedStoreConfig(t *testing.T, cfg vault.EmbeddedConfig) vaulttest.Store {
	dir := t.TempDir()
	cfg.Dir = dir
	return vaulttest.Store{
		Open: func() vault.Backend {
			t.Helper()
			b, err := vault.OpenEmbedded(t.Context(), cfg)
			if err != nil {
				t.Fatalf("OpenEmbedded: %v", err)
			}
			return b
		},
		Corrupt: func(d [32]byte) {
			t.Helper()
			h := hex.EncodeToString(d[:])
			p := filepath.Join(dir, "blobs", h[:2], h[2:])
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("corrupting blob: %v", err)
			}
			b[len(b)/2] ^= 1
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatalf("corrupting blob: %v", err)
			}
		},
		Contains: func(needle []byte) bool {
			t.Helper()
			found := false
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				found = found || bytes.Contains(b, needle)
				return nil
			})
			if err != nil {
				t.Fatalf("scanning %s: %v", dir, err)
			}
			return found
		},
		OpenReadOnly: func() (vault.Backend, error) {
			ro := cfg
			ro.ReadOnly = true
			return vault.OpenEmbedded(t.Context(), ro)
		},
		Restore: func(r io.Reader, check func(context.Context, vault.Backend, *vault.Manifest) error) (vault.Backend, *vault.Manifest, error) {
			b, m, err := vault.RestoreEmbedded(t.Context(), cfg, r, check)
			if err != nil {
				return nil, nil, err // not a nil *Embedded in an interface
			}
			return b, m, nil
		},
	}
}

func postgresStore(t *testing.T) vaulttest.Store {
	dsn := vaulttest.PostgresDSN(t)
	conn := func() *pgx.Conn {
		t.Helper()
		c, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatalf("connecting to test database: %v", err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	return vaulttest.Store{
		Open: func() vault.Backend {
			t.Helper()
			b, err := vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: dsn})
			if err != nil {
				t.Fatalf("OpenPostgres: %v", err)
			}
			return b
		},
		Corrupt: func(d [32]byte) {
			t.Helper()
			tag, err := conn().Exec(t.Context(), `UPDATE blob_chunks
				SET data = set_byte(data, length(data)/2, (get_byte(data, length(data)/2) + 1) % 256)
				WHERE blob_id = (SELECT id FROM blobs WHERE digest = $1) AND seq = 0`, d[:])
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("corrupting blob: %v, %d rows", err, tag.RowsAffected())
			}
		},
		Contains: func(needle []byte) bool {
			t.Helper()
			return postgresContains(t, conn(), needle)
		},
		OpenReadOnly: func() (vault.Backend, error) {
			return vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: dsn, ReadOnly: true})
		},
		Restore: func(r io.Reader, check func(context.Context, vault.Backend, *vault.Manifest) error) (vault.Backend, *vault.Manifest, error) {
			b, m, err := vault.RestorePostgres(t.Context(), vault.PostgresConfig{DSN: dsn}, r, check)
			if err != nil {
				return nil, nil, err
			}
			return b, m, nil
		},
	}
}

// postgresContains searches every row of every table, in text form, for
// needle as raw bytes and as the hex that bytea columns print.
func postgresContains(t *testing.T, c *pgx.Conn, needle []byte) bool {
	t.Helper()
	ctx := t.Context()
	rows, err := c.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatalf("listing tables: %v", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("listing tables: %v (%d tables)", err, len(tables))
	}
	hexNeedle := []byte(hex.EncodeToString(needle))
	for _, tbl := range tables {
		var all string
		if err := c.QueryRow(ctx, `SELECT coalesce(string_agg(t::text, E'\n'), '') FROM `+tbl+` t`).Scan(&all); err != nil {
			t.Fatalf("reading %s: %v", tbl, err)
		}
		if bytes.Contains([]byte(all), needle) || bytes.Contains([]byte(all), hexNeedle) {
			return true
		}
	}
	return false
}

// TestPostgresConcurrentMigrations starts several backends on one empty
// database at once, as lpsed instances deployed together would.
func TestPostgresConcurrentMigrations(t *testing.T) {
	dsn := vaulttest.PostgresDSN(t)
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			b, err := vault.OpenPostgres(t.Context(), vault.PostgresConfig{DSN: dsn, MaxConns: 2})
			if err == nil {
				err = b.Close()
			}
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent OpenPostgres: %v", err)
		}
	}
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != 2 {
		t.Errorf("schema_migrations has %d rows (%v), want 2", n, err)
	}
}

func TestEmbeddedRefusesEmptyDir(t *testing.T) {
	if _, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{}); err == nil {
		t.Errorf("OpenEmbedded with no Dir succeeded")
	}
}

// TestPostgresPoolCannotDeadlock: with a pool of one connection, a Put fed
// by another blob's reader (what an opening does, storing plaintexts as it
// decrypts) completes, and a slow upload does not keep Update waiting.
func TestPostgresPoolCannotDeadlock(t *testing.T) {
	dsn := vaulttest.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b, err := vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: dsn, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := bytes.Repeat([]byte("segel "), 600_000) // 3.6 MB: four chunks
	src, err := b.Put(ctx, bytes.NewReader(data), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Open(ctx, src.Digest)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := b.Put(ctx, io.MultiReader(r, strings.NewReader("!")), 1<<30)
	r.Close()
	if err != nil {
		t.Fatalf("Put fed by Open on a pool of one connection: %v", err)
	}
	if copied.Size != int64(len(data))+1 {
		t.Errorf("copied %d bytes, want %d", copied.Size, len(data)+1)
	}

	// A bidder on a slow link: the upload's bytes have not all arrived.
	pr, pw := io.Pipe()
	put := make(chan error, 1)
	go func() {
		_, err := b.Put(ctx, pr, 1<<20)
		put <- err
	}()
	pw.Write([]byte("the first bytes of a small offer"))
	if err := b.Update(ctx, func(tx vault.Tx) error { return tx.Put("t", "k", []byte("v")) }); err != nil {
		t.Fatalf("Update while an upload is arriving: %v", err)
	}
	pw.Close()
	if err := <-put; err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddedReplaceLeavesNoFiles puts the same bytes again (alone and
// concurrently) and over a damaged copy: each blob stays one file under
// blobs/ab/, nothing stays in blobs/tmp/, and staging files a crash left
// there are removed at the next open once they are an hour old.
func TestEmbeddedReplaceLeavesNoFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	b, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The replacement's staging name is used only with unnamed files.
	if runtime.GOOS == "linux" && !vault.StagesAnonymous(b) {
		t.Fatal("on Linux, Put should stage blobs in unnamed files")
	}
	data := bytes.Repeat([]byte("offer "), 50_000)
	put := func() vault.BlobInfo {
		t.Helper()
		info, err := b.Put(ctx, bytes.NewReader(data), 1<<20)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		return info
	}
	info := put()
	put()
	h := hex.EncodeToString(info.Digest[:])
	p := filepath.Join(dir, "blobs", h[:2], h[2:])
	if err := os.WriteFile(p, []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	put() // repairs
	done := make(chan struct{})
	for range 8 {
		go func() { defer func() { done <- struct{}{} }(); put() }()
	}
	for range 8 {
		<-done
	}
	if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("blob after replacing: %d bytes, %v; want the %d put", len(got), err, len(data))
	}
	files := func() (names []string) {
		t.Helper()
		err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, strings.TrimPrefix(p, dir))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	want := filepath.Join("/blobs", h[:2], h[2:])
	if got := files(); len(got) != 1 || got[0] != want {
		t.Fatalf("files under blobs/: %q, want only %s", got, want)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// What a crash between staging and renaming leaves.
	stale := filepath.Join(dir, "blobs", "tmp", "put-replace-1-1")
	fresh := filepath.Join(dir, "blobs", "tmp", "put-replace-1-2")
	for _, f := range []string{stale, fresh} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	b, err = vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := files(); len(got) != 2 || got[1] != strings.TrimPrefix(fresh, dir) {
		t.Fatalf("files under blobs/ after reopening: %q, want %s and the fresh %s (another process's Put may be writing it)", got, want, fresh)
	}
}
