package vault

import (
	"context"
	"io"

	"github.com/segel-lpse/segel/auditlog"
)

// Backend is everything a deployment stores: records, blobs and (through
// them) secrets. Construct one with [OpenEmbedded] or [OpenPostgres] in main
// and pass it down; domain packages depend only on the narrow interfaces
// they use ([Records], [Blobs]).
//
// To plug in another backend, implement this interface and run the
// conformance suite in package vault/vaulttest against it.
type Backend interface {
	Records
	Blobs
	// AuditLog returns the durable storage of the audit log called name
	// (a record key: 1 to MaxKeySize bytes of UTF-8). One database holds
	// any number of logs.
	AuditLog(name string) auditlog.Storage
	// Snapshot writes an archive of everything the backend stores to w, in
	// the format segel-backup/v1 (doc/spec/backup.md): one consistent
	// snapshot, taken while other calls go on. It returns the archive's
	// manifest. A backend opened read-only, beside the process that
	// writes, takes it as well. Each backend has its own Restore
	// (RestoreEmbedded, RestorePostgres) into new, empty storage.
	Snapshot(ctx context.Context, w io.Writer) (*Manifest, error)
	// Close releases the backend's connections. Data already acknowledged
	// stays durable.
	Close() error
}
