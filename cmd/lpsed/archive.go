package main

// The backup archive (format segel-backup/v1), written by lpsed backup and
// read by lpsed restore:
//
//	age v1 file, to the backup recipients (X25519 or hybrid ML-KEM-768+X25519)
//	└── tar (USTAR, PAX when needed; regular files only, in this order)
//	    ├── segel-backup.json     the header: format, kind, schema version,
//	    │                         the audit log's size and latest signed
//	    │                         checkpoint at snapshot time, sequences
//	    ├── vault.db              embedded: a consistent SQLite snapshot
//	    ├── blobs/ab/cdef…        embedded: every blob file, named by digest
//	    ├── postgres/<table>.copy PostgreSQL: COPY … (FORMAT binary) per table
//	    └── SHA256SUMS            sha256sum(1) lines for every file above
//
// age authenticates the whole stream (a truncated or altered archive fails
// to decrypt), so SHA256SUMS guards against a faulty writer or restore, not
// an attacker; it also lets an operator check an extracted archive with
// sha256sum -c. The key-encryption key is never in the archive.

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
	"slices"
	"strings"
	"time"
)

const (
	backupFormat = "segel-backup/v1"
	headerName   = "segel-backup.json"
	sumsName     = "SHA256SUMS"
	dbName       = "vault.db"

	kindEmbedded = "embedded"
	kindPostgres = "postgres"

	// Caps on what restore reads into memory.
	maxHeaderSize = 1 << 20
	maxSumsSize   = 1 << 30
)

// header is segel-backup.json.
type header struct {
	Format  string    `json:"format"`
	Kind    string    `json:"kind"`
	Created time.Time `json:"created"`
	// Schema is the highest vault migration applied to the snapshot.
	Schema int64 `json:"schema"`
	// Log is the deployment's audit log ("main") at snapshot time.
	Log logState `json:"log"`
	// Sequences are PostgreSQL sequence values (name → last value).
	Sequences map[string]int64 `json:"sequences,omitempty"`
}

type logState struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	// Checkpoint is the latest signed checkpoint stored, which may cover
	// fewer than Size entries; empty if the log has none yet.
	Checkpoint string `json:"checkpoint"`
}

func (h *header) check() error {
	if h.Format != backupFormat {
		return fmt.Errorf("archive format %q; this lpsed reads %s", h.Format, backupFormat)
	}
	if h.Kind != kindEmbedded && h.Kind != kindPostgres {
		return fmt.Errorf("archive of unknown backend kind %q", h.Kind)
	}
	if h.Log.Name == "" || h.Log.Size < 0 {
		return errors.New("archive header has no valid log state")
	}
	return nil
}

var (
	blobName  = regexp.MustCompile(`^blobs/[0-9a-f]{2}/[0-9a-f]{62}$`)
	tableName = regexp.MustCompile(`^postgres/[a-z][a-z0-9_]{0,62}\.copy$`)
)

// validName reports whether name may appear in an archive of kind.
func validName(kind, name string) bool {
	switch kind {
	case kindEmbedded:
		return name == dbName || blobName.MatchString(name)
	case kindPostgres:
		return tableName.MatchString(name)
	}
	return false
}

// sum is one line of SHA256SUMS.
type sum struct {
	Name   string
	SHA256 [32]byte
}

func marshalSums(sums []sum) []byte {
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%x  %s\n", s.SHA256, s.Name)
	}
	return b.Bytes()
}

// parseSums parses SHA256SUMS strictly: the lines marshalSums writes.
func parseSums(b []byte) (map[string][32]byte, error) {
	sums := map[string][32]byte{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4096)
	for sc.Scan() {
		hexSum, name, ok := strings.Cut(sc.Text(), "  ")
		var d [32]byte
		if n, err := hex.Decode(d[:], []byte(hexSum)); !ok || err != nil || n != 32 || hexSum != strings.ToLower(hexSum) {
			return nil, fmt.Errorf("%s: bad line %q", sumsName, sc.Text())
		}
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("%s: %s listed twice", sumsName, name)
		}
		sums[name] = d
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", sumsName, err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("%s: truncated", sumsName)
	}
	return sums, nil
}

// archiveWriter writes the tar stream and keeps the sums.
type archiveWriter struct {
	tw   *tar.Writer
	sums []sum
	size int64 // bytes of file content written
}

// add writes one regular file of size bytes read from r, hashing it.
func (a *archiveWriter) add(name string, size int64, r io.Reader) ([32]byte, error) {
	err := a.tw.WriteHeader(&tar.Header{
		Name: name, Size: size, Mode: 0o600, Typeflag: tar.TypeReg,
		ModTime: time.Unix(0, 0),
	})
	if err != nil {
		return [32]byte{}, err
	}
	h := sha256.New()
	n, err := io.Copy(a.tw, io.TeeReader(io.LimitReader(r, size), h))
	if err != nil {
		return [32]byte{}, fmt.Errorf("archiving %s: %w", name, err)
	}
	if n != size {
		return [32]byte{}, fmt.Errorf("archiving %s: %d bytes, want %d (did the file change?)", name, n, size)
	}
	var d [32]byte
	h.Sum(d[:0])
	a.sums = append(a.sums, sum{name, d})
	a.size += size
	return d, nil
}

func (a *archiveWriter) addBytes(name string, b []byte) error {
	_, err := a.add(name, int64(len(b)), bytes.NewReader(b))
	return err
}

// finish writes SHA256SUMS and closes the tar stream.
func (a *archiveWriter) finish() error {
	b := marshalSums(a.sums)
	if err := a.tw.WriteHeader(&tar.Header{
		Name: sumsName, Size: int64(len(b)), Mode: 0o600, Typeflag: tar.TypeReg,
		ModTime: time.Unix(0, 0),
	}); err != nil {
		return err
	}
	if _, err := a.tw.Write(b); err != nil {
		return err
	}
	return a.tw.Close()
}

// checkSums compares what restore hashed with SHA256SUMS: the same names,
// the same digests, and the header included.
func checkSums(got []sum, listed map[string][32]byte) error {
	seen := map[string]bool{}
	for _, s := range got {
		want, ok := listed[s.Name]
		if !ok {
			return fmt.Errorf("%s is in the archive but not in %s", s.Name, sumsName)
		}
		if want != s.SHA256 {
			return fmt.Errorf("%s: SHA-256 %x, but %s says %x", s.Name, s.SHA256, sumsName, want)
		}
		seen[s.Name] = true
	}
	var missing []string
	for name := range listed {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("%s lists %d files missing from the archive, first %s", sumsName, len(missing), missing[0])
	}
	if !seen[headerName] {
		return fmt.Errorf("%s does not cover %s", sumsName, headerName)
	}
	return nil
}

func marshalHeader(h *header) ([]byte, error) {
	b, err := json.MarshalIndent(h, "", "  ")
	return append(b, '\n'), err
}

func parseHeader(b []byte) (*header, error) {
	var h header
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%s: %w", headerName, err)
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	return &h, nil
}
