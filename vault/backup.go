package vault

// The backup archive, format segel-backup/v1, specified in
// doc/spec/backup.md: what Backend.Snapshot writes and RestoreEmbedded and
// RestorePostgres read. This file holds the format; the backends'
// snapshot and restore code is in embedded_backup.go and
// postgres_backup.go, reading in backup_read.go, verification in
// backup_verify.go.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
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

const (
	backupFormat = "segel-backup/v1"
	headerName   = "segel-backup.json"
	sumsName     = "SHA256SUMS"
	dbName       = "vault.db"

	kindEmbedded = "embedded"
	kindPostgres = "postgres"

	// headerLog is the one log a version 1 header records: the log
	// server.Build keeps for a deployment (doc/spec/backup.md §3).
	headerLog = "main"

	// Caps on what a restore reads into memory.
	maxHeaderSize = 1 << 20
	maxSumsSize   = 1 << 30
)

// header is segel-backup.json. Field order and types make its canonical
// encoding: do not change them.
type header struct {
	Format  string    `json:"format"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	Schema  int       `json:"schema"`
	Log     logHeader `json:"log"`
	// Sequences are PostgreSQL sequence values (name → last value).
	Sequences map[string]int64 `json:"sequences,omitempty"`
}

type logHeader struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	Checkpoint string `json:"checkpoint"`
}

// newHeader returns the header of a snapshot of kind described by m.
func newHeader(kind string, m *Manifest) *header {
	l := m.Log(headerLog)
	return &header{
		Format: backupFormat, Kind: kind, Created: m.Created, Schema: m.Schema,
		Log: logHeader{Name: l.Name, Size: l.Size, Checkpoint: string(l.Checkpoint)},
	}
}

func marshalHeader(h *header) ([]byte, error) {
	b, err := json.MarshalIndent(h, "", "  ")
	return append(b, '\n'), err
}

var sequenceName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// parseHeader parses segel-backup.json strictly: the fields of version 1,
// valid values, and the bytes marshalHeader writes for them.
func parseHeader(b []byte) (*header, error) {
	if len(b) > maxHeaderSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadArchive, headerName, maxHeaderSize)
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadArchive, headerName, err)
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadArchive, headerName, err)
	}
	if canon, err := marshalHeader(&h); err != nil || !bytes.Equal(canon, b) {
		return nil, fmt.Errorf("%w: %s is not in the canonical form segel-backup/v1 writers produce", ErrBadArchive, headerName)
	}
	return &h, nil
}

func (h *header) check() error {
	switch {
	case h.Format != backupFormat:
		return fmt.Errorf("archive format %q; this vault reads %s", h.Format, backupFormat)
	case h.Kind != kindEmbedded && h.Kind != kindPostgres:
		return fmt.Errorf("archive of unknown backend kind %q", h.Kind)
	case h.Created.IsZero() || h.Created.Location() != time.UTC || h.Created.Nanosecond() != 0:
		return errors.New("created must be a UTC time in whole seconds")
	case h.Schema < 1:
		return fmt.Errorf("schema %d: want 1 or more", h.Schema)
	case h.Log.Name != headerLog || h.Log.Size < 0:
		return fmt.Errorf("log must be %q with a size of 0 or more", headerLog)
	case len(h.Log.Checkpoint) > maxCheckpointSize:
		return fmt.Errorf("log checkpoint of %d bytes, limit %d", len(h.Log.Checkpoint), maxCheckpointSize)
	case h.Sequences != nil && h.Kind != kindPostgres:
		return errors.New("sequences in an archive that is not of kind postgres")
	}
	for name, v := range h.Sequences {
		if !sequenceName.MatchString(name) || v < 1 {
			return fmt.Errorf("sequence %q = %d: want a name of [a-z0-9_] and a value of 1 or more", name, v)
		}
	}
	return nil
}

var (
	blobEntry  = regexp.MustCompile(`^blobs/[0-9a-f]{2}/[0-9a-f]{62}$`)
	tableEntry = regexp.MustCompile(`^postgres/([a-z][a-z0-9_]{0,62})\.copy$`)
)

// validName reports whether name may be a data file of an archive of kind.
func validName(kind, name string) bool {
	switch kind {
	case kindEmbedded:
		return name == dbName || blobEntry.MatchString(name)
	case kindPostgres:
		return tableEntry.MatchString(name)
	}
	return false
}

// blobEntryName is the archive name of the blob with digest d.
func blobEntryName(d [32]byte) string {
	h := digestHex(d)
	return "blobs/" + h[:2] + "/" + h[2:]
}

// sum is one line of SHA256SUMS.
type sum struct {
	name   string
	sha256 [32]byte
}

func marshalSums(sums []sum) []byte {
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%x  %s\n", s.sha256, s.name)
	}
	return b.Bytes()
}

// parseSums parses SHA256SUMS strictly: the lines marshalSums writes.
func parseSums(b []byte) ([]sum, error) {
	if len(b) > maxSumsSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadArchive, sumsName, maxSumsSize)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("%w: %s is truncated", ErrBadArchive, sumsName)
	}
	var sums []sum
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4096)
	for sc.Scan() {
		line := sc.Text()
		hexSum, name, ok := strings.Cut(line, "  ")
		var d [32]byte
		if !ok || len(hexSum) != 2*len(d) || hexSum != strings.ToLower(hexSum) || name == "" {
			return nil, fmt.Errorf("%w: %s: bad line %q", ErrBadArchive, sumsName, line)
		}
		if _, err := hex.Decode(d[:], []byte(hexSum)); err != nil {
			return nil, fmt.Errorf("%w: %s: bad line %q", ErrBadArchive, sumsName, line)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: %s lists %s twice", ErrBadArchive, sumsName, name)
		}
		seen[name] = true
		sums = append(sums, sum{name, d})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadArchive, sumsName, err)
	}
	return sums, nil
}

// checkSums compares the entries a reader hashed with SHA256SUMS: the same
// names, the same digests.
func checkSums(got, listed []sum) error {
	want := make(map[string][32]byte, len(listed))
	for _, s := range listed {
		want[s.name] = s.sha256
	}
	for _, s := range got {
		d, ok := want[s.name]
		if !ok {
			return fmt.Errorf("%w: %s is in the archive but not in %s", ErrBadArchive, s.name, sumsName)
		}
		if d != s.sha256 {
			return fmt.Errorf("%w: %s: SHA-256 %x, but %s says %x", ErrBadArchive, s.name, s.sha256, sumsName, d)
		}
		delete(want, s.name)
	}
	for _, s := range listed {
		if _, missing := want[s.name]; missing {
			return fmt.Errorf("%w: %s lists %d files missing from the archive, first %s", ErrBadArchive, sumsName, len(want), s.name)
		}
	}
	return nil
}

// archiveWriter writes the tar stream of an archive and keeps the sums.
type archiveWriter struct {
	tw    *tar.Writer
	sums  []sum
	bytes int64 // bytes of file content written
}

func newArchiveWriter(w io.Writer, h *header) (*archiveWriter, error) {
	a := &archiveWriter{tw: tar.NewWriter(w)}
	b, err := marshalHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := a.add(headerName, int64(len(b)), bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return a, nil
}

// add writes one file of size bytes read from r, and returns its SHA-256.
func (a *archiveWriter) add(name string, size int64, r io.Reader) ([32]byte, error) {
	if err := a.tw.WriteHeader(fileHeader(name, size)); err != nil {
		return [32]byte{}, fmt.Errorf("vault: archiving %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(a.tw, io.TeeReader(io.LimitReader(r, size), h))
	if err != nil {
		return [32]byte{}, fmt.Errorf("vault: archiving %s: %w", name, err)
	}
	if n != size {
		return [32]byte{}, fmt.Errorf("vault: archiving %s: %d bytes, want %d (did the file change?)", name, n, size)
	}
	var d [32]byte
	h.Sum(d[:0])
	a.sums = append(a.sums, sum{name, d})
	a.bytes += size
	return d, nil
}

// finish writes SHA256SUMS and the end of the tar stream, and counts the
// files in m.
func (a *archiveWriter) finish(m *Manifest) error {
	b := marshalSums(a.sums)
	if err := a.tw.WriteHeader(fileHeader(sumsName, int64(len(b)))); err != nil {
		return fmt.Errorf("vault: archiving %s: %w", sumsName, err)
	}
	if _, err := a.tw.Write(b); err != nil {
		return fmt.Errorf("vault: archiving %s: %w", sumsName, err)
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("vault: finishing the archive: %w", err)
	}
	m.Files, m.Bytes = len(a.sums), a.bytes
	return nil
}

func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Size: size, Mode: 0o600, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
}
