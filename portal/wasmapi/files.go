package wasmapi

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// maxFiles caps the files of a bundle given as a tar archive or a list,
// as audit.ReadDir caps a directory's.
const maxFiles = 1 << 20

// A File is one file a page was given: its path, slash-separated (a
// directory's files carry the directory's name first, as a browser's
// webkitRelativePath does), and its contents.
type File struct {
	Path string
	Size int64
	Data io.ReaderAt
}

// FilesFS returns the files as a read-only fs.FS, for audit.ReadFS. Paths
// must be valid (fs.ValidPath, after an optional "./") and distinct.
// When every file lies in one directory and bundle.txt is not at the top,
// that directory is the root: a chosen directory's files, or a tar archive
// of a bundle directory, read as the bundle itself.
func FilesFS(files []File) (fs.FS, error) {
	if len(files) > maxFiles {
		return nil, fmt.Errorf("%w: more than %d files", ErrInput, maxFiles)
	}
	m := &memFS{files: make(map[string]File, len(files)), dirs: map[string][]fs.DirEntry{}}
	for _, f := range files {
		name := strings.TrimPrefix(f.Path, "./")
		if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) {
			return nil, fmt.Errorf("%w: file name %.200q is not a relative slash-separated path", ErrInput, f.Path)
		}
		if _, dup := m.files[name]; dup {
			return nil, fmt.Errorf("%w: file %.200q appears twice", ErrInput, name)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("%w: file %.200q has a negative size", ErrInput, name)
		}
		m.files[name] = f
	}
	dirs := map[string]bool{".": true}
	for name := range m.files {
		for d := parent(name); !dirs[d]; d = parent(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		if _, isFile := m.files[d]; isFile {
			return nil, fmt.Errorf("%w: %.200q is both a file and a directory", ErrInput, d)
		}
		m.dirs[d] = nil
	}
	for name, f := range m.files {
		m.dirs[parent(name)] = append(m.dirs[parent(name)], entry{name: path.Base(name), size: f.Size})
	}
	for d := range dirs {
		if d != "." {
			m.dirs[parent(d)] = append(m.dirs[parent(d)], entry{name: path.Base(d), dir: true})
		}
	}
	for _, es := range m.dirs {
		slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	if _, ok := m.files["bundle.txt"]; !ok {
		if top := m.dirs["."]; len(top) == 1 && top[0].IsDir() {
			return fs.Sub(m, top[0].Name())
		}
	}
	return m, nil
}

// parent returns the directory of a valid path, "." at the top.
func parent(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return "."
}

// memFS is a read-only file system of Files.
type memFS struct {
	files map[string]File
	dirs  map[string][]fs.DirEntry // directory → its entries, sorted
}

func (m *memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f, ok := m.files[name]; ok {
		return &openFile{info: entry{name: path.Base(name), size: f.Size}, r: io.NewSectionReader(f.Data, 0, f.Size)}, nil
	}
	if es, ok := m.dirs[name]; ok {
		return &openDir{info: entry{name: path.Base(name), dir: true}, entries: es}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// entry is both the fs.FileInfo and the fs.DirEntry of a file or directory.
type entry struct {
	name string
	size int64
	dir  bool
}

func (e entry) Name() string { return e.name }
func (e entry) Size() int64  { return e.size }
func (e entry) Mode() fs.FileMode {
	if e.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (e entry) ModTime() time.Time         { return time.Time{} }
func (e entry) IsDir() bool                { return e.dir }
func (e entry) Sys() any                   { return nil }
func (e entry) Type() fs.FileMode          { return e.Mode().Type() }
func (e entry) Info() (fs.FileInfo, error) { return e, nil }

type openFile struct {
	info entry
	r    *io.SectionReader
}

func (f *openFile) Stat() (fs.FileInfo, error)              { return f.info, nil }
func (f *openFile) Read(p []byte) (int, error)              { return f.r.Read(p) }
func (f *openFile) ReadAt(p []byte, off int64) (int, error) { return f.r.ReadAt(p, off) }
func (f *openFile) Seek(off int64, whence int) (int64, error) {
	return f.r.Seek(off, whence)
}
func (f *openFile) Close() error { return nil }

type openDir struct {
	info    entry
	entries []fs.DirEntry
	off     int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}
func (d *openDir) Close() error { return nil }

func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return slices.Clone(rest), nil
}
