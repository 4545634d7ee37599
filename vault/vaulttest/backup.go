package vaulttest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// TestBackup checks [vault.Backend.Snapshot], the backend's Restore and
// its read-only open against doc/spec/backup.md: what a snapshot holds
// restores whole into new storage, a snapshot taken beside a writer is
// consistent, and a restore refuses bad archives, non-empty targets and
// storage that does not verify, leaving the target empty.
func TestBackup(t *testing.T, newStore func(t *testing.T) Store) {
	if s := newStore(t); s.Restore == nil || s.OpenReadOnly == nil {
		t.Fatal("Store.Restore or Store.OpenReadOnly is nil: every backend takes snapshots read-only and restores them (doc/spec/backup.md)")
	}
	t.Run("RoundTrip", func(t *testing.T) { testBackupRoundTrip(t, newStore) })
	t.Run("ReadOnly", func(t *testing.T) { testReadOnly(t, newStore) })
	t.Run("RestoreRefuses", func(t *testing.T) { testRestoreRefuses(t, newStore) })
	t.Run("RestoreVerifies", func(t *testing.T) { testRestoreVerifies(t, newStore) })
	t.Run("WhileWriting", func(t *testing.T) { testSnapshotWhileWriting(t, newStore) })
}

// contents is what fill stores, to compare with what a restore brings back.
type contents struct {
	records map[string]map[string][]byte // table → key → value
	blobs   [][]byte
	logs    map[string][][]byte         // name → entries
	cps     map[string]map[int64][]byte // name → size → signed checkpoint
}

func newSigner(t *testing.T, name string) note.Signer {
	t.Helper()
	skey, _, err := auditlog.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fill stores records in three tables (UTF-8 keys, an empty value, a
// value of every byte), blobs (empty, small, several PostgreSQL chunks),
// the log "main" with a checkpoint that covers some of its entries, and a
// second log.
func fill(t *testing.T, b vault.Backend) *contents {
	t.Helper()
	c := &contents{
		records: map[string]map[string][]byte{
			"tenders": {},
			"users":   {"budi": []byte(`{"name":"Budi"}`), "siti/ktp": {}},
			"notes":   {"ünïcode-κλειδί": randomBytes(1, 256)},
		},
		blobs: [][]byte{{}, []byte("sealed offer"), randomBytes(2, 2<<20+17)},
		logs:  map[string][][]byte{},
		cps:   map[string]map[int64][]byte{},
	}
	for i := range 300 { // more than one Scan page
		c.records["tenders"][fmt.Sprintf("T-%04d", i)] = []byte(fmt.Sprintf(`{"id":%d}`, i))
	}
	mustUpdate(t, b, func(tx vault.Tx) error {
		for table, kv := range c.records {
			for k, v := range kv {
				if err := tx.Put(table, k, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for _, data := range c.blobs {
		putBlob(t, b, data, 1<<30)
	}
	appendLog(t, b, c, "main", 40, true)
	appendLog(t, b, c, "other", 3, false)
	return c
}

// appendLog appends n entries to log name through auditlog.Log, with a
// checkpoint after n-2 of them if checkpoint is set.
func appendLog(t *testing.T, b vault.Backend, c *contents, name string, n int, checkpoint bool) {
	t.Helper()
	ctx := testContext(t)
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: b.AuditLog(name), Origin: "vaulttest.segel/log", Signer: newSigner(t, "vaulttest.segel/log")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		e := []byte(fmt.Sprintf("%s entry %d\n", name, i))
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		c.logs[name] = append(c.logs[name], e)
		if checkpoint && i == n-3 {
			cp, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.cps[name] = map[int64][]byte{int64(i + 1): cp}
		}
	}
}

// wantContents checks that b stores exactly c: every record of c's tables
// and no other in them, every blob, every log entry, every tree hash
// (recomputed), every checkpoint.
func wantContents(t *testing.T, b vault.Backend, c *contents) {
	t.Helper()
	ctx := testContext(t)
	err := b.View(ctx, func(tx vault.Tx) error {
		for table, kv := range c.records {
			n := 0
			err := tx.Scan(table, "", func(k string, v []byte) error {
				n++
				if want, ok := kv[k]; !ok || !bytes.Equal(v, want) {
					return fmt.Errorf("record %s/%s = %q, want %q (present: %v)", table, k, v, want, ok)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n != len(kv) {
				return fmt.Errorf("table %s has %d records, want %d", table, n, len(kv))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("restored records: %v", err)
	}
	for _, data := range c.blobs {
		wantBlob(t, b, data)
	}
	for name, entries := range c.logs {
		st := b.AuditLog(name)
		if n, err := st.Size(ctx); err != nil || n != int64(len(entries)) {
			t.Fatalf("log %s: Size = %d, %v; want %d", name, n, err, len(entries))
		}
		got, err := st.ReadEntries(ctx, 0, int64(len(entries)))
		if err != nil || !slices.EqualFunc(got, entries, bytes.Equal) {
			t.Fatalf("log %s: entries %q, %v; want %q", name, got, err, entries)
		}
		want := tlog.HashReaderFunc(storedHashes(entries))
		indexes := make([]int64, tlog.StoredHashCount(int64(len(entries))))
		for i := range indexes {
			indexes[i] = int64(i)
		}
		gotHashes, err := st.ReadHashes(ctx, indexes)
		wantHashes, _ := want.ReadHashes(indexes)
		if err != nil || !slices.Equal(gotHashes, wantHashes) {
			t.Fatalf("log %s: stored hashes differ from the entries' (%v)", name, err)
		}
		for size, cp := range c.cps[name] {
			if got, err := st.Checkpoint(ctx, size); err != nil || !bytes.Equal(got, cp) {
				t.Fatalf("log %s: checkpoint at %d = %q, %v; want %q", name, size, got, err, cp)
			}
		}
		if len(c.cps[name]) == 0 {
			if got, err := st.Checkpoint(ctx, -1); err == nil {
				t.Fatalf("log %s: checkpoint %q, want none", name, got)
			}
		}
	}
}

// storedHashes computes the tlog hashes of entries from scratch.
func storedHashes(entries [][]byte) func([]int64) ([]tlog.Hash, error) {
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = all[x]
		}
		return out, nil
	})
	for n, e := range entries {
		hs, err := tlog.StoredHashes(int64(n), e, r)
		if err != nil {
			panic(err)
		}
		all = append(all, hs...)
	}
	return r.ReadHashes
}

// wantManifest checks what m says of a vault holding c.
func wantManifest(t *testing.T, what string, m *vault.Manifest, c *contents) {
	t.Helper()
	records := 0
	for _, kv := range c.records {
		records += len(kv)
	}
	var blobBytes int64
	for _, b := range c.blobs {
		blobBytes += int64(len(b))
	}
	if m.Schema < 1 || m.Created.IsZero() || m.Kind == "" {
		t.Errorf("%s: manifest schema %d, created %v, kind %q", what, m.Schema, m.Created, m.Kind)
	}
	if m.Records != int64(records) || m.Blobs != int64(len(c.blobs)) || m.BlobBytes != blobBytes {
		t.Errorf("%s: manifest counts %d records, %d blobs of %d bytes; want %d, %d, %d", what, m.Records, m.Blobs, m.BlobBytes, records, len(c.blobs), blobBytes)
	}
	var names []string
	for _, l := range m.Logs {
		names = append(names, l.Name)
		entries, ok := c.logs[l.Name]
		if !ok || l.Size != int64(len(entries)) {
			t.Errorf("%s: manifest log %s of size %d; want %d", what, l.Name, l.Size, len(entries))
		}
		var latest []byte
		for _, cp := range c.cps[l.Name] {
			latest = cp
		}
		if !bytes.Equal(l.Checkpoint, latest) {
			t.Errorf("%s: manifest log %s checkpoint %q, want %q", what, l.Name, l.Checkpoint, latest)
		}
	}
	if !slices.Equal(names, []string{"main", "other"}) {
		t.Errorf("%s: manifest logs %q, want main and other", what, names)
	}
}

func testBackupRoundTrip(t *testing.T, newStore func(t *testing.T) Store) {
	src := newStore(t)
	b, _ := open(t, src)
	c := fill(t, b)
	ctx := testContext(t)

	// Beside the writer, as a backup does, and from the writer itself.
	ro, err := src.OpenReadOnly()
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer ro.Close()
	for name, snap := range map[string]vault.Backend{"read-only": ro, "writer": b} {
		t.Run(name, func(t *testing.T) {
			var archive bytes.Buffer
			m, err := snap.Snapshot(ctx, &archive)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			wantManifest(t, "Snapshot", m, c)
			wantArchiveShape(t, archive.Bytes(), m)
			restored, rm, err := newStore(t).Restore(bytes.NewReader(archive.Bytes()), nil)
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			defer restored.Close()
			wantManifest(t, "Restore", rm, c)
			if rm.Files != m.Files || rm.Bytes != m.Bytes || !rm.Created.Equal(m.Created) || rm.Schema != m.Schema || rm.Kind != m.Kind {
				t.Errorf("Restore manifest %+v; Snapshot's %+v", rm, m)
			}
			wantContents(t, restored, c)
		})
	}
}

// wantArchiveShape checks the tar layer of doc/spec/backup.md: the header
// first, SHA256SUMS last listing every other entry with its digest, only
// regular files, m's counts.
func wantArchiveShape(t *testing.T, archive []byte, m *vault.Manifest) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	var names []string
	var sums []byte
	var listed strings.Builder
	var n int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil || h.Typeflag != tar.TypeReg {
			t.Fatalf("entry %s: type %c, %v", h.Name, h.Typeflag, err)
		}
		names = append(names, h.Name)
		if h.Name == "SHA256SUMS" {
			sums = b
			continue
		}
		n += int64(len(b))
		fmt.Fprintf(&listed, "%x  %s\n", sha256.Sum256(b), h.Name)
	}
	if len(names) < 3 || names[0] != "segel-backup.json" || names[len(names)-1] != "SHA256SUMS" {
		t.Fatalf("archive entries %q: want segel-backup.json first and SHA256SUMS last", names)
	}
	if string(sums) != listed.String() {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", sums, listed.String())
	}
	if m.Files != len(names)-1 || m.Bytes != n {
		t.Errorf("manifest: %d files of %d bytes; the archive has %d of %d", m.Files, m.Bytes, len(names)-1, n)
	}
}

func testReadOnly(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := testContext(t)
	if b, err := newStore(t).OpenReadOnly(); err == nil {
		b.Close()
		t.Errorf("OpenReadOnly of empty storage succeeded; want an error saying there is no vault")
	}
	s := newStore(t)
	b, closeB := open(t, s)
	info := putBlob(t, b, []byte("offer"), 100)
	mustUpdate(t, b, func(tx vault.Tx) error { return tx.Put("t", "k", []byte("v")) })
	closeB()
	ro, err := s.OpenReadOnly()
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer ro.Close()
	wantValue(t, ro, "t", "k", "v")
	wantBlob(t, ro, []byte("offer"))
	write := func(tx vault.Tx) error { return tx.Put("t", "k", []byte("w")) }
	entry := []byte("x")
	for what, err := range map[string]error{
		"Update":        ro.Update(ctx, write),
		"Batch":         ro.Batch(ctx, write),
		"Delete":        ro.Delete(ctx, info.Digest),
		"Append":        ro.AuditLog("main").Append(ctx, 0, [][]byte{entry}, []tlog.Hash{tlog.RecordHash(entry)}),
		"PutCheckpoint": ro.AuditLog("main").PutCheckpoint(ctx, 0, []byte("cp\n")),
	} {
		if !errors.Is(err, vault.ErrReadOnly) {
			t.Errorf("%s on a read-only backend: %v, want ErrReadOnly", what, err)
		}
	}
	if _, err := ro.Put(ctx, strings.NewReader("new"), 100); !errors.Is(err, vault.ErrReadOnly) {
		t.Errorf("Put on a read-only backend: %v, want ErrReadOnly", err)
	}
	wantValue(t, ro, "t", "k", "v")
}

// restoreInto restores archive into s and closes the result when the test
// ends.
func restoreInto(t *testing.T, s Store, archive []byte, check func(context.Context, vault.Backend, *vault.Manifest) error) (vault.Backend, error) {
	t.Helper()
	b, _, err := s.Restore(bytes.NewReader(archive), check)
	if err == nil {
		t.Cleanup(func() { b.Close() })
	}
	return b, err
}
