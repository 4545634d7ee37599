package vault_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
	"github.com/segel-lpse/segel/vault/vaulttest"
)

// The archives in testdata were written by lpsed backup at commit 4bd85e0,
// before the format moved into this package, from a vault holding what
// wantFixture checks (the same for both kinds).

// TestRestoreVersion1Archives restores them: segel-backup/v1 archives
// written by the code before stay readable (doc/spec/backup.md).
func TestRestoreVersion1Archives(t *testing.T) {
	restore := map[string]func(t *testing.T, r io.Reader) (vault.Backend, *vault.Manifest, error){
		"embedded": func(t *testing.T, r io.Reader) (vault.Backend, *vault.Manifest, error) {
			return vault.RestoreEmbedded(t.Context(), vault.EmbeddedConfig{Dir: t.TempDir()}, r, nil)
		},
		"postgres": func(t *testing.T, r io.Reader) (vault.Backend, *vault.Manifest, error) {
			return vault.RestorePostgres(t.Context(), vault.PostgresConfig{DSN: vaulttest.PostgresDSN(t)}, r, nil)
		},
	}
	for kind, restore := range restore {
		t.Run(kind, func(t *testing.T) {
			b, m, err := restore(t, fixture(t, kind))
			if err != nil {
				t.Fatalf("restoring the version 1 archive: %v", err)
			}
			defer b.Close()
			wantFixture(t, b, m)
			wantSameHeader(t, b, kind)
		})
	}
	t.Run("other kind", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new")
		_, _, err := vault.RestoreEmbedded(t.Context(), vault.EmbeddedConfig{Dir: dir}, fixture(t, "postgres"), nil)
		if !errors.Is(err, vault.ErrBadArchive) || !strings.Contains(err.Error(), "RestorePostgres") {
			t.Errorf("RestoreEmbedded of a postgres archive: %v, want ErrBadArchive naming RestorePostgres", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("the refused restore left %s behind (%v)", dir, err)
		}
	})
}

func fixture(t *testing.T, kind string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "backup-v1-"+kind+".tar"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// wantFixture checks that b holds the vault the fixtures were taken of.
func wantFixture(t *testing.T, b vault.Backend, m *vault.Manifest) {
	t.Helper()
	ctx := t.Context()
	records := map[string]string{
		"tenders/T-1":          `{"id":"T-1","title":"Jembatan 1"}`,
		"tenders/T-2":          `{"id":"T-2","title":"Jembatan 2"}`,
		"tenders/T-3":          `{"id":"T-3","title":"Jembatan 3"}`,
		"users/budi":           `{"name":"Budi Santoso"}`,
		"users/siti/ktp":       "",
		"notes/ünïcode-κλειδί": "\x00\x01\x02\xff",
	}
	err := b.View(ctx, func(tx vault.Tx) error {
		for tk, want := range records {
			table, key, _ := strings.Cut(tk, "/")
			got, err := tx.Get(table, key)
			if err != nil || string(got) != want {
				return fmt.Errorf("%s = %q, %v; want %q", tk, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	var blobBytes int64
	for _, data := range []string{"sealed offer one", "", strings.Repeat("berita acara ", 23)} {
		blobBytes += int64(len(data))
		rc, err := b.Open(ctx, sha256.Sum256([]byte(data)))
		if err != nil {
			t.Fatalf("blob %q: %v", data, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != data {
			t.Errorf("blob = %q, %v; want %q", got, err, data)
		}
	}
	if m.Kind == "" || m.Schema != 2 || m.Records != int64(len(records)) || m.Blobs != 3 || m.BlobBytes != blobBytes {
		t.Errorf("manifest %+v: want schema 2, %d records, 3 blobs of %d bytes", m, len(records), blobBytes)
	}
	// The checkpoint at 5 of the 7 entries of main, by the key of seed 7…7.
	_, vkey, err := auditlog.KeyFromSeed("lpse.fixture.test/log", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	main := m.Log("main")
	if main.Size != 7 || m.Log("other").Size != 3 || len(m.Logs) != 2 {
		t.Errorf("manifest logs %+v: want main of 7 entries and other of 3", m.Logs)
	}
	cp, err := auditlog.VerifyCheckpoint(main.Checkpoint, verifier)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	st := b.AuditLog("main")
	root, err := tlog.TreeHash(cp.Size, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) { return st.ReadHashes(ctx, x) }))
	if err != nil || cp.Size != 5 || root != cp.Hash {
		t.Errorf("checkpoint of size %d, root %v (%v); want size 5 and the stored tree's root %v", cp.Size, cp.Hash, err, root)
	}
	entries, err := st.ReadEntries(ctx, 0, 7)
	if err != nil || string(entries[6]) != "entry 6\n" {
		t.Errorf("entries %q, %v", entries, err)
	}
}

// wantSameHeader checks that a snapshot of the restored fixture has the
// header the old code wrote, but for its time.
func wantSameHeader(t *testing.T, b vault.Backend, kind string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := b.Snapshot(t.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	created := regexp.MustCompile(`"created": "[^"]*"`)
	got := created.ReplaceAll(firstEntry(t, &buf), []byte(`"created": ""`))
	want := created.ReplaceAll(firstEntry(t, fixture(t, kind)), []byte(`"created": ""`))
	if !bytes.Equal(got, want) {
		t.Errorf("header of a new snapshot:\n%s\nthe version 1 archive's:\n%s", got, want)
	}
}

func firstEntry(t *testing.T, r io.Reader) []byte {
	t.Helper()
	tr := tar.NewReader(r)
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotReportsStrayFiles: a file under blobs/ that is no blob is
// left out of the archive and named in the manifest.
func TestSnapshotReportsStrayFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := vault.OpenEmbedded(t.Context(), vault.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Put(t.Context(), strings.NewReader("offer"), 100); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(dir, "blobs", "ab", "not-a-blob")
	os.MkdirAll(filepath.Dir(stray), 0o700)
	if err := os.WriteFile(stray, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := b.Snapshot(t.Context(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Skipped, []string{stray}) || m.Blobs != 1 {
		t.Errorf("Skipped %q, %d blobs; want %s and 1", m.Skipped, m.Blobs, stray)
	}
	if bytes.Contains(buf.Bytes(), []byte("not-a-blob")) {
		t.Errorf("the stray file is in the archive")
	}
}

// TestRestoreEmbeddedSchemaTooNew refuses an archive of a newer schema
// before writing anything.
func TestRestoreEmbeddedSchemaTooNew(t *testing.T) {
	archive, err := io.ReadAll(fixture(t, "embedded"))
	if err != nil {
		t.Fatal(err)
	}
	// Same length, so the tar stream stays whole; only SHA256SUMS, read
	// last, would notice.
	archive = bytes.Replace(archive, []byte(`"schema": 2,`), []byte(`"schema": 9,`), 1)
	dir := t.TempDir()
	_, _, err = vault.RestoreEmbedded(t.Context(), vault.EmbeddedConfig{Dir: dir}, bytes.NewReader(archive), nil)
	if err == nil || !strings.Contains(err.Error(), "schema 9, newer than this release") {
		t.Errorf("RestoreEmbedded of schema 9: %v, want a refusal naming the schema", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the refused restore left %d files in %s", len(entries), dir)
	}
}
