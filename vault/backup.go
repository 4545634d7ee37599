package vault

// Backups, format segel-backup/v1 (doc/spec/backup.md): what
// Backend.Snapshot writes and RestoreEmbedded and RestorePostgres read. The
// format itself is package internal/archive; the backends' snapshot and
// restore code is in embedded_backup.go and postgres_backup.go,
// verification in backup_verify.go.

import (
	"time"

	"github.com/segel-lpse/segel/vault/internal/archive"
)

// Manifest describes a backup archive and the vault it was taken from or
// restored into.
type Manifest struct {
	// Kind is the backend the archive restores into: "embedded" or
	// "postgres".
	Kind string
	// Created is when the snapshot was taken, in UTC, to the second.
	Created time.Time
	// Schema is the vault schema version of the snapshot: the highest
	// migration applied.
	Schema int
	// Logs are the audit logs stored, by name, at snapshot time.
	Logs []LogState
	// Records, Blobs and BlobBytes count what the vault stores.
	Records, Blobs, BlobBytes int64
	// Files and Bytes count the archive's files (SHA256SUMS aside) and
	// the bytes in them.
	Files int
	Bytes int64
	// Skipped names the files under an embedded vault's blobs/ that
	// Snapshot left out because they are not blobs.
	Skipped []string
}

// LogState is the state of one audit log.
type LogState struct {
	Name string
	Size int64 // entries stored
	// Checkpoint is the latest signed checkpoint stored, which may cover
	// fewer than Size entries; nil if the log has none.
	Checkpoint []byte
}

// Log returns the state of the log called name, or that of an empty log.
func (m *Manifest) Log(name string) LogState {
	for _, l := range m.Logs {
		if l.Name == name {
			return l
		}
	}
	return LogState{Name: name}
}

// newHeader returns the header of a snapshot of kind described by m.
func newHeader(kind string, m *Manifest) *archive.Header {
	l := m.Log(archive.HeaderLog)
	return &archive.Header{
		Format: archive.Format, Kind: kind, Created: m.Created, Schema: m.Schema,
		Log: archive.LogHeader{Name: l.Name, Size: l.Size, Checkpoint: string(l.Checkpoint)},
	}
}
