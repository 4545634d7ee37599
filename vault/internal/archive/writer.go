package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"time"
)

// Writer writes the tar stream of an archive and keeps the sums.
type Writer struct {
	tw    *tar.Writer
	sums  []Sum
	bytes int64 // bytes of file content written
}

// NewWriter begins an archive on w with the header h.
func NewWriter(w io.Writer, h *Header) (*Writer, error) {
	a := &Writer{tw: tar.NewWriter(w)}
	b, err := MarshalHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := a.Add(HeaderName, int64(len(b)), bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return a, nil
}

// Add writes one file of size bytes read from r, and returns its SHA-256.
func (a *Writer) Add(name string, size int64, r io.Reader) ([32]byte, error) {
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
	a.sums = append(a.sums, Sum{name, d})
	a.bytes += size
	return d, nil
}

// Close writes SHA256SUMS and the end of the tar stream, and returns the
// number of files (the header too, SHA256SUMS not) and their bytes.
func (a *Writer) Close() (files int, bytes int64, err error) {
	b := MarshalSums(a.sums)
	if err := a.tw.WriteHeader(fileHeader(SumsName, int64(len(b)))); err != nil {
		return 0, 0, fmt.Errorf("vault: archiving %s: %w", SumsName, err)
	}
	if _, err := a.tw.Write(b); err != nil {
		return 0, 0, fmt.Errorf("vault: archiving %s: %w", SumsName, err)
	}
	if err := a.tw.Close(); err != nil {
		return 0, 0, fmt.Errorf("vault: finishing the archive: %w", err)
	}
	return len(a.sums), a.bytes, nil
}

func fileHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Size: size, Mode: 0o600, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
}
