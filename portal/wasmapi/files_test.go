package wasmapi_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/segel-lpse/segel/portal/wasmapi"
)

func files(m map[string]string) []wasmapi.File {
	var fs []wasmapi.File
	for name, data := range m {
		fs = append(fs, wasmapi.File{Path: name, Size: int64(len(data)), Data: strings.NewReader(data)})
	}
	return fs
}

func TestFilesFS(t *testing.T) {
	// A chosen directory's files, as a browser names them.
	m := map[string]string{
		"bundle/bundle.txt": "b", "bundle/keys.txt": "k", "bundle/checkpoints/3.txt": "c3",
		"bundle/checkpoints/10.txt": "c10", "bundle/sealed/4.age": "s", "bundle/a/b/c/d.txt": "deep",
	}
	fsys, err := wasmapi.FilesFS(files(m))
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "bundle.txt", "keys.txt", "checkpoints/3.txt", "checkpoints/10.txt", "sealed/4.age", "a/b/c/d.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "checkpoints/10.txt"); err != nil || string(b) != "c10" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	// A bundle at the top stays there, even with one directory.
	top, err := wasmapi.FilesFS(files(map[string]string{"bundle.txt": "b", "checkpoints/1.txt": "c"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(top, "bundle.txt", "checkpoints/1.txt"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		files []wasmapi.File
		want  string
	}{
		{"absolute", files(map[string]string{"/etc/passwd": ""}), "not a relative"},
		{"dot dot", files(map[string]string{"bundle/../x": ""}), "not a relative"},
		{"backslash", files(map[string]string{`bundle\x`: ""}), "not a relative"},
		{"empty", files(map[string]string{"": ""}), "not a relative"},
		{"twice", append(files(map[string]string{"a": ""}), files(map[string]string{"./a": ""})...), "appears twice"},
		{"file and directory", files(map[string]string{"a": "", "a/b": ""}), "both a file and a directory"},
	} {
		_, err := wasmapi.FilesFS(tt.files)
		if !errors.Is(err, wasmapi.ErrInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: FilesFS = %v, want ErrInput saying %q", tt.name, err, tt.want)
		}
	}
}

type tarEntry struct {
	h    tar.Header
	data string
}

func tarHeader(name string) tar.Header { return tar.Header{Name: name, Typeflag: tar.TypeReg} }

func makeTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.h
		if h.Typeflag == tar.TypeReg || h.Typeflag == 0 {
			h.Size = int64(len(e.data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.data))
	}
	tw.Close()
	return buf.Bytes()
}

func TestTarFS(t *testing.T) {
	long := strings.Repeat("x", 150) + ".txt" // a PAX name
	good := makeTar(t, []tarEntry{
		{tar.Header{Name: "./", Typeflag: tar.TypeDir}, ""},
		{tar.Header{Name: "./bundle.txt", Typeflag: tar.TypeReg}, "b"},
		{tar.Header{Name: "./receipts/", Typeflag: tar.TypeDir}, ""},
		{tar.Header{Name: "./receipts/0.txt", Typeflag: tar.TypeReg}, strings.Repeat("r", 1000)},
		{tar.Header{Name: "./" + long, Typeflag: tar.TypeReg}, "long"},
	})
	fsys, err := wasmapi.TarFS(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "bundle.txt", "receipts/0.txt", long); err != nil {
		t.Fatal(err)
	}
	if b, _ := fs.ReadFile(fsys, long); string(b) != "long" {
		t.Errorf("PAX-named file reads %q", b)
	}
	for _, tt := range []struct {
		name string
		tar  []byte
		want string
	}{
		{"symlink", makeTar(t, []tarEntry{{tar.Header{Name: "bundle.txt", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}, ""}}), "not a regular file"},
		{"hard link", makeTar(t, []tarEntry{{tar.Header{Name: "a", Typeflag: tar.TypeReg}, "a"}, {tar.Header{Name: "b", Typeflag: tar.TypeLink, Linkname: "a"}, ""}}), "not a regular file"},
		{"twice", makeTar(t, []tarEntry{{tar.Header{Name: "a", Typeflag: tar.TypeReg}, "1"}, {tar.Header{Name: "./a", Typeflag: tar.TypeReg}, "2"}}), "appears twice"},
		{"escape", makeTar(t, []tarEntry{{tar.Header{Name: "../a", Typeflag: tar.TypeReg}, "1"}}), "not a relative"},
		{"empty", makeTar(t, nil), "holds no files"},
		{"not tar", []byte(strings.Repeat("not a tar archive ", 100)), "not a readable tar archive"},
		{"cut", good[:bytes.Index(good, []byte("rrrr"))+10], `"./receipts/0.txt" ends after the archive`},
		{"size near 2⁶³", hugeTar(), `"bundle.txt" ends after the archive`},
	} {
		_, err := wasmapi.TarFS(bytes.NewReader(tt.tar), int64(len(tt.tar)))
		if !errors.Is(err, wasmapi.ErrInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: TarFS = %v, want ErrInput saying %q", tt.name, err, tt.want)
		}
	}
}

// hugeTar is the header of a file of nearly 2⁶³ bytes, and nothing else.
func hugeTar() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "bundle.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: math.MaxInt64 - 100, Format: tar.FormatPAX})
	tw.Flush()
	return buf.Bytes()
}
