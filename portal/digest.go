package portal

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

// Digest returns the build digest of the files in fsys: the SHA-256, in
// lowercase hex, of their manifest — one line per regular file, sorted by
// name (bytewise), each the file's SHA-256 in lowercase hex, two spaces
// and its slash-separated name:
//
//	<sha256 hex>  segel.js
//	<sha256 hex>  segel.wasm
//	<sha256 hex>  wasm_exec.js
//
// which is what sha256sum prints, so that the digest of a directory of
// served files can be recomputed with coreutils alone
// (doc/spec/portal.md, "Build digest").
func Digest(fsys fs.FS) (string, error) {
	m, err := Manifest(fsys)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(m)
	return hex.EncodeToString(sum[:]), nil
}

// Manifest returns the manifest Digest hashes.
func Manifest(fsys fs.FS) ([]byte, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, name)
		} else if !d.IsDir() {
			return fmt.Errorf("portal: %s is not a regular file", name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var m []byte
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		m = fmt.Appendf(m, "%x  %s\n", sum, name)
	}
	return m, nil
}

// BuildDigest returns the Digest of the files this binary serves. A
// deployment logs it when it starts serving them; an auditor recomputes
// it from the source with go run ./portal/internal/genstatic -digest.
func BuildDigest() string {
	return buildDigest()
}

var buildDigest = sync.OnceValue(func() string {
	d, err := Digest(Files())
	if err != nil {
		panic(err) // the embedded files are fixed at build time
	}
	return d
})

// Integrity returns the Subresource Integrity value of a static file
// ("sha384-" and the base64 SHA-384 of its bytes as served), for the
// integrity attribute of the tag that loads it, or for segel.js's
// data-wasm-integrity. ok is false for a name that is not served.
func Integrity(name string) (value string, ok bool) {
	f, ok := files()[name]
	if !ok {
		return "", false
	}
	return f.integrity, true
}

// file is one static file, with what serving it needs.
type file struct {
	data      []byte
	sha256    [32]byte
	integrity string
	gzip      func() []byte // the gzip encoding, made once, on first use
}

var files = sync.OnceValue(func() map[string]*file {
	m := map[string]*file{}
	err := fs.WalkDir(Files(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Files(), name)
		if err != nil {
			return err
		}
		s384 := sha512.Sum384(b)
		f := &file{data: b, sha256: sha256.Sum256(b), integrity: "sha384-" + base64.StdEncoding.EncodeToString(s384[:])}
		f.gzip = sync.OnceValue(func() []byte { return gzipped(f.data) })
		m[name] = f
		return nil
	})
	if err != nil {
		panic(err)
	}
	return m
})
