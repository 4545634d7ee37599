package wasmapi

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/segel-lpse/segel/audit"
)

// TarFS reads a tar archive of size bytes from r — an audit bundle as
// lpsed serves it at /v1/tenders/{id}/bundle, or as tar -c makes it of a
// bundle directory — and returns its files for audit.ReadFS. It reads
// only the archive's headers: file contents stay in r and are read when
// opened. It refuses what a bundle never holds: links and other special
// files, sparse files, and names that are not relative paths or repeat.
func TarFS(r io.ReaderAt, size int64) (fs.FS, error) {
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	var files []File
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%w: not a readable tar archive: %v", ErrInput, err)
		}
		if len(files) == maxFiles {
			return nil, fmt.Errorf("%w: tar archive: more than %d files", ErrInput, maxFiles)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("%w: tar archive: %.200q is not a regular file (type %q): an audit bundle holds only files and directories", ErrInput, h.Name, h.Typeflag)
		}
		for k := range h.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, fmt.Errorf("%w: tar archive: %.200q is a sparse file", ErrInput, h.Name)
			}
		}
		// tar.Reader has read the headers and nothing after them: the
		// contents start here.
		off, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		if h.Size > size-off {
			return nil, fmt.Errorf("%w: tar archive: %.200q ends after the archive", ErrInput, h.Name)
		}
		files = append(files, File{Path: h.Name, Size: h.Size, Data: io.NewSectionReader(r, off, h.Size)})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: the tar archive holds no files", ErrInput)
	}
	return FilesFS(files)
}

// Bundle is a verified audit bundle: audit.Result, for the page.
type Bundle struct {
	Tender      string   `json:"tender"`
	Round       uint64   `json:"round"`
	Offers      int      `json:"offers"`
	Opened      int      `json:"opened"`
	Failed      int      `json:"failed"`
	Superseded  int      `json:"superseded"`
	Entries     int      `json:"entries"`
	Checkpoints int      `json:"checkpoints"`
	TreeSize    int64    `json:"tree_size"`
	Receipts    int      `json:"receipts"`
	Sealed      int      `json:"sealed"`
	Pinned      bool     `json:"pinned"`   // all four keys were pinned
	Unpinned    []string `json:"unpinned"` // keys taken from the bundle itself
}

// VerifyBundle reads the audit bundle at the root of fsys with
// audit.ReadFS and verifies it with audit.Verify — what segel verify does
// with a directory — against the pinned keys (a segel-keys/v1 file). With
// no keys, the bundle is only shown consistent with its own keys.txt, and
// Bundle.Pinned is false. It needs no network.
func VerifyBundle(fsys fs.FS, keys []byte) (*Bundle, error) {
	var pinned audit.Trusted
	if len(keys) > 0 {
		t, err := parseKeys(keys)
		if err != nil {
			return nil, err
		}
		pinned = *t
	}
	b, err := audit.ReadFS(fsys)
	if err != nil {
		return nil, err
	}
	res, err := audit.Verify(b, pinned)
	if err != nil {
		return nil, err
	}
	return &Bundle{
		Tender: res.Tender, Round: res.Round, Offers: res.Offers, Opened: res.Opened, Failed: res.Failed,
		Superseded: res.Superseded, Entries: res.Entries, Checkpoints: res.Checkpoints, TreeSize: res.TreeSize,
		Receipts: res.Receipts, Sealed: res.Sealed, Pinned: len(res.Unpinned) == 0, Unpinned: nonNil(res.Unpinned),
	}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
