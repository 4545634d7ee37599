package vault

import "github.com/segel-lpse/segel/auditlog"

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
	// Close releases the backend's connections. Data already acknowledged
	// stays durable.
	Close() error
}
