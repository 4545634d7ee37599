package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// paxRecord encodes one PAX record: "<length> <key>=<value>\n", the length
// counting itself.
func paxRecord(k, v string) string {
	s := " " + k + "=" + v + "\n"
	n := len(s) + 1
	for len(strconv.Itoa(n))+len(s) != n {
		n++
	}
	return strconv.Itoa(n) + s
}

// rawEntry is a tar entry of type typ written by hand: archive/tar's
// writer will not write PAX headers of our choosing.
func rawEntry(name string, typ byte, data string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o600, ModTime: time.Unix(0, 0)})
	io.WriteString(tw, data)
	tw.Flush()
	blk := b.Bytes()
	blk[156] = typ
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk[:512] {
		sum += int(c)
	}
	copy(blk[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return blk
}

// sparseArchive is an embedded archive whose vault.db is a PAX (0.1) GNU
// sparse file: one byte in the stream stands for 100 GB of zeros.
func sparseArchive(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	h := &Header{Format: Format, Kind: KindEmbedded, Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Schema: 2, Log: LogHeader{Name: HeaderLog}}
	hb, _ := MarshalHeader(h)
	tw := tar.NewWriter(&b)
	tw.WriteHeader(fileHeader(HeaderName, int64(len(hb))))
	tw.Write(hb)
	tw.Flush()
	pax := paxRecord("GNU.sparse.major", "0") + paxRecord("GNU.sparse.minor", "1") + paxRecord("GNU.sparse.size", "100000000000") +
		paxRecord("GNU.sparse.numblocks", "1") + paxRecord("GNU.sparse.map", "99999999999,1")
	b.Write(rawEntry("PaxHeaders/vault.db", tar.TypeXHeader, pax))
	tw = tar.NewWriter(&b)
	tw.WriteHeader(fileHeader(DBName, 1))
	tw.Write([]byte("x"))
	tw.Close()
	return b.Bytes()
}

// TestReadRefusesSparseFiles: a sparse entry is refused before its
// sink reads a byte; without the check the sink got 100 GB of zeros.
func TestReadRefusesSparseFiles(t *testing.T) {
	archive := sparseArchive(t)
	tr := tar.NewReader(bytes.NewReader(archive))
	tr.Next()
	if h, err := tr.Next(); err != nil || h.Size != 100000000000 || h.Typeflag != tar.TypeReg {
		t.Fatalf("the crafted entry reads as %+v, %v: want a regular file of 100 GB", h, err)
	}
	sunk := 0
	r := Reader{Kind: KindEmbedded, Begin: func(*Header) error { return nil }, File: func(string, io.Reader) error { sunk++; return nil }}
	_, err := r.Read(bytes.NewReader(archive))
	if !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), "not a regular file") || sunk != 0 {
		t.Errorf("Read of a sparse vault.db: %v after %d files; want ErrBad before any", err, sunk)
	}
}

// TestReadSinkError: an error of the sink is returned as it is, unless
// the archive failed under it, which is the archive's fault.
func TestReadSinkError(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, &Header{Format: Format, Kind: KindPostgres, Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Schema: 2, Log: LogHeader{Name: HeaderLog}})
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("row ", 1000)
	w.Add("postgres/records.copy", int64(len(data)), strings.NewReader(data))
	files, n, err := w.Close()
	if err != nil || files != 2 || n < int64(len(data)) {
		t.Fatalf("Close: %d files, %d bytes, %v", files, n, err)
	}
	full := b.Bytes()
	disk := errors.New("disk full")
	for _, tt := range []struct {
		name    string
		archive []byte
		want    error
	}{
		{"whole", full, disk},
		{"cut in the file", full[:1500], ErrBad},
	} {
		r := Reader{Kind: KindPostgres, Begin: func(*Header) error { return nil }, File: func(_ string, in io.Reader) error {
			if _, err := io.Copy(io.Discard, in); err != nil {
				return fmt.Errorf("loading: %w", err)
			}
			return disk
		}}
		if _, err := r.Read(bytes.NewReader(tt.archive)); !errors.Is(err, tt.want) {
			t.Errorf("%s: Read = %v, want %v", tt.name, err, tt.want)
		}
	}
	r := Reader{Kind: KindPostgres, Begin: func(*Header) error { return nil }, File: func(string, io.Reader) error { return nil }}
	h, err := r.Read(bytes.NewReader(full))
	if err != nil || h.Kind != KindPostgres || r.Files != 2 || r.Bytes != n {
		t.Errorf("Read = %+v, %v; %d files of %d bytes; want the archive's 2 of %d", h, err, r.Files, r.Bytes, n)
	}
}
