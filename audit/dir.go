package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/segel-lpse/segel/internal/canon"

	"github.com/segel-lpse/segel/auditlog"
	"github.com/segel-lpse/segel/timelock"
)

// Size caps of a bundle's files (doc/spec/audit-bundle.md §1).
const (
	maxBundleFileSize = 1 << 10
	maxReadmeSize     = 64 << 10
	maxChainSize      = 4 << 10
	maxProofFileSize  = 4 << 10
	maxBeaconSize     = 4 << 10
	maxOffersSize     = 16 << 20
	// maxFiles bounds the number of files ReadDir accepts.
	maxFiles = 1 << 20
)

// Fixed file names of the layout.
const (
	fileBundle  = "bundle.txt"
	fileReadme  = "README.txt"
	fileKeys    = "keys.txt"
	fileChain   = "chain.json"
	fileReport  = "opening-report.txt"
	fileReport2 = "opening-report-2.txt"
	fileBeacon  = "beacon.txt"
	fileOffers  = "offers.txt"
	dirSealed   = "sealed"
	sealedExt   = ".age"
	textExt     = ".txt"
	checkRead   = "read"
	checkWrite  = "write"
	checkLayout = "layout"
)

// WriteDir writes b into dir in the layout of doc/spec/audit-bundle.md §1,
// derived files included. dir must not exist or be empty. b should have been
// completed by Prove; WriteDir does not verify it.
func (b *Bundle) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	if des, err := os.ReadDir(dir); err != nil || len(des) > 0 {
		if err == nil {
			err = errors.New("directory is not empty")
		}
		return fmt.Errorf("audit: write %s: %w", dir, err)
	}
	keys, err := b.Keys.Marshal()
	if err != nil {
		return err
	}
	offers, err := offersFile(b.Entries)
	if err != nil {
		return fmt.Errorf("audit: write offers.txt: %w", err)
	}
	beacon, err := beaconFile(b.Entries)
	if err != nil {
		return fmt.Errorf("audit: write beacon.txt: %w", err)
	}
	files := map[string][]byte{
		fileBundle: bundleFile(b.Tender),
		fileReadme: readme(b.Tender),
		fileKeys:   keys,
		fileChain:  b.Chain.MarshalInfo(),
		fileReport: b.OpeningReport,
		fileBeacon: beacon,
		fileOffers: offers,
	}
	if b.OpeningReport2 != nil {
		files[fileReport2] = b.OpeningReport2
	}
	for i, c := range b.Checkpoints {
		files[fmt.Sprintf("checkpoints/%d.txt", c.Size)] = c.Signed
		if i > 0 {
			files[fmt.Sprintf("consistency/%d-%d.txt", b.Checkpoints[i-1].Size, c.Size)] = marshalProof(c.Consistency)
		}
	}
	for _, e := range b.Entries {
		files[fmt.Sprintf("entries/%d.txt", e.Index)] = e.Data
		files[fmt.Sprintf("inclusion/%d.txt", e.Index)] = marshalProof(e.Inclusion)
	}
	for i, r := range b.Receipts {
		files[fmt.Sprintf("receipts/%d.txt", i)] = r
	}
	for i, w := range b.Witness {
		files[fmt.Sprintf("witness/%d.txt", i)] = w
	}
	for _, d := range []string{"checkpoints", "consistency", "entries", "inclusion", "receipts", "witness"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("audit: write: %w", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), files[name], 0o644); err != nil {
			return fmt.Errorf("audit: write: %w", err)
		}
	}
	if b.Sealed != nil {
		return writeSealed(b.Sealed, filepath.Join(dir, dirSealed))
	}
	return nil
}

// writeSealed copies the sealed files of src into dir.
func writeSealed(src fs.FS, dir string) error {
	des, err := fs.ReadDir(src, ".")
	if err != nil {
		return fmt.Errorf("audit: write sealed: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	for _, de := range des {
		if _, ok := indexName(de.Name(), sealedExt); !ok || !de.Type().IsRegular() {
			return fmt.Errorf("audit: write sealed: %q is not named <index>.age", de.Name())
		}
		if err := copyFile(src, de.Name(), filepath.Join(dir, de.Name())); err != nil {
			return fmt.Errorf("audit: write sealed: %w", err)
		}
	}
	return nil
}

func copyFile(src fs.FS, name, dst string) (err error) {
	r, err := src.Open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(w, r)
	return err
}

// indexName parses "<canonical decimal><ext>".
func indexName(name, ext string) (int64, bool) {
	s, ok := strings.CutSuffix(name, ext)
	if !ok {
		return 0, false
	}
	n, err := canon.ParseUint(s)
	return n, err == nil
}

// ReadDir reads the audit bundle in dir strictly (doc/spec/audit-bundle.md
// §1): unknown files, non-regular files, files over their cap and missing
// required files are refused with an *Error naming the file. It checks the
// syntax of the small files; Verify checks everything else. Sealed files are
// not read, only listed.
func ReadDir(dir string) (*Bundle, error) {
	return ReadFS(os.DirFS(dir))
}

// ReadFS reads the audit bundle at the root of fsys as ReadDir does, for
// bundles that are not a directory of the local file system: a tar archive,
// or the files a browser was given (the portal's WebAssembly). Bundle.Sealed
// is then fsys's sealed directory, streamed by Verify.
func ReadFS(fsys fs.FS) (*Bundle, error) {
	b := &Bundle{
		Receipts: make(map[int64][]byte),
		Witness:  make(map[int64][]byte),
		derived:  make(map[string][]byte),
	}
	r := reader{fsys: fsys, b: b, checkpoints: map[int64][]byte{}, consistency: map[[2]int64][]byte{},
		inclusion: map[int64][]byte{}, entries: map[int64][]byte{}}
	if err := r.walk(); err != nil {
		return nil, err
	}
	if err := r.assemble(); err != nil {
		return nil, err
	}
	return b, nil
}

type reader struct {
	fsys        fs.FS
	b           *Bundle
	files       int
	top         map[string][]byte
	checkpoints map[int64][]byte
	consistency map[[2]int64][]byte
	entries     map[int64][]byte
	inclusion   map[int64][]byte
	sealed      bool
}

// walk reads every file of the directory, refusing what the layout does not
// name.
func (r *reader) walk() error {
	r.top = make(map[string][]byte)
	return fs.WalkDir(r.fsys, ".", func(rel string, de fs.DirEntry, err error) error {
		if err != nil {
			return fail(rel, checkRead, ErrMalformed, "%v", err)
		}
		if rel == "." {
			return nil
		}
		if de.IsDir() {
			switch rel {
			case "checkpoints", "consistency", "entries", "inclusion", "receipts", "witness":
				return nil
			case dirSealed:
				r.sealed = true
				return nil
			}
			return fail(rel, checkLayout, ErrUnknownFile, "directory not in the bundle layout")
		}
		if !de.Type().IsRegular() {
			return fail(rel, checkLayout, ErrUnknownFile, "not a regular file")
		}
		if r.files++; r.files > maxFiles {
			return fail(rel, checkLayout, ErrMalformed, "more than %d files", maxFiles)
		}
		return r.file(rel)
	})
}

// file classifies and reads one regular file.
func (r *reader) file(rel string) error {
	d, name := path.Split(rel)
	unknown := fail(rel, checkLayout, ErrUnknownFile, "file not in the bundle layout")
	switch d {
	case "":
		caps := map[string]int{fileBundle: maxBundleFileSize, fileReadme: maxReadmeSize, fileKeys: MaxKeysSize,
			fileChain: maxChainSize, fileReport: MaxOpeningReportSize, fileReport2: MaxOpeningReportSize,
			fileBeacon: maxBeaconSize, fileOffers: maxOffersSize}
		max, ok := caps[name]
		if !ok {
			return unknown
		}
		data, err := r.readCapped(rel, max)
		r.top[name] = data
		return err
	case "sealed/":
		if _, ok := indexName(name, sealedExt); !ok {
			return unknown
		}
		return nil
	case "consistency/":
		s, ok := strings.CutSuffix(name, textExt)
		m, n, ok2 := strings.Cut(s, "-")
		mi, err1 := canon.ParseUint(m)
		ni, err2 := canon.ParseUint(n)
		if !ok || !ok2 || err1 != nil || err2 != nil {
			return unknown
		}
		data, err := r.readCapped(rel, maxProofFileSize)
		r.consistency[[2]int64{mi, ni}] = data
		return err
	}
	i, ok := indexName(name, textExt)
	if !ok {
		return unknown
	}
	var dst map[int64][]byte
	var max int
	switch d {
	case "checkpoints/":
		dst, max = r.checkpoints, auditlog.MaxCheckpointSize
	case "entries/":
		dst, max = r.entries, auditlog.MaxEntrySize
	case "inclusion/":
		dst, max = r.inclusion, maxProofFileSize
	case "receipts/":
		dst, max = r.b.Receipts, auditlog.MaxProofFileSize
	case "witness/":
		dst, max = r.b.Witness, MaxWitnessReportSize
	default:
		return unknown
	}
	data, err := r.readCapped(rel, max)
	dst[i] = data
	return err
}

func (r *reader) readCapped(rel string, max int) ([]byte, error) {
	f, err := r.fsys.Open(rel)
	if err != nil {
		return nil, fail(rel, checkRead, ErrMalformed, "%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fail(rel, checkRead, ErrMalformed, "%v", err)
	}
	if len(data) > max {
		return nil, fail(rel, checkRead, ErrMalformed, "more than %d bytes", max)
	}
	return data, nil
}

// assemble checks that the files read fit together and fills the Bundle.
func (r *reader) assemble() error {
	b := r.b
	for _, name := range []string{fileBundle, fileReadme, fileKeys, fileChain, fileReport, fileBeacon, fileOffers} {
		if _, ok := r.top[name]; !ok {
			return fail(name, checkLayout, ErrMissingFile, "required file is missing")
		}
	}
	var err error
	if b.Tender, err = parseBundleFile(r.top[fileBundle]); err != nil {
		return fail(fileBundle, "version", ErrMalformed, "%v", err)
	}
	if b.Keys, err = ParseTrusted(r.top[fileKeys]); err != nil {
		return &Error{File: fileKeys, Check: "keys", Err: err}
	}
	if b.Chain, err = timelock.ParseChainInfo(r.top[fileChain]); err != nil {
		return fail(fileChain, "keys", ErrMalformed, "%v", err)
	}
	if string(b.Chain.MarshalInfo()) != string(r.top[fileChain]) {
		return fail(fileChain, "keys", ErrMalformed, "not the canonical /info document of its chain")
	}
	b.OpeningReport = r.top[fileReport]
	b.OpeningReport2 = r.top[fileReport2]
	for _, name := range []string{fileReadme, fileBeacon, fileOffers} {
		b.derived[name] = r.top[name]
	}
	for i, n := range slices.Sorted(maps.Keys(r.checkpoints)) {
		c := SignedCheckpoint{Size: n, Signed: r.checkpoints[n]}
		if i > 0 {
			m := b.Checkpoints[i-1].Size
			file := fmt.Sprintf("consistency/%d-%d.txt", m, n)
			data, ok := r.consistency[[2]int64{m, n}]
			if !ok {
				return fail(file, "consistency", ErrMissingFile, "no consistency proof between successive checkpoints")
			}
			delete(r.consistency, [2]int64{m, n})
			if c.Consistency, err = parseProof(data); err != nil {
				return fail(file, "consistency", ErrMalformed, "%v", err)
			}
		}
		b.Checkpoints = append(b.Checkpoints, c)
	}
	for k := range r.consistency {
		return fail(fmt.Sprintf("consistency/%d-%d.txt", k[0], k[1]), checkLayout, ErrUnknownFile, "not between two successive checkpoints")
	}
	for _, i := range slices.Sorted(maps.Keys(r.entries)) {
		file := fmt.Sprintf("inclusion/%d.txt", i)
		data, ok := r.inclusion[i]
		if !ok {
			return fail(file, "inclusion", ErrMissingFile, "entry %d has no inclusion proof", i)
		}
		delete(r.inclusion, i)
		p, err := parseProof(data)
		if err != nil {
			return fail(file, "inclusion", ErrMalformed, "%v", err)
		}
		b.Entries = append(b.Entries, LogEntry{Index: i, Data: r.entries[i], Inclusion: p})
	}
	for i := range r.inclusion {
		return fail(fmt.Sprintf("inclusion/%d.txt", i), checkLayout, ErrUnknownFile, "proof of an entry not in entries/")
	}
	if r.sealed {
		if b.Sealed, err = fs.Sub(r.fsys, dirSealed); err != nil {
			return fail(dirSealed, checkRead, ErrMalformed, "%v", err)
		}
	}
	return nil
}
