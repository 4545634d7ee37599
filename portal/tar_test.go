package portal_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"testing"
)

func base64Sum384(b []byte) string {
	s := sha512.Sum384(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// untar returns the regular files of a tar archive, in order.
func untar(t testing.TB, b []byte) (names []string, data map[string][]byte) {
	t.Helper()
	data = map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, data
		} else if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			names = append(names, h.Name)
			if data[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// retar makes a tar archive of the files, in the order named.
func retar(t testing.TB, names []string, data map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data[n]))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data[n])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
