// Package vault is Segel's custody layer: small records in transactions,
// sealed files as content-addressed blobs, and the deployment's long-term
// secrets, on one of two storage backends chosen in main:
//
//   - [OpenEmbedded], the default: SQLite (modernc.org/sqlite, no cgo) in WAL
//     mode plus one file per blob under a data directory;
//   - [OpenPostgres]: PostgreSQL 15+ through a pgx pool, blobs in chunked rows,
//     so several stateless servers can share one database.
//
// Domain packages depend on the narrow interfaces [Records] and [Blobs], not
// on a backend. Every acknowledged write is durable: a blob Put or an Update
// returns only after an fsync (embedded) or a committed transaction
// (PostgreSQL).
//
// Backups are vault operations: [Backend.Snapshot] writes an archive in the
// format segel-backup/v1 (doc/spec/backup.md), also from a backend opened
// ReadOnly beside the process that writes it; [RestoreEmbedded] and
// [RestorePostgres] load one into new, empty storage and verify what they
// loaded from the storage itself (every blob rehashed, every audit log's
// entries against its stored tree) before they return it.
//
// The on-disk layout, SQL schemas and durability argument are specified in
// doc/spec/vault.md (version 1). The conformance suite in
// [github.com/segel-lpse/segel/vault/vaulttest] proves that both backends
// meet the same contract; a new backend plugs in by implementing [Backend]
// and running that suite.
//
// The package never prints, reads the environment or keeps global state.
package vault
