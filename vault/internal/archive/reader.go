package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Reader reads an archive of one kind and hands each data file to its
// owner: Begin sees the header before any data file, File reads each data
// file as it streams past (it need not read it all).
type Reader struct {
	Kind  string
	Begin func(h *Header) error
	File  func(name string, r io.Reader) error

	// Files and Bytes count the files read (the header too, SHA256SUMS
	// not) and the bytes in them.
	Files int
	Bytes int64
}

// Read reads the archive from r to its end (doc/spec/backup.md §6, steps
// 2–4): header, data files, SHA256SUMS, the end of the tar stream, then
// the end of r, so that a wrapper authenticating r (age) has checked every
// byte when read returns nil. It returns the header.
func (a *Reader) Read(r io.Reader) (*Header, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return nil, readErr(err)
	}
	if hdr.Name != HeaderName || !regular(hdr) || hdr.Size > maxHeaderSize {
		return nil, fmt.Errorf("%w: first entry %q, want %s (is this a Segel backup?)", ErrBad, hdr.Name, HeaderName)
	}
	hb, err := io.ReadAll(tr)
	if err != nil {
		return nil, readErr(err)
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return nil, err
	}
	if h.Kind != a.Kind {
		restore := map[string]string{KindEmbedded: "RestoreEmbedded (lpsed restore --data)", KindPostgres: "RestorePostgres (lpsed restore --postgres)"}
		return nil, fmt.Errorf("%w: this is a backup of a vault of kind %s: restore it with %s", ErrBad, h.Kind, restore[h.Kind])
	}
	if err := a.Begin(h); err != nil {
		return nil, err
	}
	got := []Sum{{HeaderName, sha256.Sum256(hb)}}
	a.Bytes = int64(len(hb))
	seen := map[string]bool{HeaderName: true}
	var sumsText []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, readErr(err)
		}
		switch {
		case sumsText != nil:
			return nil, fmt.Errorf("%w: entry %q after %s", ErrBad, hdr.Name, SumsName)
		case !regular(hdr):
			return nil, fmt.Errorf("%w: entry %q is not a regular file", ErrBad, hdr.Name)
		case seen[hdr.Name]:
			return nil, fmt.Errorf("%w: entry %q appears twice", ErrBad, hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Name == SumsName {
			if hdr.Size > maxSumsSize {
				return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBad, SumsName, maxSumsSize)
			}
			if sumsText, err = io.ReadAll(tr); err != nil {
				return nil, readErr(err)
			}
			continue
		}
		if !ValidName(h.Kind, hdr.Name) {
			return nil, fmt.Errorf("%w: unexpected entry %q in a backup of kind %s", ErrBad, hdr.Name, h.Kind)
		}
		d, err := a.hashFile(hdr.Name, tr)
		if err != nil {
			return nil, err
		}
		if want, ok := BlobDigest(hdr.Name); ok && d != want {
			return nil, fmt.Errorf("%w: archived blob %s does not hash to its name", ErrBad, hdr.Name)
		}
		got = append(got, Sum{hdr.Name, d})
	}
	if sumsText == nil {
		return nil, fmt.Errorf("%w: the archive ends without %s: it is incomplete", ErrBad, SumsName)
	}
	if h.Kind == KindEmbedded && !seen[DBName] {
		return nil, fmt.Errorf("%w: the archive has no %s", ErrBad, DBName)
	}
	if err := drainZeros(r); err != nil {
		return nil, err
	}
	listed, err := ParseSums(sumsText)
	if err != nil {
		return nil, err
	}
	if err := checkSums(got, listed); err != nil {
		return nil, err
	}
	a.Files = len(got)
	return h, nil
}

// regular reports a regular file whose bytes are all in the stream: not
// a GNU sparse file, whose holes the tar reader would fill with zeros it
// never read (a few bytes could stand for exabytes).
func regular(hdr *tar.Header) bool {
	if hdr.Typeflag != tar.TypeReg {
		return false
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return false
		}
	}
	return true
}

// hashFile hands one data file to a.file and returns the SHA-256 of all
// its bytes, also those a.file left unread.
func (a *Reader) hashFile(name string, r io.Reader) ([32]byte, error) {
	h := sha256.New()
	in := &readErrors{r: io.TeeReader(r, h)}
	if err := a.File(name, in); err != nil {
		if in.err != nil {
			return [32]byte{}, readErr(in.err) // the archive's fault, not the file's
		}
		return [32]byte{}, err
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
		return [32]byte{}, readErr(err)
	}
	a.Bytes += in.n
	var d [32]byte
	h.Sum(d[:0])
	return d, nil
}

// readErrors counts what passes through it and keeps the first error
// other than io.EOF.
type readErrors struct {
	r   io.Reader
	n   int64
	err error
}

func (r *readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// drainZeros reads r to its end, which must hold only zero bytes (the
// padding of tar records).
func drainZeros(r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if bytes.Count(buf[:n], []byte{0}) != n {
			return fmt.Errorf("%w: data after the end of the tar stream", ErrBad)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readErr(err)
		}
	}
}

// readErr reports an error reading the archive: the tar layer's format
// errors are ErrBad; the input's own errors (an age file that
// fails to authenticate) are kept as they are.
func readErr(err error) error {
	if errors.Is(err, tar.ErrHeader) || errors.Is(err, tar.ErrInsecurePath) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", ErrBad, err)
	}
	if err == io.EOF {
		return fmt.Errorf("%w: the archive is empty", ErrBad)
	}
	return fmt.Errorf("vault: reading the archive: %w", err)
}
