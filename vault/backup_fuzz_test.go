package vault

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The seeds are in testdata/fuzz/<name>/: the headers and sums of the two
// version 1 archives in testdata, and near misses of them; FuzzReadArchive
// adds the archives themselves.

// FuzzParseHeader: parseHeader never panics, refuses with ErrBadArchive,
// and what it accepts marshals back to the same bytes (one encoding per
// header).
func FuzzParseHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBadArchive) {
				t.Fatalf("parseHeader refused with %v, not ErrBadArchive", err)
			}
			return
		}
		again, err := marshalHeader(h)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("parseHeader accepted %q, which marshals to %q (%v)", b, again, err)
		}
	})
}

// FuzzParseSums: parseSums never panics, refuses with ErrBadArchive, and
// what it accepts marshals back to the same bytes.
func FuzzParseSums(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		sums, err := parseSums(b)
		if err != nil {
			if !errors.Is(err, ErrBadArchive) {
				t.Fatalf("parseSums refused with %v, not ErrBadArchive", err)
			}
			return
		}
		if again := marshalSums(sums); !bytes.Equal(again, b) {
			t.Fatalf("parseSums accepted %q, which marshals to %q", b, again)
		}
	})
}

// FuzzReadArchive: reading any byte string as an archive of either kind
// never panics, never hands a data file that breaks the format's names to
// its sink, and refuses only with ErrBadArchive (the input is in memory:
// it cannot fail otherwise).
func FuzzReadArchive(f *testing.F) {
	for _, kind := range []string{kindEmbedded, kindPostgres} {
		b, err := os.ReadFile(filepath.Join("testdata", "backup-v1-"+kind+".tar"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(append(bytes.Clone(b), "more"...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, kind := range []string{kindEmbedded, kindPostgres} {
			a := archiveReader{
				kind:  kind,
				begin: func(*header) error { return nil },
				file: func(name string, r io.Reader) error {
					if !validName(kind, name) {
						t.Fatalf("the sink got %q in an archive of kind %s", name, kind)
					}
					_, err := io.Copy(io.Discard, r)
					return err
				},
			}
			h, err := a.read(bytes.NewReader(b))
			if err != nil && !errors.Is(err, ErrBadArchive) {
				t.Fatalf("read refused with %v, not ErrBadArchive", err)
			}
			if err == nil && h.Kind != kind {
				t.Fatalf("read accepted an archive of kind %s as %s", h.Kind, kind)
			}
		}
	})
}
