package vaulttest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/vault"
)

// snapshot returns an archive of b.
func snapshot(t *testing.T, b vault.Backend) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := b.Snapshot(testContext(t), &buf); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return buf.Bytes()
}

// rewrite returns archive with each entry's bytes replaced by edit's
// (dropped when edit returns nil and the entry was not empty), and extra
// bytes after the end of the tar stream.
func rewrite(t *testing.T, archive []byte, edit func(i int, name string, b []byte) []byte, trailer []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tr, tw := tar.NewReader(bytes.NewReader(archive)), tar.NewWriter(&out)
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		nb := edit(i, h.Name, b)
		if nb == nil && len(b) > 0 {
			continue
		}
		h.Size = int64(len(nb))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(nb)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), trailer...)
}

func keep(_ int, _ string, b []byte) []byte { return b }

func testRestoreRefuses(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := testContext(t)
	src := newStore(t)
	b, _ := open(t, src)
	c := fill(t, b)
	good := snapshot(t, b)

	// A target holding anything is refused, and kept as it was.
	busy := newStore(t)
	bb, closeBusy := open(t, busy)
	mustUpdate(t, bb, func(tx vault.Tx) error { return tx.Put("mine", "k", []byte("v")) })
	closeBusy()
	if _, err := restoreInto(t, busy, good, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Restore into storage holding a record: %v, want a refusal saying it is not empty", err)
	}
	bb, _ = open(t, busy)
	wantValue(t, bb, "mine", "k", "v")

	header := func(edit func(string) string) func(int, string, []byte) []byte {
		return func(_ int, name string, b []byte) []byte {
			if name == "segel-backup.json" {
				return []byte(edit(string(b)))
			}
			return b
		}
	}
	bad := []struct {
		name    string
		archive []byte
	}{
		{"empty", nil},
		{"not an archive", []byte("segel-backup/v1, honestly\n")},
		{"truncated", good[:len(good)/2]},
		{"data changed", rewrite(t, good, func(i int, _ string, b []byte) []byte {
			if i == 1 {
				return append(bytes.Clone(b), 'x')
			}
			return b
		}, nil)},
		{"no SHA256SUMS", rewrite(t, good, func(_ int, name string, b []byte) []byte {
			if name == "SHA256SUMS" {
				return nil
			}
			return b
		}, nil)},
		{"SHA256SUMS edited", rewrite(t, good, func(_ int, name string, b []byte) []byte {
			if name == "SHA256SUMS" {
				return bytes.Replace(b, []byte("  "), []byte(" *"), 1)
			}
			return b
		}, nil)},
		{"header reindented", rewrite(t, good, header(func(s string) string { return strings.ReplaceAll(s, "  ", "\t") }), nil)},
		{"header with an unknown field", rewrite(t, good, header(func(s string) string { return strings.Replace(s, "{", `{"extra": 1,`, 1) }), nil)},
		{"another format", rewrite(t, good, header(func(s string) string { return strings.Replace(s, "segel-backup/v1", "segel-backup/v2", 1) }), nil)},
		{"data after the end", rewrite(t, good, keep, []byte("more"))},
	}
	target := newStore(t)
	for _, tt := range bad {
		if _, err := restoreInto(t, target, tt.archive, nil); !errors.Is(err, vault.ErrBadArchive) {
			t.Errorf("Restore of an archive with %s: %v, want ErrBadArchive", tt.name, err)
		}
	}
	errCheck := errors.New("the caller's check failed")
	if _, err := restoreInto(t, target, good, func(context.Context, vault.Backend, *vault.Manifest) error { return errCheck }); !errors.Is(err, errCheck) {
		t.Errorf("Restore with a failing check: %v, want the check's error", err)
	}
	// Every refusal left the target empty: the good archive restores.
	checked := false
	r, err := restoreInto(t, target, good, func(ctx context.Context, r vault.Backend, m *vault.Manifest) error {
		checked = m.Log("main").Size == int64(len(c.logs["main"]))
		_, err := r.Stat(ctx, [32]byte{})
		if !errors.Is(err, vault.ErrNotFound) {
			return fmt.Errorf("the check cannot use the restored vault: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Restore after refused ones: %v", err)
	}
	if !checked {
		t.Errorf("Restore did not call the check with the manifest")
	}
	wantContents(t, r, c)
	_ = ctx
}

func testRestoreVerifies(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := testContext(t)
	t.Run("LogHashes", func(t *testing.T) {
		s := newStore(t)
		b, _ := open(t, s)
		entry := []byte("tender announced\n")
		if err := b.AuditLog("main").Append(ctx, 0, [][]byte{entry}, []tlog.Hash{tlog.RecordHash([]byte("another entry\n"))}); err != nil {
			t.Fatal(err)
		}
		if _, err := restoreInto(t, newStore(t), snapshot(t, b), nil); !errors.Is(err, vault.ErrCorrupt) {
			t.Errorf("Restore of a log whose entries do not hash to its tree: %v, want ErrCorrupt", err)
		}
	})
	t.Run("Blob", func(t *testing.T) {
		s := newStore(t)
		b, _ := open(t, s)
		info := putBlob(t, b, []byte("sealed offer, soon damaged"), 100)
		s.Corrupt(info.Digest)
		var archive bytes.Buffer
		_, err := b.Snapshot(ctx, &archive)
		if err == nil {
			_, err = restoreInto(t, newStore(t), archive.Bytes(), nil)
		}
		if !errors.Is(err, vault.ErrCorrupt) {
			t.Errorf("Snapshot and Restore of a damaged blob: %v, want ErrCorrupt from one of them", err)
		}
	})
}

// testSnapshotWhileWriting takes a snapshot beside a writer that stores a
// blob, then a record naming it, then a log entry naming the record, as
// the tender engine does: the restored vault must hold every blob its
// records name and every record its log names.
func testSnapshotWhileWriting(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := testContext(t)
	s := newStore(t)
	b, _ := open(t, s)
	l, err := auditlog.Open(ctx, auditlog.Config{Storage: b.AuditLog("main"), Origin: "vaulttest.segel/log", Signer: newSigner(t, "vaulttest.segel/log")})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	written := make(chan int, 1)
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			data := []byte(fmt.Sprintf("offer %d", i))
			info, err := b.Put(ctx, bytes.NewReader(data), 100)
			if err == nil {
				key := hex.EncodeToString(info.Digest[:])
				err = b.Update(ctx, func(tx vault.Tx) error { return tx.Put("offers", key, data) })
				if err == nil {
					_, err = l.Append(ctx, []byte("offer "+key+"\n"))
				}
				if err == nil && i%7 == 0 {
					_, err = l.Checkpoint(ctx)
				}
			}
			if err != nil {
				werr = err
				return
			}
			select {
			case written <- i:
			default:
			}
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
		if werr != nil {
			t.Errorf("writer: %v", werr)
		}
	}()
	for n := 0; n < 20; {
		select {
		case n = <-written:
		case <-time.After(time.Minute):
			t.Fatalf("the writer stored %d offers in a minute (%v)", n, werr)
		}
	}
	ro, err := s.OpenReadOnly()
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var archive bytes.Buffer
	start := time.Now()
	m, err := ro.Snapshot(ctx, &archive)
	if err != nil {
		t.Fatalf("Snapshot while writing: %v", err)
	}
	t.Logf("snapshot while writing: log of %d entries, %d blobs, %v", m.Log("main").Size, m.Blobs, time.Since(start))
	_, err = restoreInto(t, newStore(t), archive.Bytes(), func(ctx context.Context, r vault.Backend, m *vault.Manifest) error {
		entries, err := r.AuditLog("main").ReadEntries(ctx, 0, m.Log("main").Size)
		if err != nil {
			return err
		}
		return r.View(ctx, func(tx vault.Tx) error {
			for i, e := range entries {
				key := strings.TrimSuffix(strings.TrimPrefix(string(e), "offer "), "\n")
				if _, err := tx.Get("offers", key); err != nil {
					return fmt.Errorf("log entry %d names a record the snapshot lacks: %w", i, err)
				}
			}
			return tx.Scan("offers", "", func(key string, _ []byte) error {
				var d [32]byte
				hex.Decode(d[:], []byte(key))
				if _, err := r.Stat(ctx, d); err != nil {
					return fmt.Errorf("record %s names a blob the snapshot lacks: %w", key, err)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Errorf("Restore of a snapshot taken while writing: %v", err)
	}
}
