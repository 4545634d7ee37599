// Package vaulttest is the conformance suite for [vault.Backend]
// implementations, and test support for packages that need a real backend.
//
// Every backend runs the same suite:
//
//	func TestConformance(t *testing.T) {
//		vaulttest.TestBackend(t, func(t *testing.T) vaulttest.Store {
//			dir := t.TempDir()
//			return vaulttest.Store{
//				Open:     func() vault.Backend { … OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: dir}) … },
//				Corrupt:  func(d [32]byte) { … flip a byte of the stored blob … },
//				Contains: func(needle []byte) bool { … search every stored byte … },
//				OpenReadOnly: func() (vault.Backend, error) { … ReadOnly: true … },
//				Restore:  func(r io.Reader, check …) (…) { … vault.RestoreEmbedded(ctx, cfg, r, check) … },
//			}
//		})
//	}
package vaulttest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/segel-lpse/segel/vault"
)

// Store is fresh, empty storage for one subtest, as described by the backend
// under test.
type Store struct {
	// Open opens a Backend on the storage, calling t.Fatal on failure. The
	// suite closes it; calling Open again after Close must see everything
	// the previous Backend acknowledged (the durability test).
	Open func() vault.Backend
	// Corrupt changes one byte of the stored copy of the non-empty blob
	// with the given digest, behind the Backend's back.
	Corrupt func(digest [32]byte)
	// Contains reports whether needle occurs anywhere in the raw storage
	// (files, rows in their text form), bypassing the Backend. The suite
	// uses it to prove that secrets never reach storage in plaintext.
	Contains func(needle []byte) bool
	// OpenReadOnly opens the storage read-only, as a backup does beside
	// the process that writes (EmbeddedConfig.ReadOnly,
	// PostgresConfig.ReadOnly), or returns the error of trying. The suite
	// closes what it returns.
	OpenReadOnly func() (vault.Backend, error)
	// Restore restores the archive read from r into the storage, which
	// must be empty, as the backend's Restore does (RestoreEmbedded,
	// RestorePostgres), passing check on, and returns the backend opened
	// on it with the manifest. The suite closes the backend.
	Restore func(r io.Reader, check func(context.Context, vault.Backend, *vault.Manifest) error) (vault.Backend, *vault.Manifest, error)
}

// TestBackend runs the whole conformance suite. newStore is called once per
// subtest and must return storage private to that subtest.
func TestBackend(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("Records", func(t *testing.T) { TestRecords(t, newStore) })
	t.Run("Blobs", func(t *testing.T) { TestBlobs(t, newStore) })
	t.Run("Secrets", func(t *testing.T) { TestSecrets(t, newStore) })
	t.Run("AuditLog", func(t *testing.T) { TestAuditLog(t, newStore) })
	t.Run("Backup", func(t *testing.T) { TestBackup(t, newStore) })
}

// open opens a backend on s and closes it when the test ends (unless the
// test closed it already through the returned close function).
func open(t *testing.T, s Store) (vault.Backend, func()) {
	t.Helper()
	b := s.Open()
	closed := false
	closeFn := func() {
		t.Helper()
		if closed {
			return
		}
		closed = true
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(closeFn)
	return b, closeFn
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
