package audit_test

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/segel-lpse/segel/audit"
)

// memFS copies the files under dir into memory, as a browser holds the
// files it was given.
func memFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(dir + "/" + p)
		m[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReadFS checks that a bundle read from any fs.FS, sealed files
// included, verifies as the same directory read by ReadDir does, and that
// ReadFS is as strict.
func TestReadFS(t *testing.T) {
	run := runTender(t, tenderOptions{offers: 3, resubmits: 1, failures: 1, seal: true})
	dir, _ := bundleFiles(t, run)
	fromDir, err := audit.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := audit.Verify(fromDir, *run.trusted)
	if err != nil {
		t.Fatal(err)
	}
	m := memFS(t, dir)
	b, err := audit.ReadFS(m)
	if err != nil {
		t.Fatalf("ReadFS: %v", err)
	}
	got, err := audit.Verify(b, *run.trusted)
	if err != nil {
		t.Fatalf("Verify after ReadFS: %v", err)
	}
	if !reflect.DeepEqual(got, want) || got.Sealed != 4 {
		t.Errorf("Verify after ReadFS = %+v, after ReadDir %+v (want 4 sealed files)", got, want)
	}

	m["notes.txt"] = &fstest.MapFile{Data: []byte("x")}
	_, err = audit.ReadFS(m)
	var ae *audit.Error
	if !errors.Is(err, audit.ErrUnknownFile) || !errors.As(err, &ae) || ae.File != "notes.txt" {
		t.Errorf("ReadFS with an unknown file = %v, want ErrUnknownFile naming notes.txt", err)
	}
	delete(m, "notes.txt")
	delete(m, "keys.txt")
	if _, err := audit.ReadFS(m); !errors.Is(err, audit.ErrMissingFile) {
		t.Errorf("ReadFS without keys.txt = %v, want ErrMissingFile", err)
	}
}
