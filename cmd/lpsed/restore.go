package main

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"github.com/segel-lpse/segel/vault"
)

// runRestore is lpsed restore: it rebuilds a data directory (or loads an
// empty PostgreSQL database) from a backup archive, checks every file
// against the archive's sums, and verifies the restored deployment against
// its latest signed checkpoint.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lpsed restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup archive to restore (required)")
	identity := fs.String("identity", "", "age identity file that decrypts the archive (required)")
	data := fs.String("data", "", "new or empty data directory to restore an embedded backup into")
	postgres := fs.String("postgres", "", "DSN of a new, empty PostgreSQL database to restore a PostgreSQL backup into")
	kekFile := fs.String("kek-file", os.Getenv("SEGEL_KEK_FILE"), "the deployment's key-encryption key, to verify the restore (env SEGEL_KEK_FILE; or SEGEL_KEK holding the key)")
	name := fs.String("name", "lpse.local", "deployment name, used only if the backup has no signed checkpoint to take it from")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 || *from == "" || *identity == "" || (*data == "") == (*postgres == "") {
		fmt.Fprintln(stderr, "lpsed: usage: lpsed restore --from FILE --identity KEYFILE (--data NEWDIR | --postgres DSN)")
		return 2
	}
	r := restore{from: *from, data: *data, postgres: *postgres, name: *name}
	var err error
	if r.kek, err = restoreKEK(*kekFile); err != nil {
		fmt.Fprintf(stderr, "lpsed: restore: %v\n", err)
		return 2
	}
	if r.identities, err = readIdentities(*identity); err != nil {
		fmt.Fprintf(stderr, "lpsed: restore: %v\n", err)
		return 2
	}
	rep, err := r.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lpsed: restore: %v\n", err)
		return 1
	}
	target := r.data
	if r.postgres != "" {
		target = "the PostgreSQL database"
	}
	fmt.Fprintf(stdout, "restored %s backup of %s into %s: %d files match SHA256SUMS\n", rep.kind, rep.created, target, rep.files)
	fmt.Fprintf(stdout, "verified: log %q has %d entries, rehashed; checkpoint at size %d signed by %s; %d blobs (%d bytes) hash to their names; %d offers' blobs present\n",
		rep.origin, rep.size, rep.checkpointSize, rep.logKey, rep.blobs, rep.blobBytes, rep.offers)
	if rep.checkpointSize < rep.size {
		fmt.Fprintf(stdout, "note: entries %d to %d were not yet covered by a signed checkpoint when the backup was taken\n", rep.checkpointSize, rep.size-1)
	}
	return 0
}

// restoreKEK reads the KEK that restore needs to verify the deployment. It
// never creates one: a restore with a new KEK could not open any secret.
func restoreKEK(file string) (*vault.KEK, error) {
	if v := os.Getenv("SEGEL_KEK"); v != "" {
		return vault.ParseKEK(v)
	}
	if file == "" {
		return nil, errors.New("the deployment's KEK is needed to verify the restore (it is never in the backup): set SEGEL_KEK or --kek-file")
	}
	return vault.LoadKEKFile(file)
}

func readIdentities(path string) ([]age.Identity, error) {
	b, err := readCapped(path, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	return ids, nil
}

type restore struct {
	from, data, postgres, name string
	kek                        *vault.KEK
	identities                 []age.Identity
}

func (r *restore) run(ctx context.Context) (rep *report, err error) {
	// The target first: refuse before anything is decrypted or written.
	if r.postgres != "" {
		if err := pgEmpty(ctx, r.postgres); err != nil {
			return nil, err
		}
	} else {
		var created bool
		if created, err = emptyDir(r.data); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				// Leave no half-restored directory that could be served.
				if created {
					os.RemoveAll(r.data)
				} else {
					clearDir(r.data)
				}
			}
		}()
	}
	f, err := os.Open(r.from)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ar, err := age.Decrypt(bufio.NewReaderSize(f, 1<<20), r.identities...)
	if err != nil {
		return nil, fmt.Errorf("decrypting %s: %w", r.from, err)
	}
	h, n, err := r.extract(ctx, ar)
	if err != nil {
		return nil, err
	}
	var backend vault.Backend
	var listBlobs func(context.Context) ([][32]byte, error)
	if h.Kind == kindPostgres {
		p, err := vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: r.postgres})
		if err != nil {
			return nil, err
		}
		backend, listBlobs = p, pgBlobLister(r.postgres)
	} else {
		e, err := vault.OpenEmbedded(ctx, vault.EmbeddedConfig{Dir: r.data})
		if err != nil {
			return nil, err
		}
		backend, listBlobs = e, dirBlobLister(filepath.Join(r.data, "blobs"))
	}
	rep, err = verifyDeployment(ctx, backend, r.kek, h, r.name, listBlobs)
	if cerr := backend.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if h.Kind == kindPostgres {
			err = fmt.Errorf("%w (the database now holds the unverified restore: drop it)", err)
		}
		return nil, err
	}
	rep.kind, rep.created, rep.files = h.Kind, h.Created.Format("2006-01-02 15:04:05Z"), n
	return rep, nil
}

// emptyDir makes sure dir is a new or empty directory and reports whether
// it created it.
func emptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, os.MkdirAll(dir, 0o700)
	} else if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("%s is not empty: restore only into a new or empty directory", dir)
	}
	return false, nil
}

func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// extract reads the archive: the header, then every file (written to the
// data directory or loaded into PostgreSQL, hashed on the way), then
// SHA256SUMS, then the end of the age stream, which authenticates the
// whole archive. It returns the header and the number of files.
func (r *restore) extract(ctx context.Context, ar io.Reader) (*header, int, error) {
	tr := tar.NewReader(ar)
	hdr, err := tr.Next()
	if err != nil {
		return nil, 0, fmt.Errorf("reading the archive: %w", err)
	}
	if hdr.Name != headerName || hdr.Typeflag != tar.TypeReg || hdr.Size > maxHeaderSize {
		return nil, 0, fmt.Errorf("not a Segel backup: first entry %q, want %s", hdr.Name, headerName)
	}
	hb, err := io.ReadAll(tr)
	if err != nil {
		return nil, 0, err
	}
	h, err := parseHeader(hb)
	if err != nil {
		return nil, 0, err
	}
	got := []sum{{headerName, sha256.Sum256(hb)}}
	switch {
	case h.Kind == kindPostgres && r.postgres == "":
		return nil, 0, errors.New("this is a backup of a PostgreSQL deployment: restore it with --postgres DSN of an empty database")
	case h.Kind == kindEmbedded && r.postgres != "":
		return nil, 0, errors.New("this is a backup of an embedded deployment: restore it with --data NEWDIR")
	}
	var pg *pgLoader
	if h.Kind == kindPostgres {
		// Create the schema, check it is the backup's, then load in one
		// transaction.
		p, err := vault.OpenPostgres(ctx, vault.PostgresConfig{DSN: r.postgres})
		if err != nil {
			return nil, 0, err
		}
		if err := p.Close(); err != nil {
			return nil, 0, err
		}
		if pg, err = newPGLoader(ctx, r.postgres, h.Schema); err != nil {
			return nil, 0, err
		}
		defer pg.close()
	}
	var sumsText []byte
	seen := map[string]bool{headerName: true}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, 0, fmt.Errorf("reading the archive: %w", err)
		}
		if sumsText != nil {
			return nil, 0, fmt.Errorf("archive entry %q after %s", hdr.Name, sumsName)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, 0, fmt.Errorf("archive entry %q is not a regular file", hdr.Name)
		}
		if seen[hdr.Name] {
			return nil, 0, fmt.Errorf("archive entry %q appears twice", hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Name == sumsName {
			if hdr.Size > maxSumsSize {
				return nil, 0, fmt.Errorf("%s is too large", sumsName)
			}
			if sumsText, err = io.ReadAll(tr); err != nil {
				return nil, 0, err
			}
			continue
		}
		if !validName(h.Kind, hdr.Name) {
			return nil, 0, fmt.Errorf("unexpected archive entry %q in a %s backup", hdr.Name, h.Kind)
		}
		hash := sha256.New()
		tee := io.TeeReader(tr, hash)
		if pg != nil {
			err = pg.load(ctx, hdr.Name, tee)
		} else {
			err = writeFile(filepath.Join(r.data, filepath.FromSlash(hdr.Name)), tee)
		}
		if err != nil {
			return nil, 0, err
		}
		var d [32]byte
		hash.Sum(d[:0])
		if blobName.MatchString(hdr.Name) && fmt.Sprintf("%x", d) != strings.ReplaceAll(hdr.Name[len("blobs/"):], "/", "") {
			return nil, 0, fmt.Errorf("archived blob %s does not hash to its name", hdr.Name)
		}
		got = append(got, sum{hdr.Name, d})
	}
	if sumsText == nil {
		return nil, 0, fmt.Errorf("the archive ends without %s: it is incomplete", sumsName)
	}
	// Read age's stream to its end: only then is every byte authenticated.
	if _, err := io.Copy(io.Discard, ar); err != nil {
		return nil, 0, fmt.Errorf("decrypting %s: %w", r.from, err)
	}
	listed, err := parseSums(sumsText)
	if err != nil {
		return nil, 0, err
	}
	if err := checkSums(got, listed); err != nil {
		return nil, 0, err
	}
	if h.Kind == kindEmbedded {
		if !seen[dbName] {
			return nil, 0, fmt.Errorf("the archive has no %s", dbName)
		}
		// New names are durable once their directories are synced.
		dirs, _ := filepath.Glob(filepath.Join(r.data, "blobs", "[0-9a-f][0-9a-f]"))
		for _, d := range append(dirs, filepath.Join(r.data, "blobs"), r.data) {
			if err := syncDir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, 0, err
			}
		}
	} else if err := pg.commit(ctx, h.Sequences); err != nil {
		return nil, 0, err
	}
	return h, len(got), nil
}

// writeFile writes a new file from r and syncs it.
func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
