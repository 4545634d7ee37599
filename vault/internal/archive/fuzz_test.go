package archive

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// The seeds are in testdata/fuzz/<name>/: the headers and sums of the two
// version 1 archives in vault/testdata, and near misses of them.

// FuzzParseHeader: parseHeader never panics, refuses with ErrBad,
// and what it accepts marshals back to the same bytes (one encoding per
// header).
func FuzzParseHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBad) {
				t.Fatalf("parseHeader refused with %v, not ErrBad", err)
			}
			return
		}
		again, err := MarshalHeader(h)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("parseHeader accepted %q, which marshals to %q (%v)", b, again, err)
		}
	})
}

// FuzzParseSums: parseSums never panics, refuses with ErrBad, and
// what it accepts marshals back to the same bytes.
func FuzzParseSums(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		sums, err := ParseSums(b)
		if err != nil {
			if !errors.Is(err, ErrBad) {
				t.Fatalf("parseSums refused with %v, not ErrBad", err)
			}
			return
		}
		if again := MarshalSums(sums); !bytes.Equal(again, b) {
			t.Fatalf("parseSums accepted %q, which marshals to %q", b, again)
		}
	})
}

// FuzzReadArchive: reading any byte string as an archive of either kind
// never panics, never hands a data file that breaks the format's names to
// its sink, and refuses only with ErrBad (the input is in memory:
// it cannot fail otherwise). Fuzz it with -fuzzminimizetime 2s: minimizing
// an archive of a few kilobytes takes the default minute, in which the
// fuzzer seems to stall.
func FuzzReadArchive(f *testing.F) {
	// Small archives of both kinds, as the vault writes them.
	for _, kind := range []string{KindEmbedded, KindPostgres} {
		var buf bytes.Buffer
		h := &Header{Format: Format, Kind: kind, Created: time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC), Schema: 2,
			Log: LogHeader{Name: HeaderLog, Size: 3, Checkpoint: "lpse.test/log\n3\nAAAA\n\n— lpse.test/log AAAA\n"}}
		files := map[string]string{"vault.db": "SQLite format 3\x00", "blobs/2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824": "hello"}
		if kind == KindPostgres {
			h.Sequences = map[string]int64{"blob_ids": 1}
			files = map[string]string{"postgres/records.copy": "PGCOPY\n\xff\r\n\x00", "postgres/blobs.copy": "PGCOPY\n\xff\r\n\x00"}
		}
		a, err := NewWriter(&buf, h)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range slices.Sorted(maps.Keys(files)) {
			if _, err := a.Add(name, int64(len(files[name])), strings.NewReader(files[name])); err != nil {
				f.Fatal(err)
			}
		}
		if _, _, err := a.Close(); err != nil {
			f.Fatal(err)
		}
		b := buf.Bytes()
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(append(bytes.Clone(b), "more"...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, kind := range []string{KindEmbedded, KindPostgres} {
			a := Reader{
				Kind:  kind,
				Begin: func(*Header) error { return nil },
				File: func(name string, r io.Reader) error {
					if !ValidName(kind, name) {
						t.Fatalf("the sink got %q in an archive of kind %s", name, kind)
					}
					_, err := io.Copy(io.Discard, r)
					return err
				},
			}
			h, err := a.Read(bytes.NewReader(b))
			if err != nil && !errors.Is(err, ErrBad) {
				t.Fatalf("read refused with %v, not ErrBad", err)
			}
			if err == nil && h.Kind != kind {
				t.Fatalf("read accepted an archive of kind %s as %s", h.Kind, kind)
			}
		}
	})
}
