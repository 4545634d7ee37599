// Package archive is the backup archive format segel-backup/v1
// (doc/spec/backup.md): the header, SHA256SUMS, and the writer and reader
// of the tar stream. It holds the format apart from the vault's storage,
// which snapshots into a Writer and restores from a Reader, so that every
// parser here is small and fuzzed on its own.
package archive

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// ErrBad reports an archive that breaks the format: damaged, incomplete,
// or not an archive. Package vault exports it as ErrBadArchive.
var ErrBad = errors.New("vault: bad backup archive")

const (
	Format     = "segel-backup/v1"
	HeaderName = "segel-backup.json"
	SumsName   = "SHA256SUMS"
	DBName     = "vault.db"

	KindEmbedded = "embedded"
	KindPostgres = "postgres"

	// HeaderLog is the one log a version 1 header records: the log
	// server.Build keeps for a deployment (doc/spec/backup.md §3).
	HeaderLog = "main"

	// MaxCheckpoint is the vault's limit on a stored signed checkpoint,
	// and so on the one a header holds; real ones are a few hundred
	// bytes.
	MaxCheckpoint = 64 << 10

	// Caps on what a reader holds in memory.
	maxHeaderSize = 1 << 20
	maxSumsSize   = 1 << 30
)

// Header is segel-backup.json. Field order and types make its canonical
// encoding: do not change them.
type Header struct {
	Format  string    `json:"format"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	Schema  int       `json:"schema"`
	Log     LogHeader `json:"log"`
	// Sequences are PostgreSQL sequence values (name → last value).
	Sequences map[string]int64 `json:"sequences,omitempty"`
}

// LogHeader is the state of the log HeaderLog at snapshot time.
type LogHeader struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	Checkpoint string `json:"checkpoint"`
}

// MarshalHeader returns the canonical encoding of h.
func MarshalHeader(h *Header) ([]byte, error) {
	b, err := json.MarshalIndent(h, "", "  ")
	return append(b, '\n'), err
}

// SequenceName matches the names of PostgreSQL sequences and tables an
// archive may hold.
var SequenceName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ParseHeader parses segel-backup.json strictly: the fields of version 1,
// valid values, and the bytes MarshalHeader writes for them.
func ParseHeader(b []byte) (*Header, error) {
	if len(b) > maxHeaderSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBad, HeaderName, maxHeaderSize)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBad, HeaderName, err)
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBad, HeaderName, err)
	}
	if canon, err := MarshalHeader(&h); err != nil || !bytes.Equal(canon, b) {
		return nil, fmt.Errorf("%w: %s is not in the canonical form %s writers produce", ErrBad, HeaderName, Format)
	}
	return &h, nil
}

func (h *Header) check() error {
	switch {
	case h.Format != Format:
		return fmt.Errorf("archive format %q; this vault reads %s", h.Format, Format)
	case h.Kind != KindEmbedded && h.Kind != KindPostgres:
		return fmt.Errorf("archive of unknown backend kind %q", h.Kind)
	case h.Created.IsZero() || h.Created.Location() != time.UTC || h.Created.Nanosecond() != 0:
		return errors.New("created must be a UTC time in whole seconds")
	case h.Schema < 1:
		return fmt.Errorf("schema %d: want 1 or more", h.Schema)
	case h.Log.Name != HeaderLog || h.Log.Size < 0:
		return fmt.Errorf("log must be %q with a size of 0 or more", HeaderLog)
	case len(h.Log.Checkpoint) > MaxCheckpoint:
		return fmt.Errorf("log checkpoint of %d bytes, limit %d", len(h.Log.Checkpoint), MaxCheckpoint)
	case h.Sequences != nil && h.Kind != KindPostgres:
		return errors.New("sequences in an archive that is not of kind postgres")
	}
	for name, v := range h.Sequences {
		if !SequenceName.MatchString(name) || v < 1 {
			return fmt.Errorf("sequence %q = %d: want a name of [a-z0-9_] and a value of 1 or more", name, v)
		}
	}
	return nil
}

var (
	blobEntry  = regexp.MustCompile(`^blobs/[0-9a-f]{2}/[0-9a-f]{62}$`)
	tableEntry = regexp.MustCompile(`^postgres/([a-z][a-z0-9_]{0,62})\.copy$`)
)

// ValidName reports whether name may be a data file of an archive of kind.
func ValidName(kind, name string) bool {
	switch kind {
	case KindEmbedded:
		return name == DBName || blobEntry.MatchString(name)
	case KindPostgres:
		return tableEntry.MatchString(name)
	}
	return false
}

// BlobName is the name of the blob with digest d in an embedded archive.
func BlobName(d [32]byte) string {
	h := hex.EncodeToString(d[:])
	return "blobs/" + h[:2] + "/" + h[2:]
}

// BlobDigest returns the digest a blob's name says, if name is one.
func BlobDigest(name string) ([32]byte, bool) {
	var d [32]byte
	if !blobEntry.MatchString(name) {
		return d, false
	}
	_, err := hex.Decode(d[:], []byte(name[len("blobs/"):len("blobs/")+2]+name[len("blobs/ab/"):]))
	return d, err == nil
}

// TableName is the name of the file holding a PostgreSQL table.
func TableName(table string) (string, error) {
	name := "postgres/" + table + ".copy"
	if !tableEntry.MatchString(name) {
		return "", fmt.Errorf("vault: table name %q cannot be archived", table)
	}
	return name, nil
}

// Table returns the table a data file of a postgres archive holds.
func Table(name string) (string, bool) {
	m := tableEntry.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}
