package vaulttest

import (
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/auditlog/auditlogtest"
)

// TestAuditLog runs the audit log's own storage conformance suite
// (auditlogtest.TestStorage) on Backend.AuditLog, and checks what that suite
// cannot: appends survive a reopen and logs of different names are
// independent.
func TestAuditLog(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("Storage", func(t *testing.T) {
		auditlogtest.TestStorage(t, func(t *testing.T) auditlog.Storage {
			b, _ := open(t, newStore(t))
			return b.AuditLog("segel/audit")
		})
	})
	t.Run("DurableAndIndependent", func(t *testing.T) {
		s := newStore(t)
		ctx := testContext(t)
		b, closeB := open(t, s)
		entry := []byte("tender announced\n")
		hashes := []tlog.Hash{tlog.RecordHash(entry)}
		if err := b.AuditLog("a").Append(ctx, 0, [][]byte{entry}, hashes); err != nil {
			t.Fatalf("Append: %v", err)
		}
		if err := b.AuditLog("a").PutCheckpoint(ctx, 1, []byte("checkpoint\n")); err != nil {
			t.Fatalf("PutCheckpoint: %v", err)
		}
		closeB()
		b, _ = open(t, s)
		if n, err := b.AuditLog("a").Size(ctx); err != nil || n != 1 {
			t.Fatalf("Size after reopen = %d, %v; want 1", n, err)
		}
		if got, err := b.AuditLog("a").ReadHashes(ctx, []int64{0}); err != nil || got[0] != hashes[0] {
			t.Fatalf("ReadHashes after reopen = %v, %v", got, err)
		}
		if got, err := b.AuditLog("a").Checkpoint(ctx, -1); err != nil || string(got) != "checkpoint\n" {
			t.Fatalf("Checkpoint after reopen = %q, %v", got, err)
		}
		if n, err := b.AuditLog("b").Size(ctx); err != nil || n != 0 {
			t.Fatalf("Size of another log = %d, %v; want 0", n, err)
		}
		if err := b.AuditLog("b").Append(ctx, 0, [][]byte{entry}, hashes); err != nil {
			t.Fatalf("Append to another log at 0: %v", err)
		}
		if _, err := b.AuditLog("").Size(ctx); err == nil {
			t.Errorf("Size of a log with an empty name succeeded")
		}
	})
}
